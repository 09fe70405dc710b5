"""``minigrad.distributions`` against ``torch.distributions``: Categorical, Normal and Bernoulli's
log_prob, entropy, cdf/icdf, mean/mode/variance and their gradients, shapes of samples and their
frequencies, repr, torch's argument and value checks (messages with minigrad's names)."""
import math

import numpy
import pytest
import torch

import minigrad


def both(build):
    """``build(lib)`` for torch and minigrad."""
    return [build(lib) for lib in (torch, minigrad)]


def assert_same(values, rtol=1e-6, atol=1e-7):
    theirs, ours = values
    numpy.testing.assert_allclose(numpy.asarray(ours), numpy.asarray(theirs), rtol=rtol, atol=atol)


LOGITS = [[0.5, -1.0, 2.0, 0.0], [0.1, 0.2, 0.3, -4.0]]


@pytest.mark.parametrize("by", ["logits", "probs"])
def test_categorical_log_prob_entropy_and_gradients_match_torch(by):
    def run(lib):
        parameter = lib.tensor(LOGITS, dtype=lib.float64, requires_grad=True)
        given = parameter if by == "logits" else parameter.softmax(-1)
        dist = lib.distributions.Categorical(**{by: given})
        scores = dist.log_prob(lib.tensor([[2, 0], [3, 1], [0, 0]]))
        total = scores.sum() * 0.3 + dist.entropy().sum() + dist.probs.pow(2).sum()
        total.backward()
        return [scores.tolist(), dist.entropy().tolist(), dist.probs.tolist(), dist.logits.tolist(),
                dist.mode.tolist(), parameter.grad.tolist(), tuple(dist.batch_shape), tuple(dist.event_shape)]
    theirs, ours = both(run)
    for mine, reference in zip(ours, theirs):
        assert_same((reference, mine), rtol=1e-12, atol=1e-12)


