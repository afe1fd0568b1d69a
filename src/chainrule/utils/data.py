"""``chainrule.utils.data``: the same objects as :mod:`chainrule.data`, under PyTorch's
``torch.utils.data`` path, so ``from torch.utils import data`` code runs unchanged.

>>> import chainrule
>>> from chainrule.utils import data
>>> data.DataLoader is chainrule.data.DataLoader
True
"""

from ..data import *  # noqa: F403
from ..data import __all__  # noqa: F401
