"""``minigrad.cuda``: is a GPU there, and waiting for it."""
from .core.device import cuda_available, cupy_module
from .core.random import seed_cuda


def is_available() -> bool:
    """True when CuPy is installed and a GPU is visible."""
    return cuda_available()


def device_count() -> int:
    return cupy_module().cuda.runtime.getDeviceCount() if cuda_available() else 0


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all queued work (for honest timings)."""
    if cuda_available():
        cupy_module().cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    if cuda_available():
        seed_cuda(seed)


manual_seed_all = manual_seed
