"""``optim.LBFGS`` against ``torch.optim.LBFGS``: the same problems from the same start follow the same
trajectory (losses, weights and state after every ``step``), with and without the strong-Wolfe search."""
import io

import numpy
import pytest
import torch

import minigrad
from minigrad import optim


def rosenbrock(lib, params, data):
    x, y = params
    return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum()


def least_squares(lib, params, data):
    weight, bias = params
    inputs, targets = data
    return ((inputs @ weight.t() + bias - targets) ** 2).mean()


def tanh_mlp(lib, params, data):
    w1, b1, w2, b2 = params
    inputs, targets = data
    hidden = lib.tanh(inputs @ w1.t() + b1)
    return lib.nn.functional.mse_loss(hidden @ w2.t() + b2, targets)


def logistic(lib, params, data):
    weight, bias = params
    inputs, labels = data
    return lib.nn.functional.cross_entropy(inputs @ weight.t() + bias, labels) + 1e-3 * (weight ** 2).sum()


def problem(name, dtype, seed=0):
    """(loss function, initial parameter arrays, data arrays) of a made-up problem."""
    rng = numpy.random.default_rng(seed)
    normal = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    if name == "rosenbrock":
        return rosenbrock, [numpy.array([-1.2, 0.5, 0.3], dtype), numpy.array([1.0, 0.1, -0.4], dtype)], []
    if name == "least_squares":
        inputs = normal(20, 3)
        targets = inputs @ normal(2, 3).T + 0.1 * normal(20, 2)
        return least_squares, [normal(2, 3), normal(2)], [inputs, targets]
    if name == "tanh_mlp":
        inputs = normal(16, 3)
        return tanh_mlp, [0.5 * normal(5, 3), normal(5), 0.5 * normal(1, 5), normal(1)], \
            [inputs, numpy.sin(inputs.sum(1, keepdims=True))]
    inputs = normal(30, 4)
    return logistic, [0.1 * normal(3, 4), numpy.zeros(3, dtype)], [inputs, rng.integers(0, 3, 30)]


def build(lib, name, dtype, options):
    loss_fn, params, data = problem(name, dtype)
    params = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    data = [lib.tensor(d.copy()) for d in data]
    optimizer = lib.optim.LBFGS(params, **options)
    calls = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(lib, params, data)
        loss.backward()
        calls.append(float(loss.detach()))
        return loss
    return params, optimizer, closure, calls


def as_numpy(value):
    return value.detach().numpy() if hasattr(value, "detach") else numpy.asarray(value)


def assert_same_state(ours, theirs, rtol, atol):
    ours, theirs = ours.state_dict(), theirs.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"]) == [0]
    mine, reference = ours["state"][0], theirs["state"][0]
    assert sorted(mine) == sorted(reference)
    for key, value in reference.items():
        if isinstance(value, list):
            assert len(mine[key]) == len(value), key
            pairs = [(a, b) for a, b in zip(mine[key], value)]
        else:
            pairs = [(mine[key], value)]
        for a, b in pairs:
            if b is None or isinstance(b, int):
                assert a == b, key
                continue
            assert isinstance(a, minigrad.Tensor) == isinstance(b, torch.Tensor), key
            numpy.testing.assert_allclose(as_numpy(a), as_numpy(b), rtol=rtol, atol=atol, err_msg=key)


