"""``nn.EmbeddingBag`` and ``F.embedding_bag`` against torch: every mode with and without padding,
offsets (empty bags, include_last_offset), 2-D input, per_sample_weights, scale_grad_by_freq,
max_norm, the second derivative, a text classifier's training step, and torch's errors."""
import numpy
import pytest
import torch

import minigrad
from _higher_order import assert_second_order_matches_torch
from _nn_parity import assert_same_error, check_module, make_pair

TOKENS = numpy.array([1, 2, 7, 7, 3, 0, 9, 4, 4, 4, 5])
OFFSETS = numpy.array([0, 2, 2, 5, 6])          # bags of 2, 0 (empty), 3, 1 and 5 indices
BAG_OF = numpy.array([0, 0, 2, 2, 2, 3, 4, 4, 4, 4, 4])    # each token's bag under OFFSETS


class _Bags:
    """``module(tokens, offsets)`` as one call of the parity helpers (their inputs are arrays)."""

    def __init__(self, module, offsets):
        self.module, self.offsets = module, offsets

    def named_parameters(self):
        return self.module.named_parameters()

    def __call__(self, tokens, *weights):
        lib = minigrad if isinstance(tokens, minigrad.Tensor) else torch
        return self.module(tokens, lib.tensor(self.offsets), *weights)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4, -3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_bag_with_offsets_matches_torch(mode, padding_idx, dtype):
    """Values and the weight's gradient under a random weighting; an empty bag is zeros; padding is
    left out (of a mean's count too); max sends each column's gradient to the bag's first maximum."""
    ours, theirs = make_pair("EmbeddingBag", 10, 4, mode=mode, padding_idx=padding_idx, dtype=dtype)
    check_module(_Bags(ours, OFFSETS), _Bags(theirs, OFFSETS), [TOKENS], requires_grad=[False])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_of_a_2d_batch_and_with_include_last_offset_matches_torch(mode):
    ours, theirs = make_pair("EmbeddingBag", 10, 3, mode=mode)
    check_module(ours, theirs, [numpy.array([[1, 2, 2, 0], [9, 9, 3, 4], [5, 6, 7, 8]])], requires_grad=[False])
    ours, theirs = make_pair("EmbeddingBag", 10, 3, mode=mode, include_last_offset=True)
    check_module(_Bags(ours, OFFSETS), _Bags(theirs, OFFSETS), [TOKENS], requires_grad=[False])


@pytest.mark.parametrize("padding_idx", [None, 7])
def test_per_sample_weights_get_their_gradient_as_torch(padding_idx):
    ours, theirs = make_pair("EmbeddingBag", 10, 4, mode="sum", padding_idx=padding_idx)
    weights = numpy.random.default_rng(3).uniform(-1, 1, TOKENS.shape)
    check_module(_Bags(ours, OFFSETS), _Bags(theirs, OFFSETS), [TOKENS, weights], requires_grad=[False, True])


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_max_norm_renormalises_the_used_rows_as_torch(mode):
    ours, theirs = make_pair("EmbeddingBag", 10, 4, mode=mode, max_norm=1.0)
    check_module(_Bags(ours, OFFSETS), _Bags(theirs, OFFSETS), [TOKENS], requires_grad=[False])
    numpy.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_divides_by_each_rows_count_as_torchs_embedding(mode):
    """Each row's gradient divided by how often the row occurs in the batch, as torch documents and
    as its ``F.embedding`` does.  torch's CPU embedding_bag divides the k-th distinct row (in sorted
    order) by the count of the k-th *sorted index* instead (``counts[indices[i]]`` for the group
    ``i``): in [0, 1, 1, 2] row 2 gets 0.5.  minigrad computes the documented gradient, so the
    reference is embedding's, summed (or averaged) per bag."""
    weight = numpy.random.default_rng(1).standard_normal((10, 4))
    grads = []
    for lib in (torch, minigrad):
        table = lib.tensor(weight, requires_grad=True)
        if lib is torch:
            rows = torch.nn.functional.embedding(torch.tensor(TOKENS), table, scale_grad_by_freq=True)
            bags = torch.zeros(5, 4, dtype=table.dtype).index_add(0, torch.tensor(BAG_OF), rows)
            if mode == "mean":
                bags = bags / torch.bincount(torch.tensor(BAG_OF), minlength=5).clamp(min=1)[:, None]
        else:
            bags = lib.nn.functional.embedding_bag(lib.tensor(TOKENS), table, lib.tensor(OFFSETS), mode=mode,
                                                   scale_grad_by_freq=True)
        (bags * lib.tensor(numpy.arange(20.0).reshape(5, 4))).sum().backward()
        grads.append(table.grad.numpy())
    numpy.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def _bags_composed_in_torch(weight, per_sample, mode):
    """torch's embedding_bag has no second derivative ("the derivative for '_embedding_bag_backward' is
    not implemented"): the same bags made of ops that have one, as the reference."""
    rows = torch.nn.functional.embedding(torch.tensor(TOKENS), weight)
    index = torch.tensor(BAG_OF)
    if mode == "max":
        start = torch.full((5, weight.shape[1]), -torch.inf, dtype=weight.dtype)
        peaks = start.scatter_reduce(0, index[:, None].expand_as(rows), rows, "amax")
        return torch.where(torch.isinf(peaks), 0.0, peaks)
    if per_sample is not None:
        rows = rows * per_sample[:, None]
    bags = torch.zeros(5, weight.shape[1], dtype=weight.dtype).index_add(0, index, rows)
    if mode == "mean":
        bags = bags / torch.bincount(index, minlength=5).clamp(min=1)[:, None]
    return bags


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_second_derivative_matches_torch_composed(mode):
    """The gradient of the gradient (weight and per_sample_weights), where torch's own op has none."""
    def fn(lib, weight, per_sample):
        per_sample = per_sample if mode == "sum" else None
        if lib is torch:
            bags = _bags_composed_in_torch(weight, per_sample, mode)
        else:
            bags = lib.nn.functional.embedding_bag(lib.tensor(TOKENS), weight, lib.tensor(OFFSETS), mode=mode,
                                                   per_sample_weights=per_sample)
        return (bags ** 3).sum(1) * (weight ** 2).sum()
    assert_second_order_matches_torch(fn, [(10, 3), TOKENS.shape], grad_mask=[True, mode == "sum"])


