"""A small Transformer encoder training step, minigrad against torch on the same work in the same run.

    python benchmarks/bench_transformer.py [--batch 64 256] [--repeats 5]
    python benchmarks/bench_transformer.py --device cuda [--batch 64 256]

The model: Embedding(32 tokens, 128) + learned positions, TransformerEncoder of 2
layers (d_model 128, 4 heads, feed-forward 256, dropout 0 so both libraries
compute the same numbers, batch_first), Linear(128, 32) on every position;
cross-entropy over the tokens, Adam.  Sequences of 32 tokens.  Both libraries
start from the same weights and data, and the first steps' losses are checked
to agree before anything is timed.

Each line prints both times and the ratio minigrad / torch (lower is better).  On
the CPU torch and NumPy's BLAS both run on one thread (set OPENBLAS_NUM_THREADS
to change NumPy's).  On the GPU (``--device cuda``) the timings are wall time
with ``minigrad.cuda.synchronize()`` / ``torch.cuda.synchronize()`` after every
step, and torch's TF32 tensor-core matmuls are off (float32 against float32).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))   # run from a checkout
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import minigrad  # noqa: E402
from _timing import compare, single_thread_torch, synchronized  # noqa: E402

VOCAB, LENGTH, D_MODEL, HEADS, FEEDFORWARD, LAYERS = 32, 32, 128, 4, 256, 2


class Encoder:
    """Embedding + positions + TransformerEncoder + Linear, built from ``library.nn`` (either library)."""

    def __init__(self, library, device):
        nn = library.nn
        self.embedding = nn.Embedding(VOCAB, D_MODEL).to(device)
        self.positions = nn.Embedding(LENGTH, D_MODEL).to(device)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FEEDFORWARD, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False).to(device)
        self.head = nn.Linear(D_MODEL, VOCAB).to(device)
        self.library, self.device = library, device

    def named_parameters(self):
        for prefix in ("embedding", "positions", "encoder", "head"):
            for name, parameter in getattr(self, prefix).named_parameters():
                yield f"{prefix}.{name}", parameter

    def __call__(self, tokens):                     # (B, T) int64 -> (B, T, VOCAB)
        where = self.library.arange(LENGTH, device=self.device)
        return self.head(self.encoder(self.embedding(tokens) + self.positions(where)))


def training_step(library, batch, device="cpu", seed=0):
    """One Adam step of the encoder on random tokens, targets the reversed sequence."""
    library.manual_seed(seed)
    model = Encoder(library, device)
    rng = numpy.random.default_rng(seed)
    with library.no_grad():
        for _, parameter in sorted(model.named_parameters(), key=lambda item: item[0]):
            values = rng.uniform(-0.1, 0.1, tuple(parameter.shape)).astype(numpy.float32)
            parameter.copy_(library.tensor(values, device=device))
    tokens = rng.integers(0, VOCAB, (batch, LENGTH))
    inputs = library.tensor(tokens, device=device)
    targets = library.tensor(tokens[:, ::-1].copy().reshape(-1), device=device)
    optimizer = library.optim.Adam([p for _, p in model.named_parameters()], lr=1e-3)

    def step():
        logits = model(inputs)
        loss = library.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def check_same_loss(device, batch=8):
    """The timed step computes the same loss in both libraries (else the ratio means nothing)."""
    import torch
    names = [name for name, _ in Encoder(minigrad, device).named_parameters()]
    assert names == [name for name, _ in Encoder(torch, device).named_parameters()], "parameter names differ"
    ours, theirs = training_step(minigrad, batch, device), training_step(torch, batch, device)
    for _ in range(3):
        mine, reference = ours().item(), theirs().item()
        assert abs(mine - reference) < 1e-4 * max(1.0, abs(reference)), (mine, reference)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import torch
    on_gpu = args.device == "cuda"
    if on_gpu:
        if not (minigrad.cuda.is_available() and torch.cuda.is_available()):
            raise SystemExit("--device cuda needs a GPU with CuPy (minigrad) and CUDA torch")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        ours_sync, theirs_sync = minigrad.cuda.synchronize, torch.cuda.synchronize
    else:
        single_thread_torch()
        ours_sync = theirs_sync = None
    check_same_loss(args.device)
    print(f"minigrad {minigrad.__version__} vs torch {torch.__version__} on {args.device} "
          f"(ratio = minigrad time / torch time)")
    results = []
    for batch in args.batch:
        label = f"TransformerEncoder {LAYERS}x(d {D_MODEL}, {HEADS} heads), T={LENGTH}, B={batch}: Adam step"
        results.append(compare(label, synchronized(training_step(minigrad, batch, args.device), ours_sync),
                               synchronized(training_step(torch, batch, args.device), theirs_sync),
                               args.repeats))
    return results


if __name__ == "__main__":
    main()
