"""repr(tensor) is torch's, character for character, with "minigrad." for "torch."."""
import numpy
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import minigrad
from minigrad.core import printing as _print
from tests.conftest import DEVICES

rng = numpy.random.default_rng(0)

CASES = {
    "float_ints": numpy.array([1.0, 2.0, 3.0], numpy.float32),
    "four_decimals": numpy.array([0.1, 0.2], numpy.float32),
    "zero_dim": numpy.array(3.5, numpy.float32),
    "zero_dim_int_valued": numpy.array(3.0, numpy.float32),
    "zero_dim_zero": numpy.array(0.0, numpy.float32),
    "zero_dim_negative_zero": numpy.array(-0.0, numpy.float32),
    "zero_dim_nan": numpy.array(numpy.nan, numpy.float32),
    "zero_dim_int": numpy.array(5),
    "zero_dim_bool": numpy.array(True),
    "zero_dim_float64": numpy.array(-3.25),
    "bool": numpy.array([True, False]),
    "bool_2d": numpy.array([[True], [False]]),
    "int64": numpy.array([1, 2, 300]),
    "int64_negative": numpy.array([-1, 20, -300]),
    "int32_2d": numpy.array([[1, -2], [3, 4]], numpy.int32),
    "uint8": numpy.array([1, 2, 255], numpy.uint8),
    "int8": numpy.array([-1, 2], numpy.int8),
    "int16": numpy.array([-1, 2], numpy.int16),
    "float16": numpy.array([1.5, 2.25], numpy.float16),
    "float64": numpy.array([0.5, -1.25]),
    "matrix": rng.standard_normal((3, 4)).astype(numpy.float32),
    "cube_float64": rng.standard_normal((2, 3, 4)),
    "four_dims": rng.standard_normal((2, 2, 2, 2)).astype(numpy.float32),
    "size_one_dims": numpy.ones((1, 1, 3), numpy.float32),
    "sci_small": numpy.array([1e-5, 1.0], numpy.float32),
    "sci_large": numpy.array([1e9, 1.0]),
    "sci_exactly_1e8": numpy.array([1e8, 1.0]),
    "sci_ratio": numpy.array([[1e-3, 2e-3], [5.0, 6.0]]),
    "sci_int_mode": numpy.array([1e10, 2e10], numpy.float32),
    "fixed_wide": numpy.array([123456.789, 1000.0], numpy.float32),
    "ratio_just_below_1000": numpy.array([999.0, 1.5], numpy.float32),
    "ratio_scaled": rng.standard_normal((5, 1, 7)).astype(numpy.float32) * 1000,
    "tiny": rng.standard_normal(12) * 1e-8,
    "all_zero": numpy.zeros(2, numpy.float32),
    "nonfinite": numpy.array([numpy.nan, 1.0, numpy.inf, -numpy.inf], numpy.float32),
    "nonfinite_fraction": numpy.array([numpy.nan, 1.5, -numpy.inf], numpy.float32),
    "only_nonfinite": numpy.array([numpy.inf, numpy.nan], numpy.float32),
    "negative_zero": numpy.array([-0.0, 1.0], numpy.float32),
    "wraps_at_80": rng.standard_normal(30).astype(numpy.float32),
    "wraps_ints": numpy.arange(100),
    "wraps_sci": rng.standard_normal(30) * 1e-6,
    "wraps_inside_matrix": rng.standard_normal((2, 25)).astype(numpy.float32),
    "summarized_vector": numpy.arange(2000, dtype=numpy.float32),
    "summarized_matrix": numpy.arange(2000).reshape(40, 50),
    "summarized_square": rng.standard_normal((100, 100)).astype(numpy.float32),
    "summarized_cube": rng.standard_normal((20, 30, 40)),
    "summarized_one_long_dim": rng.standard_normal((2, 600)).astype(numpy.float32),
    "summarized_short_first_dim": rng.standard_normal((1001, 1)).astype(numpy.float32),
    "threshold_exactly_1000": numpy.arange(1000, dtype=numpy.float32),
    "threshold_1001": numpy.full(1001, 7),
    "summarized_sci": numpy.arange(40).reshape(2, 4, 5) * 1e5,
    "summarized_bool": numpy.arange(2000) % 3 == 0,
    "empty": numpy.zeros((0,), numpy.float32),
    "empty_float64": numpy.zeros((0,)),
    "empty_int": numpy.zeros((0,), numpy.int64),
    "empty_2d": numpy.zeros((2, 0), numpy.float32),
    "empty_3d_half": numpy.zeros((2, 0, 3), numpy.float16),
    "int_3d": numpy.arange(24).reshape(2, 3, 4),
}


