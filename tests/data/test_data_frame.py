"""DataFrame -> tensors with the d2l preprocessing lecture's steps, on its house_tiny.csv."""

import sys

import pytest

import chainrule as torch
from chainrule.data import from_dataframe, preprocess_dataframe

pd = pytest.importorskip("pandas")

HOUSE_TINY = "NumRooms,Alley,Price\nNA,Pave,127500\n2,NA,106000\n4,NA,178100\nNA,NA,140000\n"


@pytest.fixture
def house_tiny(tmp_path):
    path = tmp_path / "house_tiny.csv"
    path.write_text(HOUSE_TINY)
    return pd.read_csv(path)


def test_lecture_preprocessing_values(house_tiny):
    # the lecture prints NumRooms 3,2,4,3 (NaN -> mean 3.0) and Alley_Pave / Alley_nan
    inputs = preprocess_dataframe(house_tiny.iloc[:, 0:2])
    assert list(inputs.columns) == ["NumRooms", "Alley_Pave", "Alley_nan"]
    assert inputs.to_numpy().tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
    assert house_tiny["NumRooms"].isna().sum() == 2  # the input frame is left alone


def test_lecture_tensors_from_dataframe(house_tiny):
    X, y = from_dataframe(house_tiny, target="Price")
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    assert X.tolist() == [[3.0, 1.0, 0.0], [2.0, 0.0, 1.0], [4.0, 0.0, 1.0], [3.0, 0.0, 1.0]]
    assert y.tolist() == [127500.0, 106000.0, 178100.0, 140000.0]
    X64 = from_dataframe(house_tiny.iloc[:, 0:2], dtype=torch.float64)
    assert X64.dtype == torch.float64 and torch.equal(X64.float(), X)
    _, y_long = from_dataframe(house_tiny, target="Price", target_dtype=torch.int64)
    assert y_long.tolist() == [127500, 106000, 178100, 140000]


def test_same_numbers_as_the_lectures_pandas_code(house_tiny):
    inputs = house_tiny.iloc[:, 0:2]
    inputs = inputs.fillna(inputs.mean(numeric_only=True))
    inputs = pd.get_dummies(inputs, dummy_na=True)
    expected = inputs.to_numpy(dtype=float).tolist()
    assert from_dataframe(house_tiny.iloc[:, 0:2], dtype=torch.float64).tolist() == expected


def test_bool_category_and_dummy_na_false():
    df = pd.DataFrame(
        {
            "flag": [True, False, True],
            "kind": pd.Categorical(["a", "b", None]),
            "n": [1, 2, 3],
        }
    )
    X = preprocess_dataframe(df, dummy_na=False)
    assert list(X.columns) == ["flag", "n", "kind_a", "kind_b"]
    assert X.to_numpy().tolist() == [[1, 1, 1, 0], [0, 2, 0, 1], [1, 3, 0, 0]]


def test_standardize_like_d2l_house_prices():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, None]})
    col = preprocess_dataframe(df, standardize=True)["a"].tolist()
    assert col == pytest.approx([-1.0, 0.0, 1.0, 0.0])


def test_errors_name_the_problem():
    df = pd.DataFrame({"x": [1.0, 2.0], "empty": [None, None], "label": ["a", "b"]})
    with pytest.raises(ValueError, match="column 'empty' has no values"):
        from_dataframe(df[["x", "empty"]].astype(float))
    with pytest.raises(KeyError, match="target column 'nope'"):
        from_dataframe(df, target="nope")
    with pytest.raises(TypeError, match="target column 'label' has dtype"):
        from_dataframe(df[["x", "label"]], target="label")
    with pytest.raises(ValueError, match=r"1 missing value.*dropna"):
        from_dataframe(pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, None]}), target="y")
    when = pd.DataFrame({"t": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    with pytest.raises(TypeError, match="column 't' has dtype datetime64"):
        from_dataframe(when)


def test_missing_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match=r"pip install chainrule\[data\]"):
        from_dataframe(object())


def test_importing_chainrule_utils_does_not_import_pandas():
    import subprocess

    code = "import sys, chainrule, chainrule.utils.data; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
