"""minigrad.profiler: counts per op forward and backward, nested record_function rows, a Chrome trace."""
import json

import pytest

import minigrad
from minigrad.core import observe
from minigrad.profiler import profile, record_function


def _step():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = minigrad.tensor([[0.5], [-1.0]], requires_grad=True)
    with record_function("model"):
        with record_function("layer"):
            hidden = (x @ w).tanh()
        loss = (hidden * hidden).sum()
    with record_function("backward"):
        loss.backward()


def test_counts_forward_and_backward_rows_named_as_torch():
    with profile() as prof:
        _step()
    rows = {row.key: row for row in prof.key_averages()}
    for name, count in [("Matmul", 1), ("Tanh", 1), ("Mul", 1), ("Sum", 1), ("MmBackward0", 1),
                        ("TanhBackward0", 1), ("MulBackward0", 1), ("SumBackward0", 1),
                        ("model", 1), ("layer", 1), ("backward", 1)]:
        assert rows[name].count == count, name
    assert rows["Matmul"].self_cpu_memory_usage == 2 * 4          # a (2, 1) float32 output
    assert observe.active is False


def test_record_function_blocks_nest_and_self_time_excludes_children():
    with profile() as prof:
        _step()
    rows = {row.key: row for row in prof.key_averages()}
    model, layer = rows["model"], rows["layer"]
    assert model.cpu_time_total >= layer.cpu_time_total >= rows["Matmul"].cpu_time_total
    assert model.self_cpu_time_total <= model.cpu_time_total - layer.cpu_time_total + 1e-6
    depth = {event.name: event.depth for event in prof.events()}
    assert depth["model"] == 0 and depth["layer"] == 1 and depth["Matmul"] == 2 and depth["Sum"] == 1
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=3)
    assert "Self CPU %" in table and "# of Calls" in table and "Self CPU time total" in table
    assert len([line for line in table.splitlines() if line and line[0].isalpha()]) == 1 + 3 + 1
    with pytest.raises(AttributeError):
        prof.key_averages().table(sort_by="no_such_column")


def test_chrome_trace_loads_with_complete_events(tmp_path):
    with profile() as prof:
        _step()
    path = prof.export_chrome_trace(str(tmp_path / "trace.json"))
    trace = json.loads(open(path).read())
    events = trace["traceEvents"]
    names = [event["name"] for event in events]
    assert {"model", "layer", "backward", "Matmul", "TanhBackward0"} <= set(names)
    assert all(event["ph"] == "X" and event["dur"] >= 0 and event["ts"] >= 0 for event in events)
    model = next(event for event in events if event["name"] == "model")
    matmul = next(event for event in events if event["name"] == "Matmul")
    assert model["ts"] <= matmul["ts"] and matmul["ts"] + matmul["dur"] <= model["ts"] + model["dur"] + 1e-3


def test_record_function_without_a_profiler_does_nothing():
    with record_function("alone"):
        minigrad.ones(2).sum()
    assert observe.active is False


class Failing(minigrad.autograd.Function):
    def forward(self, x):
        raise ValueError("no")


def test_an_op_that_raises_leaves_no_event_open():
    with profile() as prof:
        with record_function("outer"):
            try:
                Failing.apply(minigrad.ones(2))
            except ValueError:
                pass
            minigrad.ones(2).exp()
    depth = {event.name: event.depth for event in prof.events()}
    assert depth["outer"] == 0 and depth["Exp"] == 1


def test_record_function_decorates_a_function():
    @record_function("decorated")
    def work():
        return minigrad.ones(3).exp()

    with profile() as prof:
        work()
        work()
    rows = {row.key: row for row in prof.key_averages()}
    assert rows["decorated"].count == 2 and rows["Exp"].count == 2
