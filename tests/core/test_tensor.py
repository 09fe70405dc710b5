"""The Tensor API against torch: attributes, conversions, interop, and the issue's idiom."""
import copy

import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same, run_both
from tests.conftest import DEVICES

DTYPES = ["float64", "float32"]


# ---- what a tensor is ---------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: lib.zeros(2, 3).size(),
    lambda lib: lib.zeros(2, 3).size(1),
    lambda lib: lib.zeros(2, 3).size(-2),
    lambda lib: lib.zeros(2, 3).size(2),
    lambda lib: lib.zeros(()).size(0),
    lambda lib: lib.zeros(2, 3).shape,
    lambda lib: (lib.zeros(2, 3).dim(), lib.zeros(2, 3).ndim, lib.zeros(()).dim()),
    lambda lib: (lib.zeros(2, 3).numel(), lib.numel(lib.zeros(4)), lib.zeros(2, 3).nelement()),
    lambda lib: (lib.zeros(0, 3).numel(), lib.zeros(()).numel()),
    lambda lib: (lib.ones(2, 3).element_size(), lib.ones(2, dtype=lib.float64).element_size()),
    lambda lib: (lib.ones(2).is_floating_point(), lib.ones(2, dtype=lib.int64).is_floating_point()),
    lambda lib: (lib.ones(2).dtype, lib.ones(2).device, str(lib.ones(2).device), lib.ones(2).is_cuda),
    lambda lib: (lib.ones(2).is_leaf, lib.ones(2).requires_grad, lib.ones(2).grad, lib.ones(2).grad_fn),
    lambda lib: len(lib.ones(4, 2)),
    lambda lib: len(lib.tensor(1.0)),
    lambda lib: (lib.is_tensor(lib.ones(1)), lib.is_tensor(1.0)),
    lambda lib: (lib.float32.is_floating_point, lib.int64.is_floating_point, lib.float32.itemsize),
    lambda lib: lib.get_default_dtype(),
], ids=["size", "size_dim", "size_negative", "size_out_of_range", "size_0d", "shape", "dim", "numel",
        "numel_empty", "element_size", "is_floating_point", "dtype_device", "autograd_attributes",
        "len", "len_0d", "is_tensor", "dtype_attributes", "default_dtype"])
def test_attributes_match_torch(action):
    assert_same(action)


def test_size_is_a_tuple_with_torch_repr():
    size = minigrad.zeros(2, 3).shape
    assert isinstance(size, tuple) and size == (2, 3) and size == minigrad.Size([2, 3])
    assert repr(size) == "minigrad.Size([2, 3])" and str(size) == "minigrad.Size([2, 3])"
    assert repr(size[1:]) == "minigrad.Size([3])" and size[0] == 2
    assert repr(size + (4,)) == "minigrad.Size([2, 3, 4])"
    assert minigrad.Size([2, 3, 4]).numel() == 24 and minigrad.Size([]).numel() == 1


# ---- leaving minigrad -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: (lib.tensor(2.5).item(), lib.tensor([7]).item(), lib.tensor([[True]]).item()),
    lambda lib: lib.tensor([1, 2]).item(),
    lambda lib: (lib.tensor([[1.5, 2.0]]).tolist(), lib.tensor(3).tolist(), lib.tensor([True]).tolist()),
    lambda lib: [type(value).__name__ for value in lib.tensor([1.5, 2]).tolist() + lib.tensor([1]).tolist()],
    lambda lib: lib.ones(2, requires_grad=True).numpy(),
    lambda lib: lib.ones(2, requires_grad=True).detach().numpy(),
    lambda lib: (float(lib.tensor([2.5])), int(lib.tensor(3.7)), bool(lib.tensor([0.0]))),
    lambda lib: bool(lib.ones(2)),
    lambda lib: [1, 2, 3][lib.tensor(1)],
    lambda lib: [1, 2, 3][lib.tensor(1.0)],
    lambda lib: f"{lib.tensor(2.34567):.2f}",
    lambda lib: list(lib.tensor([1.0, 2.0])),
    lambda lib: [t.tolist() for t in lib.tensor([[1, 2], [3, 4]])],
], ids=["item", "item_many", "tolist", "tolist_types", "numpy_requires_grad", "numpy", "float_int_bool",
        "bool_ambiguous", "index", "index_float", "format", "iterate", "iterate_rows"])
def test_conversions_match_torch(action):
    assert_same(action)


def test_numpy_shares_memory():
    x = minigrad.ones(2)
    x.numpy()[0] = 5.0
    assert x.tolist() == [5.0, 1.0]


def test_array_protocol():
    x = minigrad.tensor([[1.0, 2.0]])
    assert numpy.asarray(x).dtype == numpy.float32 and numpy.array(x).shape == (1, 2)
    assert numpy.asarray(x, dtype=numpy.float64).dtype == numpy.float64
    assert (numpy.float64(2.0) * x).tolist() == [[2.0, 4.0]]     # __array_priority__: the tensor wins


