"""``Module``: the base class of every layer and model, as ``torch.nn.Module``.

A module keeps three ordered registries, filled by plain attribute assignment:
``_parameters`` (``Parameter`` objects), ``_buffers`` (tensors that are state
but not learned, such as running statistics) and ``_modules`` (sub-modules).
Everything else - ``parameters()``, ``state_dict()``, ``to()``, ``print(model)``
- walks those registries, so the key names are torch's (``0.weight``,
``encoder.layers.1.bias``) and a torch ``state_dict`` loads as it is.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy

from ...core import dtypes
from ...core.grad_mode import no_grad
from ...core.device import Device, to_device
from ...ops.inplace import write
from ...core.hooks import add_hook
from ...core.tensor import Size, Tensor, typename
from ..parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the ones it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text, spaces):
    """Indent every line but the first (torch's helper for nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join((spaces * " ") + line if line.strip() else "" for line in lines)


class Module:
    """Base class for all neural network modules; subclass it and write ``forward``.

    ::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(784, 128)   # registered as a sub-module
                self.out = nn.Linear(128, 10)

            def forward(self, x):                  # (N, 784) -> (N, 10)
                return self.out(self.hidden(x).relu())
    """

    training: bool
    _version = 1   # torch's state_dict metadata version

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        set_attr = super().__setattr__
        set_attr("training", True)
        set_attr("_parameters", OrderedDict())
        set_attr("_buffers", OrderedDict())
        set_attr("_non_persistent_buffers_set", set())
        set_attr("_modules", OrderedDict())
        set_attr("_forward_hooks", OrderedDict())
        set_attr("_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not self._forward_hooks and not self._forward_pre_hooks:
            return self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            replaced = hook(self, args, kwargs) if with_kwargs else hook(self, args)
            if replaced is None:
                continue
            if with_kwargs:
                args, kwargs = replaced
            else:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        output = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            replaced = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    @staticmethod
    def _add_hook(hooks, hook, prepend, with_kwargs):
        return add_hook(hooks, (hook, with_kwargs), prepend=prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` runs before ``forward`` and may return new args.

        With ``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and may
        return ``(args, kwargs)``; ``prepend=True`` runs it before the others.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) runs after
        ``forward`` and may return a new output."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    # ---- registering parameters, buffers and sub-modules -------------------
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules,
                              self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = self.__dict__.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._parameters, self._buffers,
                              self._non_persistent_buffers_set)
            modules[name] = value
        elif self.__dict__.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            self._modules[name] = value
        elif self.__dict__.get("_buffers") is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            self._buffers[name] = value
        else:
            super().__setattr__(name, value)

    @staticmethod
    def _remove_from(name, *registries):
        for registry in registries:
            if name in registry:
                if isinstance(registry, set):
                    registry.discard(name)
                else:
                    del registry[name]

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the three registries
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = state.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        super().__delattr__(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_new_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is module state (saved, moved by ``to``) but not a parameter."""
        self._check_new_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Add ``param`` (a ``Parameter`` or None) under ``name``."""
        self._check_new_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                             f"must be created explicitly. To express '{name}' as a function of another "
                             "Tensor, compute the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Add a sub-module (or None) under ``name``; it appears in ``children()`` and the repr."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at a dotted path such as ``'encoder.layers.0'``."""
        module = self
        for item in target.split(".") if target else ():
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return module._parameters[name]

    def get_buffer(self, target):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    # ---- walking the tree ----------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every descendant, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                            remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry_of, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, tensor) from each module's registry, shared tensors once."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in registry_of(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, parameter) pairs, as ``('0.weight', Parameter)``; a shared parameter once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- modes and gradients --------------------------------------------------
    def train(self, mode=True):
        """Set training mode here and in every sub-module (Dropout drops only in training)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's ``.grad``: drop it (default) or fill it with zeros."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.grad_fn = None
                param.grad.requires_grad = False
                write(param.grad, 0)

    def apply(self, fn):
        """Call ``fn`` on every sub-module (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- devices and dtypes --------------------------------------------------
    def _apply(self, convert, floating_only=False):
        """Replace the arrays of parameters, their grads and buffers by ``convert(array)``.

        The Parameter objects stay the same (an optimizer built before
        ``model.to(...)`` still holds them); only their ``.array`` changes.
        """
        for module in self.modules():
            tensors = [*module._parameters.values(), *module._buffers.values()]
            for tensor in tensors:
                if tensor is None or (floating_only and tensor.array.dtype.kind not in "fc"):
                    continue
                tensor.array = convert(tensor.array)
                if tensor.grad is not None:
                    tensor.grad.array = convert(tensor.grad.array)
        return self

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``, in place.

        A dtype applies to floating-point parameters and buffers only (integer
        buffers such as step counters keep theirs), as in torch.
        """
        device, dtype = _parse_to(*args, **kwargs)
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got "
                                f"desired dtype={dtype}")
            self._apply(lambda array: array.astype(dtype.numpy, copy=False), floating_only=True)
        if device is not None:
            self._apply(lambda array: to_device(array, device))
        return self

    def cuda(self, device=None):
        return self.to(Device("cuda", device) if device is None or isinstance(device, int) else Device(device))

    def cpu(self):
        return self.to("cpu")

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def type(self, dst_type):
        """Cast every parameter and buffer (floating or not) to ``dst_type``."""
        numpy_dtype = dtypes.to_numpy_dtype(dst_type)
        return self._apply(lambda array: array.astype(numpy_dtype, copy=False))

    # ---- state_dict ------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Put this module's own parameters and persistent buffers in ``destination``."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ``OrderedDict`` of name -> tensor (detached, sharing memory) with torch's key names."""
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _local_state(self):
        """This module's own (name, tensor) pairs that ``state_dict`` saves."""
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                yield name, buffer

    def _plan_load(self, state_dict, prefix, expected, missing, errors, copies):
        """Check this module's entries of ``state_dict``; note what to copy (nothing is changed)."""
        for name, target in self._local_state():
            key = prefix + name
            expected.add(key)
            if key not in state_dict:
                missing.append(key)
                continue
            source = _as_array(state_dict[key])
            if source is None:
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                              f"Tensor-like object from checkpoint but received {type(state_dict[key])}")
                continue
            if target.array.ndim == 0 and source.shape == (1,):   # torch's old checkpoints
                source = source.reshape(())
            if tuple(source.shape) != target.array.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{Size(source.shape)!r} from checkpoint, the shape in current model "
                              f"is {Size(target.array.shape)!r}.")
                continue
            copies.append((self, name, target, source))

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` (minigrad tensors, NumPy arrays or torch tensors).

        Every key and shape is checked before anything is written, so a load
        that raises leaves the model as it was.  Returns
        ``(missing_keys, unexpected_keys)`` as torch's named tuple.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        expected, missing, errors, copies = set(), [], [], []
        for prefix, module in self.named_modules(remove_duplicate=False):
            module._plan_load(state_dict, prefix + "." if prefix else "", expected, missing, errors,
                              copies)
        unexpected = [key for key in state_dict.keys() if key not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{key}"' for key in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{key}"' for key in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(errors)))
        with no_grad():
            for module, name, target, source in copies:
                _copy_into(module, name, target, source, assign)
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing -------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses in ``print(model)``; layers override it."""
        return ""

    def __repr__(self):
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({name}): {_addindent(repr(module), 2)}" for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def _parse_to(*args, device=None, dtype=None, non_blocking=False, copy=False, memory_format=None):
    """The device and dtype named by ``Module.to``'s arguments."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, dtypes.dtype):
            dtype = arg
        elif isinstance(arg, (str, Device)):
            device = arg
        elif isinstance(arg, bool):   # non_blocking: minigrad's copies are synchronous
            pass
        elif arg is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {arg!r}")
    if isinstance(dtype, type) or isinstance(dtype, str):
        dtype = dtypes.from_numpy_dtype(dtypes.to_numpy_dtype(dtype))
    return (Device(device) if device is not None else None), dtype


def _as_array(value):
    """The array of a checkpoint entry: a minigrad tensor, a NumPy/CuPy array or a torch tensor."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, numpy.ndarray) or type(value).__module__.startswith("cupy"):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()     # a torch tensor
    return None


def _copy_into(module, name, target, source, assign):
    """Write ``source`` into ``target`` (cast to its dtype, moved to its device)."""
    source = to_device(source, target.device)
    if assign:
        replacement = Tensor._wrap(source.astype(target.array.dtype, copy=True))
        if isinstance(target, Parameter):
            replacement = Parameter(replacement, target.requires_grad)
        setattr(module, name, replacement)
    else:
        write(target, source)
