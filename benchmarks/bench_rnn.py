"""Recurrent layers, minigrad against torch on the same work in the same run.

    python benchmarks/bench_rnn.py [--rounds 7] [--torch-threads 1 2] [--quick]
    python benchmarks/bench_rnn.py --device cuda [--rounds 7]

1. the MNIST model of the tutorials, one training step: LSTM(28, 64, num_layers=2,
   batch_first=True) + Linear(64, 10) on the last step, batch 64, cross-entropy, Adam;
2. the same at hidden 128 / batch 128;
3. the same at sequence length 28 and 112: the cost must grow linearly with length;
4. forward + backward of the recurrent layers alone (LSTM, GRU, RNN) at the MNIST sizes.

Every line prints both times (the best of interleaved rounds) and the ratio
minigrad / torch (lower is better).  NumPy's BLAS runs on one thread
(OPENBLAS_NUM_THREADS=1 unless set); torch runs on each thread count of
``--torch-threads`` in turn, 1 being the like-for-like comparison.  With one torch
thread the clock is the process's CPU time (``--clock cpu``, the default there):
on a shared machine wall time mostly measures the neighbours, CPU time the work.
With more torch threads the clock is wall time.  torch's CPU LSTM uses oneDNN
kernels; minigrad's fused layer is NumPy only.

With ``--device cuda`` it times the MNIST step (hidden 64 and 128) at batch 64 and
256 on the GPU instead, minigrad (CuPy, one fused elementwise kernel per LSTM
step, ``nn/recurrent/cuda_kernels.py``) against torch CUDA (cuDNN), wall time with the
GPU synchronized (``minigrad.cuda.synchronize()``, ``torch.cuda.synchronize()``)
around every timed round.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))   # run from a checkout
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import minigrad  # noqa: E402
from _timing import best_time, synchronized  # noqa: E402


def training_step(library, hidden=64, batch=64, steps=28, features=28, seed=0, device="cpu"):
    """One Adam step of LSTM + Linear on random 'images' (the same numbers in both libraries)."""
    library.manual_seed(seed)
    lstm = library.nn.LSTM(features, hidden, num_layers=2, batch_first=True).to(device)
    head = library.nn.Linear(hidden, 10).to(device)
    rng = numpy.random.default_rng(seed)
    weights = {name: rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(numpy.float32)
               for name, p in [*lstm.named_parameters(), *(("head." + n, p) for n, p in head.named_parameters())]}
    with library.no_grad():
        for name, p in [*lstm.named_parameters(), *(("head." + n, p) for n, p in head.named_parameters())]:
            p.copy_(library.tensor(weights[name], device=device))
    images = library.tensor(rng.random((batch, steps, features)).astype(numpy.float32), device=device)
    labels = library.tensor(rng.integers(0, 10, batch), device=device)
    optimizer = library.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)

    def step():
        output, _ = lstm(images)
        loss = library.nn.functional.cross_entropy(head(output[:, -1, :]), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def layer_step(library, mode, hidden=64, batch=64, steps=28, features=28, seed=0):
    """Forward + backward of a 2-layer recurrent stack alone (input without gradient)."""
    library.manual_seed(seed)
    module = getattr(library.nn, mode)(features, hidden, num_layers=2, batch_first=True)
    rng = numpy.random.default_rng(seed)
    x = library.tensor(rng.random((batch, steps, features)).astype(numpy.float32))
    grad = library.tensor(rng.standard_normal((batch, steps, hidden)).astype(numpy.float32))

    def step():
        module.zero_grad()
        output, _ = module(x)
        output.backward(grad)
    return step


def cpu_time(step, number=3):
    """CPU seconds of one call of ``step`` (mean of ``number`` calls, after a warm-up)."""
    step()
    start = time.process_time()
    for _ in range(number):
        step()
    return (time.process_time() - start) / number


def interleaved(name, ours, theirs, rounds, clock):
    """Best time of each over ``rounds`` alternating rounds; print and return the pair."""
    measure = cpu_time if clock == "cpu" else (lambda step: best_time(step, repeats=1, min_seconds=0.05))
    mine = reference = float("inf")
    for _ in range(rounds):
        mine = min(mine, measure(ours))
        reference = min(reference, measure(theirs))
    print(f"{name:<52} minigrad {mine * 1e3:8.2f} ms   torch {reference * 1e3:8.2f} ms   "
          f"ratio {mine / reference:5.2f}x", flush=True)
    return mine, reference


def check_same_loss(device="cpu"):
    """The timed step computes the same loss in both libraries (else the ratio means nothing)."""
    import torch
    ours, theirs = training_step(minigrad, device=device), training_step(torch, device=device)
    for _ in range(3):
        mine, reference = ours().item(), theirs().item()
        assert abs(mine - reference) < 1e-4 * max(1.0, abs(reference)), (mine, reference)


def main_cuda(rounds):
    """The MNIST training step on the GPU, batch 64 and 256, minigrad against torch CUDA."""
    import torch
    if not (minigrad.cuda.is_available() and torch.cuda.is_available()):
        raise SystemExit("--device cuda needs a GPU with CuPy (minigrad) and CUDA torch")
    # float32 for float32: no TF32 tensor-core rounding in torch's matmuls and cuDNN (CuPy uses none)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    check_same_loss("cuda")
    cupy = minigrad.core.device.cupy_module()
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}, CuPy {cupy.__version__}, "
          f"wall time, GPU synchronized")
    for hidden in (64, 128):
        for batch in (64, 256):
            label = f"MNIST step on cuda: LSTM(28, {hidden}, 2 layers) + Linear, B={batch}"
            interleaved(label,
                        synchronized(training_step(minigrad, hidden, batch, device="cuda"),
                                     minigrad.cuda.synchronize),
                        synchronized(training_step(torch, hidden, batch, device="cuda"),
                                     torch.cuda.synchronize),
                        rounds, "wall")
        kernels_off = training_step(minigrad, hidden, 256, device="cuda")

        def without_kernels():    # the same step with the per-step NumPy statements on CuPy
            with minigrad.backends.cuda_kernels.flags(enabled=False):
                kernels_off()
        interleaved("  the same, B=256, fused step kernels off (backends.cuda_kernels disabled)",
                    synchronized(without_kernels, minigrad.cuda.synchronize),
                    synchronized(training_step(torch, hidden, 256, device="cuda"), torch.cuda.synchronize),
                    rounds, "wall")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="only the MNIST step and the length pair")
    parser.add_argument("--clock", choices=["cpu", "wall"], default=None,
                        help="cpu (default with one torch thread) or wall (default with more)")
    args = parser.parse_args()
    if args.device == "cuda":
        return main_cuda(args.rounds)
    import torch
    check_same_loss()
    config = numpy.show_config(mode="dicts") if hasattr(numpy, "show_config") else {}
    blas = config.get("Build Dependencies", {}).get("blas", {}).get("name", "?") if config else "?"
    print(f"NumPy {numpy.__version__} ({blas}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), "
          f"torch {torch.__version__}")
    for threads in args.torch_threads:
        torch.set_num_threads(threads)
        clock = args.clock or ("cpu" if threads == 1 else "wall")
        print(f"\n-- torch on {threads} thread(s), {clock} time --")
        results = {}
        for label, kwargs in [("MNIST step: LSTM(28, 64, 2 layers) + Linear, B=64", {}),
                              ("hidden 128, batch 128", dict(hidden=128, batch=128)),
                              ("sequence length 28", dict(steps=28)),
                              ("sequence length 112", dict(steps=112))]:
            if args.quick and label.startswith("hidden"):
                continue
            results[label] = interleaved(label, training_step(minigrad, **kwargs),
                                         training_step(torch, **kwargs), args.rounds, clock)
        short, long = results["sequence length 28"], results["sequence length 112"]
        print(f"{'length 112 / length 28 (4x the steps)':<52} minigrad {long[0] / short[0]:5.2f}x"
              f"            torch {long[1] / short[1]:5.2f}x")
        if args.quick:
            continue
        for mode in ("LSTM", "GRU", "RNN"):
            interleaved(f"{mode} 2 layers alone, forward + backward", layer_step(minigrad, mode),
                        layer_step(torch, mode), args.rounds, clock)


if __name__ == "__main__":
    main()
