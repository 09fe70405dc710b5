"""Run many fuzz programs and print the mismatch classes with one reproduction each.

    python tests/fuzz/run.py --examples 100000 --seed 0 [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")   # as the test suite: some torch messages depend on it
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from differential import check  # noqa: E402
from known import known  # noqa: E402
from programs import generate  # noqa: E402


def fuzz(seeds, index_writes=False, layers=False, surface=False):
    """{class key: [count, known entry name or None, first reproduction, detail, {entry name or
    "new": count}]} and per-area counts.  A class with any new program is new, shown by its first
    new program."""
    classes = {}
    areas = collections.Counter()
    for seed in seeds:
        program = generate(seed, index_writes, layers, surface)
        mismatch, _, _ = check(program)
        if mismatch is None:
            continue
        entry = known(program, mismatch)
        key = mismatch.key
        record = classes.setdefault(key, [0, entry.name if entry else None,
                                          program.reproduction(f"{mismatch.key}: {mismatch.detail}"), mismatch.detail,
                                          collections.Counter()])
        record[0] += 1
        record[4][entry.name if entry else "new"] += 1
        if entry is None and record[1] is not None:
            # a new program in a class whose first program was known (the in-place error at backward
            # covers many): the class reports as new, with this program's reproduction
            record[1:4] = [None, program.reproduction(f"{mismatch.key}: {mismatch.detail}"), mismatch.detail]
        areas[(mismatch.area, "known" if entry else "new")] += 1
    return classes, areas


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", 1000)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("MINIGRAD_FUZZ_SEED", 0)))
    parser.add_argument("--json")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--index-writes", action="store_true",
                        help="add the index_write template (index_add, index_put, masked_scatter, put)")
    parser.add_argument("--layers", action="store_true",
                        help="add the layer template (attention, instance_norm, group_norm, cosine_similarity)")
    parser.add_argument("--surface", action="store_true",
                        help="add the surface template (the newer maths, scans, shape ops and losses)")
    args = parser.parse_args()
    start = time.perf_counter()
    classes, areas = fuzz(range(args.seed, args.seed + args.examples), args.index_writes, args.layers,
                          args.surface)
    elapsed = time.perf_counter() - start
    total = sum(c[0] for c in classes.values())
    print(f"{args.examples} programs from seed {args.seed} in {elapsed:.1f} s: {total} mismatches")
    for area in sorted({a for a, _ in areas}):
        print(f"  {area:10s} new {areas[(area, 'new')]:5d}  known {areas[(area, 'known')]:5d}")
    for key, (count, entry, repro, detail, _) in sorted(classes.items(), key=lambda kv: -kv[1][0]):
        print(f"\n== {count:5d} {key} {'[known: ' + entry + ']' if entry else ''}\n   {detail[:300]}")
        if not args.quiet and (not entry or entry.startswith("open")):   # open classes: show how to reproduce
            print(repro)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"examples": args.examples, "seed": args.seed, "seconds": elapsed,
             "areas": {f"{a}/{k}": n for (a, k), n in areas.items()},
             "classes": {k: {"count": c[0], "known": c[1], "detail": c[3], "reproduction": c[2], "by_entry": c[4]}
                         for k, c in classes.items()}}, indent=1))


if __name__ == "__main__":
    main()
