"""Empty tensors against torch: softmax and friends over a size-0 dim, attention on an empty
sequence, Embedding/Conv1d/Linear/BatchNorm on empty batches, cat with 1-D empty tensors."""
import warnings

import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch


def library(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


def outcomes(action):
    """``action(lib)`` for torch and minigrad: its result as text, or its error."""
    results = []
    for lib in (torch, minigrad):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Initializing zero-element tensors is a no-op"
            try:
                results.append(repr(action(lib)).replace("torch.", "minigrad."))
            except Exception as error:
                results.append(f"{type(error).__name__}: {error}".replace("torch.", "minigrad."))
    return results


def assert_same(action):
    theirs, ours = outcomes(action)
    assert ours == theirs


def shape_of(tensor):
    return tuple(tensor.shape)


# ---- softmax, log_softmax, logsumexp over a size-0 dim ----------------------------------------
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax_family_on_empty_tensors_matches_torch(op, dim):
    assert_matches_torch(lambda x: getattr(x, op)(dim), [(2, 0, 3)])


@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_over_an_empty_dim_is_minus_infinity(keepdim):
    assert_matches_torch(lambda x: x.logsumexp(1, keepdim=keepdim), [(3, 0)])


def test_multihead_attention_on_an_empty_sequence_matches_torch():
    def action(lib):
        attention = lib.nn.MultiheadAttention(4, 2, batch_first=True)
        query = lib.zeros(2, 0, 4, requires_grad=True)
        output, weights = attention(query, query, query)
        output.sum().backward()
        return shape_of(output), shape_of(weights), shape_of(query.grad), attention.in_proj_weight.grad.abs().sum().item()
    assert_same(action)


def test_transformer_encoder_layer_on_an_empty_sequence_matches_torch():
    def action(lib):
        layer = lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
        source = lib.zeros(2, 0, 4, requires_grad=True)
        output = layer(source)
        output.sum().backward()
        return shape_of(output), shape_of(source.grad)
    assert_same(action)


# ---- layers on empty batches ---------------------------------------------------------------
@pytest.mark.parametrize("index_shape", [(0,), (2, 0), (0, 3)])
def test_embedding_backward_on_empty_indices_matches_torch(index_shape):
    def action(lib):
        embedding = lib.nn.Embedding(5, 3)
        output = embedding(lib.zeros(index_shape, dtype=lib.int64))
        output.sum().backward()
        return shape_of(output), embedding.weight.grad.tolist()
    assert_same(action)


def test_conv1d_on_an_empty_batch_matches_torch():
    def action(lib):
        conv = lib.nn.Conv1d(2, 3, 2)
        signal = lib.zeros(0, 2, 5, requires_grad=True)
        output = conv(signal)
        output.sum().backward()
        return shape_of(output), conv.weight.grad.tolist(), conv.bias.grad.tolist(), shape_of(signal.grad)
    assert_same(action)


@pytest.mark.parametrize("in_features, batch", [(0, (4,)), (3, (0,)), (0, (2, 0)), (0, (0,))])
def test_linear_with_an_empty_dim_matches_torch(in_features, batch):
    def action(lib):
        linear = lib.nn.Linear(in_features, 3)
        features = lib.zeros(*batch, in_features, requires_grad=True)
        output = linear(features)
        output.sum().backward()
        return (shape_of(output), linear.weight.grad.tolist(), linear.bias.grad.tolist(),
                shape_of(features.grad))
    assert_same(action)


@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (0, 3)), ("BatchNorm1d", (0, 3, 4)),
                                         ("BatchNorm2d", (0, 3, 2, 2)), ("BatchNorm1d", (1, 3))])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_an_empty_batch_matches_torch(kind, shape, training):
    def action(lib):
        norm = getattr(lib.nn, kind)(3).train(training)
        batch = lib.zeros(*shape, requires_grad=True)
        output = norm(batch)
        output.sum().backward()
        return (shape_of(output), norm.weight.grad.tolist(), norm.bias.grad.tolist(),
                norm.running_mean.tolist(), norm.running_var.tolist(), norm.num_batches_tracked.item())
    assert_same(action)


# ---- cat keeps 1-D empty tensors for dtype promotion and the graph ------------------------
@pytest.mark.parametrize("empty_dtype, other_dtype", [("float64", "float32"), ("int64", "int32"),
                                                      ("float32", "int64"), ("bool", "uint8")])
@pytest.mark.parametrize("empty_first", [True, False])
def test_cat_promotes_with_a_skipped_empty_tensor_like_torch(empty_dtype, other_dtype, empty_first):
    def action(lib):
        empty = lib.zeros(0, dtype=getattr(lib, empty_dtype))
        other = lib.ones(2, 2, dtype=getattr(lib, other_dtype))
        result = lib.cat([empty, other] if empty_first else [other, empty], dim=1)
        return result.dtype, result.tolist()
    assert_same(action)


def test_cat_of_only_empty_tensors_promotes_like_torch():
    assert_same(lambda lib: lib.cat([lib.zeros(0), lib.zeros(0, dtype=lib.float64)]).dtype)


def test_cat_passes_gradients_to_a_skipped_empty_tensor_like_torch():
    def action(lib):
        empty = lib.zeros(0, dtype=lib.float64, requires_grad=True)
        other = lib.tensor(numpy.arange(4.0).reshape(2, 2), requires_grad=True)
        result = lib.cat([other, empty, other * 2])
        (result * lib.tensor(numpy.arange(8.0).reshape(4, 2))).sum().backward()
        return result.requires_grad, shape_of(empty.grad), other.grad.tolist()
    assert_same(action)


def test_cat_of_a_grad_requiring_empty_tensor_requires_grad_like_torch():
    def action(lib):
        empty = lib.zeros(0, requires_grad=True)
        result = lib.cat([empty, lib.ones(2, 2)])
        result.sum().backward()
        return result.requires_grad, shape_of(empty.grad)
    assert_same(action)


@pytest.mark.parametrize("make", ["lib.zeros(0)", "lib.ones(2, 0)", "lib.empty(0, 3)", "lib.arange(0.0)",
                                  "lib.tensor([])", "lib.randn(0, 2, 3)", "lib.zeros(2, 0, 3).sum(1)",
                                  "lib.zeros(0, 3) * 2", "lib.zeros(0, 3).exp()", "lib.zeros(3, 4)[:, 4:]",
                                  "lib.full((0, 2), 1.0).reshape(2, 0)",
                                  "lib.nn.functional.gelu(lib.zeros(0))"])
def test_an_empty_tensor_has_torchs_contiguous_strides(make):
    """NumPy 2 makes a new empty array with strides of 0; torch's empty tensor has the contiguous
    strides of its shape (a size-0 dim counting as 1): ``zeros(0, 3).stride()`` is (3, 1)."""
    strides = [eval(make, {"lib": lib}).stride() for lib in (torch, minigrad)]
    assert strides[1] == strides[0]
