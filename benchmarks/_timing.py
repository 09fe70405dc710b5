"""Timing minigrad against torch on the same work, in the same run.

Absolute times on shared machines are noise; the ratio of two timings taken
side by side, alternating, is what we report.
"""
from __future__ import annotations

import statistics
import time


def best_time(step, repeats=5, number=None, min_seconds=0.2):
    """Median seconds of one call of ``step`` over ``repeats`` rounds (after a warm-up)."""
    step()
    if number is None:
        start, number = time.perf_counter(), 0
        while time.perf_counter() - start < min_seconds / repeats or number == 0:
            step()
            number += 1
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def compare(name, minigrad_step, torch_step, repeats=5, sync=None):
    """Time both steps alternately; print and return (minigrad_s, torch_s, ratio)."""
    ours = best_time(minigrad_step, repeats)
    theirs = best_time(torch_step, repeats)
    ratio = ours / theirs
    print(f"{name:<48} minigrad {ours * 1e3:9.3f} ms   torch {theirs * 1e3:9.3f} ms   "
          f"ratio {ratio:5.2f}x", flush=True)
    return ours, theirs, ratio


def single_thread_torch():
    """torch and NumPy both on one thread, so the ratio compares code, not thread counts."""
    import torch
    torch.set_num_threads(1)


def synchronized(step, sync):
    """``step`` followed by waiting for the GPU, so a timing covers the work and not its queueing."""
    if sync is None:
        return step

    def run():
        step()
        sync()
    return run
