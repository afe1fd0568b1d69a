"""Every tensor example of the course notes (seeds/004, sections 1.4 and 1.5.2), pinned to the
exact text PyTorch prints for it. No torch needed: the strings below were printed by
torch 2.13.0 and are hard-coded.

The notes are OCR'd; where they are garbled the real PyTorch call is used and the comment says
what the notes show (e.g. ``torch.cat(X, Y, dim=0)`` is ``torch.cat((X, Y), dim=0)``).
The learner's contract is ``import chainrule as torch``, so the examples read as in the notes.
"""

import textwrap

import numpy as np
import pytest

import chainrule as torch


def r(text: str) -> str:
    """A printed block written indented in this file, as it really prints."""
    return textwrap.dedent(text).strip("\n")


# --------------------------------------------------------------------------- 1.4.1 creation


def test_arange_shape_size_numel():
    x = torch.arange(12)
    assert repr(x) == "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11])"
    assert x.dtype == torch.int64
    assert repr(x.shape) == "torch.Size([12])"
    assert repr(x.size()) == "torch.Size([12])"
    assert x.shape == (12,)
    assert x.numel() == 12


def test_reshape_3_4_and_minus_one():
    x = torch.arange(12)
    X = x.reshape(3, 4)
    expected = r("""
        tensor([[ 0,  1,  2,  3],
                [ 4,  5,  6,  7],
                [ 8,  9, 10, 11]])
    """)
    assert repr(X) == expected
    assert repr(x.reshape(-1, 4)) == expected
    assert repr(x.reshape(3, -1)) == expected
    assert X.shape == (3, 4)


@pytest.mark.parametrize("name,fill", [("zeros", "0."), ("ones", "1.")])
def test_zeros_ones_2_3_4(name, fill):
    t = getattr(torch, name)((2, 3, 4))
    row = ", ".join([fill] * 4)
    expected = (
        f"tensor([[[{row}],\n"
        f"         [{row}],\n"
        f"         [{row}]],\n"
        "\n"
        f"        [[{row}],\n"
        f"         [{row}],\n"
        f"         [{row}]]])"
    )
    assert repr(t) == expected
    assert t.dtype == torch.float32
    # the varargs spelling gives the same tensor
    assert repr(getattr(torch, name)(2, 3, 4)) == expected


def test_randn_shape_and_dtype():
    t = torch.randn(3, 4)
    assert t.shape == (3, 4)
    assert t.dtype == torch.float32


def test_tensor_from_nested_lists():
    # The notes show torch.tensor([2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]): one list was meant.
    t = torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    assert repr(t) == r("""
        tensor([[2, 1, 4, 3],
                [1, 2, 3, 4],
                [4, 3, 2, 1]])
    """)
    assert t.dtype == torch.int64


# --------------------------------------------------------------------------- 1.4.2 operations


def test_elementwise_float_with_int_tensor():
    x = torch.tensor([1.0, 2, 4, 8])
    y = torch.tensor([2, 2, 2, 2])
    results = (x + y, x - y, x * y, x / y, x**y)
    assert [repr(t) for t in results] == [
        "tensor([ 3.,  4.,  6., 10.])",
        "tensor([-1.,  0.,  2.,  6.])",
        "tensor([ 2.,  4.,  8., 16.])",
        "tensor([0.5000, 1.0000, 2.0000, 4.0000])",
        "tensor([ 1.,  4., 16., 64.])",
    ]
    assert all(t.dtype == torch.float32 for t in results)
    # the tuple prints as Python prints tuples of those reprs
    assert repr(results) == "(" + ", ".join(repr(t) for t in results) + ")"


def test_exp_prints_in_scientific_notation():
    x = torch.tensor([1.0, 2, 4, 8])
    assert repr(torch.exp(x)) == "tensor([2.7183e+00, 7.3891e+00, 5.4598e+01, 2.9810e+03])"
    assert repr(x.exp()) == "tensor([2.7183e+00, 7.3891e+00, 5.4598e+01, 2.9810e+03])"


def _XY_2d():
    X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    return X, Y


