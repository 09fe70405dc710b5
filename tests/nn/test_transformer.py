"""nn.TransformerEncoderLayer / TransformerEncoder / Transformer and PositionalEncoding against torch.

torch's weights are loaded into minigrad (so the state_dict names are checked
too); outputs and every gradient agree in float64 with dropout 0 or in eval
mode.  Gradients are on, so torch runs its reference path, not its fast path.
"""
import math

import numpy
import pytest
import torch

import minigrad
from _attention_parity import (as_pair, assert_module_matches, assert_same_error, load_torch_weights,
                            random)

# torch's note that its nested-tensor fast path is off (minigrad has none)
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def make_pair(name, *args, **options):
    """The same torch.nn.<name> in both libraries, float64, torch's weights in minigrad."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64, **options)
    ours = getattr(minigrad.nn, name)(*args, dtype=minigrad.float64, **options)
    load_torch_weights(ours, theirs)
    return ours, theirs


def _layer_call(**options):
    def call(layer, src, src_mask=None, src_key_padding_mask=None):
        return layer(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask, **options)
    return call


def _masks(kind, batch, length, seed=3):
    """(src_mask, src_key_padding_mask); bool masks are True where attention is barred."""
    rng = numpy.random.default_rng(seed)
    padding = rng.random((batch, length)) > 0.6
    padding[:, 0] = False
    causal = numpy.triu(numpy.full((length, length), -numpy.inf), 1)
    return {
        "none": (None, None),
        "causal float": (causal, None),
        "bool src_mask": (rng.random((length, length)) > 0.7, None),
        "float src_mask": (rng.standard_normal((length, length)), None),
        "bool padding": (None, padding),
        "float padding": (None, numpy.where(padding, -numpy.inf, 0.0)),
        "bool both": (numpy.triu(numpy.ones((length, length), dtype=bool), 1), padding),
        "float both": (causal, numpy.where(padding, -1e4, 0.0)),
    }[kind]


# ---- TransformerEncoderLayer ------------------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first):
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                             activation=activation, norm_first=norm_first, batch_first=batch_first)
    src_mask, padding = _masks("bool both", 3, 5)
    src = random(3, 5, 8) if batch_first else random(5, 3, 8)
    assert_module_matches(ours, theirs, _layer_call(), [src, src_mask, padding])


@pytest.mark.parametrize("mask_kind", ["none", "causal float", "bool src_mask", "float src_mask",
                                       "bool padding", "float padding", "bool both", "float both"])
def test_encoder_layer_masks_match_torch(mask_kind):
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 4, dim_feedforward=16, dropout=0.0)
    src_mask, padding = _masks(mask_kind, 2, 6)
    assert_module_matches(ours, theirs, _layer_call(), [random(6, 2, 8), src_mask, padding])


def test_encoder_layer_callable_activation_matches_torch():
    """A callable activation: each library's own tanh, applied in the feed-forward block."""
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=torch.tanh, dtype=torch.float64)
    ours = minigrad.nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=minigrad.tanh,
                                               dtype=minigrad.float64)
    load_torch_weights(ours, theirs)
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu == 0
    assert_module_matches(ours, theirs, _layer_call(), [random(4, 2, 8)])


def test_encoder_layer_module_activation_is_a_submodule_as_in_torch():
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.GELU())
    ours = minigrad.nn.TransformerEncoderLayer(8, 2, 16, activation=minigrad.nn.GELU())
    assert str(ours) == str(theirs)
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu == 2


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_unbatched_input_matches_torch(norm_first):
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                             norm_first=norm_first)
    src_mask, padding = _masks("bool both", 1, 5)
    assert_module_matches(ours, theirs, _layer_call(), [random(5, 8), src_mask, padding[0]])


def test_encoder_layer_bias_false_and_eps_match_torch():
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                             bias=False, layer_norm_eps=1e-3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_module_matches(ours, theirs, _layer_call(), [random(4, 2, 8)])


def test_encoder_layer_eval_mode_matches_torch_and_train_mode_drops():
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.5)
    ours.eval(), theirs.eval()
    assert_module_matches(ours, theirs, _layer_call(), [random(4, 2, 8)])
    ours.train()
    src = minigrad.tensor(random(4, 2, 8))
    first, second = ours(src).detach().numpy(), ours(src).detach().numpy()
    assert not numpy.allclose(first, second)        # fresh dropout masks each call


