"""minigrad: a small autograd library on NumPy (CPU) or CuPy (GPU) with PyTorch's API.

``import minigrad as torch`` runs the usual tutorial code: tensors, autograd,
``nn``, ``optim``, ``utils.data``.  The package is built in floors, each importing
only the floors below it (docs/architecture.md): ``core/`` (devices, dtypes,
``Tensor``, ``Function``, the engine), ``ops/`` (each op a forward and a
backward), ``autograd/``, ``nn/``, ``optim/`` and ``data/``, then the tools.
This file only gathers them under torch's names.
"""
import warnings as _warnings

from . import ops  # noqa: F401  (first: it binds the Tensor methods)
from . import memory, threads
from .threads import get_num_threads, set_num_threads
from .core.device import Device as device
from .core.device import get_default_device, set_default_device
from .core.dtypes import (bool, double, dtype, float, float16, float32, float64, get_default_dtype, half,
                     int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from .core.tensor import Size, Tensor
from .core.printing import set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .core.random import Generator, default_generator, initial_seed, manual_seed, seed
from .ops.factories import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor,
                        arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy, full, full_like,
                        linspace, ones, ones_like, rand, rand_like, randint, randn,
                        randn_like, randperm, tensor, tril_indices, triu_indices, zeros, zeros_like)
from .ops.arithmetic import *  # noqa: F401,F403
from .ops.unary import *  # noqa: F401,F403
from .ops.pointwise import *  # noqa: F401,F403
from .ops.softmax import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.index_write import *  # noqa: F401,F403
from .ops.join import *  # noqa: F401,F403
from .ops.comparison import *  # noqa: F401,F403
from .ops.sorting import *  # noqa: F401,F403
from .ops.sampling import *  # noqa: F401,F403
from .ops.set_ops import *  # noqa: F401,F403
from .ops.inverses import *  # noqa: F401,F403
from .ops.gamma_functions import *  # noqa: F401,F403
from .ops.distances import *  # noqa: F401,F403
from .ops.conversion import clone
from .ops.unary import _tensor as _tensor_argument
from .ops._methods import stale_views_checked_first as _stale_views_checked_first
_stale_views_checked_first(globals())    # torch's op asks a stale view for its history first
from . import autograd, linalg, special, testing

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def is_nonzero(input) -> bool:
    return _tensor_argument(input, "is_nonzero").is_nonzero()


def is_signed(input) -> bool:
    return _tensor_argument(input, "is_signed").is_signed()


def is_same_size(input, other) -> bool:
    if not isinstance(other, Tensor):
        from .core.type_errors import describe_type
        raise TypeError(f"is_same_size(): argument 'other' (position 2) must be Tensor, not {describe_type(other)}")
    return _tensor_argument(input, "is_same_size").is_same_size(other)


def get_device(input) -> int:
    return _tensor_argument(input, "get_device").get_device()


from . import accelerator, backends, cuda, data, distributions, jit, nn, onnx, optim, profiler, utils, viz  # noqa: E402
from .serialization import *  # noqa: E402,F401,F403
from .torch_alias import install_as_torch, uninstall_as_torch  # noqa: E402,F401
from .jit import compile  # noqa: E402,F401,A001  (torch.compile: returns the model, see jit.py)
from ._type_info import finfo, iinfo  # noqa: E402,F401

threads._default_threads()   # one BLAS thread unless the user chose (minigrad/threads.py says why)
memory.tune_allocator()      # freed memory kept for reuse (minigrad/memory.py says why)

# NumPy warns on inf/nan arithmetic ("divide by zero encountered in log"); torch is silent, so
# minigrad is too: only warnings NumPy raises inside minigrad's own code, at no cost per op
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minigrad(\.|$)")
