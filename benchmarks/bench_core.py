"""The framework's own cost: minigrad, torch and plain NumPy on the same small work.

    python benchmarks/bench_core.py [--rounds 5] [--seconds 2] [--threads 1] [--device cuda]

1. forward + backward of a 784-128-10 MLP (matmul, bias, relu, log_softmax,
   cross-entropy by hand with a one-hot mask, mean) on batches of 64, float32;
2. a chain of 1,002 small ops (mul, add, tanh on 16 numbers) forward + backward:
   the arrays are tiny, so the time is each framework's own per-op cost.

Three contenders, each in a process of its own (``_processes.py``: two libraries in
one process distort each other): minigrad, torch, and the NumPy floor, the same
maths written directly in NumPy with the backward worked out by hand: what the
work costs with no framework at all.  Processes run in rounds, one per
contender, the order rotating; each line prints the median time per step and,
per round, minigrad / torch and NumPy / torch (median and range; lower is
better).  By default every process runs on one thread (torch.set_num_threads(1),
OPENBLAS_NUM_THREADS=1), as the per-op cost is what is compared; ``--threads
default`` leaves each library its default.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys

import numpy

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run from a checkout
sys.path.insert(0, str(HERE))

from _processes import median_range, ratios, rounds, run_worker, time_steps  # noqa: E402
from _timing import synchronized  # noqa: E402

BATCH, INPUTS, HIDDEN, CLASSES = 64, 784, 128, 10
CHAIN_STEPS = 334          # three ops a step: 1,002 ops
CHAIN_OPS = 3 * CHAIN_STEPS
LIBRARIES = ("minigrad", "torch", "numpy")


# ---- the work, written once for torch and minigrad, and by hand in NumPy ----------------------
def mlp_arrays(seed=0):
    """Weights, a batch and one-hot targets as float32 arrays: the same numbers for every contender."""
    rng = numpy.random.default_rng(seed)
    arrays = {
        "weight1": rng.standard_normal((HIDDEN, INPUTS)) / numpy.sqrt(INPUTS),
        "bias1": numpy.zeros(HIDDEN),
        "weight2": rng.standard_normal((CLASSES, HIDDEN)) / numpy.sqrt(HIDDEN),
        "bias2": numpy.zeros(CLASSES),
        "images": rng.uniform(0.0, 1.0, (BATCH, INPUTS)),
        "one_hot": numpy.eye(CLASSES)[rng.integers(0, CLASSES, BATCH)],
    }
    return {name: array.astype(numpy.float32) for name, array in arrays.items()}


PARAMETERS = ("weight1", "bias1", "weight2", "bias2")


def mlp_problem(library, device):
    tensors = {name: library.tensor(array, device=device) for name, array in mlp_arrays().items()}
    for name in PARAMETERS:
        tensors[name].requires_grad_(True)
    return tensors


def mlp_step(problem):
    """Forward and backward of the MLP; the code is the same for torch and minigrad."""
    hidden = (problem["images"] @ problem["weight1"].T + problem["bias1"]).relu()
    logits = hidden @ problem["weight2"].T + problem["bias2"]
    log_probs = logits.log_softmax(dim=1)
    loss = -(log_probs * problem["one_hot"]).sum(dim=1).mean()
    for name in PARAMETERS:
        problem[name].grad = None
    loss.backward()
    return loss


def mlp_step_numpy(problem):
    """The MLP step in NumPy, backward by hand: the floor. Returns (loss, {name: gradient})."""
    images, one_hot = problem["images"], problem["one_hot"]
    hidden = images @ problem["weight1"].T + problem["bias1"]
    numpy.maximum(hidden, 0, out=hidden)
    logits = hidden @ problem["weight2"].T + problem["bias2"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(log_probs * one_hot).sum(axis=1).mean()
    grad_log_probs = one_hot * numpy.float32(-1.0 / BATCH)
    grad_logits = grad_log_probs - numpy.exp(log_probs) * grad_log_probs.sum(axis=1, keepdims=True)
    grad_hidden = grad_logits @ problem["weight2"]
    grad_hidden *= hidden > 0
    return loss, {"weight2": grad_logits.T @ hidden, "bias2": grad_logits.sum(axis=0),
                  "weight1": grad_hidden.T @ images, "bias1": grad_hidden.sum(axis=0)}


def chain_step(library, device):
    """About 1,000 tiny ops forward, then their backward."""
    x = library.ones(16, device=device, requires_grad=True)
    y = x
    for _ in range(CHAIN_STEPS):
        y = (y * 0.999 + 0.001).tanh()
    y.sum().backward()
    return x.grad


def chain_step_numpy():
    """The chain in NumPy, backward by hand: one call per op forward, the tanh's two backward."""
    y = numpy.ones(16, dtype=numpy.float32)
    outputs = []
    for _ in range(CHAIN_STEPS):
        y = numpy.tanh(y * numpy.float32(0.999) + numpy.float32(0.001))
        outputs.append(y)
    grad = numpy.ones(16, dtype=numpy.float32)
    for y in reversed(outputs):
        grad = grad * (1 - y * y) * numpy.float32(0.999)
    return grad


