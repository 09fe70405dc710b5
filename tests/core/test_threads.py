"""minigrad.set_num_threads / get_num_threads: NumPy's BLAS thread count, one by default (threads.py says why);
threads.matmul: a large product in two halves on two threads."""
import os
import subprocess
import sys

import numpy
import pytest
import torch

import minigrad

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MINIGRAD_NUM_THREADS")

needs_blas = pytest.mark.skipif(minigrad.get_num_threads() is None,
                                reason="no OpenBLAS/MKL found in this process (an Accelerate NumPy?)")


def threads_after_import(**environment):
    """``minigrad.get_num_threads()`` in a fresh process with only ``environment``'s BLAS variables set."""
    env = {name: value for name, value in os.environ.items() if name not in BLAS_VARIABLES}
    env.update(environment, PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, "-c", "import minigrad; print(minigrad.get_num_threads())"],
                            capture_output=True, text=True, env=env, timeout=120, check=True)
    return result.stdout.strip()


@needs_blas
def test_import_sets_one_thread_unless_the_user_chose():
    assert threads_after_import() == "1"
    assert threads_after_import(MINIGRAD_NUM_THREADS="2") == "2"
    assert threads_after_import(OPENBLAS_NUM_THREADS="2") == "2"     # the BLAS's own choice is kept


def test_a_bad_minigrad_num_threads_names_the_variable():
    env = {name: value for name, value in os.environ.items() if name not in BLAS_VARIABLES}
    result = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True, text=True,
                            env=dict(env, PYTHONPATH=REPO, MINIGRAD_NUM_THREADS="two"), timeout=120)
    assert result.returncode != 0
    assert "MINIGRAD_NUM_THREADS must be a positive integer, got 'two'" in result.stderr


@needs_blas
def test_set_and_get_round_trip_and_leave_torch_alone():
    before, torch_before = minigrad.get_num_threads(), torch.get_num_threads()
    try:
        minigrad.set_num_threads(2)
        assert minigrad.get_num_threads() == 2
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
        assert torch.get_num_threads() == torch_before
    finally:
        minigrad.set_num_threads(before)


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_thread_counts_get_torchs_errors(value):
    with pytest.raises(Exception) as theirs:
        torch.set_num_threads(value)
    with pytest.raises(type(theirs.value)) as ours:
        minigrad.set_num_threads(value)
    assert str(ours.value) == str(theirs.value)


def test_exported_from_the_package():
    assert minigrad.set_num_threads is minigrad.threads.set_num_threads
    assert minigrad.get_num_threads is minigrad.threads.get_num_threads


# ---- large products in two halves (threads.matmul) -------------------------------------------
@pytest.mark.parametrize("shapes", [((300, 40), (40, 70)), ((4, 301, 20), (20, 30)), ((301, 20), (4, 20, 30)),
                                    ((3, 64, 300), (300, 17)), ((2, 1, 33, 8), (5, 8, 9))], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_a_product_split_in_two_halves_equals_torchs(monkeypatch, shapes, dtype):
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(minigrad.threads, "LARGE_PRODUCT", 1)         # split even these
    rng = numpy.random.default_rng(0)
    a, b = (rng.integers(-5, 5, shape).astype(dtype) for shape in shapes)
    ours = minigrad.threads.matmul(a, b)
    theirs = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 1e-12)


def test_an_error_in_the_helpers_half_reaches_the_caller():
    helper = minigrad.threads._Helper()

    def fails():
        raise ValueError("the second half failed")
    with pytest.raises(ValueError, match="the second half failed"):
        helper.both_halves(lambda: None, fails)