PROBLEMS = ["rosenbrock", "least_squares", "tanh_mlp", "logistic"]
OPTIONS = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=4, history_size=3),
    dict(lr=0.8, max_iter=7, history_size=2, line_search_fn="strong_wolfe"),
    dict(max_iter=10, max_eval=12, tolerance_change=1e-6, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("name", PROBLEMS)
def test_lbfgs_trajectory_matches_torch_float64(name, options):
    """Two steps (up to 40 closure calls).  Both runs take the same branches; their rounding differs
    in the last bit (torch's dot and fused add against NumPy's) and an optimizer amplifies that
    slowly (~1e-16 at the start, up to ~1e-9 after 40 evaluations, more on Rosenbrock's blow-ups)."""
    ours, our_optimizer, our_closure, our_calls = build(minigrad, name, "float64", options)
    theirs, their_optimizer, their_closure, their_calls = build(torch, name, "float64", options)
    for _ in range(2):
        our_loss = our_optimizer.step(our_closure)
        their_loss = their_optimizer.step(their_closure)
        assert float(our_loss) == pytest.approx(float(their_loss.detach()), rel=1e-9, abs=1e-12)
        assert len(our_calls) == len(their_calls)        # the same number of closure evaluations
        numpy.testing.assert_allclose(our_calls, their_calls, rtol=1e-8, atol=1e-12)
        for mine, reference in zip(ours, theirs):
            numpy.testing.assert_allclose(as_numpy(mine), as_numpy(reference), rtol=1e-8, atol=1e-10)
    assert_same_state(our_optimizer, their_optimizer, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("options", [dict(), dict(line_search_fn="strong_wolfe")], ids=["fixed", "wolfe"])
@pytest.mark.parametrize("name", ["least_squares", "tanh_mlp"])
def test_lbfgs_trajectory_matches_torch_float32(name, options):
    """One step of 8 iterations: float32 rounding grows along an optimizer's path as in float64."""
    options = dict(options, max_iter=8)
    ours, our_optimizer, our_closure, our_calls = build(minigrad, name, "float32", options)
    theirs, their_optimizer, their_closure, their_calls = build(torch, name, "float32", options)
    our_optimizer.step(our_closure)
    their_optimizer.step(their_closure)
    numpy.testing.assert_allclose(our_calls, their_calls, rtol=1e-4, atol=1e-6)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == minigrad.float32
        numpy.testing.assert_allclose(as_numpy(mine), as_numpy(reference), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("options", [dict(max_iter=3, history_size=2), dict(max_iter=3, line_search_fn="strong_wolfe")],
                         ids=["fixed", "wolfe"])
def test_state_dict_round_trip_continues_torchs_trajectory(options, tmp_path):
    """Two steps, save the optimizer (and load it into a fresh one), two more: torch's four steps."""
    ours, our_optimizer, our_closure, _ = build(minigrad, "tanh_mlp", "float64", options)
    theirs, their_optimizer, their_closure, _ = build(torch, "tanh_mlp", "float64", options)
    for _ in range(2):
        our_optimizer.step(our_closure)
        their_optimizer.step(their_closure)
    minigrad.save(our_optimizer.state_dict(), tmp_path / "lbfgs.pt")
    resumed = optim.LBFGS(ours, **options)
    resumed.load_state_dict(minigrad.load(tmp_path / "lbfgs.pt"))
    assert_same_state(resumed, their_optimizer, rtol=1e-12, atol=0)

    # torch's own state_dict loads here too
    from_torch = optim.LBFGS([minigrad.tensor(as_numpy(p).copy(), requires_grad=True) for p in theirs], **options)
    buffer = io.BytesIO()
    torch.save(their_optimizer.state_dict(), buffer)
    buffer.seek(0)
    from_torch.load_state_dict(torch.load(buffer))

    _, _, data = problem("tanh_mlp", "float64")
    data = [minigrad.tensor(d) for d in data]
    for optimizer in (resumed, from_torch):
        params = optimizer.param_groups[0]["params"]

        def closure():
            optimizer.zero_grad()
            loss = tanh_mlp(minigrad, params, data)
            loss.backward()
            return loss
        for _ in range(2):
            optimizer.step(closure)
    for _ in range(2):
        their_optimizer.step(their_closure)
    for optimizer in (resumed, from_torch):
        for mine, reference in zip(optimizer.param_groups[0]["params"], theirs):
            numpy.testing.assert_allclose(as_numpy(mine), as_numpy(reference), rtol=1e-8, atol=1e-10)
        assert_same_state(optimizer, their_optimizer, rtol=1e-7, atol=1e-9)


def test_stops_at_once_when_the_gradient_is_zero():
    weight = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    optimizer = optim.LBFGS([weight])

    def closure():
        optimizer.zero_grad()
        loss = ((weight - minigrad.tensor([1.0, 2.0], dtype=minigrad.float64)) ** 2).sum()
        loss.backward()
        return loss
    assert float(optimizer.step(closure)) == 0.0
    assert optimizer.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}


def test_repr_and_defaults_match_torch():
    ours = optim.LBFGS([minigrad.zeros(2, requires_grad=True)])
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert repr(ours) == repr(theirs)


def errors(lib, make):
    with pytest.raises(Exception) as caught:
        make(lib)
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("make", [
    lambda lib: lib.optim.LBFGS([lib.zeros(2, requires_grad=True)], lr=-1.0),
    lambda lib: lib.optim.LBFGS([lib.zeros(2, requires_grad=True)], lr=lib.tensor([0.1, 0.2])),
    lambda lib: lib.optim.LBFGS([{"params": [lib.zeros(2, requires_grad=True)]},
                                 {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1}]),
    lambda lib: lib.optim.LBFGS([]),
], ids=["negative-lr", "tensor-lr", "two-groups", "empty"])
def test_constructor_errors_match_torch(make):
    assert errors(minigrad, make) == errors(torch, make)


def test_unknown_line_search_is_torchs_runtime_error_at_step():
    def run(lib):
        weight = lib.tensor([1.0, -2.0], requires_grad=True)
        optimizer = lib.optim.LBFGS([weight], line_search_fn="backtracking")

        def closure():
            optimizer.zero_grad()
            loss = (weight ** 2).sum()
            loss.backward()
            return loss
        optimizer.step(closure)
    assert errors(minigrad, run) == errors(torch, run) == (RuntimeError, "only 'strong_wolfe' is supported")
