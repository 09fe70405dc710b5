"""A profiler with torch's API shape: where the time and the memory of a step go, op by op.

    from minigrad.profiler import profile, record_function

    with profile() as prof:
        with record_function("step"):
            loss = model(x).sum()
            loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")     # chrome://tracing, Perfetto, speedscope

Rows are named by op: ``Mul`` for the forward of ``Mul`` (torch says ``aten::mul``)
and ``MulBackward0`` for its backward, as torch names the node; a
``record_function("name")`` block is a row too, and blocks nest.  Each row has
its count, self time (without the rows nested in it), total time, and the bytes
its outputs allocated (arrays that own their memory: a view allocates nothing).

The time of a forward row is that of the op's ``forward`` on arrays; a backward
row, the node's ``backward``.  The profiler sees every op through
``core/observe.py``: off (the default) it costs nothing but that module's one
boolean check.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time

from .core import observe

__all__ = ["profile", "record_function", "ProfilerActivity"]

_profilers = []          # the profiles running now (innermost last)


class ProfilerActivity:
    """torch's names for what to profile; minigrad profiles the CPU side of every op."""
    CPU = "CPU"
    CUDA = "CUDA"


class _Event:
    __slots__ = ("name", "kind", "start", "end", "depth", "bytes", "child_time", "child_bytes", "thread")

    def __init__(self, name, kind, depth):
        self.name, self.kind, self.depth = name, kind, depth
        self.start = time.perf_counter_ns()
        self.end = None
        self.bytes = self.child_time = self.child_bytes = 0
        self.thread = threading.get_ident()

    @property
    def duration(self):                # nanoseconds
        return self.end - self.start

    @property
    def self_time(self):
        return self.duration - self.child_time


def _allocated(arrays):
    """Bytes of the arrays that own their memory (a view, or ``None``, allocates nothing)."""
    total = 0
    for array in arrays:
        if array is not None and getattr(array, "base", None) is None and hasattr(array, "nbytes"):
            total += int(array.nbytes)
    return total


class profile:
    """Record every op's forward and backward (and ``record_function`` blocks) while it is entered.

    The keyword arguments are torch's; minigrad always records the CPU time and the
    bytes each op allocates, so ``activities`` and ``profile_memory`` change nothing.
    """

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=True, with_stack=False):
        self.activities = activities
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.function_events = []       # closed events, in the order they ended
        self._open = []                 # events running now, outermost first
        self._origin = None

    # ---- on and off ----------------------------------------------------------------
    def start(self):
        self._origin = time.perf_counter_ns()
        _profilers.append(self)
        observe.attach(self)
        return self

    def stop(self):
        observe.detach(self)
        if self in _profilers:
            _profilers.remove(self)
        while self._open:              # an exception left blocks open: close them now
            self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ---- events -------------------------------------------------------------------
    def _push(self, name, kind):
        event = _Event(name, kind, len(self._open))
        self._open.append(event)
        return event

    def _close(self, allocated=0):
        event = self._open.pop()
        event.end = time.perf_counter_ns()
        event.bytes = allocated
        if self._open:
            parent = self._open[-1]
            parent.child_time += event.duration
            parent.child_bytes += event.bytes + event.child_bytes
        self.function_events.append(event)

    # observe's callbacks
    def before_forward(self, node, inputs):
        self._push(type(node).__name__, "cpu_op")

    def after_forward(self, node, inputs, arrays, options, outputs):
        self._close(_allocated(outputs if isinstance(outputs, tuple) else (outputs,)))

    def forward_failed(self, node, error):
        if self._open and self._open[-1].name == type(node).__name__:
            self._close()

    def before_backward(self, node, grads, pending):
        self._push(node.name(), "backward")

    def after_backward(self, node, grads, input_grads, pending):
        self._close(_allocated(input_grads))

    def backward_failed(self, node, error):
        if self._open and self._open[-1].name == node.name():
            self._close()

    # ---- results ------------------------------------------------------------------
    def events(self):
        return list(self.function_events)

    def key_averages(self):
        """One row per name: count, self and total time, bytes (torch's ``EventList``)."""
        rows = {}
        for event in self.function_events:
            row = rows.get(event.name)
            if row is None:
                row = rows[event.name] = FunctionEventAvg(event.name)
            row.add(event)
        return EventList(rows.values())

    def export_chrome_trace(self, path):
        """Write the Chrome trace format: ``{"traceEvents": [{"ph": "X", "ts": us, "dur": us, ...}]}``."""
        origin = self._origin or 0
        process = os.getpid()
        trace = [{"name": event.name, "cat": event.kind, "ph": "X",
                  "ts": (event.start - origin) / 1000.0, "dur": event.duration / 1000.0,
                  "pid": process, "tid": event.thread,
                  "args": {"bytes": event.bytes, "depth": event.depth}}
                 for event in sorted(self.function_events, key=lambda event: (event.start, event.depth))]
        with open(path, "w") as file:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, file)
        return path


