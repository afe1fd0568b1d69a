"""chainrule.utils: PyTorch's ``torch.utils`` paths (``chainrule.utils.data``).

Nothing here imports an optional package at import time (pandas loads only when a
DataFrame helper is called).
"""

from . import checkpoint, data
