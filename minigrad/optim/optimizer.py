"""``Optimizer``: parameter groups, per-parameter state and ``state_dict``, as ``torch.optim.Optimizer``.

A subclass writes the update of one parameter, ``_update(param, grad, group)``,
on raw arrays (NumPy or CuPy): ``param`` is ``p.array`` and ``grad`` is
``p.grad.array``, changed in place.  The base class walks the groups, skips
parameters whose ``.grad`` is None, bumps each updated parameter's version
counter (as torch's in-place ``add_`` does) and keeps the state.

State lives in ``self.state[param]``, a dict of tensors on the parameter's
device plus a 0-d CPU ``step`` tensor (float32, or float64 when that is the
default dtype), exactly the keys torch uses, so a torch optimizer
``state_dict`` loads here and ours loads into torch.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from itertools import chain

import numpy

from ..core import dtypes
from ..core.grad_mode import enable_grad
from ..core.device import CPU, array_module, to_device
from ..core.tensor import Tensor, typename

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option that every parameter group must give (torch's ``required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def scalar_dtype():
    """The dtype of ``state['step']``: float64 when that is the default dtype, else float32 (torch's rule)."""
    return numpy.float64 if dtypes.get_default_dtype() is dtypes.float64 else numpy.float32


def new_step():
    """A fresh step counter: a 0-d CPU tensor holding 0."""
    return Tensor._wrap(numpy.zeros((), scalar_dtype()))


def advance_step(state) -> float:
    """``state['step'] += 1`` in place; the new count as a Python float (as torch's ``_get_value``)."""
    step = state["step"].array
    step += 1
    return float(step)


def zeros_state(param, fill_value=0.0):
    """A state tensor shaped, typed and placed like ``param`` (a raw array), filled with ``fill_value``."""
    xp = array_module(param)
    return Tensor._wrap(xp.full_like(param, fill_value) if fill_value else xp.zeros_like(param))


_OPTION_WORDING = {"lr": "learning rate", "eps": "epsilon value"}


def check_non_negative(**options):
    """torch's constructor checks, in the order given: ``ValueError('Invalid learning rate: -1')``
    for an option that is negative or NaN (``not 0.0 <= value``)."""
    for name, value in options.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_OPTION_WORDING.get(name, name + ' value')}: {value}")


def check_betas(betas):
    """torch's check of Adam-like ``betas``: each in [0, 1)."""
    for index in (0, 1):
        if not 0.0 <= betas[index] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")


def reject_differentiable(differentiable):
    """Updates run on raw arrays, outside autograd, so ``differentiable=True`` cannot be honoured."""
    if differentiable:
        raise NotImplementedError("minigrad optimizers do not support differentiable=True")


def regularized_grad(param, grad, maximize, weight_decay):
    """The gradient an update uses: ``-grad`` when ``maximize``, plus ``weight_decay * param``
    (L2 decay) when it is non-zero; a new array whenever it differs from ``grad``."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        decayed = array_module(param).multiply(param, weight_decay)
        decayed += grad
        grad = decayed
    return grad


def update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2, scratch):
    """Adam's running moments, in place: ``m = beta1 m + (1 - beta1) g`` (torch's ``lerp_``) and
    ``v = beta2 v + (1 - beta2) g g``.  ``scratch``: a buffer of the parameter's shape, overwritten."""
    lerp_(exp_avg, grad, 1.0 - beta1, scratch)
    exp_avg_sq *= beta2
    array_module(grad).multiply(grad, grad, out=scratch)
    scratch *= 1.0 - beta2
    exp_avg_sq += scratch


def decoupled_decay(param, decoupled, lr, weight_decay):
    """AdamW's weight decay where ``decoupled``: ``param`` scaled by ``1 - lr * weight_decay`` in place,
    and 0 returned (no L2 term in the gradient); else ``weight_decay`` itself, for the gradient."""
    if decoupled and weight_decay != 0:
        param *= 1.0 - lr * weight_decay
        return 0.0
    return weight_decay