def test_dlpack_both_ways():
    x = minigrad.tensor([1.0, 2.0])
    shared = numpy.from_dlpack(x)
    shared[0] = 9.0
    assert x.tolist() == [9.0, 2.0]
    assert torch.from_dlpack(x).tolist() == [9.0, 2.0]
    source = torch.arange(3.0)
    from_torch = minigrad.from_dlpack(source)
    source[1] = 7.0
    assert from_torch.tolist() == [0.0, 7.0, 2.0] and from_torch.dtype == minigrad.float32
    from_numpy = minigrad.from_dlpack(numpy.arange(3))
    assert from_numpy.dtype == minigrad.int64
    with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
        numpy.from_dlpack(minigrad.ones(2, requires_grad=True))


# ---- copies, dtypes and devices -----------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: lib.ones(2).to(lib.float64),
    lambda lib: lib.ones(2).to("cpu"),
    lambda lib: lib.ones(2).to("cpu", lib.int64),
    lambda lib: lib.ones(2).to(device="cpu", dtype=lib.float16),
    lambda lib: lib.ones(2).to(lib.ones(1, dtype=lib.int32)),
    lambda lib: lib.ones(2, requires_grad=True).to(lib.float64),
    lambda lib: lib.ones(2, requires_grad=True).to(lib.int64),
    lambda lib: lib.ones(2, requires_grad=True).to(lib.float32, copy=True),
    lambda lib: [lib.ones(2).float().dtype, lib.ones(2).double().dtype, lib.ones(2).long().dtype,
                 lib.ones(2).int().dtype, lib.ones(2).bool().dtype, lib.ones(2).half().dtype,
                 lib.ones(2).byte().dtype],
    lambda lib: (lib.tensor([1.7, -1.7]).long(), lib.tensor([1.7, -1.7]).int()),
    lambda lib: lib.tensor([0.0, 2.0, -0.5]).bool(),
    lambda lib: lib.ones(2).type_as(lib.ones(1, dtype=lib.int64)),
    lambda lib: lib.ones(2, requires_grad=True).type_as(lib.ones(1, dtype=lib.float64)),
    lambda lib: (lib.ones(2).type(), lib.ones(2, dtype=lib.float64).type(), lib.ones(2).type(lib.int64)),
    lambda lib: (lib.ones(2).requires_grad_(), lib.ones(2).requires_grad_(False)),
    lambda lib: lib.ones(2, requires_grad=True).clone(),
    lambda lib: lib.ones(2).cpu(),
    lambda lib: (lib.ones(2).new_zeros(3), lib.ones(2, dtype=lib.int64).new_ones((2,)),
                 lib.ones(2).new_full((2,), 3.0), lib.ones(2).new_tensor([1, 2])),
], ids=["to_dtype", "to_device", "to_device_dtype", "to_keywords", "to_tensor", "to_grad",
        "to_int_grad", "to_copy", "shorthands", "truncation", "bool", "type_as", "type_as_grad",
        "type", "requires_grad_", "clone", "cpu", "new_factories"])
def test_copies_and_casts_match_torch(action):
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_float_beyond_int32_casts_to_uint8_through_int64_as_torch(dtype):
    """fuzz seed 160162: torch converts a float to uint8 through int64, wrapping modulo 256
    (195729609428.8 gives 212); NumPy's cast went through int32 (0 from 2 ** 31 up)."""
    values = [195729609428.83878, 2.0 ** 31 + 300, -3.7, 255.9, 1e10 + 77, 5e18, -2.0 ** 40 - 5]
    assert_same(lambda lib: (lib.tensor(values, dtype=getattr(lib, dtype)).byte().tolist(),
                             lib.tensor(values, dtype=getattr(lib, dtype)).to(lib.uint8).tolist()))


def test_to_returns_self_when_nothing_changes():
    x = minigrad.ones(2)
    assert x.to(minigrad.float32) is x and x.to("cpu") is x and x.float() is x
    assert x.to(minigrad.float32, copy=True) is not x


def test_clone_owns_its_memory_and_passes_gradients():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not y.is_leaf and y.grad_fn.name() == "CloneBackward0"
    assert not numpy.shares_memory(x.array, y.array)
    (y * 3.0).backward(minigrad.ones(2))
    assert x.grad.tolist() == [3.0, 3.0]


def test_casts_are_differentiable_and_keep_float_gradients():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 2.0
    y.backward(minigrad.ones(2, dtype=minigrad.float64))
    assert x.grad.dtype == minigrad.float32 and x.grad.tolist() == [2.0, 2.0]


