"""The MNIST CNN of pytorch/examples, forward + backward, minigrad against torch, each in its own process.

    python benchmarks/bench_conv.py [--rounds 5] [--steps 10] [--batch 64] [--clock cpu|wall]
    python benchmarks/bench_conv.py --profile          # where minigrad's time goes (cProfile)

The net: Conv2d(1, 32, 3) > ReLU > Conv2d(32, 64, 3) > ReLU > MaxPool2d(2) > Dropout(0.25) >
Flatten > Linear(9216, 128) > ReLU > Dropout(0.5) > Linear(128, 10) > log_softmax, nll_loss, on
a batch of 64 random 28x28 "images" (the same numbers and weights in both libraries).  One
timed step is ``zero_grad``, forward, loss and backward (no optimizer step).

Each library runs in a fresh subprocess (no shared caches or allocator state), one thread
each (OPENBLAS_NUM_THREADS=1, ``torch.set_num_threads(1)``); the two alternate, the first of
each round swapping, and every round gives one ratio minigrad / torch (lower is better) from
the best step of each.  The default clock is CPU time, steadier than wall time on a shared
machine.  Before timing, both libraries' losses on the same batch (dropout off) must agree.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _processes import with_allocator  # noqa: E402


def build(library, batch, seed=0):
    """The net, its weights drawn by NumPy (the same in both libraries), a batch and its labels."""
    nn, F = library.nn, library.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3)
            self.conv2 = nn.Conv2d(32, 64, 3)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):                                   # (N, 1, 28, 28)
            x = F.relu(self.conv2(F.relu(self.conv1(x))))       # (N, 64, 24, 24)
            x = self.dropout1(F.max_pool2d(x, 2))               # (N, 64, 12, 12)
            x = self.dropout2(F.relu(self.fc1(library.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)            # (N, 10)

    library.manual_seed(seed)
    net = Net()
    rng = numpy.random.default_rng(seed)
    with library.no_grad():
        for _, parameter in net.named_parameters():
            bound = 1 / numpy.sqrt(numpy.prod(parameter.shape[1:]) if parameter.dim() > 1 else 128)
            parameter.copy_(library.tensor(rng.uniform(-bound, bound, tuple(parameter.shape)).astype(numpy.float32)))
    images = library.tensor(rng.random((batch, 1, 28, 28)).astype(numpy.float32))
    labels = library.tensor(rng.integers(0, 10, batch))
    return net, images, labels


def worker(name, batch, steps, clock, profile):
    """Run in the subprocess: time ``steps`` steps of one library, print a JSON line."""
    if name == "torch":
        import torch as library
        library.set_num_threads(1)
    else:
        sys.path.insert(0, str(REPO))
        import minigrad as library
    net, images, labels = build(library, batch)
    F = library.nn.functional
    net.eval()
    with library.no_grad():
        check_loss = F.nll_loss(net(images), labels).item()    # dropout off: comparable across libraries
    net.train()

    def step():
        net.zero_grad()
        loss = F.nll_loss(net(images), labels)
        loss.backward()

    step()                                                       # warm-up
    if profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(steps):
            step()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        return
    now = time.process_time if clock == "cpu" else time.perf_counter
    times = []
    for _ in range(steps):
        start = now()
        step()
        times.append(now() - start)
    print(json.dumps({"library": name, "loss": check_loss, "best": min(times), "median": statistics.median(times)}))


def run_worker(name, args):
    command = [sys.executable, __file__, "--worker", name, "--batch", str(args.batch), "--steps", str(args.steps),
               "--clock", args.clock]
    result = subprocess.run(command, capture_output=True, text=True, check=True,
                            env=with_allocator(dict(os.environ)))   # both libraries alike (_processes.py)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="pairs of subprocesses")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per subprocess")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--profile", action="store_true", help="cProfile minigrad's steps instead of timing")
    parser.add_argument("--worker", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.batch, args.steps, args.clock, args.profile)
    if args.profile:
        return worker("minigrad", args.batch, args.steps, args.clock, True)
    print(f"MNIST CNN (pytorch/examples), batch {args.batch}: zero_grad + forward + nll_loss + backward; "
          f"{args.clock} time, best of {args.steps} steps per process, one thread each", flush=True)
    ratios = []
    for round_number in range(args.rounds):
        order = ["minigrad", "torch"] if round_number % 2 == 0 else ["torch", "minigrad"]
        results = {name: run_worker(name, args) for name in order}
        ours, theirs = results["minigrad"], results["torch"]
        assert abs(ours["loss"] - theirs["loss"]) < 1e-4 * max(1.0, abs(theirs["loss"])), (ours, theirs)
        ratios.append(ours["best"] / theirs["best"])
        print(f"round {round_number + 1}: minigrad {ours['best'] * 1e3:7.1f} ms (median {ours['median'] * 1e3:6.1f})"
              f"   torch {theirs['best'] * 1e3:7.1f} ms (median {theirs['median'] * 1e3:6.1f})"
              f"   ratio {ratios[-1]:4.2f}x", flush=True)
    print(f"ratio minigrad / torch: median {statistics.median(ratios):.2f}x, "
          f"range {min(ratios):.2f}x - {max(ratios):.2f}x over {len(ratios)} rounds")
    return ratios


if __name__ == "__main__":
    main()
