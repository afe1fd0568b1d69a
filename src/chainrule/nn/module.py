"""Module: the base class of layers and models, with PyTorch's registration rules.

Assigning a Parameter, a Module or a buffer to an attribute registers it, so that
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and the printed form find it.

>>> import chainrule as torch
>>> from chainrule import nn
>>> class Affine(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.w = nn.Parameter(torch.ones(2))
...     def forward(self, x):
...         return x * self.w
>>> m = Affine()
>>> [name for name, _ in m.named_parameters()]
['w']
>>> m(torch.tensor([1.0, 2.0]))
tensor([1., 2.], grad_fn=<MulBackward0>)
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from .. import compiler, dtypes
from ..autograd.grad_mode import no_grad
from ..device import device as _device_cls
from ..device import resolve as _resolve_device
from ..tensor import Tensor
from .parameter import Parameter, is_lazy


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )

    __str__ = __repr__


class RemovableHandle:
    """The handle a hook registration returns: ``remove()`` unregisters the hook (twice
    is harmless); ``with handle:`` removes it on leaving. ``id`` is its key."""

    next_id = 0

    def __init__(self, hooks: OrderedDict, extra: set | None = None) -> None:
        self.hooks_dict_ref = hooks
        self.extra = extra
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        self.hooks_dict_ref.pop(self.id, None)
        if self.extra is not None:
            self.extra.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (for nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _type_name(value) -> str:
    """PyTorch's ``typename``: 'torch.FloatTensor' for tensors, else the qualified class."""
    if isinstance(value, Tensor):
        return value.type()
    cls = type(value)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


