"""processes.py: a large recurrent batch in two halves, the second in a helper process."""
import gc
import os
import subprocess
import sys

import numpy
import pytest
import torch

import minigrad
from minigrad import processes
from minigrad.interop import from_torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm") or not hasattr(os, "fork"),
                                reason="the helper process needs /dev/shm (Linux)")


@pytest.fixture
def halves(monkeypatch):
    """Every fused layer in two halves (the helper started); yields the batch sizes each half got."""
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(processes, "SPLIT_WORK", 1)
    monkeypatch.setattr(processes, "LATE", float("inf"))    # a busy machine does not pause these
    assert processes.start_helper()
    processes._helper.late, processes._helper.paused = 0.0, 0
    calls = []
    real = processes.in_two_halves
    monkeypatch.setattr(processes, "in_two_halves", lambda node, arrays, *rest:
                        calls.append(arrays[0].shape[1]) or real(node, arrays, *rest))
    return calls


def _models(mode, **options):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, mode)(4, 6, **options).double()
    ours = getattr(minigrad.nn, mode)(4, 6, **options).double()
    ours.load_state_dict(from_torch(theirs.state_dict()))
    return ours, theirs


def _run(library, model, x, weights=None, retain=False):
    inputs = library.tensor(x, requires_grad=True)
    output, state = model(inputs)
    results = [output, *(state if isinstance(state, tuple) else (state,))]
    if weights is None:
        weights = [numpy.random.default_rng(2).standard_normal(tuple(t.shape)) for t in results]
    loss = sum((t * library.tensor(w)).sum() for t, w in zip(results, weights))
    loss.backward(retain_graph=retain)
    if retain:
        loss.backward()
    return [t.detach().numpy() for t in results] + [inputs.grad.numpy()] + \
        [p.grad.numpy() for p in model.parameters()], weights


@pytest.mark.parametrize("mode, options", [
    ("LSTM", dict(num_layers=2)), ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(proj_size=3, bias=False)), ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", num_layers=2))], ids=str)
@pytest.mark.parametrize("retain", [False, True], ids=["once", "retain_graph twice"])
def test_a_batch_in_two_processes_matches_torch(halves, mode, options, retain):
    """An odd batch (halves of 2 and 3 sequences): outputs, states, input and weight gradients."""
    ours, theirs = _models(mode, **options)
    x = numpy.random.default_rng(1).standard_normal((5, 6, 4) if options.get("batch_first") else (6, 5, 4))
    mine, weights = _run(minigrad, ours, x, retain=retain)
    reference, _ = _run(torch, theirs, x, weights, retain=retain)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    assert halves == [5] * layers
    for a, b in zip(mine, reference):
        numpy.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_packed_sequences_run_whole(halves):
    ours, _ = _models("LSTM")
    x = minigrad.nn.utils.rnn.pack_padded_sequence(minigrad.randn(6, 5, 4).double(), [6, 5, 3, 2, 1])
    ours(x)
    assert halves == []


def test_a_gradient_penalty_through_the_halves_matches_torch(halves):
    """create_graph=True: the backward is recorded from the readable layer, on the whole batch."""
    results = []
    for library, model in zip((minigrad, torch), _models("LSTM", num_layers=2)):
        x = library.tensor(numpy.random.default_rng(3).standard_normal((6, 5, 4)), requires_grad=True)
        output, _ = model(x)
        (grad,) = library.autograd.grad(output.tanh().sum(), x, create_graph=True)
        grad.square().sum().backward()
        results.append([grad.detach().numpy()] + [p.grad.numpy() for p in model.parameters()])
    assert halves
    for a, b in zip(*results):
        numpy.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_weight_written_in_place_after_forward_is_refused_as_in_torch(halves, monkeypatch):
    """The node saves what the whole layer saves of its inputs: the same error as the whole layer's,
    torch's words (its tensor is its own kernel's copy of the weight)."""
    def message(library, model):
        output, _ = model(library.tensor(numpy.ones((6, 5, 4))))
        with library.no_grad():
            model.weight_hh_l0.mul_(2)
        with pytest.raises(RuntimeError) as error:
            output.sum().backward()
        return str(error.value)
    in_halves = message(minigrad, _models("GRU")[0])
    assert halves == [5]
    monkeypatch.setattr(processes, "SPLIT_WORK", 2 ** 62)
    assert message(minigrad, _models("GRU")[0]) == in_halves
    theirs = message(torch, _models("GRU")[1])
    words = "one of the variables needed for gradient computation has been modified by an inplace operation"
    assert in_halves.startswith(words) and theirs.startswith(words)


def test_a_freed_graph_lets_the_helper_forget_its_half(halves):
    ours, _ = _models("LSTM")
    output, state = ours(minigrad.randn(6, 5, 4).double())
    key = output.grad_fn._halves[1]
    del output, state
    gc.collect()
    assert key in processes._helper.forgotten       # sent with the next request
    kept = ours(minigrad.randn(6, 5, 4).double())
    assert key not in processes._helper.forgotten and kept


def test_an_error_in_the_helpers_half_reaches_the_caller_after_its_own_half(halves):
    """The helper has no saved half under a made-up key: its KeyError is raised here once this
    process's half has run, and the next request runs as usual."""
    ours, theirs = _models("RNN")
    output, _ = ours(minigrad.randn(6, 5, 4).double().requires_grad_())
    node = output.grad_fn
    part, _ = node._halves
    ran = []
    real = part.backward_whole
    part.backward_whole = lambda *grads: ran.append(True) or real(*grads)
    grads = (numpy.ones((6, 5, 6)), numpy.ones((1, 5, 6))[0])
    with pytest.raises(KeyError):
        processes.backward_in_two_halves((part, -1), grads, node._split, node._joined)
    assert ran
    mine, _ = _run(minigrad, ours, numpy.ones((6, 5, 4)))
    reference, _ = _run(torch, theirs, numpy.ones((6, 5, 4)))
    numpy.testing.assert_allclose(mine[0], reference[0], rtol=1e-10)


def test_the_helper_uses_cpu_and_ends_with_its_process():
    script = ("import minigrad, minigrad.threads as t, time; t._two_cores = True; "
              "from minigrad import processes as p; assert p.start_helper(); m = minigrad.nn.LSTM(64, 64); "
              "p.SPLIT_WORK = 1; x = minigrad.randn(20, 8, 64); [m(x)[0].sum().backward() for _ in range(5)]; "
              "print(p._helper.process.pid, p.helper_cpu_seconds() > 0)")
    env = {name: value for name, value in os.environ.items() if name not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=dict(env, PYTHONPATH=REPO), timeout=120, check=True)
    pid, used = result.stdout.split()
    assert used == "True"
    for _ in range(100):                             # the helper reads the end of its pipe and exits
        if not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]:
            break
        subprocess.run(["sleep", "0.05"])
    else:
        pytest.fail("the helper outlived its process")
    assert not [name for name in os.listdir("/dev/shm") if name.startswith(f"minigrad-{pid}-")]


