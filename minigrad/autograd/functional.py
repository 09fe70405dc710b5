"""``torch.autograd.functional``: Jacobians, Hessians and their products with vectors.

Every function here is a few calls of ``autograd.grad``: a vector-Jacobian product
is one backward pass; a Jacobian is one backward pass per output element; a
Jacobian-vector product uses the double-backward trick (the vjp is linear in its
vector, so differentiating it with respect to that vector gives the jvp); a
Hessian is the Jacobian of the gradient, recorded with ``create_graph=True``.
Signatures, tuple conventions and ``strict`` errors follow torch's.
``vectorize=True`` is accepted and computes the same values by the loop
(minigrad has no vmap); ``strategy="forward-mode"`` is not available (no forward AD).
"""
from __future__ import annotations

from ..core.engine import grad as _grad
from ..core.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..core.tensor import Tensor
from ..ops.factories import zeros_like
from ..ops.join import stack

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(value, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``, with torch's TypeError for anything else."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"the value at index {index} has type" if is_tuple else f"the given {arg_name} has type"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                            f"Tensors but {where} {type(item)}.")
    return is_tuple, values


def _prepare(tensors, create_graph, need_graph):
    """Inputs the function is differentiated at: linked to their graph only with create_graph."""
    return tuple(tensor.view_as(tensor) if create_graph and tensor.requires_grad
                 else tensor.detach().requires_grad_(need_graph) for tensor in tensors)


def _finish(tensors, create_graph):
    return tuple(tensors) if create_graph else tuple(tensor.detach() for tensor in tensors)


def _unpack(values, is_tuple):
    return values if is_tuple else values[0]


def _check_v(v, others, others_are_tuple):
    if len(v) != len(others):
        if others_are_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for index, (vector, other) in enumerate(zip(v, others)):
        if vector.shape != other.shape:
            prefix = f"Entry {index} in " if others_are_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {other.shape} but got {vector.shape}.")


def _check_outputs(outputs, strict):
    if strict:
        for index, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(f"Output {index} of the user-provided function does not require gradients."
                                   " The outputs must be computed in a differentiable manner from the input"
                                   " when running in strict mode.")


def _grads(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad; None for every input if none does."""
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([out for out, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed "
            "in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs "
                  "when using the double backward trick to compute forward mode gradients. This is not "
                  "allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not "
                   "allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the "
                         "double backward trick to replace forward mode AD.",
}


def _zeros_for_unused(grads, references, strict, create_graph, stage):
    """Zeros where nothing flowed (the mathematical value), or torch's errors in strict mode."""
    result = []
    for index, (value, reference) in enumerate(zip(grads, references)):
        if value is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=index))
            value = zeros_like(reference)
        elif strict and create_graph and not value.requires_grad:
            what = "jacobian" if "double" not in stage else "hessian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {index}. "
                               "This is not allowed in strict mode when create_graph=True.")
        result.append(value)
    return tuple(result)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_outputs(outputs, strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, outputs, outputs_are_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grads(outputs, inputs, v if v is not None else (None,), create_graph)
        products = _zeros_for_unused(products, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_are_tuple),
            _unpack(_finish(products, create_graph), inputs_are_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``, by the double-backward trick (the vjp is linear in its vector)."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, inputs, inputs_are_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_outputs(outputs, strict)
        dummies = tuple(zeros_like(out).requires_grad_(True) for out in outputs)   # u in u^T J
        vjps = _grads(outputs, inputs, dummies, create_graph=True)
        if strict:
            for index, value in enumerate(vjps):
                if value is None or not value.requires_grad:
                    raise RuntimeError(f"The gradient with respect to input {index} is independent of the inputs "
                                       "of the user-provided function. This is not allowed in strict mode.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grads(vjps, dummies, v if v is not None else (None,), create_graph)
        products = _zeros_for_unused(products, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_are_tuple),
            _unpack(_finish(products, create_graph), outputs_are_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """``d func(inputs) / d inputs``: for each output, a tensor of shape ``output.shape + input.shape``."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode":
        raise NotImplementedError("minigrad has no forward-mode AD: use strategy='reverse-mode'")
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                               "jacobian")
        _check_outputs(outputs, strict)
        jacobians = []
        for out_index, output in enumerate(outputs):
            rows = [[] for _ in inputs]                       # per input: one gradient per output element
            flat = output.reshape(-1)
            for element in range(output.numel()):
                row = _grads((flat[element],), inputs, (None,), create_graph, retain_graph=True)
                for in_index, (value, input) in enumerate(zip(row, inputs)):
                    if value is None:
                        if strict:
                            raise RuntimeError(f"Output {out_index} of the user-provided function is independent "
                                               f"of input {in_index}. This is not allowed in strict mode.")
                        value = zeros_like(input)
                    elif strict and create_graph and not value.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input "
                                           f"{out_index}. This is not allowed in strict mode when create_graph=True.")
                    rows[in_index].append(value)
            jacobians.append(tuple(
                (stack(row, 0) if row else zeros_like(input).reshape((0,) + tuple(input.shape)))
                .reshape(tuple(output.shape) + tuple(input.shape)) for row, input in zip(rows, inputs)))
        jacobians = [_finish(row, create_graph) for row in jacobians]
    jacobians = [_unpack(row, inputs_are_tuple) for row in jacobians]
    return _unpack(tuple(jacobians), outputs_are_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function with one single-element output: the Jacobian of its gradient."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        output = func(*xs)
        _, outputs = _as_tuple(output, "outputs of the user-provided function", "hessian")
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single "
                               "element.")
        jac = jacobian(func, xs, create_graph=True)
        jac = jac if isinstance(jac, tuple) else (jac,)
        if strict:
            for index, value in enumerate(jac):
                if not value.requires_grad:
                    raise RuntimeError(
                        "While computing the hessian, found that the jacobian of the user-provided function "
                        f"with respect to input {index} is independent of the input. This is not allowed in "
                        "strict mode. You should ensure that your function is twice differentiable and that "
                        "the jacobian depends on the inputs (this would be violated by a linear function for "
                        "example).")
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      strategy=outer_jacobian_strategy)
    return _unpack(tuple(_unpack(row, inputs_are_tuple) for row in result), inputs_are_tuple)


def _gradient_of_scalar(func, inputs, v, create_graph, strict, name):
    """Shared by vhp/hvp: the inputs, v, the output and its gradient (recorded)."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, inputs, inputs_are_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        _, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", name)
        _check_outputs(outputs, strict)
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hvp should contain a single element")
        gradients = _grads(outputs, inputs, (None,), create_graph=True)
        gradients = _zeros_for_unused(gradients, inputs, strict, create_graph, "double_back")
    return inputs_are_tuple, inputs, v, outputs[0], gradients


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``: the vector-Hessian product of a single-element function."""
    inputs_are_tuple, inputs, v, output, gradients = _gradient_of_scalar(func, inputs, v, create_graph,
                                                                         strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grads(gradients, inputs, v if v is not None else (None,), create_graph)
        products = _zeros_for_unused(products, inputs, strict, create_graph, "double_back")
    return _finish((output,), create_graph)[0], _unpack(_finish(products, create_graph), inputs_are_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``, by the double-backward trick (as torch's)."""
    inputs_are_tuple, inputs, v, output, gradients = _gradient_of_scalar(func, inputs, v, create_graph,
                                                                         strict, "hvp")
    with enable_grad():
        dummies = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
        twice = _grads(gradients, inputs, dummies, create_graph=True)
        twice = _zeros_for_unused(twice, inputs, strict, create_graph, "double_back_trick")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        products = _grads(twice, dummies, v if v is not None else (None,), create_graph)
        products = _zeros_for_unused(products, inputs, strict, create_graph, "double_back_trick")
    return _finish((output,), create_graph)[0], _unpack(_finish(products, create_graph), inputs_are_tuple)
