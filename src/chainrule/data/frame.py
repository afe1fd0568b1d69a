"""From a pandas DataFrame to tensors, with the d2l preprocessing lecture's steps:
missing numbers become their column's mean, categorical columns become one-hot columns
(with one more for "missing", ``get_dummies(dummy_na=True)``), booleans become 0./1.

pandas is optional (``pip install chainrule[data]``) and imported only when used.

>>> import pandas as pd
>>> from chainrule.data import from_dataframe
>>> df = pd.DataFrame({"NumRooms": [None, 2.0, 4.0], "Alley": ["Pave", None, None]})
>>> from_dataframe(df)
tensor([[3., 1., 0.],
        [2., 0., 1.],
        [4., 0., 1.]])
"""

from __future__ import annotations

import numpy as np

from ..creation import tensor
from ..dtypes import get_default_dtype, to_dtype
from ..tensor import Tensor

__all__ = ["preprocess_dataframe", "from_dataframe"]


def _pandas(what: str):
    try:
        import pandas
    except ImportError as e:
        raise ImportError(
            f"chainrule.data.{what} needs the pandas package: pip install chainrule[data]"
        ) from e
    return pandas


def preprocess_dataframe(df, *, dummy_na: bool = True, standardize: bool = False):
    """The lecture's preprocessing as a new all-float DataFrame (``df`` is not changed).

    Numeric columns: NA -> the column mean (with ``standardize=True``, first rescaled to
    mean 0 and standard deviation 1 as in d2l's house-prices chapter, then NA -> 0).
    Boolean columns: 0./1. Text and categorical columns: one-hot via ``pd.get_dummies``,
    with an ``_nan`` column for missing values when ``dummy_na`` (the default).

    >>> import pandas as pd
    >>> from chainrule.data import preprocess_dataframe
    >>> preprocess_dataframe(pd.DataFrame({"a": [1.0, None], "b": ["x", None]}))
         a  b_x  b_nan
    0  1.0  1.0    0.0
    1  1.0  0.0    1.0
    """
    pd = _pandas("preprocess_dataframe")
    out = df.copy()
    categorical = []
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_bool_dtype(col):
            out[name] = col.astype(np.float64)
        elif pd.api.types.is_numeric_dtype(col):
            col = col.astype(np.float64)
            if col.isna().all() and len(col):
                raise ValueError(
                    f"column {name!r} has no values, so there is no mean to fill it with; "
                    "drop it first (df.drop(columns=[...]))"
                )
            if standardize:
                col = ((col - col.mean()) / col.std()).fillna(0.0)
            else:
                col = col.fillna(col.mean())
            out[name] = col
        elif (
            isinstance(col.dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(col)
            or pd.api.types.is_string_dtype(col)
        ):
            categorical.append(name)
        else:
            raise TypeError(
                f"column {name!r} has dtype {col.dtype}, which has no numeric encoding here; "
                "convert it to numbers or strings first"
            )
    if categorical:
        out = pd.get_dummies(out, columns=categorical, dummy_na=dummy_na, dtype=np.float64)
    return out


def from_dataframe(
    df,
    target: str | None = None,
    *,
    dtype=None,
    target_dtype=None,
    dummy_na: bool = True,
    standardize: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Features (and, given ``target``, that column as labels) of ``df`` as tensors, after
    :func:`preprocess_dataframe`. Both are ``dtype`` (default: the default dtype, float32)
    unless ``target_dtype`` says otherwise (e.g. ``chainrule.int64`` for class indices).

    >>> import pandas as pd
    >>> from chainrule.data import from_dataframe
    >>> df = pd.DataFrame({"rooms": [2.0, None, 4.0], "price": [100, 150, 200]})
    >>> from_dataframe(df, target="price")
    (tensor([[2.],
            [3.],
            [4.]]), tensor([100., 150., 200.]))
    """
    pd = _pandas("from_dataframe")
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    features = df
    if target is not None:
        if target not in df.columns:
            raise KeyError(f"target column {target!r} is not in the DataFrame")
        y = df[target]
        if not (pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)):
            raise TypeError(
                f"target column {target!r} has dtype {y.dtype}; it must hold numbers (encode "
                "classes as integers first, e.g. df[col].astype('category').cat.codes)"
            )
        missing = int(y.isna().sum())
        if missing:
            raise ValueError(
                f"target column {target!r} has {missing} missing value(s); drop those rows "
                f"first (df.dropna(subset=[{target!r}]))"
            )
        features = df.drop(columns=[target])
    X = preprocess_dataframe(features, dummy_na=dummy_na, standardize=standardize)
    X = tensor(X.to_numpy(dtype=np.float64), dtype=d)
    if target is None:
        return X
    yd = to_dtype(target_dtype) if target_dtype is not None else d
    return X, tensor(y.to_numpy(dtype=np.float64), dtype=yd)
