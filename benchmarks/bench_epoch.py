"""One training epoch on MNIST, minigrad against torch, each library in its own process.

    python benchmarks/bench_epoch.py [--pairs 3] [--threads default 1] [--model lstm] [--hidden 64]

The seed model of the tutorials: ``LSTM(28, H, num_layers=2, batch_first=True)`` (or GRU) +
``Linear(H, 10)`` on the last step, cross-entropy, Adam (lr 1e-3), batches of 64 over the 60,000
training images (normalized as the tutorials do, shuffled once by a seeded permutation): 938
steps.  Each worker reads the IDX files itself (gzip and NumPy: no minigrad in torch's process),
builds its model, warms up on 20 steps and times the epoch, wall and CPU seconds.  The processes
run in pairs, the order alternating (``_processes.rounds``), under the same allocator settings
(``_processes.ALLOCATOR``); the ratio is minigrad / torch per pair.

The images are read from ``$MINIGRAD_MNIST_DIR``, else ``../shared/data/mnist`` beside the
repository.  ``--limit N`` times the first N steps only (a quick check that it runs).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _processes import median_range, ratios, rounds, run_worker  # noqa: E402

MEAN, STD = 0.1307, 0.3081
WARM_UP = 20


def mnist_dir():
    return pathlib.Path(os.environ.get("MINIGRAD_MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))


def read_idx(path, dims):
    """The array of an IDX file of unsigned bytes with ``dims`` dimensions (gzipped or not)."""
    import numpy
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if data[:4] != bytes([0, 0, 8, dims]):
        raise ValueError(f"{path}: not an IDX file of {dims}-d unsigned bytes")
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return numpy.frombuffer(data, numpy.uint8, offset=4 + 4 * dims, count=int(numpy.prod(shape))).reshape(shape)


def training_set():
    """(images (60000, 28, 28) float32 normalized, labels int64)."""
    import numpy
    folder = mnist_dir()

    def find(stem):
        for name in (stem, stem + ".gz"):
            if (folder / name).exists():
                return folder / name
        raise FileNotFoundError(f"{stem}(.gz) not in {folder}; set MINIGRAD_MNIST_DIR")
    images = read_idx(find("train-images-idx3-ubyte"), 3)
    labels = read_idx(find("train-labels-idx1-ubyte"), 1)
    return ((images.astype(numpy.float32) / 255 - MEAN) / STD), labels.astype(numpy.int64)


def worker(library_name, model, hidden, batch, threads, limit):
    """Time one epoch in this process; print one JSON line: wall and CPU seconds, steps, last loss."""
    import numpy
    if library_name == "torch":
        import torch as library
        if threads == "1":
            library.set_num_threads(1)
    else:
        sys.path.insert(0, str(REPO))
        import minigrad as library
    images, labels = training_set()
    library.manual_seed(0)
    nn = library.nn
    recurrent = getattr(nn, model.upper())(28, hidden, num_layers=2, batch_first=True)
    head = nn.Linear(hidden, 10)
    optimizer = library.optim.Adam([*recurrent.parameters(), *head.parameters()], lr=1e-3)
    order = numpy.random.default_rng(0).permutation(len(images))
    starts = range(0, len(order), batch)

    def run(steps):
        loss = None
        for start in steps:
            pick = order[start:start + batch]
            x, y = library.from_numpy(images[pick]), library.from_numpy(labels[pick])
            output, _ = recurrent(x)
            loss = nn.functional.cross_entropy(head(output[:, -1, :]), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()
    run(starts[:WARM_UP])
    timed = starts[:limit] if limit else starts
    # minigrad's helper process (a large recurrent batch in two halves) counts too; it starts on the
    # first large layer, and the epoch pays for the steps before it is ready, as a user's does
    helper_cpu = library.processes.helper_cpu_seconds if library_name == "minigrad" else lambda: 0.0
    wall, cpu = time.perf_counter(), time.process_time() + helper_cpu()
    last = run(timed)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() + helper_cpu() - cpu,
                      "steps": len(timed), "loss": last}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="process pairs (default 3)")
    parser.add_argument("--threads", nargs="+", default=["default"], choices=["default", "1"])
    parser.add_argument("--model", default="lstm", choices=["lstm", "gru"])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--limit", type=int, default=0, help="time the first N steps only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.model, args.hidden, args.batch, args.threads[0], args.limit)
    print(f"one epoch of {args.model.upper()}(28, {args.hidden}, 2 layers) + Linear, batch {args.batch}, Adam, on "
          f"MNIST; each library in its own process, {args.pairs} pairs alternated", flush=True)
    for threads in args.threads:
        def run(name):
            return run_worker(pathlib.Path(__file__).resolve(),
                              ["--worker", name, "--model", args.model, "--hidden", str(args.hidden), "--batch",
                               str(args.batch), "--threads", threads, "--limit", str(args.limit)], threads)
        rows = rounds(["minigrad", "torch"], run, args.pairs)
        times = {name: [row[name]["wall"] for row in rows] for name in ("minigrad", "torch")}
        steps = rows[0]["torch"]["steps"]
        print(f"threads={threads:<8} {steps} steps  minigrad {statistics.median(times['minigrad']):6.2f} s  "
              f"torch {statistics.median(times['torch']):6.2f} s  wall {median_range(ratios(rows, 'minigrad', 'torch'))}"
              f"  cpu {median_range(ratios(rows, 'minigrad', 'torch', 'cpu'))}", flush=True)


if __name__ == "__main__":
    main()
