"""The shape tour: what RNN, LSTM and GRU take and give back.

The series 1, 2, ..., 20 is cut into 4 sequences of 5 steps (batch_first) and
run through a vanilla, a stacked (2 layers), a bidirectional and a stacked
bidirectional RNN, LSTM and GRU.  For each the script prints the shapes of the
input, ``output`` and ``h_n`` (and the LSTM's ``c_n``), splits the
bidirectional ones into their forward and backward halves with ``view``, and
checks the two relations that say where the last hidden states live:

    output[:, -1, :H] == h_n[-2]   # forward direction: its last step is t = T-1
    output[:, 0, H:]  == h_n[-1]   # backward direction: its last step is t = 0

    python examples/rnn_shapes.py
"""
import argparse

# Tutorial code runs unchanged on minigrad: swap for `import torch` to compare.
import minigrad as torch
from minigrad import nn

BATCH, STEPS, FEATURES = 4, 5, 1


def the_series(device):
    """``(4, 5, 1)``: the numbers 1..20, four sequences of five steps, one feature each."""
    return torch.arange(1, BATCH * STEPS + 1, dtype=torch.float32, device=device).view(BATCH, STEPS, FEATURES)


def shape(tensor):
    return "(" + ", ".join(str(size) for size in tensor.shape) + ")"


def run(kind, num_layers, bidirectional, hidden_size, series, show):
    """Run one configuration; print and check its shapes; return them as a dict."""
    module = getattr(nn, kind)(FEATURES, hidden_size, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional).to(series.device)
    output, hidden = module(series)
    h_n, c_n = hidden if kind == "LSTM" else (hidden, None)   # the LSTM's state is (h_n, c_n)
    directions = 2 if bidirectional else 1
    H = hidden_size

    # output: (batch, seq, directions * H) - batch_first moves batch to the front of
    # input and output only; h_n and c_n stay (num_layers * directions, batch, H).
    assert tuple(output.shape) == (BATCH, STEPS, directions * H)
    assert tuple(h_n.shape) == (num_layers * directions, BATCH, H)
    shapes = {"output": tuple(output.shape), "h_n": tuple(h_n.shape)}
    line = f"{kind:4s} layers={num_layers} bidirectional={bidirectional!s:5s}  " \
           f"output {shape(output):11s} h_n {shape(h_n)}"
    if c_n is not None:
        assert c_n.shape == h_n.shape
        shapes["c_n"] = tuple(c_n.shape)
        line += f"  c_n {shape(c_n)}"
    show(line)

    # Split the directions with view: output's last dim is [forward H | backward H];
    # h_n's first dim is layer-major: [layer0 fwd, layer0 bwd, layer1 fwd, layer1 bwd, ...].
    per_direction = output.view(BATCH, STEPS, directions, H)
    h_n_layers = h_n.view(num_layers, directions, BATCH, H)
    forward_output, forward_h_n = per_direction[:, :, 0], h_n_layers[-1, 0]
    # The top layer's forward direction ends at the last step...
    assert torch.allclose(forward_output[:, -1], forward_h_n)
    if bidirectional:
        backward_output, backward_h_n = per_direction[:, :, 1], h_n_layers[-1, 1]
        # ...and the backward direction ends at the first step, t = 0.
        assert torch.allclose(backward_output[:, 0], backward_h_n)
        assert torch.allclose(output[:, -1, :H], h_n[-2])
        assert torch.allclose(output[:, 0, H:], h_n[-1])
        show(f"     split with view: output -> {shape(per_direction)} (batch, seq, direction, H), "
             f"h_n -> {shape(h_n_layers)} (layer, direction, batch, H)")
        show("     checked: output[:, -1, :H] == h_n[-2] and output[:, 0, H:] == h_n[-1]")
    else:
        assert torch.allclose(output[:, -1], h_n[-1])
        show("     checked: output[:, -1] == h_n[-1]")
    return shapes


CONFIGURATIONS = [(1, False, "vanilla"), (2, False, "stacked"), (1, True, "bidirectional"),
                  (2, True, "stacked bidirectional")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden-size", type=int, default=3, help="H, the hidden size (default 3)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity: this is already fast")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)

    series = the_series(args.device)
    print(f"input {shape(series)} = (batch, seq, features), batch_first=True:")
    print(series.squeeze(-1))
    print(f"hidden size H = {args.hidden_size}\n")
    results = {}
    for kind in ("RNN", "LSTM", "GRU"):
        for num_layers, bidirectional, name in CONFIGURATIONS:
            results[kind, name] = run(kind, num_layers, bidirectional, args.hidden_size, series, print)
        print()
    print("all shape relations hold")
    return results


if __name__ == "__main__":
    main()
