"""Chapter 8: a fused RNN layer, one graph node with backward through time by hand (docs/course/08_fused.md).

Write the bodies marked "Exercise"; check them with ``python -m minigrad.course check 8``.
"""
import numpy

from minigrad.core.function import Function


class FusedRNN(Function):
    """A one-layer tanh RNN over all time steps as ONE graph node.

    forward(x (T, B, I), h0 (B, H), weight_ih (H, I), weight_hh (H, H),
    bias_ih (H,), bias_hh (H,)) -> output (T, B, H), on NumPy arrays:
    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), output[t] = h_t.
    """

    def forward(self, x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
        """Exercise 8.1: the forward, saving what backward needs (x, h0, the weights, every h_t).

        The input half x_t W_ih^T + b_ih + b_hh of every step does not depend on
        the recurrence: compute it for all steps in one matmul before the loop.
        """
        projected = x @ weight_ih.T + (bias_ih + bias_hh)          # (T, B, H), all steps at once
        hidden = numpy.empty((x.shape[0],) + h0.shape, dtype=x.dtype)
        h = h0
        for t in range(x.shape[0]):
            h = numpy.tanh(projected[t] + h @ weight_hh.T)
            hidden[t] = h
        self.save_for_backward(x, h0, weight_ih, weight_hh, hidden)
        return hidden

    def backward(self, grad_output):
        """Exercise 8.1: the gradients of x, h0, weight_ih, weight_hh, bias_ih, bias_hh from grad_output (T, B, H).

        Walk t = T-1 .. 0 carrying dh_next (what step t+1 sent back to h_t):
        dh = grad_output[t] + dh_next; dz_t = dh * (1 - h_t^2); dh_next = dz_t W_hh.
        Then, for all steps at once: dW_ih = sum_t dz_t^T x_t, dW_hh = sum_t
        dz_t^T h_{t-1}, db = sum of dz over steps and batch, dx_t = dz_t W_ih.
        """
        x, h0, weight_ih, weight_hh, hidden = self.saved_tensors
        dz = numpy.empty_like(hidden)
        dh_next = numpy.zeros_like(h0)
        for t in reversed(range(x.shape[0])):
            dz[t] = (grad_output[t] + dh_next) * (1 - hidden[t] ** 2)
            dh_next = dz[t] @ weight_hh
        previous = numpy.concatenate([h0[None], hidden[:-1]])        # h_{t-1} of every step
        rows = dz.reshape(-1, dz.shape[-1])                          # (T * B, H)
        grad_weight_ih = rows.T @ x.reshape(-1, x.shape[-1])
        grad_weight_hh = rows.T @ previous.reshape(-1, previous.shape[-1])
        grad_bias = rows.sum(axis=0)
        return dz @ weight_ih, dh_next, grad_weight_ih, grad_weight_hh, grad_bias, grad_bias.copy()


def fused_rnn(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Your FusedRNN on minigrad tensors: output (T, B, H)."""
    return FusedRNN.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
