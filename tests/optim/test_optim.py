"""Optimizers against torch: 30 steps from the same weights give the same weights and state."""
import copy

import numpy
import pytest
import torch

import minigrad
from minigrad import optim

SHAPES = [(3, 4), (4,), (2, 1, 3)]


def gradient(values, offset):
    """A made-up gradient that depends on the current weights, so the two runs must stay in step."""
    return numpy.sin(3.0 * values) + 0.5 * values + offset


def make_weights(dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    weights = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    offsets = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    return weights, offsets


def set_gradients(ours, theirs, offsets, skip=()):
    for index, (mine, reference, offset) in enumerate(zip(ours, theirs, offsets)):
        if index in skip:
            continue
        mine.grad = minigrad.tensor(gradient(mine.detach().numpy(), offset))
        reference.grad = torch.from_numpy(gradient(reference.detach().numpy(), offset))


def run_optimizer_pair(name, options, dtype="float64", steps=30, skip=(), groups=None):
    """Train copies of the same weights with minigrad's and torch's optimizer ``name``."""
    weights, offsets = make_weights(dtype)
    ours = [minigrad.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    params_ours, params_theirs = (ours, theirs) if groups is None else (groups(ours), groups(theirs))
    our_optimizer = getattr(optim, name)(params_ours, **options)
    their_optimizer = getattr(torch.optim, name)(params_theirs, **options)
    for _ in range(steps):
        set_gradients(ours, theirs, offsets, skip)
        our_optimizer.step()
        their_optimizer.step()
    return ours, theirs, our_optimizer, their_optimizer


def assert_same_weights(ours, theirs, rtol, atol):
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        numpy.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=rtol,
                                      atol=atol, err_msg=f"parameter {index}")


def assert_same_state(our_optimizer, their_optimizer, rtol=1e-10, atol=1e-12):
    ours, theirs = our_optimizer.state_dict(), their_optimizer.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, their_state in theirs["state"].items():
        assert sorted(ours["state"][index]) == sorted(their_state), f"state keys of parameter {index}"
        for key, value in their_state.items():
            mine = ours["state"][index][key]
            assert mine.dtype.name == str(value.dtype)[6:], f"dtype of state[{index}][{key!r}]"
            numpy.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=rtol, atol=atol,
                                          err_msg=f"state[{index}][{key!r}]")
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for mine, reference in zip(ours["param_groups"], theirs["param_groups"]):
        assert list(mine) == list(reference), "param_group keys (and their order)"
        assert mine == reference


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict()),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3)),    # 1 - beta1 > 0.5: lerp_ weight above 0.5
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True, weight_decay=0.3)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, eps=1e-4)),   # lerp_ weight above 0.5
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, maximize=True, eps=1e-3)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05, betas=(0.3, 0.5), eps=1e-3)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("NAdam", dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05, betas=(0.5, 0.8), eps=1e-3)),     # rho_t passes 5 within the 30 steps
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, maximize=True, eps=1e-3)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.05, maximize=True)),
]


def case_id(case):
    name, options = case
    return name + "-" + ",".join(f"{key}={value}" for key, value in options.items())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_thirty_steps_match_torch_float64(case):
    name, options = case
    ours, theirs, our_optimizer, their_optimizer = run_optimizer_pair(name, options, "float64")
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_same_state(our_optimizer, their_optimizer)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_thirty_steps_match_torch_float32(case):
    name, options = case
    ours, theirs, _, _ = run_optimizer_pair(name, options, "float32")
    for mine in ours:
        assert mine.dtype == minigrad.float32
    assert_same_weights(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta",
                                  "Rprop"])
def test_parameter_without_grad_is_skipped(name):
    options = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    ours, theirs, our_optimizer, their_optimizer = run_optimizer_pair(name, options, skip=(1,), steps=5)
    weights, _ = make_weights("float64")
    numpy.testing.assert_array_equal(ours[1].detach().numpy(), weights[1])
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_same_state(our_optimizer, their_optimizer)


def test_sgd_without_momentum_keeps_no_state():
    _, _, our_optimizer, their_optimizer = run_optimizer_pair("SGD", dict(lr=0.1), steps=3)
    assert our_optimizer.state_dict()["state"] == {} == their_optimizer.state_dict()["state"]


