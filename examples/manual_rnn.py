"""A stacked bidirectional RNN from tensor ops only, checked against nn.RNN.

Every step of an Elman RNN is one line,

    h_t = tanh(x_t @ W_ih.T + b_ih + h_(t-1) @ W_hh.T + b_hh),

and everything else is bookkeeping: which direction walks which way, where each
state is written, how the layers are chained.  This script writes that
bookkeeping with ``matmul``, ``tanh``, ``cat`` and index assignment, copies the
weights out of an ``nn.RNN``, and asserts that outputs, ``h_n`` and all the
gradients agree with it to float64 precision.

    python examples/manual_rnn.py --layers 3 --hidden-size 16
"""
import argparse

import minigrad as torch
from minigrad import nn


def manual_rnn(input, weights, num_layers, bidirectional, hidden_size):
    """``input`` ``(T, B, I)``, ``weights`` named as nn.RNN's state_dict.

    Returns ``output`` ``(T, B, D * H)`` and ``h_n`` ``(num_layers * D, B, H)``
    with D = 2 if bidirectional else 1, exactly as ``nn.RNN`` (seq first).
    """
    steps, batch = input.shape[0], input.shape[1]
    directions = 2 if bidirectional else 1
    h_n = torch.zeros(num_layers * directions, batch, hidden_size, dtype=input.dtype, device=input.device)
    layer_input = input
    # Why layer by layer: layer k+1 at step t reads layer k's output at t, and in a
    # bidirectional stack that output includes the backward direction's state at t,
    # which summarizes steps t, t+1, ..., T-1 - the future.  So layer k must have run
    # over ALL time steps, in both directions, before layer k+1 can take its first
    # step.  (A one-directional stack could instead advance all layers together,
    # step by step; a bidirectional one cannot.)
    for layer in range(num_layers):
        direction_outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            weight_ih, weight_hh = weights["weight_ih" + suffix], weights["weight_hh" + suffix]
            bias_ih, bias_hh = weights["bias_ih" + suffix], weights["bias_hh" + suffix]
            output = torch.zeros(steps, batch, hidden_size, dtype=input.dtype, device=input.device)
            hidden = torch.zeros(batch, hidden_size, dtype=input.dtype, device=input.device)
            # The backward direction reads the sequence from its end, but writes each
            # state at the time step it belongs to, so output[t] lines up for both.
            time_steps = range(steps) if direction == 0 else range(steps - 1, -1, -1)
            for t in time_steps:
                hidden = torch.tanh(torch.matmul(layer_input[t], weight_ih.T) + bias_ih
                                    + torch.matmul(hidden, weight_hh.T) + bias_hh)
                output[t] = hidden                     # index assignment keeps the graph
            direction_outputs.append(output)
            h_n[layer * directions + direction] = hidden   # layer-major, forward first
        layer_input = torch.cat(direction_outputs, dim=2)  # (T, B, D * H): [forward | backward]
    return layer_input, h_n


def compare(name, mine, reference):
    """Assert float64 agreement; return the largest absolute difference."""
    difference = (mine - reference).abs().max().item()
    assert torch.allclose(mine, reference, rtol=1e-10, atol=1e-12), f"{name} differs by {difference:.2e}"
    return difference


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=8)
    parser.add_argument("--input-size", type=int, default=5)
    parser.add_argument("--seq-len", type=int, default=7)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--unidirectional", action="store_true", help="one direction instead of two")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity: this is already fast")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    bidirectional = not args.unidirectional

    # The reference, in float64 so that agreement means "the same arithmetic".
    rnn = nn.RNN(args.input_size, args.hidden_size, num_layers=args.layers,
                 bidirectional=bidirectional).double().to(args.device)
    weights = {name: parameter.detach().clone().requires_grad_()
               for name, parameter in rnn.named_parameters()}
    input = torch.randn(args.seq_len, args.batch, args.input_size, dtype=torch.float64, device=args.device)
    input_for_rnn, input_for_mine = input.clone().requires_grad_(), input.clone().requires_grad_()

    output, h_n = rnn(input_for_rnn)
    my_output, my_h_n = manual_rnn(input_for_mine, weights, args.layers, bidirectional, args.hidden_size)
    print(f"nn.RNN(input_size={args.input_size}, hidden_size={args.hidden_size}, num_layers={args.layers}, "
          f"bidirectional={bidirectional}), input {tuple(input.shape)}")
    differences = {"output": compare("output", my_output, output), "h_n": compare("h_n", my_h_n, h_n)}

    # The same loss on both: a random weighting, so every output element matters.
    output_weights, h_n_weights = torch.randn_like(output), torch.randn_like(h_n)
    ((output * output_weights).sum() + (h_n * h_n_weights).sum()).backward()
    ((my_output * output_weights).sum() + (my_h_n * h_n_weights).sum()).backward()
    differences["grad input"] = compare("grad input", input_for_mine.grad, input_for_rnn.grad)
    for name, parameter in rnn.named_parameters():
        differences["grad " + name] = compare("grad " + name, weights[name].grad, parameter.grad)

    for name, difference in differences.items():
        print(f"  {name:26s} max |manual - nn.RNN| = {difference:.1e}")
    print(f"the hand-built RNN matches nn.RNN: output {tuple(my_output.shape)}, h_n {tuple(my_h_n.shape)}, "
          f"and all {len(differences) - 2} gradients")
    return differences


if __name__ == "__main__":
    main()
