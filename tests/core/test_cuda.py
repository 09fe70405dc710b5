"""The CUDA backend end to end: each case runs on the GPU through CuPy and is compared
with the same work on the CPU (which the rest of the suite ties to torch).

Every test here is marked ``cuda`` and skips where CuPy sees no GPU (CI has none).
On a GPU machine: ``python -m pytest tests/core/test_cuda.py``.
"""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

pytestmark = pytest.mark.cuda

TOLERANCE = dict(rtol=1e-9, atol=1e-10)     # float64 on both devices


def _pair(shape, seed=0, requires_grad=True):
    """The same float64 values as a CPU tensor and a CUDA tensor."""
    values = numpy.random.default_rng(seed).standard_normal(shape)
    cpu = minigrad.tensor(values, requires_grad=requires_grad)
    cuda = minigrad.tensor(values, device="cuda", requires_grad=requires_grad)
    return cpu, cuda


def _close(cuda_tensor, cpu_tensor):
    assert cuda_tensor.device.type == "cuda"
    numpy.testing.assert_allclose(cuda_tensor.cpu().detach().numpy(), cpu_tensor.detach().numpy(),
                                  **TOLERANCE)


OPS = {
    "arithmetic": lambda a, b: ((a * b - a / (b.abs() + 1)) ** 2).sum(),
    "unary": lambda a, b: (a.exp() + b.tanh() + a.sigmoid() * b.relu() + (a.abs() + 1).log()).sum(),
    "erf": lambda a, b: a.erf().sum() + b.sum(),
    "softmax": lambda a, b: (a.softmax(dim=1) * b).sum() + a.log_softmax(dim=0).sum(),
    "matmul": lambda a, b: (a @ b.T).sum(),
    "reductions": lambda a, b: a.max(dim=1).values.sum() + b.var() + a.amax() + b.norm(),
    "indexing": lambda a, b: a[[0, 2, 2], 1:].sum() + b[b > 0].sum() + a.gather(1, minigrad.zeros(
        4, 1, dtype=minigrad.int64, device=a.device)).sum(),
    "shape_join": lambda a, b: minigrad.cat([a, b], 0).view(2, -1).transpose(0, 1).sum()
    + minigrad.stack([a, b]).mean(),
    "cumulative": lambda a, b: a.cumsum(1).sum() + b.cumprod(0).sum() + a.flip(1).cumsum(0).sum(),
    "sorting": lambda a, b: a.sort(dim=1).values[:, :2].sum() + b.topk(2, dim=1).values.sum()
    + a.median(dim=0).values.sum(),
    "where_scatter": lambda a, b: minigrad.where(a > 0, a, b).sum() + a.scatter_add(
        1, (b.detach().abs() * 2).long().clamp(max=4), b).sum() + a.index_select(0, _index(a, [3, 0])).sum(),
    "losses": lambda a, b: F.cross_entropy(a, _index(a, [0, 4, 2, 1])) + F.mse_loss(a, b)
    + F.binary_cross_entropy_with_logits(a, b.sigmoid()) + F.smooth_l1_loss(a, b)
    + F.nll_loss(a.log_softmax(1), _index(a, [1, -100, 3, 0]), ignore_index=-100),
    "embedding_pad": lambda a, b: F.embedding(_index(a, [[0, 3], [2, 2]]), a).sum()
    + F.pad(b.view(1, 4, 5), (1, 2)).sum() + F.interpolate(b.view(1, 4, 5), scale_factor=2).sum(),
    "newer_maths": lambda a, b: (a.log10().nan_to_num() + b.exp2() + a.erfc() + (a.sigmoid() * 0.9).erfinv()
                                 + a.sigmoid().logit(eps=0.01) + minigrad.xlogy(a.abs(), b.abs() + 1)
                                 + minigrad.logaddexp2(a, b) + a.sinc() + a.deg2rad()).sum(),
    "newer_scans": lambda a, b: a.cummax(1).values.sum() + b.cummin(0).values.sum() + a.logcumsumexp(1).sum()
    + minigrad.nansum(a) + minigrad.nanmean(b, 0).sum() + minigrad.aminmax(a, dim=1).max.sum(),
    "newer_shapes": lambda a, b: minigrad.take_along_dim(a, _index(a, [[0], [2], [1], [4]]), 1).sum()
    + minigrad.take(b, _index(b, [3, 7])).sum() + minigrad.rot90(a, 1, [0, 1])[0].sum()
    + minigrad.tensor_split(b, 2, 1)[1].sum() + minigrad.column_stack([a, b]).mean(),
    # rows whose sums overflow and rows of 3 values take torch's CPU order, run on the host for a GPU array
    "layer_norm_at_risk": lambda a, b: F.layer_norm(a * 1e307, (5,)).sum() + (F.layer_norm(
        b.view(-1, 4)[:, :3], (3,)) * b.view(-1, 4)[:, 1:]).sum(),
}


def _index(like, values):
    return minigrad.tensor(values, dtype=minigrad.int64, device=like.device)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_forward_and_backward_match_the_cpu(name):
    a_cpu, a_cuda = _pair((4, 5), seed=1)
    b_cpu, b_cuda = _pair((4, 5), seed=2)
    out_cpu, out_cuda = OPS[name](a_cpu, b_cpu), OPS[name](a_cuda, b_cuda)
    _close(out_cuda, out_cpu)
    out_cpu.backward()
    out_cuda.backward()
    _close(a_cuda.grad, a_cpu.grad)
    _close(b_cuda.grad, b_cpu.grad)


