"""chainrule.data (also ``chainrule.utils.data``): datasets, minibatches, and DataFrames
to tensors, with PyTorch's ``torch.utils.data`` names.

>>> import chainrule as torch
>>> from chainrule.data import DataLoader, TensorDataset
>>> X, y = torch.randn(100, 2), torch.randn(100)
>>> for Xb, yb in DataLoader(TensorDataset(X, y), batch_size=10, shuffle=True):
...     break
>>> Xb.shape, yb.shape
(torch.Size([10, 2]), torch.Size([10]))
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .frame import from_dataframe, preprocess_dataframe
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "from_dataframe",
    "preprocess_dataframe",
    "random_split",
]
