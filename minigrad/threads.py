"""``minigrad.set_num_threads`` / ``get_num_threads``: how many threads NumPy's BLAS uses.

minigrad's matrices are small (a batch of 128 rows times a 128x512 LSTM weight),
and for those one BLAS thread is the fastest: OpenBLAS's extra threads spin and
wait on each other more than they compute, and on a machine whose cores are busy
with other work every matmul waits for a thread that is not scheduled.  Measured
on a 2-core machine with a CPU-bound process beside it, ``transformer_reverse.py``
took 19-30 s with NumPy's default threads and 2-3 s with one.  So ``import
minigrad`` sets NumPy's BLAS to one thread, unless the user has chosen already,
and splits only the large products over two cores (``matmul`` below: two
halves on two threads, each with the one-thread BLAS), the time loops of a
large batch of sequences (``in_two_parts``), and the rows of large row-wise work,
layer norm's and attention's (``rows_in_two_parts``); a large recurrent layer's batch
runs in two halves in two processes instead (``processes.py``: threads would wait on
each other for the GIL):

* ``MINIGRAD_NUM_THREADS=n`` in the environment: minigrad sets ``n`` threads;
* ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` set: the
  BLAS has read it at load time, and minigrad leaves it alone;
* ``minigrad.set_num_threads(n)`` at any time, as ``torch.set_num_threads``
  (then every product runs on the BLAS's ``n`` threads, none is split).

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
import queue
import threading

import numpy

from .core.device import array_module

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
    global _two_cores
    _two_cores = False                     # the user's count, for every product
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


# ---- large products on two cores ------------------------------------------------------------
# A large product (a whole sequence's input projection or weight gradient, a big batch's linear
# layer) is split in two halves of its rows, one computed here and one on a helper thread, each
# by the one-thread BLAS (NumPy lets go of the GIL inside BLAS, so both run at once).  Unlike
# BLAS's own threads the helper never spins: it sleeps until it is handed half a product, so on a
# busy machine it costs nothing while idle.  Used while minigrad picks the threads (see above).
SPLIT_WORK = 2 ** 22         # multiply-adds a step from which a batch is split in two parts (measured)
LARGE_PRODUCT = 2 ** 23      # multiply-adds from which the split pays for waking the helper (measured)
SPLIT_ELEMENTS = 2 ** 17     # elements from which a row-wise computation runs in two halves (measured)
_two_cores = False           # True while minigrad picks the threads on a machine with 2+ cores
_helper = None               # the helper, started on the first large product (and in a forked child)


class _Helper:
    """One thread that runs a job handed to it and signals when it is done."""

    def __init__(self):
        self.jobs = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="minigrad-matmul", daemon=True).start()

    def _serve(self):
        while True:
            job, finished = self.jobs.get()
            try:
                job()
            except BaseException as error:      # handed back to the caller in both_halves
                finished.error = error
            finished.set()

    def both_halves(self, here, there):
        """Run ``there`` on the helper while ``here`` runs on this thread; return once both are done."""
        finished = threading.Event()
        finished.error = None
        self.jobs.put((there, finished))
        here()
        finished.wait()
        if finished.error is not None:
            raise finished.error


def matmul(a, b, out=None):
    """``numpy.matmul(a, b, out=out)`` for arrays of at least 2 dims; a large NumPy product on
    two cores (see above).  An inner dimension of 1 with at least 2 rows and 2 columns is one
    product an element: computed as such, with its signed zeros (0 * -1 is -0.0, as torch's gemm;
    NumPy's BLAS adds it to a +0, as torch's gemv does for one row or column)."""
    if a.shape[-1] == 1 and a.shape[-2] > 1 and b.shape[-1] > 1:
        return a * b if out is None else array_module(a).multiply(a, b, out=out)
    if not _two_cores or type(a) is not numpy.ndarray:      # (CuPy arrays, Tensors: as they are)
        return a @ b if out is None else array_module(a).matmul(a, b, out=out)
    rows, columns = a.shape[-2], b.shape[-1]
    if rows < 2 or max(a.size * columns, b.size * rows) < LARGE_PRODUCT:   # (batches counted)
        return a @ b if out is None else numpy.matmul(a, b, out=out)
    if out is None:
        shape = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (rows, columns)
        out = numpy.empty(shape, numpy.result_type(a, b))
    half = rows // 2
    top, bottom = (..., slice(0, half), slice(None)), (..., slice(half, rows), slice(None))
    _on_two_threads(lambda: numpy.matmul(a[top], b, out=out[top]),
                    lambda: numpy.matmul(a[bottom], b, out=out[bottom]))
    return out


def in_two_parts(run, rows, weight):
    """``run(0, rows, matmul)``; or, for a large enough step on two cores (``weight.size * rows``
    multiply-adds, ``weight`` the step's NumPy matrix: CuPy's are left whole), ``run(0, half, ...)``
    here and ``run(half, rows, ...)`` on the helper at once.

    For work whose rows are independent, as a recurrent layer's sequences are: each part runs
    its whole time loop with no waiting on the other, and NumPy lets go of the GIL inside its
    array loops, so the two parts' arrays are computed on two cores.  A part's products use
    NumPy's one-thread BLAS (``matmul`` is ``numpy.matmul`` then), the unsplit run this module's
    ``matmul``.  The helper computes under the caller's floating-point error settings (NumPy
    keeps them per thread).
    """
    if not _two_cores or rows < 2 or type(weight) is not numpy.ndarray or weight.size * rows < SPLIT_WORK:
        return run(0, rows, matmul)
    half = rows // 2
    _on_two_threads(lambda: run(0, half, numpy.matmul), lambda: run(half, rows, numpy.matmul))


def rows_in_two_parts(run, rows, elements, array):
    """``run(0, rows)``; or, where the work is large enough on two cores (``elements``, the size of
    its largest array, at least ``SPLIT_ELEMENTS``; ``array`` one of its arrays: CuPy's are left
    whole), ``run(0, half)`` here and ``run(half, rows)`` on the helper at once.

    For a computation whose rows (its leading dim) are independent and whose NumPy calls are
    large, as layer norm's rows and attention's batch are: each half makes the same calls on
    its rows, so the results are the unsplit run's to the bit.  ``run`` writes its rows of the
    results into arrays the caller made; anything summed across rows is summed after, whole.
    """
    if not _two_cores or rows < 2 or type(array) is not numpy.ndarray or elements < SPLIT_ELEMENTS:
        run(0, rows)
        return
    half = rows // 2
    _on_two_threads(lambda: run(0, half), lambda: run(half, rows))


def _on_two_threads(here, there):
    """``here()`` on this thread while ``there()`` runs on the helper, under this thread's
    floating-point error settings (NumPy keeps them per thread)."""
    global _helper
    if _helper is None:
        _helper = _Helper()
    settings = numpy.geterr()

    def there_with_settings():
        with numpy.errstate(**settings):
            there()
    _helper.both_halves(here, there_with_settings)


def _forget_helper():
    global _helper
    _helper = None           # a forked child (a DataLoader worker) has no helper thread: start its own


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system has one, else the count)."""
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()) or 1


def _default_threads():
    """At import: one thread, or ``MINIGRAD_NUM_THREADS``, unless the user set the BLAS's own variable."""
    global _two_cores
    chosen = os.environ.get("MINIGRAD_NUM_THREADS")
    if chosen:
        if not chosen.strip().isdigit() or int(chosen) < 1:
            raise ValueError(f"MINIGRAD_NUM_THREADS must be a positive integer, got {chosen!r}")
        set_num_threads(int(chosen))
    elif not any(os.environ.get(name) for name in _USER_CHOICE):
        set_num_threads(1)
        _two_cores = available_cpus() > 1
