"""Chapter 7's checks: LSTM/GRU cells and layers, packed sequences and truncated BPTT, against torch.

Each typical mistake is recognised by computing its answer on purpose with a
small NumPy reference (gates permuted, the reverse direction's h_n taken at
the wrong end, the RNN run through the padding, ...) and comparing.
"""
from __future__ import annotations

import itertools

import numpy
import torch
from torch.func import functional_call

from ..nn.modules.rnn import RNNCell as MinigradRNNCell
from ..testing import from_torch
from ..ops.factories import tensor
from .checker import Exercise, _array, _close

MODULE = "ch07_lstm"


def _sigmoid(z):
    return 1 / (1 + numpy.exp(-z))


def _np_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, order=(0, 1, 2, 3)):
    """``order``: which block the learner read as i, f, g, o (torch's is (0, 1, 2, 3))."""
    blocks = numpy.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    i, f, g, o = (blocks[k] for k in order)
    c_next = _sigmoid(f) * c + _sigmoid(i) * numpy.tanh(g)
    return _sigmoid(o) * numpy.tanh(c_next), c_next


def _np_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh, order=(0, 1, 2), swapped_update=False, reset_first=False):
    input_blocks = numpy.split(x @ w_ih.T + b_ih, 3, axis=1)
    hidden_blocks = numpy.split(h @ w_hh.T + b_hh, 3, axis=1)
    (ir, iz, in_), (hr, hz, hn) = ([blocks[k] for k in order] for blocks in (input_blocks, hidden_blocks))
    r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
    if reset_first:       # r applied to h before the matmul: W_hn (r * h) + b_hn
        w_hn = numpy.split(w_hh, 3, axis=0)[order[2]]
        hn = (r * h) @ w_hn.T + numpy.split(b_hh, 3)[order[2]]
    n = numpy.tanh(in_ + r * hn)
    return z * n + (1 - z) * h if swapped_update else (1 - z) * n + z * h


def _order_name(order, roles):
    """'the gate blocks read as i, f, o, g': which role the learner gave each stacked block."""
    by_block = [None] * len(order)
    for role, block in zip(roles, order):
        by_block[block] = role
    return f"what reading the stacked blocks as {', '.join(by_block)} gives"


def _torch_module_grads(grader, reference, parameters, ours, theirs, our_outputs, their_outputs, names,
                        our_parameters, rng, mistakes=None):
    """Compare outputs, then the gradients of a random weighting of all outputs."""
    mistakes = mistakes or {}
    for name, mine, expected in zip(names, our_outputs, their_outputs):
        grader.compare(name, mine, expected, mistakes=mistakes.get(name))
    our_loss, their_loss = 0, 0
    for mine, expected in zip(our_outputs, their_outputs):
        weights = rng.standard_normal(tuple(expected.shape))
        our_loss = our_loss + (mine * tensor(weights)).sum()
        their_loss = their_loss + (expected * torch.from_numpy(weights)).sum()
    their_loss.backward()
    our_loss.backward()
    for name, (mine, expected) in zip(["the input", "h_0", "c_0"], zip(ours, theirs)):
        grader.compare(f"gradient of {name}", mine.grad, expected.grad)
    for name, parameter in parameters.items():
        grader.compare(f"gradient of {name}", our_parameters[name].grad, parameter.grad)


def _parameters(reference):
    return {name: p.detach().clone().requires_grad_() for name, p in reference.named_parameters()}


