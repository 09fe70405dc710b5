"""Random numbers: one global generator (manual_seed) and independent Generators, as torch."""
import minigrad
from minigrad.utils.data import random_split


def test_manual_seed_repeats_draws():
    minigrad.manual_seed(7)
    first = minigrad.randn(5).tolist(), minigrad.rand(3).tolist(), minigrad.randperm(6).tolist()
    minigrad.manual_seed(7)
    second = minigrad.randn(5).tolist(), minigrad.rand(3).tolist(), minigrad.randperm(6).tolist()
    assert first == second
    assert minigrad.initial_seed() == 7


def test_generator_is_independent_of_the_global_stream():
    generator = minigrad.Generator().manual_seed(42)
    first = minigrad.randn(4, generator=generator).tolist()
    minigrad.randn(10)                                   # global draws do not disturb it
    generator.manual_seed(42)
    assert minigrad.randn(4, generator=generator).tolist() == first
    assert generator.initial_seed() == 42


def test_generator_drives_random_split_as_in_torch_tutorials():
    splits = [random_split(range(10), [3, 7], generator=minigrad.Generator().manual_seed(42))
              for _ in range(2)]
    assert [list(s) for s in splits[0]] == [list(s) for s in splits[1]]
    assert sorted(list(splits[0][0]) + list(splits[0][1])) == list(range(10))