def two_groups(params):
    return [{"params": params[:2], "lr": 0.01}, {"params": params[2:], "weight_decay": 0.2}]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_parameter_groups_have_their_own_options(name):
    ours, theirs, our_optimizer, their_optimizer = run_optimizer_pair(name, dict(lr=0.1), groups=two_groups)
    assert [group["lr"] for group in our_optimizer.param_groups] == [0.01, 0.1]
    assert our_optimizer.param_groups[1]["weight_decay"] == 0.2
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_same_state(our_optimizer, their_optimizer)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad"])
def test_add_param_group_midway_matches_torch(name):
    weights, offsets = make_weights("float64")
    ours = [minigrad.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    our_optimizer = getattr(optim, name)(ours[:2], lr=0.1)
    their_optimizer = getattr(torch.optim, name)(theirs[:2], lr=0.1)
    for step in range(12):
        if step == 5:
            our_optimizer.add_param_group({"params": ours[2], "lr": 0.03})
            their_optimizer.add_param_group({"params": theirs[2], "lr": 0.03})
        set_gradients(ours, theirs, offsets)
        our_optimizer.step()
        their_optimizer.step()
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_same_state(our_optimizer, their_optimizer)


def test_named_parameters_are_accepted_and_named_in_state_dict():
    weights, _ = make_weights("float64")
    named = [("w", minigrad.tensor(weights[0], requires_grad=True)),
             ("b", minigrad.tensor(weights[1], requires_grad=True))]
    their_named = [("w", torch.tensor(weights[0], requires_grad=True)),
                   ("b", torch.tensor(weights[1], requires_grad=True))]
    ours = optim.Adam(named).state_dict()["param_groups"][0]
    theirs = torch.optim.Adam(their_named).state_dict()["param_groups"][0]
    assert ours == theirs
    assert ours["param_names"] == ["w", "b"]


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    param = minigrad.tensor([1.0, 2.0], requires_grad=True)
    param.grad = minigrad.tensor([3.0, 4.0])
    grad = param.grad
    optim.SGD([param], lr=0.1).zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert param.grad is None
    else:
        assert param.grad is grad and param.grad.tolist() == [0.0, 0.0]


def test_step_changes_the_array_in_place_and_bumps_the_version():
    param = minigrad.tensor([1.0, 2.0], requires_grad=True)
    array, version = param.array, param._version
    param.grad = minigrad.tensor([1.0, 1.0])
    optim.SGD([param], lr=0.5).step()
    assert param.array is array
    assert param.tolist() == [0.5, 1.5]
    assert param._version == version + 1


def test_state_lives_on_the_parameters_device_and_step_is_a_cpu_scalar():
    param = minigrad.tensor([1.0, 2.0], dtype=minigrad.float32, requires_grad=True)
    param.grad = minigrad.tensor([1.0, 1.0], dtype=minigrad.float32)
    optimizer = optim.Adam([param])
    optimizer.step()
    state = optimizer.state[param]
    assert state["exp_avg"].dtype == minigrad.float32 and state["exp_avg"].device == param.device
    assert state["step"].shape == () and state["step"].dtype == minigrad.float32
    assert state["step"].item() == 1.0


def test_step_counter_is_float64_when_that_is_the_default_dtype():
    minigrad.set_default_dtype(minigrad.float64)
    try:
        param = minigrad.tensor([1.0], requires_grad=True)
        param.grad = minigrad.tensor([1.0])
        optimizer = optim.Adam([param])
        optimizer.step()
        assert optimizer.state[param]["step"].dtype == minigrad.float64
    finally:
        minigrad.set_default_dtype(minigrad.float32)


def test_closure_is_run_with_grad_enabled_and_its_loss_returned():
    param = minigrad.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    seen = []

    def closure():
        seen.append(minigrad.is_grad_enabled())
        param.grad = minigrad.tensor([2.0])
        return 7.0

    with minigrad.no_grad():
        assert optimizer.step(closure) == 7.0
    assert seen == [True]
    assert param.tolist() == pytest.approx([0.8])


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.1)), ("RMSprop", dict(momentum=0.5, centered=True)), ("Adagrad", dict()),
    ("Adamax", dict(lr=0.1)), ("NAdam", dict(decoupled_weight_decay=True)), ("RAdam", dict(weight_decay=0.1)),
    ("Adadelta", dict(rho=0.5)), ("Rprop", dict(etas=(0.4, 1.1))),
])
def test_repr_matches_torch(name, options):
    weights, _ = make_weights("float64")
    ours = getattr(optim, name)([minigrad.tensor(weights[0], requires_grad=True)], **options)
    theirs = getattr(torch.optim, name)([torch.tensor(weights[0], requires_grad=True)], **options)
    assert repr(ours) == repr(theirs)


# ---- state_dict --------------------------------------------------------------------

def to_numpy_state(state_dict):
    """A torch optimizer state_dict with every tensor turned into a NumPy array."""
    return {"state": {index: {key: value.numpy() for key, value in values.items()}
                      for index, values in state_dict["state"].items()},
            "param_groups": state_dict["param_groups"]}