def test_cat_2d_dim0_dim1():
    X, Y = _XY_2d()
    # notes: torch.cat(X, Y, dim=0), torch.cat(X, Y, dim=1)
    assert repr(torch.cat((X, Y), dim=0)) == r("""
        tensor([[ 0.,  1.,  2.,  3.],
                [ 4.,  5.,  6.,  7.],
                [ 8.,  9., 10., 11.],
                [ 2.,  1.,  4.,  3.],
                [ 1.,  2.,  3.,  4.],
                [ 4.,  3.,  2.,  1.]])
    """)
    assert repr(torch.cat((X, Y), dim=1)) == r("""
        tensor([[ 0.,  1.,  2.,  3.,  2.,  1.,  4.,  3.],
                [ 4.,  5.,  6.,  7.,  1.,  2.,  3.,  4.],
                [ 8.,  9., 10., 11.,  4.,  3.,  2.,  1.]])
    """)
    # a list works as well as a tuple, and dim defaults to 0
    assert repr(torch.cat([X, Y])) == repr(torch.cat((X, Y), dim=0))


def test_cat_3d_dims_0_1_2():
    X = torch.arange(12, dtype=torch.float32).reshape((3, 2, 2))
    Y = torch.tensor([[[2.0, 1], [4, 3]], [[1, 2], [3, 4]], [[4, 3], [2, 1]]])
    assert repr(torch.cat((X, Y), dim=0)) == r("""
        tensor([[[ 0.,  1.],
                 [ 2.,  3.]],

                [[ 4.,  5.],
                 [ 6.,  7.]],

                [[ 8.,  9.],
                 [10., 11.]],

                [[ 2.,  1.],
                 [ 4.,  3.]],

                [[ 1.,  2.],
                 [ 3.,  4.]],

                [[ 4.,  3.],
                 [ 2.,  1.]]])
    """)
    assert repr(torch.cat((X, Y), dim=1)) == r("""
        tensor([[[ 0.,  1.],
                 [ 2.,  3.],
                 [ 2.,  1.],
                 [ 4.,  3.]],

                [[ 4.,  5.],
                 [ 6.,  7.],
                 [ 1.,  2.],
                 [ 3.,  4.]],

                [[ 8.,  9.],
                 [10., 11.],
                 [ 4.,  3.],
                 [ 2.,  1.]]])
    """)
    assert repr(torch.cat((X, Y), dim=2)) == r("""
        tensor([[[ 0.,  1.,  2.,  1.],
                 [ 2.,  3.,  4.,  3.]],

                [[ 4.,  5.,  1.,  2.],
                 [ 6.,  7.,  3.,  4.]],

                [[ 8.,  9.,  4.,  3.],
                 [10., 11.,  2.,  1.]]])
    """)
    assert torch.cat((X, Y), dim=-1).shape == (3, 2, 4)


def test_equality_and_sum():
    X, Y = _XY_2d()
    assert repr(X == Y) == r("""
        tensor([[False,  True, False,  True],
                [False, False, False, False],
                [False, False, False, False]])
    """)
    assert (X == Y).dtype == torch.bool
    assert repr(X.sum()) == "tensor(66.)"
    assert X.sum().shape == ()


# --------------------------------------------------------------------------- broadcasting


def test_broadcasting_3x1_plus_1x2():
    a = torch.arange(3).reshape((3, 1))
    b = torch.arange(2).reshape((1, 2))
    assert repr(a) == r("""
        tensor([[0],
                [1],
                [2]])
    """)
    assert repr(b) == "tensor([[0, 1]])"
    assert repr(a + b) == r("""
        tensor([[0, 1],
                [1, 2],
                [2, 3]])
    """)


def test_sum_without_keepdims_does_not_broadcast():
    C = torch.arange(24, dtype=torch.float32).reshape((2, 3, 4))
    with pytest.raises(RuntimeError) as err:
        C / C.sum(axis=1)
    assert (
        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"
        in str(err.value)
    )


def test_sum_with_keepdims_broadcasts():
    C = torch.arange(24, dtype=torch.float32).reshape((2, 3, 4))
    assert repr(C.sum(axis=1).shape) == "torch.Size([2, 4])"
    assert repr(C.sum(axis=1, keepdims=True).shape) == "torch.Size([2, 1, 4])"
    assert repr(C / C.sum(axis=1, keepdims=True)) == r("""
        tensor([[[0.0000, 0.0667, 0.1111, 0.1429],
                 [0.3333, 0.3333, 0.3333, 0.3333],
                 [0.6667, 0.6000, 0.5556, 0.5238]],

                [[0.2500, 0.2549, 0.2593, 0.2632],
                 [0.3333, 0.3333, 0.3333, 0.3333],
                 [0.4167, 0.4118, 0.4074, 0.4035]]])
    """)


