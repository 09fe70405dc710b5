"""Learning-rate schedulers against torch's: the same rate sequence, to the last bit, over many steps."""
import math
import warnings

import pytest
import torch

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler


def make_optimizers(kind="SGD", **options):
    """The same two-group optimizer in minigrad and in torch (groups with lr 0.1 and 0.02)."""
    options = dict(momentum=0.9, **options) if kind == "SGD" else options

    def groups(library):
        return [{"params": [library.zeros(2, requires_grad=True)]},
                {"params": [library.zeros(3, requires_grad=True)], "lr": 0.02}]
    return (getattr(optim, kind)(groups(minigrad), lr=0.1, **options),
            getattr(torch.optim, kind)(groups(torch), lr=0.1, **options))


def momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group.get("momentum") for group in optimizer.param_groups]


def run(scheduler, optimizer, steps, metrics=None):
    """The rates (and momenta) after construction and after each of ``steps`` steps."""
    history = [(scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups], momenta(optimizer))]
    for step in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[step])
        history.append((scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups], momenta(optimizer)))
    return history


def both(name, steps, kind="SGD", metrics=None, **options):
    ours_optimizer, their_optimizer = make_optimizers(kind)
    ours = getattr(lr_scheduler, name)(ours_optimizer, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(their_optimizer, **options)
    return run(ours, ours_optimizer, steps, metrics), run(theirs, their_optimizer, steps, metrics), ours, theirs


CASES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 20, 20, 60], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.95)),
    ("CosineAnnealingLR", dict(T_max=25)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),   # 100 steps: five periods past T_max
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.97 ** epoch)),
    ("LambdaLR", dict(lr_lambda=[lambda epoch: epoch // 30, lambda epoch: 1 / (1 + epoch)])),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.9)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.05, end_factor=0.5, total_iters=40)),
    ("ConstantLR", dict(factor=0.5, total_iters=8)),
    ("PolynomialLR", dict(total_iters=30, power=2.0)),
]


@pytest.mark.parametrize("name, options", CASES, ids=lambda value: value if isinstance(value, str) else None)
def test_rate_sequence_equals_torch(name, options):
    ours, theirs, _, _ = both(name, 100, **options)
    assert ours == theirs


@pytest.mark.parametrize("options", [
    dict(max_lr=1.0, total_steps=100),
    dict(max_lr=[0.5, 0.05], epochs=4, steps_per_epoch=25, pct_start=0.25, anneal_strategy="linear"),
    dict(max_lr=0.3, total_steps=90, three_phase=True, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.3, total_steps=50, cycle_momentum=False),
])
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_one_cycle_rates_and_momenta_equal_torch(options, kind):
    steps = options.get("total_steps") or options["epochs"] * options["steps_per_epoch"]
    ours, theirs, _, _ = both("OneCycleLR", steps - 1, kind=kind, **options)
    assert ours == theirs


def test_one_cycle_refuses_to_step_past_total_steps():
    _, _, ours, theirs = both("OneCycleLR", 10, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError) as their_error:
        theirs.step()
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        ours.step()
    assert str(their_error.value) == "Tried to step 11 times. The specified number of total steps is 10"


METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8] * 6 + [0.8] * 20


@pytest.mark.parametrize("options", [
    dict(patience=2),
    dict(mode="max", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs"),
    dict(factor=0.5, patience=0, cooldown=2, min_lr=[0.01, 0.005]),
    dict(factor=0.2, patience=1, min_lr=0.015, eps=1e-3),
    dict(threshold_mode="abs", threshold=0.05, patience=3, cooldown=1),
])
def test_reduce_lr_on_plateau_equals_torch(options):
    ours, theirs, our_scheduler, their_scheduler = both("ReduceLROnPlateau", len(METRICS), metrics=METRICS,
                                                         **options)
    assert ours == theirs
    assert ours[-1][0] != ours[0][0], "the test should see at least one reduction"
    assert our_scheduler.state_dict() == {key: value for key, value in their_scheduler.state_dict().items()}


def test_sequential_warm_up_then_cosine_equals_torch():
    def build(library, optimizer):
        schedulers = library.optim.lr_scheduler
        warm_up = schedulers.LinearLR(optimizer, start_factor=0.1, total_iters=5)
        decay = schedulers.CosineAnnealingLR(optimizer, T_max=30)
        return schedulers.SequentialLR(optimizer, [warm_up, decay], milestones=[5])
    ours_optimizer, their_optimizer = make_optimizers()
    ours = run(build(minigrad, ours_optimizer), ours_optimizer, 40)
    theirs = run(build(torch, their_optimizer), their_optimizer, 40)
    assert ours == theirs


def test_two_chained_schedulers_on_one_optimizer_equal_torch():
    ours_optimizer, their_optimizer = make_optimizers()
    pair = [(lr_scheduler.StepLR(ours_optimizer, 4, 0.5), lr_scheduler.ExponentialLR(ours_optimizer, 0.9)),
            (torch.optim.lr_scheduler.StepLR(their_optimizer, 4, 0.5),
             torch.optim.lr_scheduler.ExponentialLR(their_optimizer, 0.9))]
    rates = []
    for (first, second), optimizer in zip(pair, (ours_optimizer, their_optimizer)):
        sequence = []
        for _ in range(20):
            optimizer.step()
            first.step()
            second.step()
            sequence.append(second.get_last_lr())
        rates.append(sequence)
    assert rates[0] == rates[1]


@pytest.mark.parametrize("name, options", [
    ("StepLR", dict(step_size=7)), ("MultiStepLR", dict(milestones=[3, 9])),
    ("CosineAnnealingLR", dict(T_max=10)), ("LinearLR", dict(total_iters=12)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40)), ("ExponentialLR", dict(gamma=0.9)),
])
def test_state_dict_equals_torchs_and_resumes(name, options):
    _, _, ours, theirs = both(name, 15, **options)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert ours_state == theirs_state
    # a fresh scheduler loading the state continues exactly as the original; as torch documents,
    # the scheduler is made before the optimizer state is loaded (making it rewrites the rates)
    continued_optimizer, _ = make_optimizers()
    resumed = getattr(lr_scheduler, name)(continued_optimizer, **options)
    continued_optimizer.load_state_dict(ours.optimizer.state_dict())
    resumed.load_state_dict(ours_state)
    assert run(resumed, continued_optimizer, 10) == run(ours, ours.optimizer, 10)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Schedule:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    ours_optimizer, their_optimizer = make_optimizers()
    ours = lr_scheduler.LambdaLR(ours_optimizer, [Schedule(), lambda epoch: 1.0])
    theirs = torch.optim.lr_scheduler.LambdaLR(their_optimizer, [Schedule(), lambda epoch: 1.0])
    assert ours.state_dict() == theirs.state_dict()
    assert ours.state_dict()["lr_lambdas"] == [{"rate": 0.5}, None]
    fresh = Schedule()
    fresh.rate = 0.1
    restored = lr_scheduler.LambdaLR(make_optimizers()[0], [fresh, lambda epoch: 1.0])
    restored.load_state_dict(ours.state_dict())
    assert fresh.rate == 0.5


def test_scheduler_sets_initial_lr_and_base_lrs():
    optimizer, _ = make_optimizers()
    scheduler = lr_scheduler.StepLR(optimizer, 2)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.02]
    assert scheduler.base_lrs == [0.1, 0.02]
    assert scheduler.last_epoch == 0