def test_a_forked_child_runs_its_layers_whole_or_with_its_own_helper(halves):
    ours, _ = _models("LSTM")
    x = minigrad.randn(6, 5, 4).double()
    expected = ours(x)[0].detach().numpy()
    pid = os.fork()
    if pid == 0:
        ok = processes._helper is None and numpy.allclose(ours(x)[0].detach().numpy(), expected, rtol=1e-12)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_layers_run_whole_for_a_while_after_the_helper_kept_coming_late(monkeypatch):
    helper = processes._Helper.__new__(processes._Helper)       # its bookkeeping alone, no process
    helper.late, helper.paused = 0.0, 0
    monkeypatch.setattr(processes, "PAUSE", 4)
    for waiting in (0.1, 2.0, 0.1, 0.1, 2.0, 0.1, 0.1, 0.1):    # now and then late: on it goes
        helper.note_wait(1.0, waiting)
        assert helper.keeping_up()
    calls = 0
    while helper.keeping_up():                                  # late every time: it pauses soon
        helper.note_wait(1.0, 1.0)
        calls += 1
    assert calls <= 8
    assert [helper.keeping_up() for _ in range(4)] == [False, False, False, True]


def test_a_helper_that_cannot_start_leaves_the_layers_whole(monkeypatch):
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(processes, "SPLIT_WORK", 1)
    monkeypatch.setattr(processes, "_helper", None)
    monkeypatch.setattr(processes.sys, "executable", "/bin/false")    # it exits at once
    assert not processes.start_helper()
    assert processes._helper is False
    ours, theirs = _models("LSTM")
    x = numpy.random.default_rng(1).standard_normal((6, 5, 4))
    mine, weights = _run(minigrad, ours, x)
    reference, _ = _run(torch, theirs, x, weights)
    for a, b in zip(mine, reference):
        numpy.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