# --------------------------------------------------------------------------- indexing


def test_index_last_row_and_row_slice():
    X, _ = _XY_2d()
    assert repr(X[-1]) == "tensor([ 8.,  9., 10., 11.])"
    assert repr(X[1:3]) == r("""
        tensor([[ 4.,  5.,  6.,  7.],
                [ 8.,  9., 10., 11.]])
    """)


def test_strided_slices():
    X, _ = _XY_2d()
    # the call named in the notes' text; on a 3 x 4 X it keeps row 0 only
    assert repr(X[::3, ::2]) == "tensor([[0., 2.]])"
    # the output printed in the notes is that of X[::2, ::3]
    assert repr(X[::2, ::3]) == r("""
        tensor([[ 0.,  3.],
                [ 8., 11.]])
    """)


def test_slide_access_examples_on_4x4():
    # The slide "访问元素" uses a 4 x 4 matrix holding 1..16.
    X = torch.arange(1, 17).reshape(4, 4)
    assert repr(X[1, 2]) == "tensor(7)"
    assert repr(X[1, :]) == "tensor([5, 6, 7, 8])"
    assert repr(X[:, 1]) == "tensor([ 2,  6, 10, 14])"
    assert repr(X[1:3, 1:]) == r("""
        tensor([[ 6,  7,  8],
                [10, 11, 12]])
    """)
    assert repr(X[::3, ::2]) == r("""
        tensor([[ 1,  3],
                [13, 15]])
    """)


def test_write_one_element():
    X, _ = _XY_2d()
    X[1, 2] = 9
    assert repr(X) == r("""
        tensor([[ 0.,  1.,  2.,  3.],
                [ 4.,  5.,  9.,  7.],
                [ 8.,  9., 10., 11.]])
    """)


def test_write_rows():
    X, _ = _XY_2d()
    X[1, 2] = 9
    # notes: X[0,2, :] = 12 (OCR of X[0:2, :] = 12)
    X[0:2, :] = 12
    assert repr(X) == r("""
        tensor([[12., 12., 12., 12.],
                [12., 12., 12., 12.],
                [ 8.,  9., 10., 11.]])
    """)


# --------------------------------------------------------------------------- memory


def test_in_place_add_keeps_id():
    X, Y = _XY_2d()
    before = id(X)
    X += Y
    assert id(X) == before
    assert repr(X) == r("""
        tensor([[ 2.,  2.,  6.,  6.],
                [ 5.,  7.,  9., 11.],
                [12., 12., 12., 12.]])
    """)


def test_slice_assignment_keeps_id():
    X, Y = _XY_2d()
    before = id(X)
    X[:] = X + Y
    assert id(X) == before
    assert repr(X) == r("""
        tensor([[ 2.,  2.,  6.,  6.],
                [ 5.,  7.,  9., 11.],
                [12., 12., 12., 12.]])
    """)


def test_rebinding_makes_a_new_object():
    X, Y = _XY_2d()
    before = id(Y)
    Y = Y + X
    assert id(Y) != before


def test_zeros_like_slice_assignment_keeps_id():
    # d2l: Z = torch.zeros_like(Y); Z[:] = X + Y keeps id(Z)
    X, Y = _XY_2d()
    Z = torch.zeros_like(Y)
    before = id(Z)
    Z[:] = X + Y
    assert id(Z) == before
    assert Z.dtype == torch.float32


# --------------------------------------------------------------------------- numpy round trip


def test_numpy_round_trip_and_shared_memory():
    X, _ = _XY_2d()
    A = X.numpy()
    B = torch.tensor(A)
    assert type(A) is np.ndarray
    assert isinstance(B, torch.Tensor)
    assert A.dtype == np.float32
    assert B.dtype == torch.float32
    # numpy() shares memory with the tensor; torch.tensor(A) copies
    X[0, 0] = 100
    assert A[0, 0] == 100
    assert B[0, 0].item() == 0


