"""minigrad against torch the way a user meets them: each library in its own process.

    python benchmarks/bench_processes.py [--pairs 3] [--quick] [--threads default 1]
    python benchmarks/bench_processes.py --only lstm --hidden 64 --batch 64 --length 28
    python benchmarks/bench_processes.py --threads default --pairs 2 --markdown speed.md

Two libraries in one process distort each other: their thread pools compete
(torch ran 10-19 ms a step beside minigrad, 6-7 ms alone).  Here every
measurement is a fresh process that imports ONE library, builds the model, warms
up and times ``--steps`` training steps, reporting wall and CPU seconds per step.
Processes run in pairs, minigrad and torch back to back, the order alternating
from pair to pair, so drift on a shared machine hits both alike; the ratio of
each pair is reported (median and range over the pairs).

Thread settings, per row:

* ``default``: each library as installed (NumPy's BLAS and torch pick their
  own thread counts; minigrad's own choice, if any, applies) - what a user sees;
* ``1``: one thread each (``OPENBLAS_NUM_THREADS=1``, ``torch.set_num_threads(1)``)
  - the per-core efficiency of the two implementations.

Workloads (the matrix of the speed issue; ``--quick`` runs the first cell of each):

* ``lstm`` / ``gru``: the MNIST row model, ``LSTM(28, H, num_layers=2, batch_first=True)``
  (or GRU) + ``Linear(H, 10)`` on the last step, cross-entropy, Adam; hidden
  64/128/256 x batch 64/128/256 x length 28/112;
* ``transformer``: Embedding + 2-layer ``TransformerEncoder`` (4 heads, T=32) +
  Linear, Adam; d_model 128/256 x batch 64/256;
* ``mlp``: 784-128-10, batch 64, SGD.
"""
from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import statistics
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _processes import median_range, ratios, rounds, run_worker, time_steps  # noqa: E402

MATRIX = {
    "lstm": [dict(hidden=h, batch=b, length=t) for h in (64, 128, 256) for b in (64, 128, 256) for t in (28, 112)],
    "gru": [dict(hidden=h, batch=b, length=t) for h in (64, 128, 256) for b in (64, 128, 256) for t in (28, 112)],
    "transformer": [dict(d_model=d, batch=b) for d in (128, 256) for b in (64, 256)],
    "mlp": [dict(batch=64)],
}


# ---- the worker: one library, one workload, one process ----------------------------------------
def _build(library, workload, config, seed=0):
    """A zero-argument training step of ``workload`` in ``library`` (torch or minigrad)."""
    import numpy
    rng = numpy.random.default_rng(seed)
    library.manual_seed(seed)
    nn = library.nn
    if workload in ("lstm", "gru"):
        batch, length, hidden = config["batch"], config["length"], config["hidden"]
        recurrent = getattr(nn, workload.upper())(28, hidden, num_layers=2, batch_first=True)
        head = nn.Linear(hidden, 10)
        parameters = [*recurrent.parameters(), *head.parameters()]
        images = library.tensor(rng.random((batch, length, 28)).astype(numpy.float32))
        labels = library.tensor(rng.integers(0, 10, batch))
        optimizer = library.optim.Adam(parameters, lr=1e-3)

        def step():
            output, _ = recurrent(images)
            loss = nn.functional.cross_entropy(head(output[:, -1, :]), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return step
    if workload == "transformer":
        batch, d_model, vocab, length = config["batch"], config["d_model"], 32, 32
        embedding = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, 4, dim_feedforward=2 * d_model, dropout=0.0, batch_first=True)
        encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        head = nn.Linear(d_model, vocab)
        parameters = [*embedding.parameters(), *encoder.parameters(), *head.parameters()]
        tokens = library.tensor(rng.integers(0, vocab, (batch, length)))
        optimizer = library.optim.Adam(parameters, lr=1e-3)

        def step():
            logits = head(encoder(embedding(tokens)))
            loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), tokens.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return step
    if workload == "mlp":
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        images = library.tensor(rng.random((config["batch"], 784)).astype(numpy.float32))
        labels = library.tensor(rng.integers(0, 10, config["batch"]))
        optimizer = library.optim.SGD(model.parameters(), lr=0.01)

        def step():
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return step
    raise ValueError(f"unknown workload {workload!r}; known: {', '.join(MATRIX)}")