def check_lstm_cell(module, grader):
    rng = numpy.random.default_rng(70)
    torch.manual_seed(70)
    for description, batch, input_size, hidden, bias in (("batch 3", 3, 4, 5, True), ("batch 1", 1, 2, 3, True),
                                                          ("no bias", 2, 3, 2, False)):
        grader.case_is(f"lstm_cell: x ({batch}, {input_size}), h and c ({batch}, {hidden}), {description}")
        reference = torch.nn.LSTMCell(input_size, hidden, bias=bias).double()
        parameters = _parameters(reference)
        ours_p = {name: tensor(p.detach().numpy().copy(), requires_grad=True) for name, p in parameters.items()}
        x, h, c = (rng.standard_normal(shape) for shape in ((batch, input_size), (batch, hidden), (batch, hidden)))
        ours = [tensor(a, requires_grad=True) for a in (x, h, c)]
        theirs = [torch.from_numpy(a).requires_grad_() for a in (x, h, c)]
        got = module.lstm_cell(*ours, ours_p["weight_ih"], ours_p["weight_hh"], ours_p.get("bias_ih"),
                               ours_p.get("bias_hh"))
        expected = functional_call(reference, parameters, (theirs[0], (theirs[1], theirs[2])))
        numpy_weights = [p.detach().numpy() for p in parameters.values()] + [0, 0][:4 - len(parameters)]
        permuted = {_order_name(order, "ifgo"): _np_lstm_cell(x, h, c, *numpy_weights, order=order)
                    for order in itertools.permutations(range(4)) if order != (0, 1, 2, 3)}
        mistakes = {"h'": {"gate_order": {name: result[0] for name, result in permuted.items()}},
                    "c'": {"gate_order": {name: result[1] for name, result in permuted.items()}}}
        grader.expect(isinstance(got, tuple) and len(got) == 2, "lstm_cell must return (h', c')")
        _torch_module_grads(grader, reference, parameters, ours, theirs, got, expected, ["h'", "c'"], ours_p,
                            rng, mistakes)


def check_gru_cell(module, grader):
    rng = numpy.random.default_rng(71)
    torch.manual_seed(71)
    for description, batch, input_size, hidden, bias in (("batch 3", 3, 4, 5, True), ("batch 1", 1, 2, 3, True),
                                                          ("no bias", 2, 3, 2, False)):
        grader.case_is(f"gru_cell: x ({batch}, {input_size}), h ({batch}, {hidden}), {description}")
        reference = torch.nn.GRUCell(input_size, hidden, bias=bias).double()
        parameters = _parameters(reference)
        ours_p = {name: tensor(p.detach().numpy().copy(), requires_grad=True) for name, p in parameters.items()}
        x, h = rng.standard_normal((batch, input_size)), rng.standard_normal((batch, hidden))
        ours = [tensor(a, requires_grad=True) for a in (x, h)]
        theirs = [torch.from_numpy(a).requires_grad_() for a in (x, h)]
        got = module.gru_cell(*ours, ours_p["weight_ih"], ours_p["weight_hh"], ours_p.get("bias_ih"),
                              ours_p.get("bias_hh"))
        expected = functional_call(reference, parameters, (theirs[0], theirs[1]))
        w = [p.detach().numpy() for p in parameters.values()] + [numpy.zeros(3 * hidden)] * (4 - len(parameters))
        mistakes = {"h'": {
            "gate_order": {_order_name(order, "rzn"): _np_gru_cell(x, h, *w, order=order)
                           for order in itertools.permutations(range(3)) if order != (0, 1, 2)},
            "gru_update": _np_gru_cell(x, h, *w, swapped_update=True),
            "gru_reset": _np_gru_cell(x, h, *w, reset_first=True)}}
        _torch_module_grads(grader, reference, parameters, ours, theirs, [got], [expected], ["h'"], ours_p,
                            rng, mistakes)


