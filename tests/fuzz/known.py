"""Mismatches the fuzzer knows about, each listed with its reason; nothing is skipped silently.

An entry is a predicate on the program and its mismatch.  ``python tests/fuzz/run.py``
prints how many programs each entry covered; the test fails only on mismatches no entry
covers.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re


@dataclasses.dataclass
class Known:
    name: str
    reason: str
    predicate: object       # (program, mismatch) -> bool
    link: str = ""


def uses(pattern):
    """The program has a statement matching ``pattern`` (a regular expression)."""
    compiled = re.compile(pattern)
    return lambda program, mismatch: any(compiled.search(s.source) for s in program.statements)


def tagged(*prefixes):
    """The mismatch shows at an op whose tag starts with one of ``prefixes``."""
    return lambda program, mismatch: mismatch.tag.startswith(prefixes)


def has_tag(*prefixes):
    """The program holds an op whose tag starts with one of ``prefixes``."""
    return lambda program, mismatch: any(tag.startswith(prefixes) for tag in program.tags)


def kind(*kinds):
    return lambda program, mismatch: mismatch.kind.startswith(kinds)


def all_of(*predicates):
    return lambda program, mismatch: all(p(program, mismatch) for p in predicates)


def any_of(*predicates):
    return lambda program, mismatch: any(p(program, mismatch) for p in predicates)


# the tensor an in-place statement writes: `t += x`, `v = t.add_(x)`, `t[i] = x`
WRITTEN = re.compile(r"^(?:\w+ = )?(\w+)(?:\[| \S+= |\.\w+_\()")
# the tensor a view statement reads: `v = t.view(...)`, `v = t[...]`, `v = lib.flatten(t, ...)`
VIEWED = re.compile(r"^\w+ = (?:(?:lib|F)\.\w+\()?(\w+)")


def inplace_through_a_view(program, mismatch):
    """An in-place write to a view, or to a tensor that has views: where torch's
    view+in-place semantics (shared storage, rebased history) apply."""
    made_by, viewed = {}, set()
    for statement in program.statements:
        if statement.tag.startswith(("inplace:", "setitem:")):
            written = WRITTEN.match(statement.source)
            if written and (written.group(1) in viewed
                            or made_by.get(written.group(1), "").startswith(("view:", "index:basic"))):
                return True
        elif statement.tag.startswith(("view:", "index:basic")):
            source = VIEWED.match(statement.source)
            if source:
                viewed.add(source.group(1))
        name = re.match(r"^(\w+) = ", statement.source)
        if name:
            made_by.setdefault(name.group(1), statement.tag)
    return False


# a program with a tensor that has a 0-sized dim, or a mismatch where NumPy met one
EMPTY = any_of(uses(r"lib\.zeros\(\((?:\d+, )*0[,)]"),
               lambda program, mismatch: "zero-size array" in mismatch.detail or "of size 0 into" in mismatch.detail)


def torch_says_dimension_0(program, mismatch):
    """An out-of-bounds index error where only the dimension differs and torch's says 0."""
    found = re.findall(r"index -?\d+ is out of bounds for dimension (\d+) with size \d+", mismatch.detail)
    return mismatch.kind == "error-message" and len(found) == 2 and found[1] == "0" and found[0] != "0" and \
        re.sub(r"dimension \d+", "", mismatch.detail.split(" vs torch ")[0]).strip("'") == \
        re.sub(r"dimension \d+", "", mismatch.detail.split(" vs torch ")[1]).strip("'")


# torch's own bugs: minigrad keeps the documented (or mathematically right) result
KNOWN_TORCH_BUGS = [
    Known("advanced index out of bounds names dimension 0",
          "torch's IndexError for an index tensor after slices (x[:, [5]]) always says 'dimension 0'; "
          "minigrad names the dimension indexed",
          torch_says_dimension_0, "https://github.com/pytorch/pytorch/issues/38202"),
    Known("torch.div(INT_MIN, -1, rounding_mode='trunc') kills the process",
          "SIGFPE in torch's integer trunc division (int32/int64); the generator never runs it in torch "
          "(templates._crashes_torch_trunc_division), minigrad wraps to INT_MIN as the floor mode does",
          lambda program, mismatch: False, "https://github.com/pytorch/pytorch/issues/138425"),
]

# minigrad gaps being fixed on the `views` branch: delete this table after merging it
KNOWN_MINIGRAD_BUGS_FIXED_ON_ANOTHER_BRANCH = [
    Known("in-place operators |= &= ^= //= %=",
          "the views branch gives these torch's in-place semantics (result-type checks, write-back into views)",
          uses(r"^\w+(?:\[.*\])? (?:\|=|&=|\^=|//=|%=) ")),
    Known("view + in-place gradients and version counters",
          "the views branch implements torch's view+in-place rules (CopySlices, shared version counters, "
          "rebasing a view's history); gradients and version errors through a written view differ until then",
          all_of(inplace_through_a_view, any_of(kind("grad", "requires_grad"), tagged("backward")))),
    Known("in-place on split/chunk/unbind outputs",
          "torch refuses in-place writes to the multi-output views of split/chunk/unbind; the views branch adds it",
          all_of(uses(r"\.(?:split|chunk|unbind)\("), has_tag("inplace:", "setitem:"))),
    Known("in-place writes into expanded (overlapping) views",
          "torch refuses writing into a tensor whose elements share memory (expand); minigrad's views "
          "lack torch's strides; the views branch adds contiguity and strides",
          lambda program, mismatch: "more than one element of the written-to tensor" in mismatch.detail),
    Known("empty tensors in softmax, embedding, conv, linear and batchnorm",
          "0-element inputs reach NumPy reductions/reshapes there; the views branch handles empty tensors",
          all_of(EMPTY, any_of(tagged("softmax:", "module:", "act:F.softmin", "loss:", "backward"),
                               kind("grad")))),
]


# Open minigrad mismatch classes: found by the 100,000-program run and not fixed yet on
# any branch.  Each line of open_mismatches.json is a class ("<kind> @ <op tag>") with its
# count and seed there; `python tests/fuzz/run.py --seed S --examples 1` reproduces it.
# Fix a class, then delete its line: the fuzz test then holds the fix.
OPEN_MISMATCHES_FILE = pathlib.Path(__file__).with_name("open_mismatches.json")
OPEN_MISMATCHES = json.loads(OPEN_MISMATCHES_FILE.read_text()) if OPEN_MISMATCHES_FILE.exists() else {}
OPEN = Known("open minigrad mismatch class", "listed in tests/fuzz/open_mismatches.json, not fixed yet",
             lambda program, mismatch: mismatch.key in OPEN_MISMATCHES)


def known(program, mismatch):
    """The first known entry that covers this mismatch, or None."""
    for entry in KNOWN_TORCH_BUGS + KNOWN_MINIGRAD_BUGS_FIXED_ON_ANOTHER_BRANCH + [OPEN]:
        if entry.predicate(program, mismatch):
            return entry
    return None