def test_a_text_classifier_trains_as_torch():
    """A bag-of-tokens classifier (EmbeddingBag, Linear, cross-entropy, SGD) as in torch's text
    classification tutorial, written here: three steps, the same losses and weights."""
    rng = numpy.random.default_rng(0)
    batches = [(rng.integers(0, 50, 23), numpy.array([0, 4, 9, 9, 15]), rng.integers(0, 3, 5)) for _ in range(3)]
    losses, tables = [], []
    torch.manual_seed(0)
    models = {torch: (torch.nn.EmbeddingBag(50, 8), torch.nn.Linear(8, 3)),
              minigrad: (minigrad.nn.EmbeddingBag(50, 8), minigrad.nn.Linear(8, 3))}
    for ours, theirs in zip(models[minigrad], models[torch]):
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for lib in (torch, minigrad):
        bag, linear = models[lib]
        optimizer = lib.optim.SGD([*bag.parameters(), *linear.parameters()], lr=0.5)
        run = []
        for tokens, offsets, labels in batches:
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(linear(bag(lib.tensor(tokens), lib.tensor(offsets))),
                                                   lib.tensor(labels))
            loss.backward()
            optimizer.step()
            run.append(loss.item())
        losses.append(run)
        tables.append(bag.weight.detach().numpy())
    numpy.testing.assert_allclose(losses[1], losses[0], rtol=1e-6)
    numpy.testing.assert_allclose(tables[1], tables[0], rtol=1e-5, atol=1e-6)


def test_embedding_bag_module_repr_and_from_pretrained_match_torch():
    for options in ({}, {"mode": "max", "padding_idx": -1, "max_norm": 1.0, "norm_type": 1.0},
                    {"scale_grad_by_freq": True, "include_last_offset": True}):
        assert str(minigrad.nn.EmbeddingBag(5, 4, **options)) == str(torch.nn.EmbeddingBag(5, 4, **options))
    table = numpy.arange(6.0).reshape(3, 2)
    shown = []
    for lib in (torch, minigrad):
        bag = lib.nn.EmbeddingBag.from_pretrained(lib.tensor(table), mode="sum")
        shown.append((str(bag), bag.weight.requires_grad, bag(lib.tensor([[0, 2], [1, 1]])).tolist()))
    assert shown[1] == shown[0]


F = "lib.nn.functional.embedding_bag"


@pytest.mark.parametrize("call", [
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([1]))",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0, 3]))",
    f"{F}(lib.tensor([1, 9]), w, lib.tensor([0]))",
    f"{F}(lib.tensor([1, -1]), w, lib.tensor([0]))",
    f"{F}(lib.tensor([1.0, 2.0]), w, lib.tensor([0]))",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), mode='min')",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), mode='max', scale_grad_by_freq=True)",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), mode='mean', per_sample_weights=lib.ones(2))",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), per_sample_weights=lib.ones(3))",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), mode='sum', per_sample_weights=lib.ones(2).double())",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([0]), padding_idx=5)",
    f"{F}(lib.tensor([1, 2]), w)",
    f"{F}(lib.tensor([[1, 2]]), w, lib.tensor([0]))",
    f"{F}(lib.tensor([1, 2]), w, lib.tensor([[0]]))",
    f"{F}(lib.tensor([[[1, 2]]]), w)",
    f"{F}(lib.tensor([1, 2]), lib.zeros(5), lib.tensor([0]))",
    "lib.nn.EmbeddingBag(5, 3, padding_idx=5)",
    "lib.nn.EmbeddingBag.from_pretrained(lib.zeros(3))",
])
def test_embedding_bag_errors_match_torch(call):
    def action(lib):
        return eval(call, {"lib": lib, "w": lib.zeros(5, 3)})
    assert_same_error(lambda: action(minigrad), lambda: action(torch))