def test_encoder_layer_dropout_statistics_in_train_mode():
    """Only dropout2 active (p=0.5, pre-norm): output - the other paths is the dropped ff branch."""
    minigrad.manual_seed(0)
    layer = minigrad.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, norm_first=True,
                                                dtype=minigrad.float64)
    layer.self_attn.dropout = 0.0
    layer.dropout.p = layer.dropout1.p = 0.0
    src = minigrad.tensor(random(40, 25, 8))
    with minigrad.no_grad():
        branch = layer(src) - src - layer._sa_block(layer.norm1(src), None, None)
    dropped = numpy.abs(branch.numpy()) < 1e-10                    # 0 up to rounding
    assert abs(dropped.mean() - 0.5) < 0.02                        # 8,000 draws: sd ~0.006


# ---- TransformerEncoder -------------------------------------------------------------------------------
@pytest.mark.parametrize("with_norm", [False, True])
@pytest.mark.parametrize("mask_kind", ["none", "causal float", "bool both"])
def test_encoder_matches_torch(with_norm, mask_kind):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype=torch.float64)
    norm = torch.nn.LayerNorm(8, dtype=torch.float64) if with_norm else None
    theirs = torch.nn.TransformerEncoder(layer, 2, norm=norm, enable_nested_tensor=False)
    our_layer = minigrad.nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype=minigrad.float64)
    our_norm = minigrad.nn.LayerNorm(8, dtype=minigrad.float64) if with_norm else None
    ours = minigrad.nn.TransformerEncoder(our_layer, 2, norm=our_norm)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    load_torch_weights(ours, theirs)
    src_mask, padding = _masks(mask_kind, 3, 5)

    def call(encoder, src, mask=None, src_key_padding_mask=None):
        return encoder(src, mask=mask, src_key_padding_mask=src_key_padding_mask)
    assert_module_matches(ours, theirs, call, [random(5, 3, 8), src_mask, padding])


def test_encoder_deep_copies_the_layer():
    layer = minigrad.nn.TransformerEncoderLayer(8, 2, 16)
    encoder = minigrad.nn.TransformerEncoder(layer, 3)
    weights = [encoder.layers[i].self_attn.in_proj_weight for i in range(3)]
    assert len({id(w) for w in weights} | {id(layer.self_attn.in_proj_weight)}) == 4
    numpy.testing.assert_array_equal(weights[0].detach().numpy(), weights[2].detach().numpy())
    with minigrad.no_grad():
        weights[0].mul_(2.0)
    assert not numpy.allclose(weights[0].detach().numpy(), weights[1].detach().numpy())
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_encoder_detects_a_causal_mask_as_torch():
    from minigrad.nn.modules.transformer import _detect_is_causal_mask
    from torch.nn.modules.transformer import _detect_is_causal_mask as torch_detect
    for size, mask in [(4, minigrad.nn.Transformer.generate_square_subsequent_mask(4)),
                       (5, minigrad.nn.Transformer.generate_square_subsequent_mask(4)),
                       (4, minigrad.zeros(4, 4)), (4, None)]:
        their_mask = None if mask is None else torch.from_numpy(mask.numpy())
        for hint in (None, True, False):
            assert _detect_is_causal_mask(mask, hint, size) == torch_detect(their_mask, hint, size)


def test_print_matches_torch():
    layer_args = (8, 2, 16)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(*layer_args, activation="gelu"),
                                         2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    ours = minigrad.nn.TransformerEncoder(minigrad.nn.TransformerEncoderLayer(*layer_args,
                                                                              activation="gelu"),
                                          2, norm=minigrad.nn.LayerNorm(8))
    assert str(ours) == str(theirs)
    assert str(minigrad.nn.Transformer(8, 2, 1, 1, 16)) == str(torch.nn.Transformer(8, 2, 1, 1, 16))


# ---- Transformer (encoder-decoder) ---------------------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(norm_first, batch_first):
    ours, theirs = make_pair("Transformer", 8, 2, 2, 1, 16, 0.0, norm_first=norm_first,
                             batch_first=batch_first)
    tgt_mask = numpy.triu(numpy.full((4, 4), -numpy.inf), 1)
    memory_padding = numpy.zeros((2, 5), dtype=bool)
    memory_padding[0, 3:] = True

    def call(model, src, tgt, tgt_mask, memory_key_padding_mask):
        return model(src, tgt, tgt_mask=tgt_mask, memory_key_padding_mask=memory_key_padding_mask,
                     src_key_padding_mask=memory_key_padding_mask)
    src, tgt = (random(2, 5, 8), random(2, 4, 8, seed=1)) if batch_first else \
        (random(5, 2, 8), random(4, 2, 8, seed=1))
    assert_module_matches(ours, theirs, call, [src, tgt, tgt_mask, memory_padding])


