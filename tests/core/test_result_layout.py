"""New tensors in torch's layout: strides of dims of size 1 included, and ops whose torch kernel
writes a fresh contiguous result whatever the input's layout."""
import numpy
import torch

import minigrad


def test_an_index_select_of_one_index_has_torchs_strides():
    """NumPy's ``take`` of one index leaves that dim the source's row length as its stride; torch's
    new tensor is row-major there too (``Function._dense``), which ``stride()`` shows and fused
    attention's choice of kernel reads (fuzz seed 8054690: a query [4, 3, 3, 1] went the composite way)."""
    x = numpy.random.default_rng(0).standard_normal((4, 3, 3, 2))
    for dim in range(4):
        strides = [lib.index_select(lib.tensor(x), dim, lib.tensor([0])).stride() for lib in (torch, minigrad)]
        assert strides[1] == strides[0]


def test_logsigmoid_of_a_transposed_input_is_contiguous_as_torchs():
    """torch's ``log_sigmoid_forward`` writes a new contiguous tensor (no TensorIterator layout): its
    reshape is a view (ViewBackward0), not a copy (fuzz seed 8065156)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(numpy.arange(15.0).reshape(5, 3) - 7, requires_grad=True)
        out = lib.nn.functional.logsigmoid(x.t())
        results.append((out.stride(), out.reshape(3, -1).grad_fn.name()))
    assert results[1] == results[0]
