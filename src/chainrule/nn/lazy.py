"""LazyModuleMixin: modules whose parameters take their shapes from the first input.

A lazy module (``nn.LazyLinear(256)``: no ``in_features``) holds
``UninitializedParameter`` objects until its first call. A forward pre-hook then reads
the input's shape, materializes the parameters in place (the same objects, so an
optimizer built before holds them), draws their initial values as the eager module
does, removes itself, and turns the module into its eager class (``cls_to_become``:
``LazyLinear`` becomes ``Linear``). ``load_state_dict`` materializes them too, with the
shapes in the state dict.

>>> import chainrule as torch
>>> net = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.ReLU(), torch.nn.LazyLinear(1))
>>> net[0].weight
<UninitializedParameter>
>>> net(torch.ones(2, 3)).shape, net[0].weight.shape
(torch.Size([2, 1]), torch.Size([4, 3]))
>>> net[0]
Linear(in_features=3, out_features=4, bias=True)

Parameters initialize in call order, after those of the eager modules built with them,
so with one seed a lazy network draws other numbers than the same eager network
(PyTorch's caveat too).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from ..autograd.grad_mode import no_grad
from .parameter import is_lazy


class LazyModuleMixin:
    """The mixin of the lazy modules: put it before the eager class
    (``class LazyLinear(LazyModuleMixin, Linear)``), set ``cls_to_become`` to that
    class, create ``UninitializedParameter``/``UninitializedBuffer`` objects in
    ``__init__`` and materialize them in ``initialize_parameters(*inputs)``.

    >>> import chainrule as torch
    >>> layer = torch.nn.LazyLinear(2)
    >>> layer.has_uninitialized_params()
    True
    >>> layer.initialize_parameters(torch.ones(1, 5)); layer.weight.shape
    torch.Size([2, 5])
    >>> layer.has_uninitialized_params()
    False
    """

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        # an uninitialized parameter goes in as itself (it cannot be detached)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars or is_lazy(p) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars or is_lazy(b) else b.detach()

    def _lazy_load_hook(
        self,
        state_dict,
        prefix: str,
        local_metadata,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        """load_state_dict's pre-hook: an uninitialized parameter or buffer whose entry
        in the state dict is initialized takes that entry's shape (the values are copied
        next, as for any module), so a state dict saved from a trained model loads into
        a fresh lazy one."""
        for name, t in chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if t is not None and key in state_dict and is_lazy(t):
                value = state_dict[key]
                if not is_lazy(value):
                    with no_grad():
                        t.materialize(value.shape)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Give the parameters their shapes from the inputs (a lazy module's own)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any of this module's own parameters or buffers is uninitialized."""
        return any(is_lazy(t) for t in chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, module, args: tuple, kwargs: dict[str, Any] | None = None):
        """The forward pre-hook of the first call: initialize the parameters from the
        inputs, then remove the hooks and become ``cls_to_become``."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become
