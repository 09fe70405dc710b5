"""multinomial bernoulli bernoulli_ normal: shapes, dtypes, distributions (statistically), errors as torch."""
import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same_module_error


def test_multinomial_with_replacement_frequencies():
    minigrad.manual_seed(0)
    probabilities = minigrad.tensor([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25]])
    draws = minigrad.multinomial(probabilities, 20000, replacement=True)
    assert draws.shape == (2, 20000) and draws.dtype == minigrad.int64
    for row, expected in zip(draws.numpy(), probabilities.numpy()):
        frequencies = numpy.bincount(row, minlength=4) / row.size
        numpy.testing.assert_allclose(frequencies, expected, atol=0.015)
    assert not (draws[0] == 1).any().item()      # a zero weight is never drawn


def test_multinomial_weights_need_not_sum_to_one_and_1d_shape():
    minigrad.manual_seed(1)
    draws = minigrad.tensor([1.0, 3.0]).multinomial(8000, True)
    assert draws.shape == (8000,)
    assert abs(draws.float().mean().item() - 0.75) < 0.02


def test_multinomial_without_replacement_is_a_sample_of_distinct_categories():
    minigrad.manual_seed(2)
    weights = minigrad.tensor([[1.0, 2.0, 3.0, 4.0, 0.0]] * 3)
    draws = minigrad.multinomial(weights, 4)
    assert draws.shape == (3, 4) and draws.dtype == minigrad.int64
    for row in draws.tolist():
        assert sorted(row) == [0, 1, 2, 3]
    # the first draw without replacement follows the weights
    firsts = minigrad.multinomial(minigrad.tensor([[1.0, 2.0, 3.0, 4.0]] * 20000), 1)[:, 0].numpy()
    numpy.testing.assert_allclose(numpy.bincount(firsts, minlength=4) / 20000, [0.1, 0.2, 0.3, 0.4], atol=0.015)


def test_multinomial_is_repeatable_with_seed_and_generator():
    weights = minigrad.tensor([0.2, 0.3, 0.5])
    minigrad.manual_seed(5)
    first = minigrad.multinomial(weights, 10, True)
    minigrad.manual_seed(5)
    assert minigrad.multinomial(weights, 10, True).tolist() == first.tolist()
    g1, g2 = minigrad.Generator().manual_seed(3), minigrad.Generator().manual_seed(3)
    assert minigrad.multinomial(weights, 10, True, generator=g1).tolist() == \
        minigrad.multinomial(weights, 10, True, generator=g2).tolist()


@pytest.mark.parametrize("fn", [
    lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3),
    lambda m: m.multinomial(m.tensor([-1.0, 0.5]), 1),
    lambda m: m.multinomial(m.tensor([float("nan"), 0.5]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.zeros(2, 2, 2), 1),
    lambda m: m.multinomial(m.tensor([1, 2]), 1),
    lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0),
    lambda m: m.bernoulli(m.tensor([1.5])),
    lambda m: m.zeros(3).bernoulli_(1.5),
    lambda m: m.normal(m.zeros(2), -1.0),
    lambda m: m.normal(0.0, -1.0, (2,)),
    lambda m: m.normal(m.zeros(2), m.ones(3)),
])
def test_errors_match_torch(fn):
    messages = []
    for module in (minigrad, torch):
        with pytest.raises(Exception) as info:
            fn(module)
        messages.append((type(info.value), str(info.value)))
    assert messages[0][0] is messages[1][0]
    assert messages[1][1].startswith(messages[0][1])   # torch may append "(Could this error message be improved?..."


def test_bernoulli_frequencies_dtype_and_shape():
    minigrad.manual_seed(0)
    p = minigrad.tensor([[0.0, 0.2, 0.7, 1.0]], dtype=minigrad.float64).expand(10000, 4)
    draws = minigrad.bernoulli(p)
    assert draws.dtype == minigrad.float64 and draws.shape == (10000, 4)
    numpy.testing.assert_allclose(draws.mean(0).numpy(), [0.0, 0.2, 0.7, 1.0], atol=0.015)
    assert set(numpy.unique(draws.numpy())) <= {0.0, 1.0}
    assert abs(minigrad.bernoulli(minigrad.zeros(10000), 0.3).mean().item() - 0.3) < 0.015
    assert abs(minigrad.rand(10000).bernoulli().mean().item() - 0.5) < 0.02


def test_bernoulli_inplace_keeps_dtype_and_bumps_version():
    minigrad.manual_seed(0)
    x = minigrad.zeros(10000, dtype=minigrad.int64)
    version = x._version
    assert x.bernoulli_(0.25) is x
    assert x.dtype == minigrad.int64 and x._version > version
    assert abs(x.float().mean().item() - 0.25) < 0.015
    y = minigrad.zeros(2, 5000).bernoulli_(minigrad.tensor([[0.1], [0.9]]))
    numpy.testing.assert_allclose(y.mean(1).numpy(), [0.1, 0.9], atol=0.02)
    assert torch.zeros(2, dtype=torch.long).bernoulli_(0.5).dtype == torch.int64


def test_normal_forms_shapes_dtypes_and_moments():
    minigrad.manual_seed(0)
    draws = minigrad.normal(2.0, 3.0, (200, 100))
    assert draws.shape == torch.normal(2.0, 3.0, (200, 100)).shape and draws.dtype == minigrad.float32
    assert abs(draws.mean().item() - 2.0) < 0.1 and abs(draws.std().item() - 3.0) < 0.1
    mean = minigrad.zeros(4000, 3, dtype=minigrad.float64) + minigrad.tensor([-1.0, 0.0, 5.0], dtype=minigrad.float64)
    std = minigrad.tensor([0.5, 1.0, 2.0], dtype=minigrad.float64)
    draws = minigrad.normal(mean, std)
    assert draws.shape == (4000, 3) and draws.dtype == minigrad.float64
    numpy.testing.assert_allclose(draws.mean(0).numpy(), [-1.0, 0.0, 5.0], atol=0.15)
    numpy.testing.assert_allclose(draws.std(0).numpy(), [0.5, 1.0, 2.0], rtol=0.06)
    assert minigrad.normal(minigrad.zeros(5), 1.0).shape == (5,)
    assert minigrad.normal(0.0, minigrad.ones(2, 3)).shape == (2, 3)


def test_normal_records_zero_gradients_as_torch():
    for module in (minigrad, torch):
        mean = module.zeros(3, requires_grad=True)
        std = module.ones(3, requires_grad=True)
        out = module.normal(mean, std)
        assert out.requires_grad
        (out * 2).sum().backward()
        assert mean.grad.tolist() == [0.0, 0.0, 0.0] and std.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("weights", [[float("inf"), -1.0], [-1.0, float("inf")], [0.0, 0.0], [1.0, float("nan")],
                                     [[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [-1.0, 1.0]], [[1.0, 1.0], [1.0, -2.0]]])
@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_refuses_bad_weights_with_torchs_message_for_each_path(weights, replacement):
    """With replacement torch checks each row in turn, its elements one by one (NaN fails ``>= 0``) and
    then its sum, each with its own message; without, one message for every bad element."""
    assert_same_module_error(lambda lib: lib.multinomial(lib.tensor(weights), 2, replacement))
