"""The order in which torch's CPU kernels leave equal values: their algorithms, step by step.

Where the values of a slice are all distinct, every correct sort or selection agrees and
NumPy's is used.  Where some are equal (ties; NaNs tie with each other, 0.0 with -0.0)
torch's answer is whatever position its algorithm leaves each one in, so the slice is
replayed here on ``(value, index)`` pairs:

* ``sort`` (``stable=False``) and ``topk`` run libstdc++'s ``std::sort`` (introsort:
  median-of-three quicksort down to runs of 16, then insertion sort; heapsort past a depth
  of ``2 log2 n``), ``std::nth_element`` (introselect) and ``std::partial_sort`` (heap select);
* ``kthvalue`` runs TH's quickselect (Sedgewick's partition, ``quick_select_template``).

Replaying is interpreted Python, about ``n log n`` steps a slice, so slices longer than
``REPLAY_LIMIT`` keep NumPy's stable order.
"""
from __future__ import annotations

import math

__all__ = ["INSERTION_SORT_SIZE", "REPLAY_LIMIT", "sort_order", "topk_order", "kth_smallest"]

REPLAY_LIMIT = 4096
INSERTION_SORT_SIZE = 16       # libstdc++'s _S_threshold: std::sort of no more is an insertion sort, stable


def greater_or_nan(x, y):
    """torch's ``gt_or_nan``: NaN above everything, then ``>``."""
    return (x != x and y == y) or x > y


def _less_or_nan(x, y):
    return (y != y and x == x) or x < y


class _Range:
    """A list of ``(value, index)`` pairs and libstdc++'s algorithms on it, ``less`` comparing values."""

    def __init__(self, values, less):
        self.items = [(value, index) for index, value in enumerate(values)]
        self.less = less

    def _comp(self, i, j):
        return self.less(self.items[i][0], self.items[j][0])

    def _swap(self, i, j):
        self.items[i], self.items[j] = self.items[j], self.items[i]

    # -- heaps (std::__adjust_heap, __push_heap, __make_heap, __pop_heap, __heap_select, __sort_heap)
    def _push_heap(self, first, hole, top, item):
        parent = (hole - 1) // 2
        while hole > top and self.less(self.items[first + parent][0], item[0]):
            self.items[first + hole] = self.items[first + parent]
            hole, parent = parent, (parent - 1) // 2
        self.items[first + hole] = item

    def _adjust_heap(self, first, hole, length, item):
        top = child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if self._comp(first + child, first + child - 1):
                child -= 1
            self.items[first + hole] = self.items[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            self.items[first + hole] = self.items[first + child - 1]
            hole = child - 1
        self._push_heap(first, hole, top, item)

    def _make_heap(self, first, last):
        length = last - first
        for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
            self._adjust_heap(first, parent, length, self.items[first + parent])

    def _pop_heap(self, first, last, result):
        item = self.items[result]
        self.items[result] = self.items[first]
        self._adjust_heap(first, 0, last - first, item)

    def _heap_select(self, first, middle, last):
        self._make_heap(first, middle)
        for i in range(middle, last):
            if self._comp(i, first):
                self._pop_heap(first, middle, i)

    def _sort_heap(self, first, last):
        while last - first > 1:
            last -= 1
            self._pop_heap(first, last, last)

    def partial_sort(self, first, middle, last):
        self._heap_select(first, middle, last)
        self._sort_heap(first, middle)

    # -- quicksort steps (std::__move_median_to_first, __unguarded_partition(_pivot))
    def _move_median_to_first(self, result, a, b, c):
        if self._comp(a, b):
            median = b if self._comp(b, c) else c if self._comp(a, c) else a
        else:
            median = a if self._comp(a, c) else c if self._comp(b, c) else b
        self._swap(result, median)

    def _partition_pivot(self, first, last):
        self._move_median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        low, high = first + 1, last
        while True:
            while self._comp(low, first):
                low += 1
            high -= 1
            while self._comp(first, high):
                high -= 1
            if low >= high:
                return low
            self._swap(low, high)
            low += 1

    # -- insertion sort (std::__insertion_sort, __unguarded_linear_insert): stable
    def _linear_insert(self, last):
        item = self.items[last]
        while self.less(item[0], self.items[last - 1][0]):
            self.items[last] = self.items[last - 1]
            last -= 1
        self.items[last] = item

    def _insertion_sort(self, first, last):
        for i in range(first + 1, last):
            if self._comp(i, first):
                item = self.items[i]
                self.items[first + 1:i + 1] = self.items[first:i]
                self.items[first] = item
            else:
                self._linear_insert(i)

    def sort(self, first, last):
        if last - first < 2:
            return
        self._introsort_loop(first, last, 2 * int(math.log2(last - first)))
        if last - first > INSERTION_SORT_SIZE:
            self._insertion_sort(first, first + INSERTION_SORT_SIZE)
            for i in range(first + INSERTION_SORT_SIZE, last):
                self._linear_insert(i)
        else:
            self._insertion_sort(first, last)

    def _introsort_loop(self, first, last, depth):
        while last - first > INSERTION_SORT_SIZE:
            if depth == 0:
                self.partial_sort(first, last, last)
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            self._introsort_loop(cut, last, depth)
            last = cut

    def nth_element(self, first, nth, last):
        if first == last or nth == last:
            return
        depth = 2 * int(math.log2(last - first))
        while last - first > 3:
            if depth == 0:
                self._heap_select(first, nth + 1, last)
                self._swap(first, nth)
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self._insertion_sort(first, last)

    def indices(self):
        return [index for _, index in self.items]


def sort_order(values, descending):
    """The positions ``std::sort`` leaves ``values`` (a list) in, as torch's ``sort(stable=False)``."""
    pairs = _Range(values, greater_or_nan if descending else _less_or_nan)
    pairs.sort(0, len(values))
    return pairs.indices()


def topk_order(values, k, largest):
    """The positions of torch's ``topk(values, k, largest, sorted=True)`` (``topk_impl_loop``)."""
    pairs = _Range(values, greater_or_nan if largest else _less_or_nan)
    if k * 64 <= len(values):
        pairs.partial_sort(0, k, len(values))
    else:
        pairs.nth_element(0, k - 1, len(values))
        pairs.sort(0, k - 1)
    return pairs.indices()[:k]


def kth_smallest(values, k):
    """The position of torch's ``kthvalue(values, k + 1)`` (TH's ``quick_select_template``)."""
    values, indices = list(values), list(range(len(values)))

    def swap(i, j):
        values[i], values[j] = values[j], values[i]
        indices[i], indices[j] = indices[j], indices[i]

    low, high = 0, len(values) - 1
    while high > low:
        if high == low + 1:
            if greater_or_nan(values[low], values[high]):
                swap(low, high)
            break
        swap((low + high) >> 1, low + 1)          # median of three to values[low]
        if greater_or_nan(values[low + 1], values[high]):
            swap(low + 1, high)
        if greater_or_nan(values[low], values[high]):
            swap(low, high)
        if greater_or_nan(values[low + 1], values[low]):
            swap(low + 1, low)
        i, j, pivot = low + 1, high, values[low]
        while True:
            i += 1
            while greater_or_nan(pivot, values[i]):
                i += 1
            j -= 1
            while greater_or_nan(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return indices[k]