def torch_repr(array, requires_grad=False):
    result = torch.from_numpy(array.copy())
    if requires_grad:
        result.requires_grad_(True)
    return repr(result).replace("torch.", "minigrad.")


def minigrad_repr(array, requires_grad=False):
    result = minigrad.from_numpy(array.copy())
    if requires_grad:
        result.requires_grad_(True)
    return repr(result)


@pytest.mark.parametrize("name", CASES)
def test_repr_matches_torch(name):
    assert minigrad_repr(CASES[name]) == torch_repr(CASES[name])


@pytest.mark.parametrize("name", [name for name, array in CASES.items()
                                  if array.dtype.kind == "f" and array.size])
def test_repr_with_requires_grad_matches_torch(name):
    assert minigrad_repr(CASES[name], True) == torch_repr(CASES[name], True)


@pytest.mark.parametrize("name", ["float_ints", "zero_dim", "matrix", "sci_large", "sci_ratio",
                                  "summarized_matrix", "float64"])
def test_repr_with_grad_fn_matches_torch(name):
    array = CASES[name].astype(numpy.float64 if name != "float_ints" else numpy.float32)
    ours = minigrad.from_numpy(array.copy()).requires_grad_() * 2
    theirs = torch.from_numpy(array.copy()).requires_grad_() * 2
    assert repr(ours) == repr(theirs).replace("torch.", "minigrad.")


@pytest.mark.parametrize("write", ["setitem", "setitem of a view", "copy_", "circular pad"])
def test_repr_names_a_torch_autograd_node_by_its_class_as_torch(write):
    # torch prints type(grad_fn).__name__: CopySlices, CopyBackwards, whose name() has a
    # torch::autograd:: prefix (minigrad printed the prefix, and wrapped the line for it)
    def run(lib):
        x = lib.ones(2, 3, dtype=lib.float64, requires_grad=True) * 1
        if write == "setitem":
            x[0] = 5.0
        elif write == "setitem of a view":
            x[:, 1][0] = 5.0
        elif write == "copy_":
            x = lib.zeros(2, 3, dtype=lib.float64).copy_(x)
        else:
            x = lib.nn.functional.pad(x[None], (1, 1), mode="circular")
        return repr(x).replace("torch.", "minigrad.")
    assert run(minigrad) == run(torch)


def test_suffix_wraps_to_a_new_line_where_torch_wraps():
    # float64 suffix: torch measures "torch.float64", so the break must fall at the same place
    array = numpy.array([2e9, 2.0])
    ours = repr(minigrad.tensor(array, requires_grad=True) * 1)
    theirs = repr(torch.tensor(array, requires_grad=True) * 1).replace("torch.", "minigrad.")
    assert ours == theirs
    assert "\n" not in theirs


