"""Timing each library in a process of its own: the worker's loop and the driver's pairing.

Two libraries in one process distort each other (their thread pools compete, and
one library's allocator settings speed up the other), so a benchmark starts a
fresh process per measurement.  The process imports one library, builds the work,
warms up, times steps for a few seconds and prints one JSON line; the driver runs
one process per library back to back, rotating the order from round to round so
drift on a shared machine hits all alike, and takes the ratios round by round.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def time_steps(step, seconds, sync=None, helper_cpu=lambda: 0.0):
    """Wall and CPU seconds per call of ``step``, after a warm-up, over about ``seconds``;
    ``helper_cpu()``, the CPU seconds of a helper process so far, is counted too."""
    start = time.perf_counter()
    step()                                              # warm-up: caches, allocator, BLAS init;
    if time.perf_counter() - start < 0.5:               # a second one unless a step is long
        step()
    if sync is not None:
        sync()
    steps, wall_start, cpu_start = 0, time.perf_counter(), time.process_time() + helper_cpu()
    while steps < 2 or time.perf_counter() - wall_start < seconds:
        step()
        steps += 1
    if sync is not None:
        sync()
    wall, cpu = time.perf_counter() - wall_start, time.process_time() + helper_cpu() - cpu_start
    return {"wall": wall / steps, "cpu": cpu / steps, "steps": steps}


# The C allocator's settings every worker runs with, whatever its library: minigrad's own
# (minigrad/memory.py), which a real training script reaches anyway.  glibc serves blocks past
# its mmap threshold (128 KB at start) with fresh pages, faulted in at every step, but raises that
# threshold to the size of the largest such block freed (up to 32 MB): a script that loads its
# data frees large buffers before it trains.  A synthetic worker frees none, so torch's process
# paid page faults a user's does not: the seed LSTM step took torch 9-13 ms in a worker and
# 5.4-5.8 ms an epoch step on MNIST, 5.4 ms in a worker with these (2026-12-05), while
# minigrad's tunes itself at import.  Set in the environment, glibc applies them from the start.
ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2 ** 20), "MALLOC_TRIM_THRESHOLD_": str(2 ** 30)}


def environment(threads):
    """This process's environment with the BLAS thread variables for ``threads`` ("default" or "1")
    and the allocator settings ``ALLOCATOR`` (unless the caller set glibc's own)."""
    variables = dict(os.environ)
    for variable in BLAS_VARIABLES:
        variables.pop(variable, None)
        if threads == "1":
            variables[variable] = "1"
    return with_allocator(variables)


def with_allocator(variables):
    """``variables`` (an environment) with ``ALLOCATOR`` added, unless glibc's own are set there."""
    if not any(name.startswith("MALLOC_") for name in variables):
        variables.update(ALLOCATOR)
    return variables


def run_worker(script, arguments, threads):
    """Run ``script --worker ...arguments`` in a fresh process; its last stdout line, parsed."""
    command = [sys.executable, str(script), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=environment(threads), check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rounds(names, run, count):
    """``count`` rounds of ``run(name)`` for each of ``names``, the order rotating from round to round."""
    results = []
    for index in range(count):
        shift = index % len(names)
        order = names[shift:] + names[:shift]
        results.append({name: run(name) for name in order})
    return results


def ratios(results, numerator, denominator, clock="wall"):
    """Per round: ``numerator``'s time / ``denominator``'s."""
    return [row[numerator][clock] / row[denominator][clock] for row in results]


def median_range(values, unit="x", digits=2):
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"
