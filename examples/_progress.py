"""The examples' progress bar.

``progress(iterable, ...)`` is tqdm's bar where tqdm is installed (the
``examples`` and ``test`` extras bring it) and a plain iterator that prints a
line every few seconds where it is not, so every example runs on a bare install.
"""
from __future__ import annotations

import sys
import time

try:
    from tqdm.auto import tqdm
except ImportError:  # pragma: no cover - depends on the install
    tqdm = None


def progress(iterable, total=None, desc="", disable=False):
    """Iterate over ``iterable`` with a progress display; ``bar.set_postfix(loss=...)`` works on both.

    tqdm draws its bar only on a terminal; into a file or a pipe (a log, the
    test suite) it would write one line per update, so there the plain
    display prints a line every 10 seconds instead.
    """
    if tqdm is not None and sys.stdout.isatty():
        return tqdm(iterable, total=total, desc=desc, disable=disable, leave=False,
                    dynamic_ncols=True, file=sys.stdout)
    return _PlainProgress(iterable, total, desc, disable)


class _PlainProgress:
    """tqdm's interface, printing ``desc  done/total  postfix`` about every 10 seconds."""

    def __init__(self, iterable, total, desc, disable, every_seconds=10.0):
        self.iterable, self.desc, self.disable = iterable, desc, disable
        self.total = total if total is not None else _length(iterable)
        self.every_seconds, self.postfix = every_seconds, ""

    def __iter__(self):
        last = time.perf_counter()
        for done, item in enumerate(self.iterable, start=1):
            yield item
            now = time.perf_counter()
            if not self.disable and now - last >= self.every_seconds:
                print(f"  {self.desc} {done}/{self.total or '?'} {self.postfix}", flush=True)
                last = now

    def set_postfix(self, refresh=True, **values):
        self.postfix = "  ".join(f"{name}={value}" for name, value in values.items())


def _length(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None