def test_categorical_samples_have_torchs_shape_and_the_right_frequencies():
    minigrad.manual_seed(0)
    probs = [[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]
    shapes = both(lambda lib: tuple(lib.distributions.Categorical(probs=lib.tensor(probs)).sample((4000,)).shape))
    assert shapes[0] == shapes[1] == (4000, 2)
    draws = minigrad.distributions.Categorical(probs=minigrad.tensor(probs)).sample((20000,)).numpy()
    for row, expected in enumerate(probs):
        frequencies = numpy.bincount(draws[:, row], minlength=3) / len(draws)
        numpy.testing.assert_allclose(frequencies, expected, atol=0.015)
    assert draws[:, 1].max() <= 1          # a zero probability is never drawn


def test_normal_matches_torch_and_rsample_carries_the_gradient():
    def run(lib):
        loc = lib.tensor([0.0, 1.0, -2.0], dtype=lib.float64, requires_grad=True)
        scale = lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
        dist = lib.distributions.Normal(loc, scale)
        value = lib.tensor([0.5, -0.5, -2.0], dtype=lib.float64)
        outputs = [dist.log_prob(value), dist.entropy(), dist.cdf(value), dist.icdf(lib.tensor([0.1, 0.5, 0.9], dtype=lib.float64)),
                   dist.mean, dist.stddev, dist.variance]
        sum(o.sum() for o in outputs).backward()
        return [o.tolist() for o in outputs] + [loc.grad.tolist(), scale.grad.tolist()]
    theirs, ours = both(run)
    for mine, reference in zip(ours, theirs):
        assert_same((reference, mine), rtol=1e-12, atol=1e-12)
    minigrad.manual_seed(1)
    loc = minigrad.tensor([3.0], requires_grad=True)
    draws = minigrad.distributions.Normal(loc, 2.0).rsample((20000,))
    assert tuple(draws.shape) == (20000, 1) and draws.requires_grad
    draws.mean().backward()
    assert loc.grad.item() == pytest.approx(1.0)
    assert float(draws.mean()) == pytest.approx(3.0, abs=0.05) and float(draws.std()) == pytest.approx(2.0, abs=0.05)
    assert not minigrad.distributions.Normal(loc, 2.0).sample((3,)).requires_grad


@pytest.mark.parametrize("by", ["logits", "probs"])
def test_bernoulli_matches_torch(by):
    def run(lib):
        raw = lib.tensor([0.3, -2.0, 1.5], dtype=lib.float64, requires_grad=True)
        dist = lib.distributions.Bernoulli(**{by: raw if by == "logits" else raw.sigmoid()})
        outputs = [dist.log_prob(lib.tensor([1.0, 0.0, 1.0], dtype=lib.float64)), dist.entropy(), dist.mean,
                   dist.variance, dist.probs, dist.logits]
        sum(o.sum() for o in outputs).backward()
        return [o.tolist() for o in outputs] + [raw.grad.tolist(), dist.mode.tolist()]
    theirs, ours = both(run)
    for mine, reference in zip(ours, theirs):
        assert_same((reference, mine), rtol=1e-12, atol=1e-12)
    minigrad.manual_seed(2)
    draws = minigrad.distributions.Bernoulli(probs=minigrad.tensor([0.2, 0.9])).sample((20000,)).numpy()
    numpy.testing.assert_allclose(draws.mean(0), [0.2, 0.9], atol=0.015)


def test_a_policy_gradient_step_through_a_categorical_matches_torch():
    """REINFORCE as a tutorial writes it: log-probabilities of the actions taken, weighted by returns."""
    rng = numpy.random.default_rng(0)
    states, weight = rng.standard_normal((6, 4)), rng.standard_normal((4, 3))
    actions, returns = rng.integers(0, 3, 6), rng.standard_normal(6)

    def step(lib):
        w = lib.tensor(weight, requires_grad=True)
        policy = lib.distributions.Categorical(logits=lib.tensor(states) @ w)
        loss = -(policy.log_prob(lib.tensor(actions)) * lib.tensor(returns)).mean() - 0.01 * policy.entropy().mean()
        loss.backward()
        return loss.item(), w.grad.numpy()
    (their_loss, their_grad), (our_loss, our_grad) = both(step)
    assert our_loss == pytest.approx(their_loss, rel=1e-12)
    numpy.testing.assert_allclose(our_grad, their_grad, rtol=1e-10)


@pytest.mark.parametrize("build", [
    "D.Categorical(probs=lib.tensor([0.2, 0.8]))", "D.Categorical(logits=lib.tensor([[0.0, 1.0], [2.0, 3.0]]))",
    "D.Normal(0.0, 1.0)", "D.Normal(lib.tensor([0.0, 1.0]), 2.0)", "D.Bernoulli(probs=0.3)",
    "D.Bernoulli(logits=lib.tensor([0.3, 0.1]))",
])
def test_repr_and_shapes_match_torch(build):
    shown = both(lambda lib: (lambda d: (repr(d), tuple(d.batch_shape), tuple(d.event_shape)))(
        eval(build, {"D": lib.distributions, "lib": lib})))
    assert shown[1] == (shown[0][0].replace("torch.", "minigrad."), *shown[0][1:])


@pytest.mark.parametrize("call", [
    "D.Categorical(probs=lib.tensor([0.5, -0.1]))", "D.Categorical()", "D.Categorical(probs=lib.tensor(0.5))",
    "D.Categorical(logits=lib.tensor([0.0, 1.0]), probs=lib.tensor([0.5, 0.5]))",
    "D.Categorical(logits=lib.tensor([float('nan'), 1.0]))",
    "D.Categorical(logits=lib.tensor([0.0, 1.0])).log_prob(lib.tensor(2))",
    "D.Categorical(logits=lib.tensor([[0.0, 1.0]] * 2)).log_prob(lib.tensor([0, 1, 1]))",
    "D.Categorical(logits=lib.tensor([0.0, 1.0])).log_prob(1)",
    "D.Normal(0.0, -1.0)", "D.Normal(lib.tensor([0.0, float('nan')]), 1.0)",
    "D.Bernoulli(probs=lib.tensor([1.5]))", "D.Bernoulli(probs=lib.tensor([0.5])).log_prob(lib.tensor([0.5]))",
])
def test_argument_and_value_errors_match_torch(call):
    messages = []
    for lib in (torch, minigrad):
        with pytest.raises(ValueError) as caught:
            eval(call, {"D": lib.distributions, "lib": lib})
        messages.append(str(caught.value))
    assert messages[1] == messages[0].replace("torch.", "minigrad.")


def test_validation_can_be_turned_off_as_in_torch():
    dist = minigrad.distributions.Normal(0.0, -1.0, validate_args=False)
    assert math.isnan(dist.log_prob(minigrad.tensor(0.0)).item())