def test_the_users_thread_count_turns_the_split_off():
    script = "import minigrad; print(minigrad.threads._two_cores)"
    env = {name: value for name, value in os.environ.items() if name not in BLAS_VARIABLES}
    for extra, expected in [({}, str(len(os.sched_getaffinity(0)) > 1)), ({"MINIGRAD_NUM_THREADS": "1"}, "False"),
                            ({"OPENBLAS_NUM_THREADS": "1"}, "False")]:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                env=dict(env, PYTHONPATH=REPO, **extra), timeout=120, check=True)
        assert result.stdout.strip() == expected, extra


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_and_linear_with_every_product_split_match_torch(monkeypatch, mode):
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(minigrad.threads, "LARGE_PRODUCT", 1)          # the step products too
    from minigrad.interop import from_torch
    torch.manual_seed(0)
    theirs = getattr(torch.nn, mode)(5, 7, num_layers=2, batch_first=True).double()
    head_theirs = torch.nn.Linear(7, 3).double()
    ours = getattr(minigrad.nn, mode)(5, 7, num_layers=2, batch_first=True).double()
    head_ours = minigrad.nn.Linear(7, 3).double()
    ours.load_state_dict(from_torch(theirs.state_dict()))
    head_ours.load_state_dict(from_torch(head_theirs.state_dict()))
    x = numpy.random.default_rng(1).standard_normal((4, 6, 5))
    results = []
    for library, model, head in [(minigrad, ours, head_ours), (torch, theirs, head_theirs)]:
        inputs = library.tensor(x, requires_grad=True)
        output, _ = model(inputs)
        head(output).square().sum().backward()
        results.append([inputs.grad.numpy(), head.weight.grad.numpy(), *(p.grad.numpy() for p in model.parameters())])
    for mine, reference in zip(*results):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode, bidirectional, proj_size, lengths", [
    ("LSTM", False, 0, None), ("LSTM", True, 0, None), ("LSTM", True, 0, [6, 6, 4, 3, 1]),
    ("LSTM", False, 3, [5, 2, 2, 1, 1]), ("GRU", True, 0, None), ("GRU", False, 0, [6, 5, 3, 3, 2]),
    ("RNN", True, 0, [6, 6, 4, 3, 1])], ids=str)
