"""A list or a torch tensor where a minigrad Tensor belongs: torch's TypeError, and for a torch tensor a way out."""
import numpy
import pytest
import torch

import minigrad
from minigrad import nn

CONVERT = "minigrad.interop.from_torch"


def torch_error(call):
    with pytest.raises(TypeError) as error:
        call()
    return str(error.value)


@pytest.mark.parametrize("make_call", [
    lambda lib: lambda: lib.nn.Linear(2, 2)([1.0, 2.0]),
    lambda lib: lambda: lib.nn.Linear(2, 2)(numpy.ones(2, dtype=numpy.float32)),
    lambda lib: lambda: lib.nn.functional.linear((1.0, 2.0), lib.ones(2, 2)),
    lambda lib: lambda: lib.tanh([1.0]),
    lambda lib: lambda: lib.tanh(numpy.ones(2)),
    lambda lib: lambda: lib.matmul(lib.ones(2), [1.0, 2.0]),
    lambda lib: lambda: lib.abs((1, 2)),
], ids=["linear_list", "linear_ndarray", "F_linear_tuple", "tanh_list", "tanh_ndarray", "matmul_list", "abs_tuple"])
def test_a_non_tensor_gets_torchs_message(make_call):
    expected = torch_error(make_call(torch))
    with pytest.raises(TypeError) as ours:
        make_call(minigrad)()
    assert str(ours.value) == expected


@pytest.mark.parametrize("call", [
    lambda: minigrad.ones(2) + torch.ones(2),
    lambda: torch.ones(2) + minigrad.ones(2),
    lambda: minigrad.ones(2) * torch.ones(2),
    lambda: minigrad.tanh(torch.ones(2)),
    lambda: minigrad.matmul(minigrad.ones(2), torch.ones(2)),
    lambda: nn.Linear(2, 2)(torch.ones(2)),
], ids=["add", "radd", "mul", "tanh", "matmul", "linear"])
def test_a_torch_tensor_is_named_with_its_library_and_how_to_convert(call):
    with pytest.raises(TypeError) as error:
        call()
    message = str(error.value)
    assert "torch.Tensor (a PyTorch tensor" in message and "minigrad.Tensor" in message
    assert CONVERT in message and "minigrad.interop.to_torch" in message


def test_the_advice_works():
    from minigrad.interop import from_torch
    assert (minigrad.ones(2) + from_torch(torch.ones(2))).tolist() == [2.0, 2.0]


def test_other_operands_keep_the_short_message():
    with pytest.raises(TypeError, match="unsupported operand type for a Tensor op: list$"):
        minigrad.ones(2) + [1.0, 2.0]
