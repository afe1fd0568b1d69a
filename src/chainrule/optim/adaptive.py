"""Per-coordinate adaptive rates: Adagrad, RMSprop, Adadelta (PyTorch's update rules,
operation by operation, so that trajectories agree with PyTorch's step by step).

>>> import chainrule as torch
>>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
>>> opt = torch.optim.Adagrad([w], lr=0.5)
>>> (w * w).sum().backward(); opt.step(); w
Parameter containing:
tensor([ 0.5000, -1.5000], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import creation
from .adam import _step_dtype
from .optimizer import Optimizer, _no_grad_step, _unsupported


def _check(**values: float) -> None:
    """PyTorch's refusals of negative hyper-parameters, in its words."""
    words = {"lr": "learning rate", "eps": "epsilon value"}
    for name, v in values.items():
        if not 0.0 <= v:
            raise ValueError(f"Invalid {words.get(name, name + ' value')}: {v}")


def _grad(p, group):
    """p's gradient as the update uses it: negated to maximize, plus weight decay."""
    g = getattr(p, "_grad", None)
    if g is None:
        return None
    if group["maximize"]:
        g = -g
    if group["weight_decay"] != 0:
        g = g + p * group["weight_decay"]
    return g


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): each coordinate's step shrinks with the sum of its squared
    gradients,

        sum <- sum + g * g
        p   <- p - lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum) + eps)

    State (``step``, ``sum`` started at ``initial_accumulator_value``) exists from the
    start, as in PyTorch.

    >>> import chainrule as torch
    >>> torch.optim.Adagrad([torch.nn.Parameter(torch.ones(1))]).defaults["eps"]
    1e-10
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        _check(eps=eps)
        _unsupported(differentiable=differentiable, fused=bool(fused))
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = creation.tensor(0.0, dtype=_step_dtype())
                state["sum"] = creation.full_like(p, group["initial_accumulator_value"])

    @_no_grad_step
    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                g = _grad(p, group)
                if g is None:
                    continue
                state = self.state[p]
                state["step"].add_(1)
                step = state["step"].item()
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                state["sum"].add_(g * g)
                std = state["sum"].sqrt().add_(group["eps"])
                p.add_(g * -clr / std)
        return loss


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide by a running root-mean-square of the gradients,

        v <- alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - mean(g)^2) if centered else sqrt(v), plus eps
        b <- momentum * b + g / avg;  p <- p - lr * b      (momentum > 0)
        p <- p - lr * g / avg                               (otherwise)

    >>> import chainrule as torch
    >>> torch.optim.RMSprop([torch.nn.Parameter(torch.ones(1))]).defaults["alpha"]
    0.99
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        _unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """One RMSprop update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            alpha, momentum = group["alpha"], group["momentum"]
            for p in group["params"]:
                g = _grad(p, group)
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = creation.tensor(0.0, dtype=_step_dtype())
                    state["square_avg"] = creation.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = creation.zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = creation.zeros_like(p)
                state["step"].add_(1)
                v = state["square_avg"]
                v.mul_(alpha).add_(g * (1 - alpha) * g)
                if group["centered"]:
                    m = state["grad_avg"]
                    m.add_((g - m) * (1 - alpha))  # PyTorch's lerp for a weight below 0.5
                    avg = (v + m * -1 * m).sqrt()
                else:
                    avg = v.sqrt()
                avg.add_(group["eps"])
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(momentum).add_(g / avg)
                    p.add_(buf, alpha=-group["lr"])
                else:
                    p.add_(g * -group["lr"] / avg)
        return loss


class Adadelta(Optimizer):
    """Adadelta (Zeiler): steps sized by the ratio of running RMS of past updates and of
    gradients, so ``lr`` (default 1.0) only scales them,

        v <- rho * v + (1 - rho) * g * g
        d =  sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d * d
        p <- p - lr * d

    >>> import chainrule as torch
    >>> torch.optim.Adadelta([torch.nn.Parameter(torch.ones(1))]).defaults["rho"]
    0.9
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check(eps=eps, weight_decay=weight_decay)
        _unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """One Adadelta update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                g = _grad(p, group)
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = creation.tensor(0.0, dtype=_step_dtype())
                    state["square_avg"] = creation.zeros_like(p)
                    state["acc_delta"] = creation.zeros_like(p)
                state["step"].add_(1)
                v, u = state["square_avg"], state["acc_delta"]
                v.mul_(rho).add_(g * (1 - rho) * g)
                std = (v + eps).sqrt()
                delta = (u + eps).sqrt().div_(std).mul_(g)
                u.mul_(rho).add_(delta * (1 - rho) * delta)
                p.add_(delta, alpha=-group["lr"])
        return loss