class Module:
    """Base class for all layers and models: subclass it, build the parts in ``__init__``
    (after ``super().__init__()``) and compute in ``forward``; call the module, not forward.

    >>> from chainrule import nn
    >>> net = nn.Sequential(nn.Linear(2, 1))
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=1, bias=True)
    )
    >>> sum(p.numel() for p in net.parameters())
    3
    """

    training: bool

    def __init__(self) -> None:
        # written through object.__setattr__: our __setattr__ needs these dicts to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        compiled = d.get("_compiled_call_impl")
        if compiled is not None:  # self.compile() was called
            return compiled(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        d = self.__dict__
        pre, post = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        if not pre and not post:
            return self.forward(*args, **kwargs)
        with_kwargs = d["_hooks_with_kwargs"]
        for key, hook in list(pre.items()):
            if key in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:  # a new input (a lone value becomes a 1-tuple)
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for key, hook in list(post.items()):
            if key in with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:  # the hook's value replaces the output
                output = result
        return output

    def compile(self, *args, **kwargs) -> None:
        """Compile this module's calls in place with ``chainrule.compile`` (the same
        arguments): later calls run the traced graph (forward and hooks).

        >>> import chainrule as torch
        >>> net = torch.nn.Linear(2, 1)
        >>> net.compile()
        >>> tuple(net(torch.ones(3, 2)).shape)
        (3, 1)
        """
        fn = compiler.compile(functools.partial(Module._call_impl, self), *args, **kwargs)
        object.__setattr__(self, "_compiled_call_impl", fn)

    # ------------------------------------------------------------------ hooks
    def _add_hook(self, registry: str, hook: Callable, prepend: bool, with_kwargs: bool):
        d = self.__dict__
        if registry not in d:  # (a module whose __init__ did not run Module.__init__)
            object.__setattr__(self, registry, OrderedDict())
            object.__setattr__(self, "_hooks_with_kwargs", d.get("_hooks_with_kwargs", set()))
        hooks = d[registry]
        handle = RemovableHandle(hooks, d["_hooks_with_kwargs"])
        hooks[handle.id] = hook
        if with_kwargs:
            d["_hooks_with_kwargs"].add(handle.id)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a value it returns (not None)
        replaces the input (a non-tuple is taken as the only argument). With
        ``with_kwargs=True``: ``hook(module, args, kwargs)`` returning None or
        ``(args, kwargs)``. ``prepend``: run before the hooks already registered.

        >>> import chainrule as torch
        >>> m = torch.nn.Identity()
        >>> h = m.register_forward_pre_hook(lambda mod, args: args[0] * 10)
        >>> m(torch.ones(1))
        tensor([10.])
        >>> h.remove(); m(torch.ones(1))
        tensor([1.])
        """
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward; a value it returns (not
        None) replaces the output. With ``with_kwargs=True``: ``hook(module, args, kwargs,
        output)``. The handle's ``remove()`` (or leaving ``with handle:``) unregisters it.

        >>> import chainrule as torch
        >>> m, seen = torch.nn.ReLU(), []
        >>> h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
        >>> _ = m(torch.ones(2, 3)); seen
        [torch.Size([2, 3])]
        """
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable, with_module: bool = False
    ) -> RemovableHandle:
        """Call ``hook(state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` (with the module first if ``with_module``) before
        ``load_state_dict`` loads this module's own entries (those under ``prefix``): it
        may change the state dict or the module (a lazy module materializes its
        parameters there). PyTorch's private hook, with its arguments."""
        if with_module:
            hook = functools.partial(hook, self)
        return self._add_hook("_load_state_dict_pre_hooks", hook, False, False)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                    "(torch.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from the instance dict and the registries other than ``keep``
        (which keeps its order when a value is replaced)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            reg = d.get(key)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d.get(key, ()):
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{what} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{what} name can\'t be empty string ""')
        if hasattr(self, name) and not any(
            name in self.__dict__[k] for k in ("_parameters", "_buffers", "_modules")
        ):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``.

        >>> import chainrule as torch
        >>> m = torch.nn.Module(); m.register_parameter("w", torch.nn.Parameter(torch.ones(1)))
        >>> [n for n, _ in m.named_parameters()]
        ['w']
        """
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_type_name(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not trained (e.g. running statistics);
        ``persistent=False`` keeps it out of ``state_dict()``.

        >>> import chainrule as torch
        >>> m = torch.nn.Module(); m.register_buffer("count", torch.zeros(1))
        >>> list(m.state_dict())
        ['count']
        """
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name`` (what attribute assignment does).

        >>> from chainrule import nn
        >>> m = nn.Module(); m.add_module("act", nn.ReLU()); m
        Module(
          (act): ReLU()
        )
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        self._modules[name] = module

    register_module = add_module

    # --------------------------------------------------------------- traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names ('' for self).

        >>> from chainrule import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(1, 1), nn.ReLU()).named_modules()]
        ['', '0', '1']
        """
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
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and all below it."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        if not recurse:
            mods = [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in mod.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Parameters with dotted names, each shared one once.

        >>> from chainrule import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(2, 1)).named_parameters()]
        ['0.weight', '0.bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters to hand to an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Buffers with dotted names."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The registered buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule and then on self (e.g. custom init); returns self.

        >>> from chainrule import nn
        >>> names = []; _ = nn.Sequential(nn.ReLU()).apply(lambda m: names.append(type(m).__name__))
        >>> names
        ['ReLU', 'Sequential']
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active) on self and all submodules; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``.

        >>> from chainrule import nn
        >>> nn.Dropout().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (freeze with False); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (default) or to zeros."""
        for p in self.parameters():
            if getattr(p, "_grad", None) is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                g.requires_grad_(False)
                g.zero_()

    # ------------------------------------------------------------- conversion
    def _apply_to_tensors(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Replace every parameter's, gradient's and buffer's data by ``fn(data)``, keeping
        the Parameter objects (an optimizer built before still holds them)."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is None:
                    continue
                with no_grad():
                    p.data = fn(p.data)
                    grad = getattr(p, "_grad", None)
                    if grad is not None:
                        p._grad = fn(grad.detach())
            for k, b in m._buffers.items():
                if b is not None:
                    m._buffers[k] = fn(b)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move parameters and buffers to a device and/or cast the floating-point ones to a
        dtype, in place (the Parameter objects stay, so an optimizer built before keeps
        working); returns self. Takes what ``Tensor.to`` takes. On ``'dask'`` each
        parameter and buffer becomes one chunk unless ``chunks`` (Dask's spelling) says
        otherwise.

        >>> import chainrule as torch
        >>> torch.nn.Linear(2, 1).to("cpu", torch.float64).weight.dtype
        torch.float64
        """
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        chunks = kwargs.get("chunks")
        for a in args:
            if isinstance(a, dtypes.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif not isinstance(a, bool):  # to(device, dtype, non_blocking)
                device = a
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got "
                f"desired dtype={dtype}"
            )
        if device is not None:
            device = _resolve_device(device)  # a bad device raises before anything moves
        if dtype is None and device is None:
            return self

        def convert(t: Tensor) -> Tensor:
            dt = dtype if t.is_floating_point() else None
            if device is not None and device.type == "dask":
                if chunks is not None:
                    return t.to(device=device, dtype=dt, chunks=chunks)
                if t.device != device:  # (a parameter is small: one chunk)
                    return t.to(device=device, dtype=dt, chunks=-1)
            return t.to(device=device, dtype=dt)

        return self._apply_to_tensors(convert)

    def cuda(self, device=None) -> Module:
        """Move parameters and buffers to a GPU (``device``: an index; the current GPU
        when None)."""
        return self.to(_device_cls("cuda", device) if device is not None else "cuda")

    def float(self) -> Module:
        """Floating-point parameters and buffers to float32."""
        return self.to(dtypes.float32)

    def double(self) -> Module:
        """Floating-point parameters and buffers to float64."""
        return self.to(dtypes.float64)

    def cpu(self) -> Module:
        """Move parameters and buffers to the CPU."""
        return self.to("cpu")

    # --------------------------------------------------------------- state dict
    def state_dict(
        self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, detached (sharing storage).

        >>> from chainrule import nn
        >>> list(nn.Linear(2, 1).state_dict())
        ['weight', 'bias']
        """
        out = OrderedDict() if destination is None else destination
        self._save_to_state_dict(out, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=out, prefix=prefix + name + ".", keep_vars=keep_vars)
        return out

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers (not its children's)
        into ``destination`` under ``prefix``; what ``state_dict`` does per module."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        With ``strict`` (default) missing or unexpected keys raise, listed as PyTorch
        lists them; shape mismatches always raise. ``assign=True`` stores the given
        tensors instead of copying into the existing ones.

        >>> from chainrule import nn
        >>> a, b = nn.Linear(2, 1), nn.Linear(2, 1)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        >>> bool((a.weight == b.weight).all())
        True
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        errors: list[str] = []
        missing: list[str] = []
        unexpected: list[str] = []
        expected = set()
        for mod_prefix, mod in self.named_modules():
            pre = mod_prefix + "." if mod_prefix else ""
            for hook in list(mod.__dict__.get("_load_state_dict_pre_hooks", {}).values()):
                hook(state_dict, pre, {}, strict, missing, unexpected, errors)
            locals_ = [(n, p, True) for n, p in mod._parameters.items() if p is not None]
            locals_ += [
                (n, b, False)
                for n, b in mod._buffers.items()
                if b is not None and n not in mod._non_persistent_buffers_set
            ]
            for name, current, is_param in locals_:
                key = pre + name
                expected.add(key)
                if key not in state_dict:
                    continue
                value = state_dict[key]
                if not isinstance(value, Tensor):
                    errors.append(
                        f'While copying the parameter named "{key}", expected torch.Tensor or '
                        f"Tensor-like object from checkpoint but received {type(value)}"
                    )
                    continue
                if is_lazy(current):  # (a lazy module's hook materializes it first)
                    if not is_lazy(value):
                        errors.append(
                            f'While copying the parameter named "{key}", whose dimensions in '
                            "the model are unknown (it is uninitialized) and whose dimensions "
                            f"in the checkpoint are {value.shape}, an exception occurred : "
                            "(a module that is not lazy cannot materialize it)."
                        )
                    continue
                if value.shape != current.shape:
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape {value.shape} "
                        f"from checkpoint, the shape in current model is {current.shape}."
                    )
                    continue
                if assign:
                    if is_param:
                        new = Parameter(value.detach(), current.requires_grad)
                        mod._parameters[name] = new
                    else:
                        mod._buffers[name] = value
                else:
                    with no_grad():
                        current.copy_(value)
        missing += [k for k in self.state_dict() if k not in state_dict]
        unexpected += [k for k in state_dict if k not in expected]
        if strict:
            if unexpected:
                errors.insert(
                    0,
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". ",
                )
            if missing:
                errors.insert(
                    0,
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ",
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's printed form (override it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2) for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return self._get_name() + "()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        keys = set(super().__dir__())
        for key in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(key, ()))
        return sorted(keys)


Module.__module__ = "chainrule.nn"
