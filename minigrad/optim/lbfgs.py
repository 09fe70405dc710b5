"""``LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search, a port of torch's.

L-BFGS keeps the last ``history_size`` pairs ``s = x_{k+1} - x_k`` (a step) and
``y = g_{k+1} - g_k`` (the change of gradient it caused) and turns the gradient
into a quasi-Newton direction ``d = -H g`` with the two-loop recursion, where
``H`` approximates the inverse Hessian (scaled by ``H_diag = s.y / y.y``).
Every step evaluates ``closure()`` (which recomputes the loss and calls
``backward``) up to ``max_eval`` times for at most ``max_iter`` iterations.

This is torch's ``torch/optim/lbfgs.py`` line for line (its branches,
tolerances, initial step ``min(1, 1 / |g|_1) * lr`` and the cubic
interpolation of ``minFunc``), written on the flat NumPy/CuPy vector of all
parameters, so trajectories equal torch's.  Numbers torch keeps as 0-d tensors
(``ys``, ``H_diag``, ``ro``, ``al``, ``gtd``) are array scalars of the
parameters' dtype here, which rounds as torch's do in float32.  The state
(``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``,
``prev_flat_grad``, ``prev_loss``, ``al``, ``func_evals``, ``n_iter``) is kept,
as torch does, under the first parameter, with tensors as minigrad Tensors, so
``state_dict`` round trips (and loads torch's).
"""
from __future__ import annotations

from ..core.grad_mode import enable_grad, no_grad
from ..core.device import array_module
from ..core.tensor import Tensor
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``, ``g2``, clipped
    to ``bounds`` (default: between x1 and x2); the middle of the bounds if the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = array_module(d2_square).sqrt(d2_square) if hasattr(d2_square, "dtype") else d2_square ** 0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _dot(a, b):
    return array_module(a).dot(a, b)


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` meeting the strong Wolfe conditions (sufficient decrease, ``c1``,
    and curvature, ``c2``): bracket an interval, then zoom into it by cubic interpolation.
    Returns the loss, the flat gradient and ``t`` there, and the number of evaluations."""
    xp = array_module(d)
    d_norm = xp.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate: the cubic's minimum, kept within [t + 0.01 (t - t_prev), 10 t]
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        previous_t = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = previous_t, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

    if ls_iter == max_ls:      # no bracket found within max_ls evaluations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point meets the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # a trial point too close to an end of the bracket, twice running (or outside it), moves to
        # 10 % of the bracket's length from that end, so the bracket keeps shrinking
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # no sufficient decrease, or not below the low end: the point is the new high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True                       # Wolfe conditions met
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _to_array(value):
    """A state value as the step works on it: Tensors (also inside lists) become arrays."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, list):
        return [_to_array(item) for item in value]
    return value


def _to_tensor(value, xp):
    """A value as the state keeps it: arrays and array scalars become Tensors (as torch's 0-d tensors)."""
    if isinstance(value, list):
        return [_to_tensor(item, xp) for item in value]
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return Tensor._wrap(xp.asarray(value))
    return value


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: ``optimizer.step(closure)`` with a closure that zeroes the
    gradients, computes the loss, calls ``backward`` and returns the loss.

    One parameter group only; ``lr`` (default 1) scales the step, ``max_iter``
    (20) and ``max_eval`` (``max_iter * 5 // 4``) bound the work of one
    ``step``, ``tolerance_grad`` (1e-7) and ``tolerance_change`` (1e-9) stop it
    early, ``history_size`` (100) pairs are kept, ``line_search_fn`` is None
    (fixed step ``lr``) or ``'strong_wolfe'``.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(param.numel() for param in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        """All gradients as one vector (zeros for a parameter without one)."""
        xp = array_module(self._params[0].array)
        return xp.concatenate([xp.zeros(param.numel(), param.array.dtype) if param.grad is None
                               else param.grad.array.reshape(-1) for param in self._params])

    def _add_grad(self, step_size, update):
        """``params += step_size * update`` (``update`` flat), in place."""
        offset = 0
        for param in self._params:
            numel = param.numel()
            param.array += step_size * update[offset:offset + numel].reshape(param.array.shape)
            param._version_counter.value += 1
            offset += numel
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self):
        return [param.array.copy() for param in self._params]

    def _set_param(self, arrays):
        for param, array in zip(self._params, arrays, strict=True):
            param.array[...] = array
            param._version_counter.value += 1

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at ``x + t d``; the parameters go back to ``x`` afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss ``closure()`` gave on entry."""
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")

        def evaluate():                 # the closure always runs with gradients on
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        xp = array_module(self._params[0].array)

        # L-BFGS's state is global; torch files it under the first parameter, and so do we
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:            # already at a stationary point
            return orig_loss

        d, t = _to_array(state.get("d")), _to_array(state.get("t"))
        old_dirs, old_stps = _to_array(state.get("old_dirs")), _to_array(state.get("old_stps"))
        ro, H_diag = _to_array(state.get("ro")), _to_array(state.get("H_diag"))
        prev_flat_grad, prev_loss = _to_array(state.get("prev_flat_grad")), state.get("prev_loss")
        al = _to_array(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction d ---------------------------------------------------------
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad        # change of gradient
                s = d * t                             # the step taken
                ys = _dot(y, s)
                if ys > 1e-10:                        # keep the pair only if curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / _dot(y, y)          # scale of the initial inverse Hessian
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                # two-loop recursion: d = -H g
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = _dot(old_dirs[i], r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # ---- the step length t -----------------------------------------------------------
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, d)                  # directional derivative
            if gtd > -tolerance_change:               # not a descent direction (any more)
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, step, direction):
                    return self._directional_evaluate(evaluate, x, step, direction)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd,
                                                                  max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)                  # fixed step
                if n_iter != max_iter:
                    # re-evaluate only if another iteration follows (in a stochastic setting the last
                    # evaluation would be of no use), as torch
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping conditions -----------------------------------------------------------
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:        # lack of progress in x
                break
            if abs(loss - prev_loss) < tolerance_change:        # lack of progress in the loss
                break

        state["d"] = _to_tensor(d, xp)
        state["t"] = _to_tensor(t, xp)
        state["old_dirs"] = _to_tensor(old_dirs, xp)
        state["old_stps"] = _to_tensor(old_stps, xp)
        state["ro"] = _to_tensor(ro, xp)
        state["H_diag"] = _to_tensor(H_diag, xp)
        state["prev_flat_grad"] = _to_tensor(prev_flat_grad, xp)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = _to_tensor(al, xp)
        return orig_loss
