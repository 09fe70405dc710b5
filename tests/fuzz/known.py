"""Mismatches the fuzzer knows about, each listed with its reason; nothing is skipped silently.

A known entry is a predicate on the program and the mismatch.  The fuzz test still
reports how many programs each entry covered.
"""
from __future__ import annotations

import dataclasses
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
    return lambda program, mismatch: mismatch.tag.startswith(prefixes)


def both(*predicates):
    return lambda program, mismatch: all(p(program, mismatch) for p in predicates)


# torch's own bugs: minigrad keeps the documented (or mathematically right) result
KNOWN_TORCH_BUGS = [
]

# minigrad gaps being fixed on the `views` branch: delete this table after merging it
KNOWN_MINIGRAD_BUGS_FIXED_ON_ANOTHER_BRANCH = [
]


def known(program, mismatch):
    """The first known entry that covers this mismatch, or None."""
    for entry in KNOWN_TORCH_BUGS + KNOWN_MINIGRAD_BUGS_FIXED_ON_ANOTHER_BRANCH:
        if entry.predicate(program, mismatch):
            return entry
    return None
