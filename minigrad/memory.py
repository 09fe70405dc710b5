"""How ``import minigrad`` tunes the C allocator: freed memory is kept for reuse.

A training step allocates the same large temporaries (gate buffers, weight
gradients, activations of a few MB each) again and again.  glibc's ``malloc``
serves blocks above a threshold with fresh ``mmap`` pages and gives freed memory
at the top of its heap back to the system, so every step pays the page faults
of touching new memory.  On the 2-core VM where minigrad is benchmarked that was
about a third of an MNIST LSTM step: CPU time per step fell from 26-32 ms to
18-20 ms with the settings below (``benchmarks/bench_processes.py``, one thread).
torch's process pays the same faults until it frees a block past the threshold:
glibc then raises the threshold to that block's size (up to 32 MB), which a
script's data loading usually does, and so the benchmarks run torch's workers
under these settings too (``benchmarks/_processes.py``: a synthetic worker's
torch took 9-13 ms a seed LSTM step without them, 5.4 ms with them, as in a
real MNIST epoch).  torch's guides suggest jemalloc or tcmalloc for the same reason.

So at import minigrad asks glibc (through ``mallopt``, as ``MALLOC_*_`` variables
would) to serve blocks up to 32 MB (glibc's maximum) from its heap and to keep up
to 1 GB of freed heap memory instead of returning it.  The price: a process's
resident memory stays near its peak.  Nothing is done

* where the C library is not glibc (macOS, Windows, musl);
* where the user has set any ``MALLOC_..._`` variable of glibc's;
* with ``MINIGRAD_MALLOC_TUNING=0`` in the environment.

CuPy's memory (``'cuda'``) has its own pool and is not affected.
"""
from __future__ import annotations

import ctypes
import os
import platform

__all__ = []

# glibc's mallopt parameters (malloc.h) and the values minigrad sets.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
SETTINGS = {M_MMAP_THRESHOLD: 32 * 2 ** 20, M_TRIM_THRESHOLD: 2 ** 30}
_USER_CHOICE = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX")


def tune_allocator() -> bool:
    """Apply ``SETTINGS`` through glibc's ``mallopt``; ``True`` when they were applied."""
    choice = os.environ.get("MINIGRAD_MALLOC_TUNING", "1")
    if choice not in ("0", "1"):
        raise ValueError(f"MINIGRAD_MALLOC_TUNING must be 0 or 1, got {choice!r}")
    if choice == "0" or any(name in os.environ for name in _USER_CHOICE):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(parameter, value) == 1 for parameter, value in SETTINGS.items())
