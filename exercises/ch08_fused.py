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
        raise NotImplementedError("exercise 8.1: the forward, saving what backward needs (x, h0, the weights, every h_t)")

    def backward(self, grad_output):
        """Exercise 8.1: the gradients of x, h0, weight_ih, weight_hh, bias_ih, bias_hh from grad_output (T, B, H).

        Walk t = T-1 .. 0 carrying dh_next (what step t+1 sent back to h_t):
        dh = grad_output[t] + dh_next; dz_t = dh * (1 - h_t^2); dh_next = dz_t W_hh.
        Then, for all steps at once: dW_ih = sum_t dz_t^T x_t, dW_hh = sum_t
        dz_t^T h_{t-1}, db = sum of dz over steps and batch, dx_t = dz_t W_ih.
        """
        raise NotImplementedError("exercise 8.1: the gradients of x, h0, weight_ih, weight_hh, bias_ih, bias_hh from grad_output (T, B, H)")


def fused_rnn(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Your FusedRNN on minigrad tensors: output (T, B, H)."""
    return FusedRNN.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
