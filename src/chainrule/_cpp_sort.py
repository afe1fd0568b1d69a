"""C++'s ``std::partial_sort``, ``std::nth_element`` and ``std::sort`` step by step as
libstdc++ (GCC's standard library) runs them, so that an order PyTorch's CPU kernels leave
among *equal* keys can be reproduced: these algorithms are not stable, and which of two
equal elements comes first follows from their exact sequence of swaps.

Each function works in place on ``a``, a list of elements (indices), between positions
``first`` and ``last``, and compares elements with ``less(x, y)``, the comparator C++ is
given (for a descending order, ``key[x] > key[y]``). The names and steps are libstdc++'s
(``bits/stl_algo.h``, ``bits/stl_heap.h``); C++'s ``(i - 1) / 2`` on a non-negative ``i``
is ``(i - 1) // 2`` here wherever i >= 1.

>>> topk_order([0, 2, 0, 1, 0, 0, 0, 0], 5)  # the two largest, then three of the zeros
[1, 3, 6, 7, 0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort stops at runs this short


def _lg(n: int) -> int:
    return n.bit_length() - 1


# ------------------------------------------------------------------------------- heaps
def _push_heap(a: list, first: int, hole: int, top: int, value, less: Callable) -> None:
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _adjust_heap(a: list, first: int, hole: int, length: int, value, less: Callable) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    _push_heap(a, first, hole, top, value, less)


def _make_heap(a: list, first: int, last: int, less: Callable) -> None:
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], less)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a: list, first: int, last: int, result: int, less: Callable) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def _heap_select(a: list, first: int, middle: int, last: int, less: Callable) -> None:
    _make_heap(a, first, middle, less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            _pop_heap(a, first, middle, i, less)


def _sort_heap(a: list, first: int, last: int, less: Callable) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, less)


def partial_sort(a: list, first: int, middle: int, last: int, less: Callable) -> None:
    """``std::partial_sort``: the smallest ``middle - first`` (by ``less``) in order."""
    _heap_select(a, first, middle, last, less)
    _sort_heap(a, first, middle, less)


# ------------------------------------------------------------------ quicksort's pieces
def _move_median_to_first(a: list, result: int, i: int, j: int, k: int, less: Callable) -> None:
    if less(a[i], a[j]):
        if less(a[j], a[k]):
            m = j
        elif less(a[i], a[k]):
            m = k
        else:
            m = i
    elif less(a[i], a[k]):
        m = i
    elif less(a[j], a[k]):
        m = k
    else:
        m = j
    a[result], a[m] = a[m], a[result]


def _unguarded_partition(a: list, first: int, last: int, pivot: int, less: Callable) -> int:
    while True:
        while less(a[first], a[pivot]):
            first += 1
        last -= 1
        while less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _partition_pivot(a: list, first: int, last: int, less: Callable) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, less)
    return _unguarded_partition(a, first + 1, last, first, less)


def _linear_insert(a: list, last: int, less: Callable) -> None:
    value = a[last]
    prev = last - 1
    while less(value, a[prev]):
        a[last] = a[prev]
        last = prev
        prev -= 1
    a[last] = value


def _insertion_sort(a: list, first: int, last: int, less: Callable) -> None:
    if first == last:
        return
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            value = a[i]
            a[first + 1 : i + 1] = a[first:i]
            a[first] = value
        else:
            _linear_insert(a, i, less)


def _introsort_loop(a: list, first: int, last: int, depth: int, less: Callable) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def sort(a: list, first: int, last: int, less: Callable) -> None:
    """``std::sort``: introsort, then one insertion sort over the nearly sorted runs."""
    if first == last:
        return
    _introsort_loop(a, first, last, 2 * _lg(last - first), less)
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def nth_element(a: list, first: int, nth: int, last: int, less: Callable) -> None:
    """``std::nth_element``: position ``nth`` gets the element a sort would put there,
    nothing after it is less and nothing before it greater (introselect)."""
    if first == last or nth == last:
        return
    _introselect(a, first, nth, last, 2 * _lg(last - first), less)


def _introselect(a: list, first: int, nth: int, last: int, depth: int, less: Callable) -> None:
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)


# --------------------------------------------------------------------- PyTorch's topk
def topk_order(key, k: int, small: int = 256) -> list:
    """The positions of the ``k`` largest of ``key`` in the order PyTorch's CPU ``topk``
    (sorted, largest) gives them, equal keys included: it fills a queue with positions
    0..n-1, then runs ``std::partial_sort`` of the first k when k * 64 <= n, else
    ``std::nth_element`` at k - 1 and ``std::sort`` of the k - 1 before it
    (``ATen/native/TopKImpl.h``). ``key``: comparable numbers (no NaN).

    The same steps as the functions above, with three shortcuts that give the same result
    (for large inputs, where a Python loop per element would be slow): a partition of more
    than ``small`` elements is computed with array operations (``_partition_array``);
    the heap of partial_sort is offered only the elements that beat its first top (no
    other ever enters); and sort's last pass, an insertion sort, is a stable sort."""
    key = np.asarray(key)
    keys = key.tolist()
    small = max(small, _THRESHOLD)
    n = len(keys)
    if k <= 0:
        return []

    def greater(x: int, y: int) -> bool:
        return keys[x] > keys[y]

    if k * 64 <= n:  # partial_sort(a, 0, k, n): _heap_select, then _sort_heap
        a = list(range(k))
        _make_heap(a, 0, k, greater)
        for i in (np.flatnonzero(key[k:] > keys[a[0]]) + k).tolist():
            if keys[i] > keys[a[0]]:
                _adjust_heap(a, 0, 0, k, i, greater)  # (_pop_heap with result i)
        _sort_heap(a, 0, k, greater)
        return a
    a = np.arange(n)
    # nth_element(a, 0, k - 1, n)
    first, last, depth = 0, n, 2 * _lg(n)
    while last - first > small:
        if depth == 0:
            break
        depth -= 1
        cut = _partition_array(a, key, keys, first, last)
        if cut <= k - 1:
            first = cut
        else:
            last = cut
    _on_list(a, first, last, lambda b, m: _introselect(b, 0, k - 1 - first, m, depth, greater))
    # sort(a, 0, k - 1): the introsort loop segment by segment, then the stable pass
    todo = [(0, k - 1, 2 * _lg(k - 1))] if k > 1 else []
    while todo:
        first, last, depth = todo.pop()
        while last - first > _THRESHOLD:
            if last - first <= small or depth == 0:
                _on_list(a, first, last, lambda b, m, d=depth: _introsort_loop(b, 0, m, d, greater))
                break
            depth -= 1
            cut = _partition_array(a, key, keys, first, last)
            todo.append((cut, last, depth))  # (segments are independent: any order)
            last = cut
    head = a[: k - 1]
    a[: k - 1] = head[np.argsort(-key[head], kind="stable")]  # (key: numbers, so -key is)
    return a[:k].tolist()


