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


def time_steps(step, seconds, sync=None):
    """Wall and CPU seconds per call of ``step``, after a warm-up, over about ``seconds``."""
    start = time.perf_counter()
    step()                                              # warm-up: caches, allocator, BLAS init;
    if time.perf_counter() - start < 0.5:               # a second one unless a step is long
        step()
    if sync is not None:
        sync()
    steps, wall_start, cpu_start = 0, time.perf_counter(), time.process_time()
    while steps < 2 or time.perf_counter() - wall_start < seconds:
        step()
        steps += 1
    if sync is not None:
        sync()
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    return {"wall": wall / steps, "cpu": cpu / steps, "steps": steps}


def environment(threads):
    """This process's environment with the BLAS thread variables for ``threads`` ("default" or "1")."""
    variables = dict(os.environ)
    for variable in BLAS_VARIABLES:
        variables.pop(variable, None)
        if threads == "1":
            variables[variable] = "1"
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
