"""``generator=`` is honoured wherever it is accepted: torch's reproducibility contract.

The contract, checked on torch first so the test states what torch does:
two draws from identically seeded generators are equal; a draw from a generator
leaves the global generator untouched; two generators are independent streams.
"""
import pytest
import torch

import minigrad
from minigrad.nn import init


def _tensor_fillers(lib):
    nn_init = lib.nn.init
    return {
        "Tensor.uniform_": lambda t, g: t.uniform_(-1, 1, generator=g),
        "Tensor.normal_": lambda t, g: t.normal_(0, 1, generator=g),
        "init.uniform_": lambda t, g: nn_init.uniform_(t, generator=g),
        "init.normal_": lambda t, g: nn_init.normal_(t, generator=g),
        "init.trunc_normal_": lambda t, g: nn_init.trunc_normal_(t, generator=g),
        "init.xavier_uniform_": lambda t, g: nn_init.xavier_uniform_(t, generator=g),
        "init.xavier_normal_": lambda t, g: nn_init.xavier_normal_(t, generator=g),
        "init.kaiming_uniform_": lambda t, g: nn_init.kaiming_uniform_(t, generator=g),
        "init.kaiming_normal_": lambda t, g: nn_init.kaiming_normal_(t, generator=g),
        "init.orthogonal_": lambda t, g: nn_init.orthogonal_(t, generator=g),
    }


def _factories(lib):
    return {
        "rand": lambda g: lib.rand(4, 5, generator=g),
        "randn": lambda g: lib.randn(4, 5, generator=g),
        "randint": lambda g: lib.randint(0, 100, (4, 5), generator=g),
        "randperm": lambda g: lib.randperm(20, generator=g),
        "normal": lambda g: lib.normal(lib.zeros(4, 5), 1.0, generator=g),
        "bernoulli": lambda g: lib.bernoulli(lib.full((4, 5), 0.5), generator=g),
        "multinomial": lambda g: lib.multinomial(lib.ones(4, 5), 3, generator=g),
    }


def _draw_with(lib, draw, seed):
    return draw(lib.Generator().manual_seed(seed))


def _contract_holds(lib, draw):
    """Same seed -> same draws; the global stream is untouched; other seeds differ."""
    lib.manual_seed(0)
    expected_global = lib.rand(3)
    lib.manual_seed(0)
    first = _draw_with(lib, draw, 7)
    second = _draw_with(lib, draw, 7)
    other = _draw_with(lib, draw, 8)
    global_after = lib.rand(3)
    return (bool((first == second).all()), bool((global_after == expected_global).all()),
            bool((first != other).any()))


@pytest.mark.parametrize("name", list(_tensor_fillers(torch)))
def test_initializers_and_in_place_fills_honour_generator_as_torch(name):
    def make_draw(lib):
        fill = _tensor_fillers(lib)[name]
        return lambda g: fill(lib.empty(6, 5), g).clone()
    assert _contract_holds(torch, make_draw(torch)) == (True, True, True)
    assert _contract_holds(minigrad, make_draw(minigrad)) == (True, True, True)


@pytest.mark.parametrize("name", list(_factories(torch)))
def test_random_factories_and_sampling_honour_generator_as_torch(name):
    assert _contract_holds(torch, _factories(torch)[name]) == (True, True, True)
    assert _contract_holds(minigrad, _factories(minigrad)[name]) == (True, True, True)


def test_two_generators_are_independent_streams():
    first, second = minigrad.Generator().manual_seed(1), minigrad.Generator().manual_seed(1)
    a1 = minigrad.rand(5, generator=first)
    minigrad.rand(100, generator=second)           # advancing one stream ...
    a2 = minigrad.rand(5, generator=first)
    fresh = minigrad.Generator().manual_seed(1)
    minigrad.rand(5, generator=fresh)
    assert minigrad.equal(a2, minigrad.rand(5, generator=fresh))   # ... does not move the other
    assert not minigrad.equal(a1, a2)


def test_random_split_and_samplers_take_a_minigrad_generator():
    from minigrad.utils.data import RandomSampler, random_split
    parts = [random_split(range(10), [5, 5], generator=minigrad.Generator().manual_seed(3))
             for _ in range(2)]
    assert [list(p.indices) for p in parts[0]] == [list(p.indices) for p in parts[1]]
    orders = [list(RandomSampler(range(10), generator=minigrad.Generator().manual_seed(4))) for _ in range(2)]
    assert orders[0] == orders[1]


def test_init_generator_leaves_global_draws_as_without_it():
    minigrad.manual_seed(5)
    init.uniform_(minigrad.empty(3), generator=minigrad.Generator().manual_seed(9))
    after = minigrad.rand(2)
    minigrad.manual_seed(5)
    assert minigrad.equal(after, minigrad.rand(2))
