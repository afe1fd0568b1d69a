"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum
and L2 weight decay (PyTorch's update rule).

>>> import chainrule as torch
>>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
>>> opt = torch.optim.SGD([w], lr=0.5)
>>> (w * w).sum().backward(); opt.step(); w
Parameter containing:
tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable

from .optimizer import Optimizer, _no_grad_step, _unsupported


class SGD(Optimizer):
    """For each parameter p with gradient g, with the momentum buffer b (started as g):

        g <- g + weight_decay * p               (if weight_decay)
        b <- momentum * b + (1 - dampening) * g (if momentum)
        g <- g + momentum * b  (nesterov)  or  g <- b
        p <- p - lr * g        (p + lr * g with maximize=True)

    >>> import chainrule as torch
    >>> torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1, momentum=0.9)
    SGD (
    Parameter Group 0
        dampening: 0
        differentiable: False
        foreach: None
        fused: None
        lr: 0.1
        maximize: False
        momentum: 0.9
        nesterov: False
        weight_decay: 0
    )
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _unsupported(differentiable=differentiable, fused=bool(fused))
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                grad = getattr(p, "_grad", None)
                if grad is None:
                    continue
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + p * weight_decay
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.detach().clone()
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad + buf * momentum if nesterov else buf
                p.add_(grad, alpha=-lr)
        return loss