def test_a_recurrent_batch_run_in_two_parts_matches_torch(monkeypatch, mode, bidirectional, proj_size, lengths):
    """The fused layers' sequences split in two parts (threads.in_two_parts): an odd batch (parts of
    2 and 3 sequences), and packed sequences that end while the other part runs on."""
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(minigrad.threads, "SPLIT_WORK", 1)
    calls = []
    real = minigrad.threads.in_two_parts
    monkeypatch.setattr(minigrad.threads, "in_two_parts", lambda *args: calls.append(args[1]) or real(*args))
    from minigrad.interop import from_torch
    torch.manual_seed(0)
    options = dict(num_layers=2, bidirectional=bidirectional, **({"proj_size": proj_size} if proj_size else {}))
    theirs = getattr(torch.nn, mode)(4, 6, **options).double()
    ours = getattr(minigrad.nn, mode)(4, 6, **options).double()
    ours.load_state_dict(from_torch(theirs.state_dict()))
    x = numpy.random.default_rng(1).standard_normal((6, 5, 4))
    weights = None
    results = []
    for library, model in [(minigrad, ours), (torch, theirs)]:
        inputs = library.tensor(x, requires_grad=True)
        packed = inputs if lengths is None else library.nn.utils.rnn.pack_padded_sequence(inputs, lengths)
        output, state = model(packed)
        if lengths is not None:
            output, _ = library.nn.utils.rnn.pad_packed_sequence(output)
        results_now = [output, *(state if mode == "LSTM" else (state,))]
        if weights is None:
            weights = [numpy.random.default_rng(2).standard_normal(tuple(t.shape)) for t in results_now]
        sum((t * library.tensor(w)).sum() for t, w in zip(results_now, weights)).backward()
        results.append([t.detach().numpy() for t in results_now] + [inputs.grad.numpy()] +
                       [p.grad.numpy() for p in model.parameters()])
    assert calls and set(calls) == {5}                    # forward and backward of every layer, split
    for mine, reference in zip(*results):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_only_numpy_steps_are_run_in_two_parts(monkeypatch):
    """A step on CuPy arrays runs whole, with the module's matmul (NumPy's would refuse them)."""
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(minigrad.threads, "SPLIT_WORK", 1)

    class DeviceArray:          # not a numpy.ndarray, as a CuPy array is not
        size = 64
    parts = []
    minigrad.threads.in_two_parts(lambda first, last, matmul: parts.append((first, last, matmul)), 8, DeviceArray())
    assert parts == [(0, 8, minigrad.threads.matmul)]
    minigrad.threads.in_two_parts(lambda first, last, matmul: parts.append((first, last, matmul)), 8, numpy.ones(64))
    assert sorted(parts[1:], key=lambda part: part[0]) == [(0, 4, numpy.matmul), (4, 8, numpy.matmul)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_starts_its_own_helper(monkeypatch):
    monkeypatch.setattr(minigrad.threads, "_two_cores", True)
    monkeypatch.setattr(minigrad.threads, "LARGE_PRODUCT", 1)
    a = numpy.arange(12.0).reshape(4, 3)
    minigrad.threads.matmul(a, a.T)                        # the parent's helper exists now
    pid = os.fork()
    if pid == 0:                                           # the child: its product must not wait forever
        ok = numpy.array_equal(minigrad.threads.matmul(a, a.T), a @ a.T)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# ---- row-wise work in two halves (threads.rows_in_two_parts) ---------------------------------
def _split_rows(monkeypatch, split):
    """Every row-wise computation in two halves (``split``), or none; returns the split row counts."""
    monkeypatch.setattr(minigrad.threads, "_two_cores", split)
    monkeypatch.setattr(minigrad.threads, "SPLIT_ELEMENTS", 1)
    calls = []
    real = minigrad.threads.rows_in_two_parts
    monkeypatch.setattr(minigrad.threads, "rows_in_two_parts",
                        lambda run, rows, *args: calls.append(rows) or real(run, rows, *args))
    return calls


def _layer_norm_results(library, x, shape, affine, weights):
    inputs = library.tensor(x, requires_grad=True)
    parameters = [library.tensor(p, requires_grad=True) for p in affine]
    output = library.nn.functional.layer_norm(inputs, shape, *parameters)
    (output * library.tensor(weights)).sum().backward()
    return [output.detach().numpy(), inputs.grad.numpy(), *(p.grad.numpy() for p in parameters)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("x_shape, shape, affine", [((5, 3, 8), (8,), 2), ((4, 6, 5), (6, 5), 1),
                                                     ((3, 7), (7,), 0), ((9, 16), (16,), 2)], ids=str)
def test_layer_norm_rows_in_two_halves_match_torch_and_the_whole_run(monkeypatch, dtype, x_shape, shape, affine):
    """An odd number of rows (halves of 2 and 3), rows of one or more dims, with and without weight
    and bias; a row whose values are one number repeated (cancelling: torch's order, fused) in the
    second half decides for every row, as in the whole run."""
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    x[-1] = 3.0                                               # a cancelling row, in the second half
    parameters = [rng.standard_normal(shape).astype(dtype) for _ in range(affine)]
    weights = rng.standard_normal(x_shape).astype(dtype)
    calls = _split_rows(monkeypatch, True)
    ours = _layer_norm_results(minigrad, x, shape, parameters, weights)
    assert calls and set(calls) == {x_shape[0]}              # forward (two passes) and backward, split
    _split_rows(monkeypatch, False)
    whole = _layer_norm_results(minigrad, x, shape, parameters, weights)
    theirs = _layer_norm_results(torch, x, shape, parameters, weights)
    for mine, unsplit, reference in zip(ours, whole, theirs):
        numpy.testing.assert_array_equal(mine, unsplit)       # the same calls on each row: the same bits
        tolerance = {"float64": 1e-10, "float32": 1e-4, "float16": 1e-2}[dtype]
        numpy.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance)


def _attention_results(library, module, x, mask, padding, need_weights):
    """Output, input gradient and parameter gradients of ``module`` (self-attention on ``x``) under a
    fixed weighting, with the weights' own gradient flowing back too where they are returned."""
    inputs = library.tensor(x, requires_grad=True)
    output, weights = module(inputs, inputs, inputs, attn_mask=library.tensor(mask),
                             key_padding_mask=library.tensor(padding), need_weights=need_weights)
    loss = (output * library.tensor(numpy.cos(numpy.arange(output.numel())).reshape(output.shape))).sum()
    if weights is not None:
        loss = loss + (weights * weights).sum()
    loss.backward()
    return [output.detach().numpy(), inputs.grad.numpy(), *(p.grad.numpy() for p in module.parameters())]


@pytest.mark.parametrize("need_weights", [False, True])
def test_attention_batch_in_two_halves_matches_torch_and_the_whole_run(monkeypatch, need_weights):
    """Five sequences (ten heads: halves of 5) with a float mask shared by the batch and a padding
    mask of its own per sequence; with need_weights the weights' own gradient flows back too."""
    from minigrad.interop import from_torch
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal((5, 6, 8))
    mask = numpy.triu(numpy.full((6, 6), -1.5), 1)
    padding = numpy.zeros((5, 6))
    padding[1, 4:] = padding[4, 5:] = -2.5
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    results = []
    for split in (True, False):
        calls = _split_rows(monkeypatch, split)
        ours = minigrad.nn.MultiheadAttention(8, 2, batch_first=True).double()
        ours.load_state_dict(from_torch(theirs.state_dict()))
        results.append(_attention_results(minigrad, ours, x, mask, padding, need_weights))
        if split:
            assert set(calls) == {10}                  # N * num_heads: forward and backward, split
    reference = _attention_results(torch, theirs, x, mask, padding, need_weights)
    for mine, unsplit, expected in zip(*results, reference):
        numpy.testing.assert_array_equal(mine, unsplit)
        numpy.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)