def test_moving_between_devices_is_differentiable():
    x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    y = (x.cuda() * 2).cpu().sum()
    y.backward()
    assert x.grad.device.type == "cpu"
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="cuda:0 and cpu|cpu and cuda:0"):
        minigrad.ones(2, device="cuda") + minigrad.ones(2)


def test_manual_seed_repeats_gpu_draws():
    minigrad.manual_seed(3)
    first = minigrad.randn(5, device="cuda").tolist()
    minigrad.manual_seed(3)
    assert minigrad.randn(5, device="cuda").tolist() == first


def _module_pair(make):
    minigrad.manual_seed(0)
    cpu = make().double()
    cuda = make().double()
    cuda.load_state_dict(cpu.state_dict())
    return cpu, cuda.to("cuda")


MODULES = {
    "linear": (lambda: nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.LayerNorm(8)), (5, 6)),
    "lstm": (lambda: nn.LSTM(6, 7, num_layers=2, bidirectional=True, batch_first=True), (3, 4, 6)),
    "gru": (lambda: nn.GRU(6, 7, num_layers=2), (4, 3, 6)),
    "rnn": (lambda: nn.RNN(6, 7, nonlinearity="relu"), (4, 3, 6)),
    "transformer": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(
        6, 2, dim_feedforward=16, dropout=0.0, batch_first=True), num_layers=2), (3, 4, 6)),
    "conv1d_batchnorm": (lambda: nn.Sequential(nn.Conv1d(6, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                                               nn.MaxPool1d(2), nn.Flatten(), nn.LayerNorm(16)), (3, 6, 8)),
    "conv2d_groupnorm": (lambda: nn.Sequential(nn.Conv2d(6, 4, 3, padding=1), nn.GroupNorm(2, 4),
                                               nn.AvgPool2d(2), nn.Conv2d(4, 2, 1), nn.Flatten()), (2, 6, 5, 5)),
    "attention": (lambda: _SelfAttention(6, 2), (3, 4, 6)),
    "newer_losses": (lambda: _NewerLosses(), (5, 6)),
    "cells": (lambda: _Cells(6, 7), (3, 6)),
}


class _SelfAttention(nn.Module):
    def __init__(self, features, heads):
        super().__init__()
        self.attention = nn.MultiheadAttention(features, heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x)[0]


class _NewerLosses(nn.Module):
    """The margin and likelihood losses on a Linear's output (a module, so the GPU test runs them)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 6)

    def forward(self, x):
        y = self.linear(x)
        signs = (x[:, :1] > 0).to(x.dtype) * 2 - 1
        return (F.margin_ranking_loss(y[:, 0], y[:, 1], signs[:, 0]) + F.hinge_embedding_loss(y, signs)
                + F.soft_margin_loss(y, signs.expand(-1, 6)) + F.cosine_embedding_loss(y, x, signs[:, 0])
                + F.triplet_margin_loss(y, x, x.flip(0)) + F.poisson_nll_loss(y, x.abs())
                + F.gaussian_nll_loss(y, x, x.abs() + 0.1) + F.multilabel_soft_margin_loss(y, x.sigmoid()))


class _Cells(nn.Module):
    def __init__(self, features, hidden):
        super().__init__()
        self.lstm, self.gru = nn.LSTMCell(features, hidden), nn.GRUCell(hidden, hidden)

    def forward(self, x):
        return self.gru(self.lstm(x)[0])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_matches_the_cpu(name, fused):
    make, shape = MODULES[name]
    cpu, cuda = _module_pair(make)
    x_cpu, x_cuda = _pair(shape, seed=4)
    with minigrad.backends.fused_rnn.flags(enabled=fused):
        out_cpu, out_cuda = cpu(x_cpu), cuda(x_cuda)
    first = (lambda out: out[0] if isinstance(out, tuple) else out)
    loss_cpu, loss_cuda = (first(out_cpu) ** 2).sum(), (first(out_cuda) ** 2).sum()
    _close(loss_cuda, loss_cpu)
    loss_cpu.backward()
    loss_cuda.backward()
    _close(x_cuda.grad, x_cpu.grad)
    for (name_cpu, p_cpu), (_, p_cuda) in zip(cpu.named_parameters(), cuda.named_parameters()):
        assert p_cuda.grad.device.type == "cuda", name_cpu
        _close(p_cuda.grad, p_cpu.grad)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_state_lives_on_the_parameter_device(optimizer):
    cpu, cuda = _module_pair(lambda: nn.Linear(4, 3))
    options = dict(lr=0.1, momentum=0.9) if optimizer in ("SGD", "RMSprop") else dict(lr=0.1)
    for model in (cpu, cuda):
        opt = getattr(minigrad.optim, optimizer)(model.parameters(), **options)
        x = minigrad.ones(2, 4, dtype=minigrad.float64, device=model.weight.device)
        for _ in range(3):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
    _close(cuda.weight, cpu.weight)


def test_dataloader_yields_device_tensors():
    dataset = minigrad.utils.data.TensorDataset(minigrad.arange(10.0), minigrad.arange(10))
    for inputs, targets in minigrad.utils.data.DataLoader(dataset, batch_size=4, device="cuda"):
        assert inputs.device.type == "cuda" and targets.device.type == "cuda"
