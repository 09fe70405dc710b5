"""The attention blocks of the PyTorch tutorials, written by hand as a torch user writes them.

Every line below is plain PyTorch; the file imports ``minigrad as torch``, and
the same code runs on real torch with ``--torch`` (or the environment variable
``ATTENTION_BLOCKS_LIBRARY=torch``).  ``tests/nn/test_attention_blocks.py`` builds
each block in both libraries with the same weights and checks that outputs and
gradients agree.

* ``DotProductAttention``: Luong's "dot" attention of a decoder state over RNN
  encoder outputs, with ``bmm`` and ``softmax``; ``GRUAttentionClassifier`` puts
  it on top of a GRU encoder.
* ``SelfAttention``: one head, ``softmax(Q K^T / sqrt(d)) V``.
* ``MultiHeadAttention``: heads split with ``view(...).transpose(1, 2)`` and
  merged back with ``transpose(1, 2).contiguous().view(...)``.
* ``PositionalEncoding`` and ``TransformerBlock``: the rest of a hand-written
  Transformer encoder layer (residuals, LayerNorm, feed-forward).

Run: ``python examples/attention_blocks.py [--torch] [--compare] [--device cpu|cuda] [--seed 0]``.
``--compare`` (needs torch) loads this file a second time on torch, gives the
torch ``TransformerBlock`` minigrad's weights, and prints the largest difference
of the outputs and gradients (float64: about 1e-16).
"""
import argparse
import importlib.util
import math
import os
import sys

if "--torch" in sys.argv or os.environ.get("ATTENTION_BLOCKS_LIBRARY") == "torch":
    import torch
else:
    import minigrad as torch

nn = torch.nn
F = torch.nn.functional


class DotProductAttention(nn.Module):
    """score(h_t, h_s) = h_t . h_s; context = sum_s softmax(score)_s h_s."""

    def forward(self, decoder_hidden, encoder_outputs):
        # decoder_hidden: (B, H); encoder_outputs: (B, T, H)
        scores = torch.bmm(encoder_outputs, decoder_hidden.unsqueeze(2)).squeeze(2)  # (B, T)
        weights = F.softmax(scores, dim=1)
        context = torch.bmm(weights.unsqueeze(1), encoder_outputs).squeeze(1)     # (B, H)
        return context, weights


class GRUAttentionClassifier(nn.Module):
    """Embed tokens, run a GRU, attend from the last hidden state over all outputs, classify."""

    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.attention = DotProductAttention()
        self.out = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens):
        outputs, hidden = self.gru(self.embedding(tokens))   # (B, T, H), (1, B, H)
        last = hidden[-1]
        context, weights = self.attention(last, outputs)
        return self.out(torch.cat([context, last], dim=1)), weights