def check_same_results(device):
    """The timed work computes the same thing for all three (else the ratios mean nothing)."""
    import minigrad
    import torch
    ours, theirs = mlp_problem(minigrad, device), mlp_problem(torch, device)
    floor_loss, floor_grads = mlp_step_numpy(mlp_arrays())
    numpy.testing.assert_allclose(mlp_step(ours).item(), mlp_step(theirs).item(), rtol=1e-5)
    numpy.testing.assert_allclose(floor_loss, mlp_step(theirs).item(), rtol=1e-5)
    for name in PARAMETERS:
        expected = theirs[name].grad.cpu().numpy()
        numpy.testing.assert_allclose(ours[name].grad.cpu().numpy(), expected, rtol=1e-4, atol=1e-6)
        numpy.testing.assert_allclose(floor_grads[name], expected, rtol=1e-4, atol=1e-6)
    expected = chain_step(torch, device).cpu().numpy()
    numpy.testing.assert_allclose(chain_step(minigrad, device).cpu().numpy(), expected, rtol=1e-4)
    numpy.testing.assert_allclose(chain_step_numpy(), expected, rtol=1e-4)


# ---- the worker: one contender, one workload, one process ---------------------------------------
def worker(contender, workload, device, threads, seconds):
    sync = None
    if contender == "numpy":
        if device != "cpu":
            raise ValueError("the NumPy floor runs on the CPU only")
        problem = mlp_arrays()
        step = (lambda: mlp_step_numpy(problem)) if workload == "mlp" else chain_step_numpy
    else:
        if contender == "torch":
            import torch as library
            if threads == "1":
                library.set_num_threads(1)
            sync = library.cuda.synchronize if device.startswith("cuda") else None
        elif contender == "minigrad":
            import minigrad as library
            sync = library.cuda.synchronize if device.startswith("cuda") else None
        else:
            raise ValueError(f"unknown contender {contender!r}: one of {', '.join(LIBRARIES)}")
        problem = mlp_problem(library, device)
        step = (lambda: mlp_step(problem)) if workload == "mlp" else (lambda: chain_step(library, device))
    run = synchronized(step, sync)
    print(json.dumps(time_steps(run, seconds, sync)))


# ---- the driver ---------------------------------------------------------------------------------
def measure(workload, device, threads, count, seconds):
    contenders = list(LIBRARIES) if device == "cpu" else ["minigrad", "torch"]

    def run(contender):
        return run_worker(pathlib.Path(__file__).resolve(),
                          ["--worker", contender, "--workload", workload, "--device", device,
                           "--threads", threads, "--seconds", str(seconds)], threads)
    return contenders, rounds(contenders, run, count)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the NumPy floor: cpu only)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of one process per contender")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per process")
    parser.add_argument("--threads", default="1", choices=["1", "default"])
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=["mlp", "chain"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.workload, args.device, args.threads, args.seconds)
    check_same_results(args.device)
    print(f"each contender in its own process, {args.rounds} rounds, threads={args.threads}; "
          "ratio = time / torch's time per round, median (range)", flush=True)
    results = {}
    for workload, label in (("mlp", f"MLP {INPUTS}-{HIDDEN}-{CLASSES}, batch {BATCH}, forward+backward"),
                            ("chain", f"chain of {CHAIN_OPS} small ops, forward+backward")):
        contenders, rows = measure(workload, args.device, args.threads, args.rounds, args.seconds)
        medians = {name: statistics.median(row[name]["wall"] for row in rows) for name in contenders}
        scale, unit = (1e6 / CHAIN_OPS, "us/op") if workload == "chain" else (1e3, "ms")
        print(label)
        for name in contenders:
            versus = "" if name == "torch" else f"   {name} / torch {median_range(ratios(rows, name, 'torch'))}"
            print(f"  {name:<9} {medians[name] * scale:8.2f} {unit}{versus}", flush=True)
        results[workload] = rows
    return results


if __name__ == "__main__":
    main()
