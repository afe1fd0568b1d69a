"""chainrule.distributions: PyTorch's ``torch.distributions`` over chainrule's ops.

Densities, entropies and moments are composites of the table's ops (so their gradients
flow to the parameters, to any order); ``rsample`` is reparameterized where PyTorch's is
(Normal, MultivariateNormal, Uniform, Exponential, and Gamma and Beta through the gamma
sampler's implicit gradient, the table's ``standard_gamma``); ``validate_args`` raises
PyTorch's ValueError texts. Samples come from chainrule's seeded random stream: those of
Categorical and Multinomial draw through ``multinomial`` as PyTorch's do, so after the same
seed they are PyTorch's numbers (given the same probabilities, bit for bit); the others
follow the same laws as PyTorch's, not the same numbers.

>>> import chainrule as torch
>>> from chainrule.distributions import Normal
>>> _ = torch.manual_seed(0)
>>> Normal(torch.zeros(3), 1.0).sample((2,)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from . import constraints
from .continuous import Beta, Exponential, ExponentialFamily, Gamma, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Multinomial, Poisson
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Gamma",
    "Multinomial",
    "MultivariateNormal",
    "Normal",
    "Poisson",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