def _np_lstm(x, weights, layers, directions, h0, c0, reverse_h_n_from_end=False, flip=True):
    """A NumPy nn.LSTM (time-major) that can make two typical mistakes on purpose."""
    steps = x.shape[0]
    h_n, c_n, layer_input = [], [], x
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            hidden = weights[f"weight_hh{suffix}"].shape[1]
            w = [weights.get(f"{name}{suffix}", numpy.zeros(4 * hidden))
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            index = layer * directions + direction
            h, c = h0[index], c0[index]
            order = list(range(steps - 1, -1, -1)) if direction else list(range(steps))
            per_step = []
            for t in order:
                h, c = _np_lstm_cell(layer_input[t], h, c, *w)
                per_step.append(h)
            if direction and flip:
                per_step = per_step[::-1]
            outputs.append(numpy.stack(per_step))
            h_n.append(per_step[-1] if direction and reverse_h_n_from_end else h)
            c_n.append(c)
        layer_input = numpy.concatenate(outputs, axis=2)
    return layer_input, numpy.stack(h_n), numpy.stack(c_n)


def check_lstm(module, grader):
    rng = numpy.random.default_rng(72)
    torch.manual_seed(72)
    cases = [("one layer", 5, 3, 4, 3, 1, False, False, False, True),
             ("2 layers, bidirectional, batch_first, h_0 and c_0 given", 4, 2, 3, 3, 2, True, True, True, True),
             ("length 1, batch 1, bidirectional", 1, 1, 2, 3, 1, True, False, False, True),
             ("bidirectional, batch 2", 6, 2, 3, 2, 1, True, False, True, True),
             ("2 layers, no bias", 3, 2, 2, 3, 2, False, False, False, False)]
    for description, steps, batch, input_size, hidden, layers, bidirectional, batch_first, give_hx, bias in cases:
        directions = 2 if bidirectional else 1
        shape = (batch, steps, input_size) if batch_first else (steps, batch, input_size)
        grader.case_is(f"lstm(input {shape}, hidden {hidden}, num_layers={layers}, bidirectional={bidirectional}, "
                       f"batch_first={batch_first}, bias={bias}): {description}")
        reference = torch.nn.LSTM(input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                                  batch_first=batch_first, bias=bias).double()
        parameters = _parameters(reference)
        ours_p = {name: tensor(p.detach().numpy().copy(), requires_grad=True) for name, p in parameters.items()}
        x = rng.standard_normal(shape)
        h0, c0 = (rng.standard_normal((directions * layers, batch, hidden)) if give_hx
                  else numpy.zeros((directions * layers, batch, hidden)) for _ in range(2))
        arrays = [x, h0, c0] if give_hx else [x]
        ours = [tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.from_numpy(a).requires_grad_() for a in arrays]
        hx = (ours[1], ours[2]) if give_hx else None
        output, state = module.lstm(ours[0], ours_p, num_layers=layers, bidirectional=bidirectional,
                                    batch_first=batch_first, hx=hx)
        grader.expect(isinstance(state, tuple) and len(state) == 2, "lstm must return output, (h_n, c_n)")
        expected_output, (expected_h_n, expected_c_n) = functional_call(
            reference, parameters, (theirs[0], (theirs[1], theirs[2]) if give_hx else None))

        numpy_weights = {name: p.detach().numpy() for name, p in parameters.items()}
        time_major = x.transpose(1, 0, 2) if batch_first else x

        def batch_layout(output):
            return output.transpose(1, 0, 2) if batch_first else output
        wrong_end = _np_lstm(time_major, numpy_weights, layers, directions, h0, c0, reverse_h_n_from_end=True)
        not_flipped = _np_lstm(time_major, numpy_weights, layers, directions, h0, c0, flip=False)
        h_n_shape = (directions * layers, batch, hidden)
        mistakes = {
            "output": {"reverse_not_flipped": batch_layout(not_flipped[0]) if bidirectional else None},
            "h_n": {"reverse_h_n": wrong_end[1] if bidirectional else None,
                    "h_n_batch_first": lambda got: got is not None and got.shape == (batch, directions * layers, hidden)
                    and got.shape != h_n_shape},
            "c_n": {"h_n_batch_first": lambda got: got is not None and got.shape == (batch, directions * layers, hidden)
                    and got.shape != h_n_shape}}
        _torch_module_grads(grader, reference, parameters, ours, theirs, [output, state[0], state[1]],
                            [expected_output, expected_h_n, expected_c_n], ["output", "h_n", "c_n"], ours_p, rng,
                            mistakes)


def check_rnn_packed(module, grader):
    rng = numpy.random.default_rng(73)
    torch.manual_seed(73)
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    cases = [("sorted lengths", 5, [5, 3, 1], "float64"), ("unsorted lengths", 5, [2, 5, 4], "float64"),
             ("batch 1", 4, [4], "float64"), ("all of length 1", 1, [1, 1], "float64"),
             ("padding past the longest", 6, [3, 4], "float64"), ("float32 stays float32", 4, [2, 4, 3], "float32")]
    for description, steps, lengths, dtype in cases:
        batch, input_size, hidden = len(lengths), 3, 4
        grader.case_is(f"rnn_packed(input ({steps}, {batch}, {input_size}), lengths {lengths}), hidden {hidden}, "
                       f"{dtype}: {description}")
        reference = torch.nn.RNN(input_size, hidden).to(getattr(torch, dtype))
        parameters = _parameters(reference)
        x = rng.standard_normal((steps, batch, input_size)).astype(dtype)
        for b, length in enumerate(lengths):
            x[length:, b] = rng.standard_normal((steps - length, input_size)) * 3   # junk in the padding
        ours_p = {name: tensor(p.detach().numpy().copy(), requires_grad=True) for name, p in parameters.items()}
        ours, theirs = [tensor(x, requires_grad=True)], [torch.from_numpy(x).requires_grad_()]
        output, h_n = module.rnn_packed(ours[0], lengths, ours_p["weight_ih_l0"], ours_p["weight_hh_l0"],
                                        ours_p["bias_ih_l0"], ours_p["bias_hh_l0"])
        packed = pack_padded_sequence(theirs[0], torch.tensor(lengths), enforce_sorted=False)
        packed_output, expected_h_n = functional_call(reference, parameters, (packed,))
        expected_output, _ = pad_packed_sequence(packed_output, total_length=steps)

        with torch.no_grad():          # the mistake: run over the padding as if it were data
            _, padded_h_n = functional_call(reference, parameters, (torch.from_numpy(x),))
        valid = numpy.arange(steps)[:, None] < numpy.asarray(lengths)[None, :]    # (T, B)

        def padding_not_zeroed(got, expected=expected_output.detach().numpy()):
            return got is not None and got.shape == expected.shape and \
                _close(got[valid], expected[valid], 1e-6, 1e-8) and not _close(got, expected, 1e-6, 1e-8)
        mistakes = {"output": {"padded_output": padding_not_zeroed},
                    "h_n": {"padded_h_n": padded_h_n.numpy()}}
        _torch_module_grads(grader, reference, parameters, ours, theirs, [output, h_n],
                            [expected_output, expected_h_n], ["output", "h_n"],
                            {f"{n}": p for n, p in ours_p.items()}, rng, mistakes)


def _torch_tbptt(cell, inputs, chunk_length, detach=True, zero_grad=True):
    cell.zero_grad()
    h = torch.zeros(inputs.shape[1], cell.hidden_size, dtype=inputs.dtype)
    gradients = []
    for start in range(0, inputs.shape[0], chunk_length):
        if zero_grad:
            cell.zero_grad()
        if detach:
            h = h.detach()
        loss = 0
        for x in inputs[start:start + chunk_length]:
            h = cell(x, h)
            loss = loss + (h ** 2).sum()
        loss.backward(retain_graph=not detach)
        gradients.append(cell.weight_hh.grad.numpy().copy())
    return gradients


def check_truncated_bptt(module, grader):
    rng = numpy.random.default_rng(74)
    torch.manual_seed(74)
    for steps, batch, chunk in ((9, 2, 3), (7, 1, 3), (4, 3, 1), (5, 2, 5)):
        grader.case_is(f"truncated_bptt(RNNCell(3, 4), inputs ({steps}, {batch}, 3), chunk_length={chunk})")
        reference = torch.nn.RNNCell(3, 4).double()
        cell = MinigradRNNCell(3, 4).double()
        cell.load_state_dict(from_torch(reference.state_dict()))
        x = rng.standard_normal((steps, batch, 3))
        got = module.truncated_bptt(cell, tensor(x), chunk)
        expected = _torch_tbptt(reference, torch.from_numpy(x), chunk)
        no_detach = _torch_tbptt(reference, torch.from_numpy(x), chunk, detach=False)
        no_zero = _torch_tbptt(reference, torch.from_numpy(x), chunk, zero_grad=False)
        grader.expect(isinstance(got, (list, tuple)) and len(got) == len(expected),
                      f"expected a list of {len(expected)} gradients (one per chunk), got "
                      f"{type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}")
        for index, (mine, theirs) in enumerate(zip(got, expected)):
            grader.compare(f"gradient of weight_hh after chunk {index + 1}", _array(mine), theirs,
                           mistakes={"missing_detach": no_detach[index], "zero_grad": no_zero[index]})


EXERCISES = [
    Exercise("7.1", "lstm_cell: one LSTM step, gates i, f, g, o", MODULE, check_lstm_cell),
    Exercise("7.2", "gru_cell: one GRU step, gates r, z, n", MODULE, check_gru_cell),
    Exercise("7.3", "lstm: stacked, bidirectional, batch_first, h_n vs output", MODULE, check_lstm, uses=('7.1',)),
    Exercise("7.4", "rnn_packed: h_n at each sequence's own last step", MODULE, check_rnn_packed),
    Exercise("7.5", "truncated_bptt: detach between chunks", MODULE, check_truncated_bptt),
]