def to_torch_state(state_dict):
    return {"state": {index: {key: torch.from_numpy(value.numpy().copy()) for key, value in values.items()}
                      for index, values in state_dict["state"].items()},
            "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)), ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)), ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)), ("Adadelta", dict(lr=0.5)), ("Rprop", dict(lr=0.05)),
])
@pytest.mark.parametrize("form", ["numpy", "torch"])
def test_torch_state_dict_loads_and_training_continues_identically(name, options, form):
    """Train 10 steps in torch, load its optimizer state into minigrad, train both 10 more."""
    weights, offsets = make_weights("float64")
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    their_optimizer = getattr(torch.optim, name)(theirs, **options)
    for _ in range(10):
        for reference, offset in zip(theirs, offsets):
            reference.grad = torch.from_numpy(gradient(reference.detach().numpy(), offset))
        their_optimizer.step()
    ours = [minigrad.tensor(t.detach().numpy().copy(), requires_grad=True) for t in theirs]
    our_optimizer = getattr(optim, name)(ours, lr=123.0)   # the loaded groups replace these options
    saved = their_optimizer.state_dict()
    our_optimizer.load_state_dict(to_numpy_state(saved) if form == "numpy" else saved)
    their_optimizer.load_state_dict(copy.deepcopy(saved))   # (loading casts NAdam's mu_product to the
    #                                                          parameters' dtype, in torch as here)
    assert our_optimizer.param_groups[0]["lr"] == options["lr"] if "lr" in options else True
    assert our_optimizer.param_groups[0]["params"][0] is ours[0]
    for _ in range(10):
        set_gradients(ours, theirs, offsets)
        our_optimizer.step()
        their_optimizer.step()
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_same_state(our_optimizer, their_optimizer)


@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1, momentum=0.9)),
                                           ("Adam", dict(lr=0.05)), ("RMSprop", dict(centered=True))])
def test_our_state_dict_loads_into_torch(name, options):
    ours, theirs, our_optimizer, _ = run_optimizer_pair(name, options, steps=10)
    fresh = [torch.tensor(mine.detach().numpy().copy(), requires_grad=True) for mine in ours]
    their_optimizer = getattr(torch.optim, name)(fresh, **options)
    their_optimizer.load_state_dict(to_torch_state(our_optimizer.state_dict()))
    _, offsets = make_weights("float64")
    for _ in range(10):
        set_gradients(ours, fresh, offsets)
        our_optimizer.step()
        their_optimizer.step()
    assert_same_weights(ours, fresh, rtol=1e-10, atol=1e-12)


def test_load_state_dict_copies_and_casts_to_the_parameters_dtype():
    source = minigrad.tensor([1.0, 2.0], requires_grad=True)
    source.grad = minigrad.tensor([0.5, 0.5])
    first = optim.Adam([source])
    first.step()
    target = minigrad.tensor([1.0, 2.0], dtype=minigrad.float32, requires_grad=True)
    second = optim.Adam([target])
    second.load_state_dict(first.state_dict())
    state = second.state[target]
    assert state["exp_avg"].dtype == minigrad.float32
    assert state["exp_avg"].array is not first.state[source]["exp_avg"].array
    assert state["step"].item() == 1.0


def test_load_state_dict_takes_a_deep_copy_of_the_groups():
    param = minigrad.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    saved = optimizer.state_dict()
    optimizer.load_state_dict(saved)
    optimizer.param_groups[0]["lr"] = 0.5
    assert saved["param_groups"][0]["lr"] == 0.1


def test_load_state_dict_errors_match_torch():
    weights, _ = make_weights("float64")
    ours = [minigrad.tensor(w, requires_grad=True) for w in weights]
    optimizer = optim.SGD(ours, lr=0.1)
    two = optim.SGD([{"params": ours[:1]}, {"params": ours[1:]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optimizer.load_state_dict(two)
    short = optim.SGD(ours[:2], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optimizer.load_state_dict(short)


# ---- bad arguments, with torch's wording ----------------------------------------------

@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=-1.0)), ("SGD", dict(momentum=-0.1)), ("SGD", dict(weight_decay=-1.0)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, 1.5))), ("Adam", dict(weight_decay=-0.1)),
    ("RMSprop", dict(alpha=-0.5)), ("RMSprop", dict(momentum=-1.0)),
    ("Adagrad", dict(lr_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adamax", dict(betas=(0.9, 1.0))), ("Adamax", dict(eps=-1.0)), ("NAdam", dict(momentum_decay=-1.0)),
    ("NAdam", dict(betas=(-0.1, 0.9))), ("RAdam", dict(weight_decay=-1.0)), ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(lr=-1.0)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(lr=-0.1)),
])
def test_bad_options_raise_torchs_error(name, options):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([minigrad.zeros(2, requires_grad=True)], **options)
    assert str(ours.value) == str(theirs.value)


def test_bad_parameter_lists_raise_torchs_errors():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got"):
        optim.SGD(minigrad.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is int"):
        optim.SGD([1], lr=0.1)
    param = minigrad.zeros(2, requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optimizer.add_param_group({"params": {minigrad.zeros(2, requires_grad=True)}})
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optimizer.add_param_group({"params": [param]})
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([param * 2], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        optimizer.add_param_group([param])


def test_required_option_must_be_given():
    class Custom(optim.Optimizer):
        def __init__(self, params, lr=optim.required):
            super().__init__(params, dict(lr=lr))

    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Custom([minigrad.zeros(2, requires_grad=True)])
    assert Custom([{"params": [minigrad.zeros(2, requires_grad=True)], "lr": 0.1}]).param_groups[0]["lr"] == 0.1
