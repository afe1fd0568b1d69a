"""Adam and AdamW: adaptive moment estimation with bias correction (PyTorch's update rule,
eps added after the square root), AdamW with decoupled weight decay.

>>> import chainrule as torch
>>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
>>> opt = torch.optim.Adam([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step(); w
Parameter containing:
tensor([ 0.9000, -0.9000], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import creation, dtypes
from ..functions import elementwise as E
from ..ops.symbolic import is_symbolic
from .optimizer import Optimizer, _no_grad_step, _unsupported


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t (from 1):

        g <- g + weight_decay * p            (L2, coupled; or, decoupled:
                                              p <- p * (1 - lr * weight_decay))
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2   (amsgrad: vmax <- max(vmax, v), used for v)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    >>> import chainrule as torch
    >>> opt = torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], lr=0.01)
    >>> opt.param_groups[0]["betas"]
    (0.9, 0.999)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _unsupported(capturable=capturable, differentiable=differentiable, fused=bool(fused))
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in group["params"]:
                grad = getattr(p, "_grad", None)
                if grad is None:
                    continue
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if not state:
                    # step is a 0-d tensor, as in PyTorch's state_dict (float64 only when
                    # that is the default dtype)
                    state["step"] = creation.tensor(0.0, dtype=_step_dtype())
                    state["exp_avg"] = creation.zeros_like(p)
                    state["exp_avg_sq"] = creation.zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = creation.zeros_like(p)
                step_t, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
                step_t.add_(1)
                if is_symbolic(step_t):
                    # chainrule.compile traces the step: the count is a graph input read at
                    # each call, not a Python number the graph would keep from the trace.
                    # The bias corrections as tensors, in float64 as Python computes them
                    # below (a tensor exponent: C's pow, as Python's ** 0.5, not sqrt)
                    step = step_t.to(dtypes.float64)
                    half = creation.tensor(0.5, dtype=dtypes.float64)
                else:
                    step = step_t.item()
                    half = 0.5
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad + p * weight_decay
                # m moves toward g by (1 - beta1): PyTorch's lerp, m + w * (g - m)
                exp_avg.add_(grad - exp_avg, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** half
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]
                    vmax.copy_(E.maximum(vmax, exp_avg_sq))  # no maximum_ in the core
                    second = vmax
                else:
                    second = exp_avg_sq
                denom = second.sqrt() / bias_correction2_sqrt + eps
                if type(half) is float:
                    p.add_(exp_avg / denom, alpha=-(lr / bias_correction1))
                else:  # (alpha is a number: the 0-d tensor's product, cast as alpha is)
                    p.add_(exp_avg / denom * -(lr / bias_correction1))
        return loss


def _step_dtype():
    d = dtypes.get_default_dtype()
    return dtypes.float64 if d == dtypes.float64 else dtypes.float32


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the decay shrinks the
    parameters directly, p <- p * (1 - lr * weight_decay), instead of entering the
    gradient; default ``weight_decay=0.01``.

    >>> import chainrule as torch
    >>> opt = torch.optim.AdamW([torch.nn.Parameter(torch.ones(1))])
    >>> opt.param_groups[0]["weight_decay"], opt.param_groups[0]["decoupled_weight_decay"]
    (0.01, True)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