def test_item_float_int():
    a = torch.tensor([3.5])
    assert repr(a) == "tensor([3.5000])"
    assert a.item() == 3.5 and type(a.item()) is float
    assert float(a) == 3.5
    assert int(a) == 3 and type(int(a)) is int
    assert repr((a, a.item(), float(a), int(a))) == "(tensor([3.5000]), 3.5, 3.5, 3)"


# --------------------------------------------------------------------------- 1.4.2 preprocessing


def test_tensor_from_preprocessed_table_values():
    # what inputs.to_numpy(dtype=float) and outputs.to_numpy() give for house_tiny.csv
    inputs = np.array([[3.0, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]])
    outputs = np.array([127500, 106000, 178100, 140000])
    X, y = torch.tensor(inputs), torch.tensor(outputs)
    assert repr(X) == r("""
        tensor([[3., 1., 0.],
                [2., 0., 1.],
                [4., 0., 1.],
                [3., 0., 1.]], dtype=torch.float64)
    """)
    assert repr(y) == "tensor([127500, 106000, 178100, 140000])"
    assert X.dtype == torch.float64 and y.dtype == torch.int64


def test_tensor_from_pandas_house_tiny(tmp_path):
    pd = pytest.importorskip("pandas")
    data_file = tmp_path / "house_tiny.csv"
    data_file.write_text(
        "NumRooms,Alley,Price\nNA,Pave,127500\n2,NA,106000\n4,NA,178100\nNA,NA,140000\n"
    )
    data = pd.read_csv(data_file)
    inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
    inputs = inputs.fillna({"NumRooms": inputs["NumRooms"].mean()})
    inputs = pd.get_dummies(inputs, dummy_na=True)
    X = torch.tensor(inputs.to_numpy(dtype=float))
    y = torch.tensor(outputs.to_numpy())
    assert repr(X) == r("""
        tensor([[3., 1., 0.],
                [2., 0., 1.],
                [4., 0., 1.],
                [3., 0., 1.]], dtype=torch.float64)
    """)
    assert repr(y) == "tensor([127500, 106000, 178100, 140000])"


# --------------------------------------------------------------------------- 1.5.2 linear algebra


def test_scalars():
    x = torch.tensor([3.0])
    y = torch.tensor([2.0])
    assert [repr(t) for t in (x + y, x * y, x / y, x**y)] == [
        "tensor([5.])",
        "tensor([6.])",
        "tensor([1.5000])",
        "tensor([9.])",
    ]


def test_vectors():
    x = torch.arange(4)
    assert repr(x) == "tensor([0, 1, 2, 3])"
    assert repr(x[3]) == "tensor(3)"
    assert len(x) == 4
    assert repr(x.shape) == "torch.Size([4])"


def test_matrix_reshape_and_transpose():
    A = torch.arange(6)
    assert repr(A) == "tensor([0, 1, 2, 3, 4, 5])"
    A = A.reshape(3, 2)
    assert repr(A) == r("""
        tensor([[0, 1],
                [2, 3],
                [4, 5]])
    """)
    assert repr(A.T) == r("""
        tensor([[0, 2, 4],
                [1, 3, 5]])
    """)


def test_clone_equal_add_mul():
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    B = A.clone()
    assert repr(B) == r("""
        tensor([[ 0.,  1.,  2.,  3.],
                [ 4.,  5.,  6.,  7.],
                [ 8.,  9., 10., 11.],
                [12., 13., 14., 15.],
                [16., 17., 18., 19.]])
    """)
    assert repr(A == B) == "tensor([" + ",\n        ".join(["[True, True, True, True]"] * 5) + "])"
    assert repr(A + B) == r("""
        tensor([[ 0.,  2.,  4.,  6.],
                [ 8., 10., 12., 14.],
                [16., 18., 20., 22.],
                [24., 26., 28., 30.],
                [32., 34., 36., 38.]])
    """)
    assert repr(A * B) == r("""
        tensor([[  0.,   1.,   4.,   9.],
                [ 16.,  25.,  36.,  49.],
                [ 64.,  81., 100., 121.],
                [144., 169., 196., 225.],
                [256., 289., 324., 361.]])
    """)
    B[0, 0] = 5.0  # the clone owns its memory
    assert A[0, 0].item() == 0.0