class record_function(contextlib.ContextDecorator):
    """A named block (``with record_function("attention"): ...``, or ``@record_function("step")`` on a
    function) that shows as a row and nests."""

    def __init__(self, name, args=None):
        self.name = name
        self.profiler = None

    def __enter__(self):
        if _profilers:
            self.profiler = _profilers[-1]
            self.profiler._push(self.name, "user_annotation")
        return self

    def __exit__(self, *exc_info):
        if self.profiler is not None:
            # ops an exception interrupted are closed with the block
            while self.profiler._open and self.profiler._open[-1].name != self.name:
                self.profiler._close()
            if self.profiler._open:
                self.profiler._close()
            self.profiler = None


class FunctionEventAvg:
    """The totals of every event with one name; times in microseconds, as torch's."""

    def __init__(self, key):
        self.key = key
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0

    def add(self, event):
        self.count += 1
        self.cpu_time_total += event.duration / 1000.0
        self.self_cpu_time_total += event.self_time / 1000.0
        self.self_cpu_memory_usage += event.bytes
        self.cpu_memory_usage += event.bytes + event.child_bytes

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_time(self.self_cpu_time_total)} "
                f"cpu_time={_time(self.cpu_time_total)} count={self.count}>")


_SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
              "self_cpu_memory_usage")


class EventList(list):
    def table(self, sort_by=None, row_limit=100, max_name_column_width=55):
        """torch's table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, memory, calls."""
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
            rows.sort(key=lambda row: getattr(row, sort_by), reverse=True)
        self_total = sum(row.self_cpu_time_total for row in self) or 1.0
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        name_width = min(max([len(row.key) for row in rows] + [4]) + 2, max_name_column_width)
        headers = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "CPU Mem",
                   "Self CPU Mem", "# of Calls"]
        rule = "-" * name_width + "  " + "  ".join("-" * 12 for _ in headers)
        lines = [rule, "Name".ljust(name_width) + "  " + "  ".join(h.rjust(12) for h in headers), rule]
        for row in rows:
            cells = [f"{100 * row.self_cpu_time_total / self_total:.2f}%", _time(row.self_cpu_time_total),
                     f"{100 * row.cpu_time_total / self_total:.2f}%", _time(row.cpu_time_total),
                     _time(row.cpu_time), _bytes(row.cpu_memory_usage), _bytes(row.self_cpu_memory_usage),
                     str(row.count)]
            name = row.key if len(row.key) <= name_width - 2 else row.key[:name_width - 5] + "..."
            lines.append(name.ljust(name_width) + "  " + "  ".join(cell.rjust(12) for cell in cells))
        lines += [rule, f"Self CPU time total: {_time(sum(row.self_cpu_time_total for row in self))}"]
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.table()


def _time(microseconds):
    if microseconds >= 1e6:
        return f"{microseconds / 1e6:.3f}s"
    if microseconds >= 1e3:
        return f"{microseconds / 1e3:.3f}ms"
    return f"{microseconds:.3f}us"


def _bytes(count):
    for unit, size in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(count) >= size:
            return f"{count / size:.2f} {unit}"
    return f"{count} b"