def test_transformer_initialises_every_matrix_xavier_uniform():
    minigrad.manual_seed(0)
    model = minigrad.nn.Transformer(16, 2, 1, 1, 32)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()     # (32, 16)
    bound = math.sqrt(6 / (16 + 32))
    assert numpy.abs(weight).max() <= bound and numpy.abs(weight).max() > 0.9 * bound


def test_generate_square_subsequent_mask_matches_torch():
    for size, dtype in [(1, None), (5, None), (4, "float64")]:
        ours = minigrad.nn.Transformer.generate_square_subsequent_mask(
            size, dtype=None if dtype is None else getattr(minigrad, dtype))
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(
            size, dtype=None if dtype is None else getattr(torch, dtype))
        assert ours.dtype.name == str(theirs.dtype)[6:]
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- errors -----------------------------------------------------------------------------------------
def test_d_model_mismatch_raises_as_torch():
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16)
    src, their_src = as_pair(random(4, 2, 6), requires_grad=False)
    assert_same_error(lambda: ours(src), lambda: theirs(their_src), AssertionError)
    ours, theirs = make_pair("Transformer", 8, 2, 1, 1, 16)
    tgt, their_tgt = as_pair(random(3, 2, 8), requires_grad=False)
    assert_same_error(lambda: ours(src, tgt), lambda: theirs(their_src, their_tgt), RuntimeError)
    other_batch, their_other_batch = as_pair(random(3, 5, 8), requires_grad=False)
    good_src, their_good_src = as_pair(random(4, 2, 8), requires_grad=False)
    assert_same_error(lambda: ours(good_src, other_batch), lambda: theirs(their_good_src, their_other_batch))


def test_bad_activation_and_heads_raise_as_torch():
    assert_same_error(lambda: minigrad.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
                      lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"), RuntimeError)
    assert_same_error(lambda: minigrad.nn.TransformerEncoderLayer(8, 3),
                      lambda: torch.nn.TransformerEncoderLayer(8, 3), AssertionError)


def test_encoder_layer_rejects_a_mask_of_the_wrong_shape_as_torch():
    ours, theirs = make_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16)
    src, their_src = as_pair(random(4, 2, 8), requires_grad=False)
    mask, their_mask = as_pair(numpy.zeros((3, 3), dtype=bool))
    assert_same_error(lambda: ours(src, src_mask=mask), lambda: theirs(their_src, src_mask=their_mask))


# ---- PositionalEncoding (a minigrad extra) --------------------------------------------------------------
def _tutorial_positional_encoding(d_model, max_len):
    """The PyTorch tutorial's table, computed with torch: pe[pos, 2i] = sin, pe[pos, 2i+1] = cos."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[:d_model // 2])
    return pe.numpy()


@pytest.mark.parametrize("d_model", [8, 7])
@pytest.mark.parametrize("batch_first", [False, True])
def test_positional_encoding_adds_the_sinusoid_table(d_model, batch_first):
    encoding = minigrad.nn.PositionalEncoding(d_model, dropout=0.0, max_len=50, batch_first=batch_first,
                                              dtype=minigrad.float64)
    table = _tutorial_positional_encoding(d_model, 50)
    numpy.testing.assert_allclose(encoding.pe.numpy(), table, rtol=1e-12, atol=1e-12)
    x = minigrad.zeros(3, 6, d_model, dtype=minigrad.float64, requires_grad=True)
    code = encoding(x)
    expected = table[:6][None] if batch_first else table[:3][:, None]
    numpy.testing.assert_allclose(code.detach().numpy(), numpy.broadcast_to(expected, code.shape),
                                  rtol=1e-12, atol=1e-12)
    code.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), 1.0)
    assert "pe" in encoding.state_dict()


def test_positional_encoding_rejects_sequences_longer_than_max_len():
    encoding = minigrad.nn.PositionalEncoding(4, max_len=3)
    with pytest.raises(ValueError, match="exceeds max_len 3"):
        encoding(minigrad.zeros(4, 1, 4))


# ---- the example ---------------------------------------------------------------------------------------
def test_transformer_reverse_example_fast_mode_learns_to_reverse():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "transformer_reverse.py"
    spec = importlib.util.spec_from_file_location("transformer_reverse", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.train(example.parse_args(["--fast"]))
    assert result["sequence_accuracy"] >= 0.99
