"""chainrule.nn: layers, losses and the Module base class, with PyTorch's names.

>>> import chainrule as torch
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
>>> loss = nn.MSELoss()(net(torch.ones(3, 2)), torch.zeros(3, 1))
>>> loss.backward()
>>> net[0].weight.grad.shape
torch.Size([4, 2])
"""

from . import functional, init
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import Sequential
from .conv import Conv1d, Conv2d, ConvTranspose2d, LazyConv2d
from .dropout import Dropout
from .flatten import Flatten
from .fold import Fold, Unfold
from .linear import Identity, LazyLinear, Linear
from .loss import CrossEntropyLoss, MSELoss
from .module import Module
from .parameter import Parameter
from .pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "LazyConv2d",
    "MaxPool1d",
    "MaxPool2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Fold",
    "Identity",
    "Linear",
    "LazyLinear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Unfold",
    "functional",
    "init",
]
