"""``minigrad.backends.cpu``: what this CPU can do, where torch's choice of kernel depends on it.

torch picks some CPU kernels by the processor's instruction sets, and the kernel it
picks decides details a parity library must follow: a float16 convolution or gelu
goes to oneDNN only where oneDNN computes float16 (``ideep::has_fp16_type_support``:
AVX512-FP16, or AVX-VNNI-INT8 with AVX-NE-CONVERT), and oneDNN words a dtype error
otherwise and skips the padding's products, where torch's own loops multiply them.
So the same program gives a NaN on one machine and a number on another, in torch;
minigrad asks this module and gives what torch gives on the machine it runs on.

The flags come from ``/proc/cpuinfo`` (Linux), else from NumPy's own CPU probe.
"""
from __future__ import annotations

import functools

__all__ = ["get_cpu_capability", "onednn_computes_float16"]


@functools.lru_cache(maxsize=None)
def _flags():
    """The CPU's feature flags in ``/proc/cpuinfo``'s lower-case names (an empty set where unknown)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    try:     # NumPy's probe (other systems): its names upper-case, without the underscores
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:       # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as features
    names = {"AVX512FP16": "avx512_fp16", "AVX512F": "avx512f", "AVX512BW": "avx512bw", "AVX512VL": "avx512vl",
             "AVX512DQ": "avx512dq", "AVX2": "avx2", "FMA3": "fma"}
    return frozenset(flag for name, flag in names.items() if features.get(name))


def get_cpu_capability():
    """torch's ``torch.backends.cpu.get_cpu_capability()``: "AVX512", "AVX2" or "DEFAULT"
    (the widest vector kernels this CPU runs; "DEFAULT" also off x86)."""
    flags = _flags()
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX512"
    if {"avx2", "fma"} <= flags:
        return "AVX2"
    return "DEFAULT"


def onednn_computes_float16():
    """Does torch hand float16 convolutions and gelu to oneDNN on this CPU?  oneDNN's
    ``has_data_type_support(f16)``: AVX512-FP16, or AVX-VNNI-INT8 with AVX-NE-CONVERT."""
    flags = _flags()
    return "avx512_fp16" in flags or {"avx_vnni_int8", "avx_ne_convert"} <= flags

