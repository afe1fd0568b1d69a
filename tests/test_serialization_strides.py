"""``chainrule.load`` refuses stride layouts whose elements overlap (issue 11, section 2).

A file lists, for a tensor that views a shared stored array, its offset and strides. Only
a stride of 0 was refused, so strides ``[1, 1]`` over 24,000 stored floats (a 94 KiB file)
loaded as a 12000x12000 aliased tensor, and the first op on it allocated 549 MiB. Now a
layout is refused when two of its elements would share a location, or when it reaches
outside the stored array, with an error that names the tensor by its place in the saved
object. ``save`` stores any tensor whose layout the check would refuse on its own (as it
already did for expanded tensors), so everything ``save`` writes still loads.

PyTorch's files are pickles and keep any strides, expanded and overlapping ones included;
chainrule deliberately differs (a file must not make a huge tensor out of a few bytes).
What both must agree on is the legitimate views: transposes, slices, diagonals and
``view``s of one storage come back with the same values, dtypes, shapes and sharing.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _saved(obj, m=cr):
    buf = io.BytesIO()
    m.save(obj, buf)
    return buf


def _loaded(buf, m=cr):
    return m.load(io.BytesIO(buf.getvalue()))


def _edited(buf, edit):
    """A copy of a chainrule archive with its JSON changed by ``edit(meta)``."""
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "chainrule.json":
                meta = json.loads(data)
                edit(meta)
                data = json.dumps(meta).encode()
            zf.writestr(info.filename, data)
    out.seek(0)
    return out


def _set_view(shape, strides, offset=0, which=0):
    """An edit that gives the ``which``-th tensor stored as a view this layout."""

    def edit(meta):
        views = [t for t in meta["tensors"] if t["strides"] is not None]
        views[which].update(shape=shape, strides=strides, offset=offset)

    return edit


def _shared_file(n=24000):
    base = cr.zeros(n)
    return _saved({"w": base, "head": base[:10]})  # two views of one stored array


def test_the_issue_file_is_refused_naming_the_tensor_before_allocating():
    crafted = _edited(_shared_file(), _set_view([12000, 12000], [1, 1]))
    assert len(crafted.getvalue()) < 100_000  # the 94 KiB file of the issue
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            cr.load(crafted)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        "the file is not a valid chainrule file: tensor ['w'] (entry 0): overlapping strides "
        "[1, 1] for shape [12000, 12000] (elements would share memory, or axes interleave; "
        "chainrule.save never writes such a view)"
    )
    assert peak < 5 * 2**20  # nothing near 549 MiB was ever allocated


@pytest.mark.parametrize(
    "shape, strides",
    [
        ([3, 3], [1, 1]),
        ([3, 3], [2, 1]),  # rows of 3 that start 2 apart
        ([4, 2], [1, 2]),  # columns of 2 that start 1 apart
        ([3, 3], [-1, 1]),
        ([2, 2, 2], [4, 2, 2]),
        ([5, 2], [0, 1]),  # an expanded layout
        ([2, 3, 2], [6, 1, 2]),  # the inner two axes interleave onto one location
    ],
)
def test_overlapping_layouts_are_refused(shape, strides):
    crafted = _edited(_shared_file(100), _set_view(shape, strides, offset=10))
    with pytest.raises(ValueError, match=r"tensor \['w'\] \(entry 0\): overlapping strides"):
        cr.load(crafted)


def test_interleaved_layouts_are_refused_too():
    # strides [4, 2, 3] over shape [2, 2, 2] touch 8 distinct elements, but no view save
    # writes looks so (save copies such a tensor): the check is the simple sufficient one,
    # each axis by increasing stride steps past all the smaller axes reach
    crafted = _edited(_shared_file(100), _set_view([2, 2, 2], [4, 2, 3]))
    with pytest.raises(ValueError, match="overlapping strides .* or axes interleave"):
        cr.load(crafted)


@pytest.mark.parametrize(
    "shape, strides, offset",
    [
        ([200], [1], 0),  # longer than the stored 100
        ([10, 10], [10, 1], 1),  # one element past the end
        ([4], [-1], 2),  # before the start
        ([2, 3], [1, 2**62], 0),
    ],
)
def test_layouts_reaching_outside_the_stored_array_are_refused(shape, strides, offset):
    crafted = _edited(_shared_file(100), _set_view(shape, strides, offset))
    with pytest.raises(ValueError, match=r"tensor \['w'\] \(entry 0\): view outside its stored"):
        cr.load(crafted)


@pytest.mark.parametrize(
    "shape, strides, offset",
    [
        ([10, 10], [10, 1], 0),  # row-major, the whole array
        ([10, 10], [1, 10], 0),  # a transpose
        ([5, 3], [20, 3], 1),  # a slice with steps
        ([4], [-3], 90),  # a reversed stride (NumPy's views may have them)
        ([3, 1, 4], [25, 7, 5], 2),  # an axis of length 1 may have any stride
        ([0, 7], [1, 1], 0),  # no elements: nothing overlaps
    ],
)
def test_non_overlapping_layouts_inside_the_array_still_load(shape, strides, offset):
    crafted = _edited(_shared_file(100), _set_view(shape, strides, offset))
    w = cr.load(crafted)["w"]
    assert list(w.shape) == shape
    expected = np.lib.stride_tricks.as_strided(
        np.zeros(100, np.float32)[offset:], shape, [s * 4 for s in strides]
    )
    np.testing.assert_array_equal(w.numpy(), expected)


def _views(m):
    base = m.arange(24.0).reshape(4, 6)
    return {
        "base": base,
        "T": base.T,
        "rows": base[1:3],
        "cols": base[:, ::2],
        "flat": base.view(24),
        "col": base[:, 4],
        "3d": base.view(2, 2, 6).permute(2, 0, 1),
    }


def test_legitimate_views_round_trip_as_in_torch():
    ours = _loaded(_saved(_views(cr)))
    theirs = _loaded(_saved(_views(torch), torch), torch)
    assert list(ours) == list(theirs)
    for k in ours:
        a, b = ours[k], theirs[k]
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape), k
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    # one storage, as in torch: a write through the base shows in every view
    for lib in (ours, theirs):
        lib["base"].mul_(-1)
    for k in ours:
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy(), err_msg=k)


def test_a_view_whose_layout_load_would_refuse_is_saved_on_its_own():
    # an interleaved (non-overlapping) view of a NumPy array: save cannot keep it as a view
    # that load accepts, so it stores a copy, which loads with the same values
    a = np.arange(12, dtype=np.float32)
    interleaved = np.lib.stride_tricks.as_strided(a, (3, 2), (8, 12))
    base, view = cr.from_numpy(a), cr.from_numpy(interleaved)
    got_base, got_view = _loaded(_saved([base, view]))
    np.testing.assert_array_equal(got_view.numpy(), interleaved)
    np.testing.assert_array_equal(got_base.numpy(), a)
    got_base.add_(100)  # stored on its own: no longer shares the base's memory
    np.testing.assert_array_equal(got_view.numpy(), interleaved)


def test_an_expanded_view_is_copied_and_the_other_views_keep_sharing():
    # one view save must copy (an expand) no longer makes its siblings lose their sharing
    def run(m):
        base = m.arange(6.0).reshape(2, 3)
        return _loaded(_saved([base, base.T, base[0].expand(4, 3)], m), m)

    ours, theirs = run(cr), run(torch)
    for a, b in zip(ours, theirs, strict=True):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ours[0].add_(10)
    theirs[0].add_(10)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())  # T shares, as in torch
    np.testing.assert_array_equal(ours[2].numpy(), [[0.0, 1.0, 2.0]] * 4)  # a copy of its own
    ours[2].add_(1)  # and writing it touches nothing else
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())


def test_a_view_made_by_as_strided_keeps_sharing_with_its_base():
    # NumPy puts a stand-in object between an as_strided view (a diagonal, say) and its
    # base; save looked no further and stored the view apart, so the loaded view no longer
    # saw writes to its base
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    diagonal = np.lib.stride_tricks.as_strided(a, (4,), (20,))
    base, diag = _loaded(_saved([cr.from_numpy(a), cr.from_numpy(diagonal)]))
    np.testing.assert_array_equal(diag.numpy(), [0.0, 5.0, 10.0, 15.0])
    base.mul_(-1)
    np.testing.assert_array_equal(diag.numpy(), [0.0, -5.0, -10.0, -15.0])