def test_examples_from_the_issue():
    assert repr(minigrad.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(minigrad.tensor([0.1, 0.2])) == "tensor([0.1000, 0.2000])"
    assert repr(minigrad.tensor([True, False])) == "tensor([ True, False])"
    assert repr(minigrad.tensor(3.5)) == "tensor(3.5000)"
    assert repr(minigrad.tensor([1.0], dtype=minigrad.float64)) == "tensor([1.], dtype=minigrad.float64)"
    assert repr(minigrad.tensor([[1.0, 2.0]], requires_grad=True)) == \
        "tensor([[1., 2.]], requires_grad=True)"
    x = minigrad.tensor([1.0], requires_grad=True)
    assert repr(x * x) == "tensor([1.], grad_fn=<MulBackward0>)"


def test_str_is_repr_and_print_works(capsys):
    x = minigrad.tensor([[1, 2], [3, 4]])
    print(x)
    assert capsys.readouterr().out == str(torch.tensor([[1, 2], [3, 4]])) + "\n"


def test_default_dtype_decides_the_dtype_suffix():
    minigrad.set_default_dtype(minigrad.float64)
    try:
        assert repr(minigrad.tensor([1.5])) == "tensor([1.5000])"
        assert repr(minigrad.tensor([1.5], dtype=minigrad.float32)) == \
            "tensor([1.5000], dtype=minigrad.float32)"
    finally:
        minigrad.set_default_dtype(minigrad.float32)


@pytest.mark.parametrize("options", [dict(precision=2), dict(threshold=5), dict(edgeitems=1, threshold=5),
                                     dict(linewidth=40), dict(sci_mode=True), dict(sci_mode=False),
                                     dict(profile="short"), dict(edgeitems=0, threshold=5)])
def test_print_options_match_torch(options):
    arrays = [CASES["matrix"], CASES["wraps_at_80"], CASES["sci_small"], numpy.arange(10),
              CASES["cube_float64"]]
    expected, actual = [], []
    try:
        torch.set_printoptions(**options)
        minigrad.set_printoptions(**options)
        for array in arrays:
            expected.append(torch_repr(array))
            actual.append(minigrad_repr(array))
    finally:
        torch.set_printoptions(profile="default")
        minigrad.set_printoptions(profile="default")
    assert actual == expected


def test_printoptions_context_restores():
    with _print.printoptions(precision=1):
        assert repr(minigrad.tensor([0.25])) == "tensor([0.2])"
    assert repr(minigrad.tensor([0.25])) == "tensor([0.2500])"


def test_large_tensor_prints_fast_and_summarized():
    big = minigrad.zeros(1000, 1000)
    text = repr(big)
    assert "..." in text and text.count("\n") < 10


def test_subclass_prints_its_class_name():
    class Special(minigrad.Tensor):
        pass
    special = Special([1.0, 2.0])
    assert repr(special) == "Special([1., 2.])"


@pytest.mark.parametrize("device", DEVICES)
def test_device_suffix(device):
    x = minigrad.tensor([1.0, 2.0], device=device)
    expected = "tensor([1., 2.])" if device == "cpu" else "tensor([1., 2.], device='cuda:0')"
    assert repr(x) == expected


@st.composite
def printable_arrays(draw):
    """Arrays of every dtype and up to 4 dimensions; floats at any scale, with nan/inf/-0."""
    dtype = draw(st.sampled_from([numpy.float32, numpy.float64, numpy.float16, numpy.int64, numpy.int32,
                                  numpy.bool_, numpy.uint8]))
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    if numpy.dtype(dtype).kind != "f":
        return draw(arrays(dtype, shape))
    width = 16 if dtype is numpy.float16 else 32
    values = draw(arrays(dtype, shape, elements=st.floats(-10, 10, width=width, allow_nan=False)))
    scale = draw(st.sampled_from([1e-12, 1e-6, 1e-3, 1.0, 1e3, 1e6, 1e12]))
    with numpy.errstate(over="ignore", invalid="ignore"):
        values = numpy.asarray(numpy.asarray(values, dtype=numpy.float64) * scale).astype(dtype)
    if draw(st.booleans()):
        values = numpy.asarray(numpy.round(values))       # integer-valued floats print as "1."
    if values.size and draw(st.booleans()):
        values.flat[0] = draw(st.sampled_from([numpy.nan, numpy.inf, -numpy.inf, -0.0]))
    return values


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(printable_arrays(), st.booleans())
def test_repr_property_matches_torch(array, requires_grad):
    requires_grad = requires_grad and array.dtype.kind == "f"
    assert minigrad_repr(array, requires_grad) == torch_repr(array, requires_grad)