class SelfAttention(nn.Module):
    """Single-head scaled dot-product self-attention."""

    def __init__(self, embed_dim):
        super().__init__()
        self.query = nn.Linear(embed_dim, embed_dim)
        self.key = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)

    def forward(self, x, mask=None):
        # x: (B, T, E); mask: (T, T) or (B, T, T), 0 where attention is not allowed
        Q, K, V = self.query(x), self.key(x), self.value(x)
        scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(Q.size(-1))
        if mask is not None:
            scores = scores.masked_fill(mask == 0, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.matmul(weights, V), weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention with the heads split out by view + transpose."""

    def __init__(self, d_model, num_heads):
        super().__init__()
        assert d_model % num_heads == 0, "d_model must be divisible by num_heads"
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def scaled_dot_product_attention(self, Q, K, V, mask=None):
        attn_scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(self.d_k)
        if mask is not None:
            attn_scores = attn_scores.masked_fill(mask == 0, -1e9)
        attn_probs = torch.softmax(attn_scores, dim=-1)
        return torch.matmul(attn_probs, V)

    def split_heads(self, x):
        batch_size, seq_length, d_model = x.size()
        return x.view(batch_size, seq_length, self.num_heads, self.d_k).transpose(1, 2)

    def combine_heads(self, x):
        batch_size, _, seq_length, d_k = x.size()
        return x.transpose(1, 2).contiguous().view(batch_size, seq_length, self.d_model)

    def forward(self, Q, K, V, mask=None):
        Q = self.split_heads(self.W_q(Q))
        K = self.split_heads(self.W_k(K))
        V = self.split_heads(self.W_v(V))
        attn_output = self.scaled_dot_product_attention(Q, K, V, mask)
        return self.W_o(self.combine_heads(attn_output))


class PositionalEncoding(nn.Module):
    """The sinusoidal position code, added to (B, T, E) inputs."""

    def __init__(self, d_model, max_seq_length=512):
        super().__init__()
        pe = torch.zeros(max_seq_length, d_model)
        position = torch.arange(0, max_seq_length, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * -(math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, :x.size(1)]


class PositionWiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class TransformerBlock(nn.Module):
    """A post-norm encoder layer by hand: x = norm(x + attn(x)); x = norm(x + ff(x))."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads)
        self.feed_forward = PositionWiseFeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        attn_output = self.self_attn(x, x, x, mask)
        x = self.norm1(x + self.dropout(attn_output))
        ff_output = self.feed_forward(x)
        return self.norm2(x + self.dropout(ff_output))


def demo(device):
    """Run each block once on small random inputs and print what comes out."""
    batch, length, d_model = 2, 5, 8
    x = torch.randn(batch, length, d_model, device=device)
    causal = torch.tril(torch.ones(length, length, device=device))

    context, weights = DotProductAttention()(x[:, -1], x)
    print(f"DotProductAttention: context {tuple(context.shape)}, weights {tuple(weights.shape)}, "
          f"rows sum to {[round(total, 6) for total in weights.sum(dim=1).tolist()]}")

    classifier = GRUAttentionClassifier(vocab_size=20, embed_dim=8, hidden_size=16, num_classes=3).to(device)
    logits, weights = classifier(torch.randint(0, 20, (batch, length), device=device))
    print(f"GRUAttentionClassifier: logits {tuple(logits.shape)}, weights {tuple(weights.shape)}")

    output, weights = SelfAttention(d_model).to(device)(x, mask=causal)
    print(f"SelfAttention (causal): output {tuple(output.shape)}, first row of weights "
          f"{[round(w, 3) for w in weights[0, 0].tolist()]}")

    output = MultiHeadAttention(d_model, num_heads=2).to(device)(x, x, x, mask=causal)
    print(f"MultiHeadAttention: output {tuple(output.shape)}")

    block = TransformerBlock(d_model, num_heads=2, d_ff=16).to(device)
    output = block(PositionalEncoding(d_model).to(device)(x))
    output[:, :, 0].sum().backward()   # (a sum over all of a LayerNorm output has zero gradient)
    print(f"TransformerBlock: output {tuple(output.shape)}, "
          f"grad norm of W_q {block.self_attn.W_q.weight.grad.norm().item():.4f}")


def compare_with_torch(seed):
    """The largest |minigrad - torch| of a TransformerBlock's output and gradients, same weights, float64."""
    import numpy
    import torch as real_torch
    from minigrad.interop import to_torch
    # This file again, on torch: the same class definitions, run by the other library.
    saved = os.environ.get("ATTENTION_BLOCKS_LIBRARY")
    os.environ["ATTENTION_BLOCKS_LIBRARY"] = "torch"
    try:
        spec = importlib.util.spec_from_file_location("attention_blocks_on_torch", __file__)
        on_torch = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(on_torch)
    finally:
        os.environ.pop("ATTENTION_BLOCKS_LIBRARY")
        if saved is not None:
            os.environ["ATTENTION_BLOCKS_LIBRARY"] = saved
    ours = TransformerBlock(8, num_heads=2, d_ff=16, dropout=0.0).double()
    theirs = on_torch.TransformerBlock(8, num_heads=2, d_ff=16, dropout=0.0).double()
    theirs.load_state_dict(to_torch(ours.state_dict()))
    rng = numpy.random.default_rng(seed)
    inputs, output_weights = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 5, 8))
    x, x_torch = torch.tensor(inputs, requires_grad=True), real_torch.tensor(inputs, requires_grad=True)
    mask = numpy.tril(numpy.ones((5, 5)))
    output, output_torch = ours(x, torch.tensor(mask)), theirs(x_torch, real_torch.tensor(mask))
    # a random weighting of the outputs: a plain sum of a LayerNorm output has zero gradient
    (output * torch.tensor(output_weights)).sum().backward()
    (output_torch * real_torch.tensor(output_weights)).sum().backward()

    def largest(mine, reference):          # a gradient that is None counts as zeros
        mine = 0.0 if mine is None else mine.detach().numpy()
        reference = 0.0 if reference is None else reference.detach().numpy()
        return float(numpy.abs(mine - reference).max())
    gradients = [largest(x.grad, x_torch.grad)] + [
        largest(mine.grad, reference.grad)
        for mine, reference in zip(ours.parameters(), theirs.parameters())]
    return {"output": largest(output, output_torch), "gradients": max(gradients)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity: this is already fast")
    parser.add_argument("--torch", action="store_true",
                        help="run on PyTorch instead (read at import, as the environment variable "
                             "ATTENTION_BLOCKS_LIBRARY=torch)")
    parser.add_argument("--compare", action="store_true",
                        help="also run the TransformerBlock on torch with the same weights and print "
                             "the largest differences (needs torch)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    print(f"on {torch.__name__}, device {args.device}")
    demo(args.device)
    if args.compare:
        if torch.__name__ != "minigrad":
            parser.error("--compare compares minigrad with torch: leave out --torch")
        differences = compare_with_torch(args.seed)
        print(f"TransformerBlock on minigrad and on torch, same weights, float64: largest difference "
              f"{differences['output']:.1e} in the output, {differences['gradients']:.1e} in the gradients")
        return differences
    return None


if __name__ == "__main__":
    main()
