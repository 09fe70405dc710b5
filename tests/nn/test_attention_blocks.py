"""The tutorials' hand-written attention blocks (examples/attention_blocks.py) on minigrad and torch.

The example file is loaded twice, once as written (``import minigrad as
torch``) and once on real torch; each block gets torch's weights and the same
inputs, and outputs, input gradients and parameter gradients must agree in
float64.
"""
import importlib.util
import pathlib

import numpy
import pytest
import torch

import minigrad
from _attention_parity import assert_module_matches, load_torch_weights, random

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "attention_blocks.py"


def _load(library, monkeypatch):
    if library == "torch":
        monkeypatch.setenv("ATTENTION_BLOCKS_LIBRARY", "torch")
    else:
        monkeypatch.delenv("ATTENTION_BLOCKS_LIBRARY", raising=False)
    spec = importlib.util.spec_from_file_location(f"attention_blocks_on_{library}", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def blocks():
    """(minigrad version, torch version) of the example module."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours = _load("minigrad", monkeypatch)
        theirs = _load("torch", monkeypatch)
    assert ours.torch is minigrad and theirs.torch is torch
    return ours, theirs


def _pair(blocks, name, *args):
    ours_module, theirs_module = blocks
    torch.manual_seed(0)
    theirs = getattr(theirs_module, name)(*args).double()
    ours = getattr(ours_module, name)(*args).double()
    load_torch_weights(ours, theirs)
    return ours, theirs


def test_dot_product_attention_over_encoder_outputs_matches_torch(blocks):
    ours, theirs = _pair(blocks, "DotProductAttention")
    _, their_out = assert_module_matches(ours, theirs, lambda m, h, outputs: m(h, outputs),
                                         [random(3, 6), random(3, 5, 6, seed=1)])
    numpy.testing.assert_allclose(their_out[1].detach().numpy().sum(1), 1.0)


def test_gru_attention_classifier_matches_torch(blocks):
    ours, theirs = _pair(blocks, "GRUAttentionClassifier", 20, 8, 16, 3)
    tokens = numpy.random.default_rng(0).integers(0, 20, (4, 7))
    assert_module_matches(ours, theirs, lambda m, tokens: m(tokens), [tokens])


@pytest.mark.parametrize("mask", [None, "causal", "batched"])
def test_self_attention_matches_torch(blocks, mask):
    ours, theirs = _pair(blocks, "SelfAttention", 8)
    if mask == "causal":
        mask = numpy.tril(numpy.ones((5, 5)))
    elif mask == "batched":
        mask = (numpy.random.default_rng(1).random((2, 5, 5)) > 0.5).astype(numpy.int64)
        mask[:, :, 0] = 1
    assert_module_matches(ours, theirs, lambda m, x, *mask: m(x, *mask),
                          [random(2, 5, 8)] + ([] if mask is None else [mask]))


@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_matches_torch(blocks, cross, masked):
    ours, theirs = _pair(blocks, "MultiHeadAttention", 8, 4)
    query = random(2, 5, 8)
    memory = random(2, 7, 8, seed=1) if cross else query
    mask = numpy.tril(numpy.ones((5, 7 if cross else 5), dtype=numpy.int64)) if masked else None
    arrays = [query, memory] + ([mask] if masked else [])
    assert_module_matches(ours, theirs, lambda m, q, kv, *mask: m(q, kv, kv, *mask), arrays)


def test_multi_head_attention_block_equals_nn_multihead_attention(blocks):
    """The hand-written block is nn.MultiheadAttention with batch_first and separate q/k/v weights."""
    ours_module, _ = blocks
    minigrad.manual_seed(0)
    block = ours_module.MultiHeadAttention(8, 2).double()
    mha = minigrad.nn.MultiheadAttention(8, 2, batch_first=True, dtype=minigrad.float64)
    with minigrad.no_grad():
        mha.in_proj_weight.copy_(minigrad.cat([block.W_q.weight, block.W_k.weight, block.W_v.weight]))
        mha.in_proj_bias.copy_(minigrad.cat([block.W_q.bias, block.W_k.bias, block.W_v.bias]))
        mha.out_proj.weight.copy_(block.W_o.weight)
        mha.out_proj.bias.copy_(block.W_o.bias)
    x = minigrad.tensor(random(3, 4, 8))
    expected, _ = mha(x, x, x)
    numpy.testing.assert_allclose(block(x, x, x).detach().numpy(), expected.detach().numpy(),
                                  rtol=1e-12, atol=1e-12)


def test_transformer_block_with_positional_encoding_matches_torch(blocks):
    ours, theirs = _pair(blocks, "TransformerBlock", 8, 2, 16, 0.0)
    ours_pe, theirs_pe = _pair(blocks, "PositionalEncoding", 8, 32)
    mask = numpy.tril(numpy.ones((6, 6)))
    assert_module_matches(ours_pe, theirs_pe, lambda m, x: m(x), [random(2, 6, 8)])
    assert_module_matches(ours, theirs, lambda m, x, mask: m(x, mask), [random(2, 6, 8), mask])


def test_example_runs(blocks, capsys):
    blocks[0].main([])
    printed = capsys.readouterr().out
    assert "TransformerBlock: output (2, 5, 8)" in printed


def test_example_compares_itself_with_torch(blocks, capsys):
    """``--compare``: the example's own check that its TransformerBlock gives torch's numbers."""
    differences = blocks[0].main(["--compare", "--seed", "3"])
    assert differences["output"] < 1e-12 and differences["gradients"] < 1e-12
    assert "largest difference" in capsys.readouterr().out


def test_example_compare_catches_a_wrong_block(blocks, monkeypatch, capsys):
    """The comparison can fail: a block whose LayerNorm is skipped differs from torch's."""
    ours = blocks[0]
    monkeypatch.setattr(ours.TransformerBlock, "forward",
                        lambda self, x, mask=None: x + self.self_attn(x, x, x, mask))
    differences = ours.main(["--compare"])
    assert differences["output"] > 1e-3
