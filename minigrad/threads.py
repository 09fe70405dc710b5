"""``minigrad.set_num_threads`` / ``get_num_threads``: how many threads NumPy's BLAS uses.

minigrad's matrices are small (a batch of 128 rows times a 128x512 LSTM weight),
and for those one BLAS thread is the fastest: OpenBLAS's extra threads spin and
wait on each other more than they compute, and on a machine whose cores are busy
with other work every matmul waits for a thread that is not scheduled.  Measured
on a 2-core machine with a CPU-bound process beside it, ``transformer_reverse.py``
took 19-30 s with NumPy's default threads and 2-3 s with one.  So ``import
minigrad`` sets NumPy's BLAS to one thread, unless the user has chosen already:

* ``MINIGRAD_NUM_THREADS=n`` in the environment: minigrad sets ``n`` threads;
* ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` set: the
  BLAS has read it at load time, and minigrad leaves it alone;
* ``minigrad.set_num_threads(n)`` at any time, as ``torch.set_num_threads``.

The BLAS is found among the libraries loaded into the process (OpenBLAS, as in
NumPy's wheels, or MKL) and called through ``ctypes``, as threadpoolctl does,
without a dependency.  torch's own libraries are left alone.  Where no such
library is found (an Accelerate build of NumPy on a Mac), ``set_num_threads``
changes nothing and ``get_num_threads`` returns ``None``.  CuPy (``'cuda'``) is
not affected.
"""
from __future__ import annotations

import ctypes
import os
import pathlib

__all__ = ["set_num_threads", "get_num_threads"]

# The environment variables that mean "the user has picked a BLAS thread count".
_USER_CHOICE = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# (setter, getter) symbol pairs: OpenBLAS under its plain and NumPy-wheel names, then MKL.
_SYMBOLS = [("openblas_set_num_threads", "openblas_get_num_threads"),
            ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads")]
_controls = None        # [(setter, getter)] of the BLAS libraries found, looked up once


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS (matmul, the LSTM/GRU steps, linear layers)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    for setter, _ in _blas_controls():
        setter(n)


def get_num_threads() -> int | None:
    """The number of threads NumPy's BLAS uses, or ``None`` where minigrad cannot find the BLAS."""
    controls = _blas_controls()
    return int(controls[0][1]()) if controls else None


def _blas_controls():
    global _controls
    if _controls is None:
        _controls = []
        for path in _blas_library_paths():
            try:
                library = ctypes.CDLL(str(path))   # already loaded by NumPy: the same copy
            except OSError:                        # pragma: no cover - an odd file name match
                continue
            for setter_name, getter_name in _SYMBOLS:
                if hasattr(library, setter_name) and hasattr(library, getter_name):
                    setter, getter = getattr(library, setter_name), getattr(library, getter_name)
                    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                    _controls.append((setter, getter))
                    break
    return _controls


def _blas_library_paths():
    """Paths of the BLAS libraries NumPy loaded: from the process's memory map on Linux,
    else from the folders where NumPy's wheels keep them."""
    import numpy  # noqa: F401  (loads the BLAS, so that it is in the memory map)

    def is_blas(path):
        name = path.name.lower()
        return ("openblas" in name or name.startswith("libblas") or "mkl_rt" in name) \
            and "torch" not in path.parts
    maps = pathlib.Path("/proc/self/maps")
    if maps.exists():
        fields = (line.split(None, 5) for line in maps.read_text().splitlines())
        paths = {pathlib.Path(parts[5]) for parts in fields if len(parts) == 6 and parts[5].startswith("/")}
    else:                                          # pragma: no cover - macOS, Windows
        package = pathlib.Path(numpy.__file__).parent
        paths = {*package.glob(".dylibs/*"), *package.parent.glob("numpy.libs/*")}
    return sorted(path for path in paths if is_blas(path))


def _default_threads():
    """At import: one thread, or ``MINIGRAD_NUM_THREADS``, unless the user set the BLAS's own variable."""
    chosen = os.environ.get("MINIGRAD_NUM_THREADS")
    if chosen:
        if not chosen.strip().isdigit() or int(chosen) < 1:
            raise ValueError(f"MINIGRAD_NUM_THREADS must be a positive integer, got {chosen!r}")
        set_num_threads(int(chosen))
    elif not any(os.environ.get(name) for name in _USER_CHOICE):
        set_num_threads(1)
