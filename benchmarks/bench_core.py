"""minigrad against torch on the same work, in the same run: an MLP step and per-op overhead.

    python benchmarks/bench_core.py [--device cuda] [--repeats 5]

1. forward + backward of a 784-128-10 MLP (matmul, bias, relu, log_softmax,
   cross-entropy by hand with a one-hot mask, mean) on batches of 64, float32;
2. a chain of 1,000 small ops (mul, add, tanh on 16 numbers) forward + backward:
   here the arrays are tiny, so the time is the framework's own per-op cost.

Each line prints both times and the ratio minigrad / torch (lower is better).
torch and NumPy's BLAS both run on one thread (set OPENBLAS_NUM_THREADS to
change NumPy's), so the ratio compares the libraries rather than thread counts.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys

# NumPy's BLAS on one thread, as torch below: on a shared machine a thread pool only adds
# contention, and the ratio should compare the libraries, not their thread counts.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))   # run from a checkout
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import minigrad  # noqa: E402
from _timing import compare, single_thread_torch  # noqa: E402

BATCH, INPUTS, HIDDEN, CLASSES = 64, 784, 128, 10
CHAIN_STEPS = 334          # three ops a step: about 1,000 ops


def mlp_problem(library, device, seed=0):
    """Weights, a batch and one-hot targets: the same numbers for both libraries."""
    rng = numpy.random.default_rng(seed)
    arrays = {
        "weight1": rng.standard_normal((HIDDEN, INPUTS)) / numpy.sqrt(INPUTS),
        "bias1": numpy.zeros(HIDDEN),
        "weight2": rng.standard_normal((CLASSES, HIDDEN)) / numpy.sqrt(HIDDEN),
        "bias2": numpy.zeros(CLASSES),
        "images": rng.uniform(0.0, 1.0, (BATCH, INPUTS)),
        "one_hot": numpy.eye(CLASSES)[rng.integers(0, CLASSES, BATCH)],
    }
    tensors = {name: library.tensor(array.astype(numpy.float32), device=device)
               for name, array in arrays.items()}
    for name in ("weight1", "bias1", "weight2", "bias2"):
        tensors[name].requires_grad_(True)
    return tensors


def mlp_step(problem):
    """Forward and backward of the MLP; the code is the same for torch and minigrad."""
    hidden = (problem["images"] @ problem["weight1"].T + problem["bias1"]).relu()
    logits = hidden @ problem["weight2"].T + problem["bias2"]
    log_probs = logits.log_softmax(dim=1)
    loss = -(log_probs * problem["one_hot"]).sum(dim=1).mean()
    for name in ("weight1", "bias1", "weight2", "bias2"):
        problem[name].grad = None
    loss.backward()
    return loss


def chain_step(library, device):
    """About 1,000 tiny ops forward, then their backward."""
    x = library.ones(16, device=device, requires_grad=True)
    y = x
    for _ in range(CHAIN_STEPS):
        y = (y * 0.999 + 0.001).tanh()
    y.sum().backward()
    return x.grad


def check_same_results(device):
    """The timed work computes the same thing in both libraries (else the ratio means nothing)."""
    import torch
    ours, theirs = mlp_problem(minigrad, device), mlp_problem(torch, device)
    numpy.testing.assert_allclose(mlp_step(ours).item(), mlp_step(theirs).item(), rtol=1e-5)
    for name in ("weight1", "bias2"):
        numpy.testing.assert_allclose(ours[name].grad.cpu().numpy(), theirs[name].grad.cpu().numpy(),
                                      rtol=1e-4, atol=1e-6)
    numpy.testing.assert_allclose(chain_step(minigrad, device).cpu().numpy(),
                                  chain_step(torch, device).cpu().numpy(), rtol=1e-4)


def synchronized(step, sync):
    """``step`` followed by waiting for the GPU, so a timing covers the work and not its queueing."""
    if sync is None:
        return step

    def run():
        step()
        sync()
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import torch
    single_thread_torch()
    check_same_results(args.device)
    on_gpu = args.device.startswith("cuda")
    ours_sync, theirs_sync = (minigrad.cuda.synchronize, torch.cuda.synchronize) if on_gpu else (None, None)
    print(f"minigrad {minigrad.__version__} vs torch {torch.__version__} on {args.device} "
          f"(ratio = minigrad time / torch time)")
    ours, theirs = mlp_problem(minigrad, args.device), mlp_problem(torch, args.device)
    results = [
        compare(f"MLP {INPUTS}-{HIDDEN}-{CLASSES}, batch {BATCH}: forward+backward",
                synchronized(lambda: mlp_step(ours), ours_sync),
                synchronized(lambda: mlp_step(theirs), theirs_sync), args.repeats),
        compare(f"chain of {3 * CHAIN_STEPS} small ops: forward+backward",
                synchronized(lambda: chain_step(minigrad, args.device), ours_sync),
                synchronized(lambda: chain_step(torch, args.device), theirs_sync), args.repeats),
    ]
    ours_per_op = results[1][0] / (3 * CHAIN_STEPS) * 1e6
    theirs_per_op = results[1][1] / (3 * CHAIN_STEPS) * 1e6
    print(f"per op (forward+backward): minigrad {ours_per_op:.1f} us, torch {theirs_per_op:.1f} us")
    return results


if __name__ == "__main__":
    main()