def test_stepping_the_scheduler_before_the_optimizer_warns_as_torch():
    optimizer, _ = make_optimizers()
    scheduler = lr_scheduler.StepLR(optimizer, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()
    optimizer, _ = make_optimizers()
    scheduler = lr_scheduler.StepLR(optimizer, 2)
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_step_with_an_epoch_uses_the_closed_form_like_torch():
    ours_optimizer, their_optimizer = make_optimizers()
    ours = lr_scheduler.StepLR(ours_optimizer, 3, 0.5)
    theirs = torch.optim.lr_scheduler.StepLR(their_optimizer, 3, 0.5)
    ours_optimizer.step()
    their_optimizer.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        ours.step(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.step(10)
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert math.isclose(ours.get_last_lr()[0], 0.1 * 0.5 ** 3)


@pytest.mark.parametrize("name, options", [
    ("LinearLR", dict(start_factor=0.0)), ("LinearLR", dict(end_factor=1.5)),
    ("ConstantLR", dict(factor=2.0)), ("OneCycleLR", dict(max_lr=0.1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0)), ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=2.0)),
    ("OneCycleLR", dict(max_lr=[0.1], total_steps=10)),
    ("ReduceLROnPlateau", dict(factor=1.0)), ("ReduceLROnPlateau", dict(mode="up")),
    ("ReduceLROnPlateau", dict(min_lr=[0.1, 0.2, 0.3])),
])
def test_bad_options_raise_torchs_errors(name, options):
    ours_optimizer, their_optimizer = make_optimizers()
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim.lr_scheduler, name)(their_optimizer, **options)
    with pytest.raises(ValueError) as ours:
        getattr(lr_scheduler, name)(ours_optimizer, **options)
    assert str(ours.value) == str(theirs.value)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], 2)
