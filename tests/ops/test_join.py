"""cat, stack, split, chunk, unbind against torch: values, one gradient per input, views, errors."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_module_error

DTYPES = ["float64", "float32"]


def lib(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


CASES = [
    ("cat_dim0", [(2, 3), (4, 3), (1, 3)], lambda a, b, c: lib(a).cat([a, b, c])),
    ("cat_dim1", [(2, 3), (2, 1)], lambda a, b: lib(a).cat((a, b), dim=1)),
    ("cat_negative_dim", [(2, 3, 2), (2, 3, 4)], lambda a, b: lib(a).cat([a, b], -1)),
    ("cat_same_input_twice", [(2, 3)], lambda a: lib(a).cat([a, a * 2, a], 0)),
    ("cat_one", [(2, 3)], lambda a: lib(a).cat([a])),
    ("cat_legacy_empty", [(2, 3)], lambda a: lib(a).cat([a, lib(a).zeros(0, dtype=a.dtype), a], 1)),
    ("concat", [(2, 3), (2, 3)], lambda a, b: lib(a).concat([a, b], 1)),
    ("cat_views", [(3, 4)], lambda a: lib(a).cat([a[:, :2].t(), a.t()[1:]], 0)),
    ("stack_dim0", [(2, 3), (2, 3), (2, 3)], lambda a, b, c: lib(a).stack([a, b, c])),
    ("stack_dim1", [(2, 3), (2, 3)], lambda a, b: lib(a).stack((a, b), dim=1)),
    ("stack_last", [(2, 3), (2, 3)], lambda a, b: lib(a).stack([a, b], dim=-1)),
    ("stack_scalars", [(), ()], lambda a, b: lib(a).stack([a, b])),
    ("hstack", [(2, 3), (2, 1)], lambda a, b: lib(a).hstack([a, b])),
    ("vstack", [(3,), (2, 3)], lambda a, b: lib(a).vstack([a, b])),
    ("split_size", [(7, 3)], lambda a: a.split(3)),
    ("split_sections", [(7, 3)], lambda a: a.split([1, 4, 2])),
    ("split_dim1", [(2, 7)], lambda a: lib(a).split(a, 2, dim=1)),
    ("split_zero_section", [(4, 3)], lambda a: a.split([0, 4], 0)),
    ("chunk_even", [(6, 2)], lambda a: a.chunk(3)),
    ("chunk_uneven", [(5, 2)], lambda a: a.chunk(4)),       # 3 chunks of 2, 2, 1, as torch
    ("chunk_more_than_size", [(2, 3)], lambda a: a.chunk(5, dim=1)),
    ("chunk_function", [(2, 7)], lambda a: lib(a).chunk(a, 2, -1)),
    ("unbind", [(3, 2)], lambda a: a.unbind()),
    ("unbind_dim1", [(2, 3, 4)], lambda a: lib(a).unbind(a, 1)),
    ("unbind_1d", [(4,)], lambda a: a.unbind(0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[case[0] for case in CASES])
def test_join_op_matches_torch(name, shapes, fn, dtype):
    assert_matches_torch(fn, shapes, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_only_some_split_outputs_used_matches_torch(dtype):
    """Unused outputs of a multi-output node get zero gradient."""
    assert_matches_torch(lambda a: a.split(2)[1] * 3, [(5, 3)], dtype=dtype)
    assert_matches_torch(lambda a: a.chunk(3, 1)[0].exp() + a.chunk(3, 1)[2], [(2, 6)], dtype=dtype)
    assert_matches_torch(lambda a: a.unbind(1)[2].tanh(), [(2, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gates_split_and_recombined_like_an_lstm_matches_torch(dtype):
    def fn(x, weight, cell):
        gates = x @ weight
        i, f, g, o = gates.chunk(4, 1)
        cell = f.sigmoid() * cell + i.sigmoid() * g.tanh()
        hidden = o.sigmoid() * cell.tanh()
        return lib(x).stack([hidden, cell]), lib(x).cat([hidden, cell], 1)
    assert_matches_torch(fn, [(2, 3), (3, 8), (2, 2)], dtype=dtype)


def test_cat_backward_gives_one_gradient_per_input():
    a = minigrad.ones(2, 3, requires_grad=True)
    b = minigrad.ones(1, 3, requires_grad=True)
    c = minigrad.cat([a, b])
    weights = minigrad.arange(9.0).view(3, 3)
    (c * weights).sum().backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [[0, 1, 2], [3, 4, 5]])
    numpy.testing.assert_array_equal(b.grad.numpy(), [[6, 7, 8]])
    assert len(c.grad_fn.next_functions) == 2


def test_cat_and_stack_promote_dtypes_as_torch():
    for make in (lambda m: m.cat([m.zeros(2), m.zeros(2, dtype=m.int64)]),
                 lambda m: m.cat([m.zeros(2, dtype=m.float64), m.zeros(2)]),
                 lambda m: m.stack([m.zeros(2, dtype=m.int32), m.zeros(2, dtype=m.bool)])):
        assert make(minigrad).dtype.name == str(make(torch).dtype)[6:]


def test_split_outputs_are_views_sharing_the_version_counter():
    base = minigrad.zeros(6, 2)
    for pieces in (base.split(2), base.chunk(3), base.unbind(0)):
        for piece in pieces:
            assert piece._version_counter is base._version_counter
    first = base.split(2)[0]
    base.add_(1)
    assert first.numpy().min() == 1.0


def test_chunk_of_an_empty_dim_gives_chunks_empty_pieces_as_torch():
    assert [tuple(p.shape) for p in minigrad.zeros(2, 0).chunk(3, 1)] == \
        [tuple(p.shape) for p in torch.zeros(2, 0).chunk(3, 1)]
    assert [tuple(p.shape) for p in minigrad.zeros(0).split(2)] == \
        [tuple(p.shape) for p in torch.zeros(0).split(2)]
    # torch chunks an empty dim with split_with_sizes: its pieces' node, and so the name in the
    # error of a write to their base, is SplitWithSizes (fuzz seed 175971)
    names = [[type(p.grad_fn).__name__ if lib is torch else p.grad_fn.name()
              for p in (lib.zeros(0, 3, requires_grad=True) * 1).chunk(3, 0)] for lib in (torch, minigrad)]
    assert names[0] == names[1] == ["SplitWithSizesBackward0"] * 3


def test_iterating_a_tensor_unbinds_it():
    x = minigrad.arange(6.0).view(3, 2)
    rows = list(x)
    assert len(rows) == 3 and rows[2].tolist() == [4.0, 5.0]


# ---- errors ---------------------------------------------------------------------------------
BAD_INPUTS = [
    ("cat_sizes", lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 4)], 0)),
    ("cat_sizes_dim1", lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 4)], 1)),
    ("cat_third_tensor", lambda m: m.cat([m.zeros(2, 3), m.zeros(1, 3), m.zeros(2, 2)], 0)),
    ("cat_ndim", lambda m: m.cat([m.zeros(2, 3), m.zeros(3)], 1)),
    ("cat_empty_list", lambda m: m.cat([], 1)),
    ("cat_dim_range", lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3)], 2)),
    ("stack_sizes", lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 4)], 0)),
    ("stack_empty", lambda m: m.stack([], 0)),
    ("stack_dim_range", lambda m: m.stack([m.zeros(2), m.zeros(2)], 2)),
    ("split_sections_sum", lambda m: m.split(m.zeros(12), [5, 5])),
    ("split_zero", lambda m: m.split(m.zeros(6), 0)),
    ("chunk_zero", lambda m: m.chunk(m.zeros(6), 0)),
    ("unbind_dim_range", lambda m: m.zeros(2, 3).unbind(2)),
    ("unbind_scalar", lambda m: m.tensor(1.0).unbind(-1)),            # dim -1 named as 0
    ("unbind_scalar_range", lambda m: m.tensor(1.0).unbind(3)),
]


@pytest.mark.parametrize("name,fn", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_torch_error(name, fn):
    assert_same_module_error(fn)


def test_cat_error_names_the_sizes_and_the_tensor():
    message = assert_same_module_error(lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 4)], 0))
    assert message == ("Sizes of tensors must match except in dimension 0. Expected size 3 but got "
                       "size 4 for tensor number 1 in the list.")


def test_stack_error_names_both_shapes():
    message = assert_same_module_error(lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 4)], 0))
    assert "[2, 3]" in message and "[2, 4]" in message


@pytest.mark.cuda
def test_cat_across_devices_names_both_devices():
    with pytest.raises(RuntimeError, match=r"cuda:0.*cpu|cpu.*cuda:0"):
        minigrad.cat([minigrad.zeros(2, device="cuda"), minigrad.zeros(2)])