def test_requires_grad_returns_self():
    x = minigrad.ones(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf


@pytest.mark.parametrize("device", DEVICES)
def test_device_round_trip(device):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    moved = x.to(device)
    assert moved.device == minigrad.device(device)
    assert (moved * 2.0).cpu().tolist() == [2.0, 4.0]
    (moved * 2.0).to("cpu").backward(minigrad.ones(2))
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.cuda
def test_cuda_tensor_repr_numpy_and_item():
    x = minigrad.tensor([1.5, 2.5]).cuda()
    assert x.is_cuda and str(x.device) == "cuda:0"
    assert repr(x) == "tensor([1.5000, 2.5000], device='cuda:0')"
    assert x.type() == "minigrad.cuda.FloatTensor"
    assert x.tolist() == [1.5, 2.5] and x[0].item() == 1.5
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        x.numpy()
    assert numpy.asarray(x.cpu()).tolist() == [1.5, 2.5]


def test_device_objects():
    assert repr(minigrad.device("cpu")) == repr(torch.device("cpu"))
    assert repr(minigrad.device("cuda:0")) == repr(torch.device("cuda:0"))
    assert repr(minigrad.device("cuda", 1)) == repr(torch.device("cuda", 1))
    assert str(minigrad.device("cuda")) == "cuda:0"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        minigrad.device("tpu")


# ---- the issue's idiom, with `import minigrad as torch` ----------------------------------------
def issue_idiom(library, requires_grad):
    torch = library   # noqa: F841 - the idiom is written against the name `torch`
    x = torch.Tensor([1, 2, 3]).view(3, 1)
    if requires_grad:
        x.requires_grad_()
    y = (x @ x.T).softmax(dim=1)
    y[0, 1].backward()
    return x, y


def test_issue_idiom_matches_torch():
    ours, their = issue_idiom(minigrad, True), issue_idiom(torch, True)
    numpy.testing.assert_allclose(ours[1].detach().numpy(), their[1].detach().numpy(), rtol=1e-6)
    numpy.testing.assert_allclose(ours[0].grad.numpy(), their[0].grad.numpy(), rtol=1e-5, atol=1e-7)
    assert repr(ours[1]) == repr(their[1]).replace("torch.", "minigrad.")


def test_issue_idiom_without_requires_grad_raises_as_torch():
    expected, actual = run_both(lambda lib: issue_idiom(lib, False))
    assert actual == expected and expected.startswith("RuntimeError: element 0 of tensors does not")


# ---- .grad assignment, copies ------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(3)),
    lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", [1.0, 2.0]),
    lambda lib: bool(lib.ones(0)),
], ids=["grad_size", "grad_type", "bool_empty"])
def test_errors_match_torch(action):
    assert_same(action)


def test_grad_of_another_dtype_is_refused():
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype"):
        minigrad.ones(2, requires_grad=True).grad = minigrad.ones(2, dtype=minigrad.float64)


def test_grad_can_be_assigned_and_cleared():
    x = minigrad.ones(2, requires_grad=True)
    x.grad = minigrad.full((2,), 3.0)
    (x * 2.0).backward(minigrad.ones(2))
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad = None
    assert x.grad is None


def test_deepcopy_of_a_leaf_copies_values_flag_and_grad():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        x.grad = library.tensor([0.5, 0.5])
        y = copy.deepcopy(x)
        assert y.requires_grad and y.is_leaf and y.tolist() == [1.0, 2.0]
        assert y.grad.tolist() == [0.5, 0.5] and y.grad is not x.grad
        with library.no_grad():
            y.add_(1.0)
        assert x.tolist() == [1.0, 2.0]
    expected, actual = run_both(lambda lib: copy.deepcopy(lib.ones(2, requires_grad=True) * 2))
    assert expected.startswith(actual) and "graph leaves" in actual   # torch adds a weight_norm hint


VIEWS = {"plain": lambda x: x, "t": lambda x: x.t(), "slice": lambda x: x[:, ::2], "column": lambda x: x[:, 1:2],
         "rows": lambda x: x[1:], "expand": lambda x: x.unsqueeze(0).expand(2, 3, 4), "empty": lambda x: x[:0],
         "scalar": lambda x: x[0, 0], "unsqueeze": lambda x: x.unsqueeze(1)}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_stride_contiguity_and_sizes_match_torch(view):
    ours, theirs = VIEWS[view](minigrad.zeros(3, 4)), VIEWS[view](torch.zeros(3, 4))
    assert ours.is_contiguous() == theirs.is_contiguous()
    if view != "empty":     # torch's strides of an empty slice are arbitrary
        assert ours.stride() == theirs.stride()
    assert (ours.nbytes, ours.itemsize, ours.is_complex()) == (theirs.nbytes, theirs.itemsize, False)
    if ours.dim():
        assert ours.stride(-1) == theirs.stride(-1)


def test_itemsize_per_dtype():
    for name in ("float64", "int64", "int32", "bool", "float16", "uint8"):
        ours, theirs = minigrad.zeros(2, dtype=getattr(minigrad, name)), torch.zeros(2, dtype=getattr(torch, name))
        assert (ours.itemsize, ours.nbytes) == (theirs.itemsize, theirs.nbytes)