def worker(library_name, workload, config, threads, seconds):
    """Time ``workload`` in this process; print one JSON line with seconds per step."""
    if library_name == "torch":
        import torch as library
        if threads == "1":
            library.set_num_threads(1)
    elif library_name == "minigrad":
        sys.path.insert(0, str(REPO))
        import minigrad as library
    else:
        raise ValueError(f"unknown library {library_name!r}: torch or minigrad")
    step, helper_cpu = _build(library, workload, config), lambda: 0.0
    if library_name == "minigrad":   # its helper process: started before the timing, its CPU counted
        library.processes.start_helper()
        helper_cpu = library.processes.helper_cpu_seconds
    print(json.dumps(time_steps(step, seconds, helper_cpu=helper_cpu)))


# ---- the driver: pairs of processes, alternating ---------------------------------------------
def measure(workload, config, threads, pairs, seconds):
    """``pairs`` minigrad/torch process pairs, order alternating; per-pair ratios of wall and CPU."""
    def run(name):
        return run_worker(pathlib.Path(__file__).resolve(),
                          ["--worker", name, "--workload", workload, "--config", json.dumps(config),
                           "--threads", threads, "--seconds", str(seconds)], threads)
    rows = rounds(["minigrad", "torch"], run, pairs)
    ratio = {clock: ratios(rows, "minigrad", "torch", clock) for clock in ("wall", "cpu")}
    times = {name: [row[name]["wall"] for row in rows] for name in ("minigrad", "torch")}
    return ratio, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="process pairs per cell (default 3)")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per process")
    parser.add_argument("--threads", nargs="+", default=["default", "1"], choices=["default", "1"])
    parser.add_argument("--quick", action="store_true", help="the first cell of each workload only")
    parser.add_argument("--only", choices=list(MATRIX), nargs="+", help="these workloads only")
    parser.add_argument("--hidden", type=int), parser.add_argument("--batch", type=int)
    parser.add_argument("--length", type=int), parser.add_argument("--d-model", type=int, dest="d_model")
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.workload, json.loads(args.config), args.threads[0], args.seconds)
    print("each library in its own process; ratio = minigrad / torch per pair, median (range) over "
          f"{args.pairs} pairs; wall and CPU seconds per training step", flush=True)
    chosen = {name: MATRIX[name] for name in (args.only or MATRIX)}
    table = ["| work | threads | minigrad ms/step | torch ms/step | wall ratio, median (range) | CPU ratio |",
             "|---|---|---|---|---|---|"]
    fixed = {key: getattr(args, key) for key in ("hidden", "batch", "length", "d_model") if getattr(args, key)}
    for workload, configs in chosen.items():
        configs = [config for config in configs if all(config.get(k, v) == v for k, v in fixed.items())]
        for config, threads in itertools.product(configs[:1] if args.quick else configs, args.threads):
            ratio, times = measure(workload, config, threads, args.pairs, args.seconds)
            label = f"{workload} {' '.join(f'{k}={v}' for k, v in config.items())} threads={threads}"
            print(f"{label:<52} minigrad {statistics.median(times['minigrad']) * 1e3:8.2f} ms  "
                  f"torch {statistics.median(times['torch']) * 1e3:8.2f} ms  wall {median_range(ratio['wall'])}  "
                  f"cpu {median_range(ratio['cpu'])}", flush=True)
            work = f"{workload} {', '.join(f'{k} {v}' for k, v in config.items())}"
            table.append(f"| {work} | {threads} | {statistics.median(times['minigrad']) * 1e3:.1f} | "
                         f"{statistics.median(times['torch']) * 1e3:.1f} | {median_range(ratio['wall'])} | "
                         f"{median_range(ratio['cpu'])} |")
            if args.markdown:       # rewritten after every cell: a long run's partial table survives
                pathlib.Path(args.markdown).write_text("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