def lerp_(target, end, weight, scratch):
    """``target += weight * (end - target)`` in place, with torch's two-branch formula.

    torch's ``lerp_`` computes ``self + w * (end - self)`` for ``|w| < 0.5`` and
    ``end - (end - self) * (1 - w)`` otherwise, so both ends are reached
    exactly; following it keeps our rounding close to torch's (not bitwise:
    torch's kernel fuses the multiply-add).  ``scratch`` is a buffer of
    ``target``'s shape that is overwritten.
    """
    xp = array_module(target)
    xp.subtract(end, target, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        target += scratch
    else:
        scratch *= 1.0 - weight
        xp.subtract(end, scratch, out=target)
    return target


class Optimizer:
    """Base class of the optimizers: ``param_groups``, ``state``, ``step``, ``zero_grad``, ``state_dict``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of
    dicts, each a parameter group with its own options (``{"params": [...],
    "lr": 0.1}``); options a group leaves out come from ``defaults``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- the update ------------------------------------------------------------
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                self._update(param, param.grad.array, group)
                param._version_counter.value += 1
        return loss

    def _state_of(self, param, *zeros, **filled):
        """``self.state[param]``, made on first use as torch's: a ``step`` counter, then a tensor shaped
        as the parameter for each name in ``zeros`` (zeros) and in ``filled`` (its value), in that order."""
        state = self.state[param]
        if not state:
            state["step"] = new_step()
            for name in zeros:
                state[name] = zeros_state(param.array)
            for name, value in filled.items():
                state[name] = zeros_state(param.array, value)
        return state

    def _update(self, param, grad, group):
        """Change ``param.array`` in place from ``grad`` (an array) with ``group``'s options."""
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if param.grad.grad_fn is not None:
                        param.grad.detach_()
                    else:
                        param.grad.requires_grad_(False)
                    param.grad.array.fill(0)
                    param.grad._version_counter.value += 1

    # ---- groups ----------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (for fine-tuning, unfreezing layers)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        params = list(params)
        names = [param[0] for param in params if isinstance(param, tuple)]
        params = [param[1] if isinstance(param, tuple) else param for param in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len({id(param) for param in params}) != len(params):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                          "more information", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(param) for param in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(param) in seen for param in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- checkpoints -------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, as torch.

        Parameters are numbered in group order; the state tensors are the live
        ones (not copies), as in torch.
        """
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            param_groups.append(packed)
        state = {index_of[id(param)]: dict(values) for param, values in self.state.items()
                 if id(param) in index_of}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a ``state_dict`` made by this class here or by torch's (its tensors as minigrad
        tensors, NumPy arrays or torch tensors).

        State tensors are copied onto each parameter's device, floating ones in
        the parameter's dtype; ``step`` keeps its dtype and stays on the CPU.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(group["params"]) != len(saved["params"]) for group, saved in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        param_of = dict(zip(chain.from_iterable(saved["params"] for saved in saved_groups),
                            chain.from_iterable(group["params"] for group in groups)))
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = {name: _cast_state(param, name, value) for name, value in values.items()}
            else:
                state[key] = values
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():   # options added since the state was saved
                if default is not required:
                    saved.setdefault(name, default)
        self.state = state
        self.param_groups = saved_groups
        self._after_load()

    def _after_load(self):
        """Hook for subclasses that fix options after loading (AdamW's decoupled decay)."""

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _as_array(value):
    """The array inside a minigrad tensor, NumPy array or torch tensor."""
    if isinstance(value, Tensor):
        return value.array
    if type(value).__module__.startswith("torch"):   # a torch optimizer's state: its values, by DLPack
        return numpy.from_dlpack(value.detach().cpu())
    return numpy.asarray(value)


def _cast_state(param, name, value):
    """A copy of one saved state value, placed for ``param`` as torch's ``load_state_dict`` does."""
    if isinstance(value, dict):
        return {key: _cast_state(param, key, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, None, item) for item in value)
    if name == "step":   # the counter: a CPU tensor of its own dtype, even if saved as a number
        if isinstance(value, (int, float)):
            return Tensor._wrap(numpy.array(float(value), scalar_dtype()))
        return Tensor._wrap(numpy.array(to_device(_as_array(value), CPU), copy=True))
    if not (isinstance(value, (Tensor, numpy.ndarray)) or type(value).__module__.startswith("torch")):
        return value
    original = _as_array(value)
    array = original
    if param.array.dtype.kind == "f" and array.dtype.kind == "f":
        array = array.astype(param.array.dtype, copy=False)
    array = to_device(array, param.device)
    return Tensor._wrap(array.copy() if array is original else array)