def _on_list(a, first: int, last: int, run: Callable) -> None:
    """``run(b, len(b))`` on ``a[first:last]`` as a list, written back."""
    b = a[first:last].tolist()
    run(b, len(b))
    a[first:last] = b


def _partition_array(a, key, keys: list, first: int, last: int) -> int:
    """``_partition_pivot`` of ``a[first:last]`` (a NumPy array of positions; comparator
    key[x] > key[y]) with array operations. After the median of three goes to ``first``,
    with pivot key p, the scan from the left stops at the positions L whose key is <= p,
    the scan from the right at the positions R (from the right) whose key is >= p, and
    each stop pair swaps while L[t] < R[t]: the stops are those of the array as it was,
    since each scan has passed the positions the swaps change. At the first pair that has
    crossed, t = m, the left scan stops at L[m] or at R[m - 1] (which holds a stop value
    since its swap), whichever comes first: the cut."""
    mid = first + (last - first) // 2

    def greater(x: int, y: int) -> bool:
        return keys[x] > keys[y]

    b = [int(a[first]), int(a[first + 1]), int(a[mid]), int(a[last - 1])]
    _move_median_to_first(b, 0, 1, 2, 3, greater)
    a[first], a[first + 1], a[mid], a[last - 1] = b
    p = keys[b[0]]
    seg = key[a[first + 1 : last]]
    left = np.flatnonzero(seg <= p) + (first + 1)
    right = np.flatnonzero(seg >= p)[::-1] + (first + 1)
    c = min(left.size, right.size)
    crossed = np.flatnonzero(left[:c] >= right[:c])
    m = int(crossed[0]) if crossed.size else c
    cut = min(int(left[m]) if m < left.size else last, int(right[m - 1]) if m else last)
    swap_l, swap_r = left[:m], right[:m]
    a[swap_l], a[swap_r] = a[swap_r], a[swap_l].copy()
    return cut