def _A3():
    return torch.tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[0, 0, 0], [1, 1, 1], [2, 2, 2]]])


def test_sum_of_3d_int_tensor():
    A = _A3()
    assert repr(A.shape) == "torch.Size([2, 3, 3])"
    assert repr(A.sum()) == "tensor(54)"
    assert A.sum().dtype == torch.int64


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        (
            dict(axis=0),
            """
            tensor([[ 1,  2,  3],
                    [ 5,  6,  7],
                    [ 9, 10, 11]])
            """,
        ),
        (
            dict(axis=0, keepdims=True),
            """
            tensor([[[ 1,  2,  3],
                     [ 5,  6,  7],
                     [ 9, 10, 11]]])
            """,
        ),
        (
            dict(axis=1),
            """
            tensor([[12, 15, 18],
                    [ 3,  3,  3]])
            """,
        ),
        (
            dict(axis=1, keepdims=True),
            """
            tensor([[[12, 15, 18]],

                    [[ 3,  3,  3]]])
            """,
        ),
        (
            dict(axis=2),
            """
            tensor([[ 6, 15, 24],
                    [ 0,  3,  6]])
            """,
        ),
        (
            dict(axis=2, keepdims=True),
            """
            tensor([[[ 6],
                     [15],
                     [24]],

                    [[ 0],
                     [ 3],
                     [ 6]]])
            """,
        ),
        (dict(axis=[0, 1]), "tensor([15, 18, 21])"),
        (dict(axis=[0, 1], keepdims=True), "tensor([[[15, 18, 21]]])"),
    ],
)
def test_sum_along_axes(kwargs, expected):
    assert repr(_A3().sum(**kwargs)) == r(expected)


def test_cumsum():
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    assert repr(A.cumsum(axis=1)) == r("""
        tensor([[ 0.,  1.,  3.,  6.],
                [ 4.,  9., 15., 22.],
                [ 8., 17., 27., 38.],
                [12., 25., 39., 54.],
                [16., 33., 51., 70.]])
    """)


def test_numel_sum_mean():
    A = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert A.numel() == 6
    assert repr(A.sum()) == "tensor(3.)"
    assert repr(A.mean()) == "tensor(0.5000)"
    assert A.shape[0] == 2
    assert repr(A.sum(axis=0)) == "tensor([1., 1., 1.])"
    assert repr(A.mean(axis=0)) == "tensor([0.5000, 0.5000, 0.5000])"


def test_dot():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0])
    y = torch.tensor([1.0, 1.0, 1.0, 1.0])
    assert repr(torch.dot(x, y)) == "tensor(6.)"


def test_mv_and_mm_on_integers():
    A = torch.tensor([[0, 1, 2], [3, 4, 5]])
    B = torch.tensor([[2, 2], [1, 1], [0, 0]])
    x = torch.tensor([3, 3, 3])
    # notes: torch.mm(A, x) for the matrix-vector product; PyTorch's call is torch.mv
    assert repr(torch.mv(A, x)) == "tensor([ 9, 36])"
    assert repr(torch.mm(A, B)) == r("""
        tensor([[ 1,  1],
                [10, 10]])
    """)
    with pytest.raises(RuntimeError):
        torch.mm(A, x)


def test_norms():
    x = torch.tensor([3.0, -4.0])
    assert repr(torch.abs(x).sum()) == "tensor(7.)"
    assert repr(torch.norm(x)) == "tensor(5.)"
    assert repr(torch.norm(torch.ones((4, 9)))) == "tensor(6.)"


def test_broadcast_with_keepdims_sum():
    A = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    B = A.sum(axis=1, keepdims=True)
    assert repr(B) == r("""
        tensor([[ 6.],
                [15.]])
    """)
    assert repr(A / B) == r("""
        tensor([[0.1667, 0.3333, 0.5000],
                [0.2667, 0.3333, 0.4000]])
    """)
    assert repr(A + B) == r("""
        tensor([[ 7.,  8.,  9.],
                [19., 20., 21.]])
    """)
    assert repr(A * B) == r("""
        tensor([[ 6., 12., 18.],
                [60., 75., 90.]])
    """)
