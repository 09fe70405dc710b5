"""margin_ranking, hinge_embedding, soft_margin, cosine_embedding, triplet_margin, poisson_nll,
gaussian_nll and multilabel_soft_margin losses (functional and module) against torch: values,
dtypes, shapes, grad_fn names, gradients of every input torch differentiates under a random
weighting, second derivatives (float64), every reduction, broadcasting, empty and 0-d inputs,
the legacy size_average/reduce arguments and errors."""
import warnings

import numpy
import pytest
import torch

import minigrad
from minigrad import nn
from _higher_order import assert_second_order_matches_torch
from _nn_parity import torch_error

REDUCTIONS = ["none", "mean", "sum"]
DTYPES = ["float64", "float32"]
TOL = {"float64": (1e-9, 1e-10), "float32": (1e-5, 1e-6)}


def signs(shape, seed=3):
    """Targets of 1 and -1 (and, where ``shape`` is big enough, a 0: neither, which some losses treat apart)."""
    values = numpy.random.default_rng(seed).choice([-1.0, 1.0], size=shape)
    if values.size > 4:
        values.flat[2] = 0.0
    return values


def uniform(shape, low=-2.0, high=2.0, seed=0):
    return numpy.random.default_rng(seed).uniform(low, high, size=shape)


def grad_fn_name(tensor):
    if tensor.grad_fn is None:
        return None
    return type(tensor.grad_fn).__name__ if isinstance(tensor, torch.Tensor) else tensor.grad_fn.name()


def compare(fn, arrays, grads, dtype="float64", seed=1):
    """``fn(library, *tensors)`` in both libraries on ``arrays`` (cast to ``dtype``): the loss's value,
    shape, dtype and grad_fn name, and the gradients of the inputs flagged in ``grads``."""
    arrays = [numpy.asarray(a, dtype=dtype) for a in arrays]
    ours_in = [minigrad.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    theirs_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    ours, theirs = fn(minigrad, *ours_in), fn(torch, *theirs_in)
    rtol, atol = TOL[dtype]
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype)[6:]
    assert grad_fn_name(ours) == grad_fn_name(theirs)
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    if not any(grads) or not theirs.requires_grad:
        return ours, theirs
    weights = numpy.random.default_rng(seed).standard_normal(tuple(theirs.shape)).astype(dtype)
    (ours * minigrad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for index, (mine, reference) in enumerate(zip(ours_in, theirs_in)):
        if grads[index]:
            assert (mine.grad is None) == (reference.grad is None), f"gradient of input {index}"
            if reference.grad is not None:
                numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol,
                                              err_msg=f"gradient of input {index}")
    return ours, theirs


def functional(name, **kwargs):
    """``lib.nn.functional.<name>(*tensors, **kwargs)``; a ``numpy`` keyword value becomes each library's tensor."""
    def call(lib, *tensors):
        converted = {key: lib.tensor(value) if isinstance(value, numpy.ndarray) else value
                     for key, value in kwargs.items()}
        return getattr(lib.nn.functional, name)(*tensors, **converted)
    return call


# name, positional arrays, which of them require grad, keyword arguments
CASES = [
    ("margin_ranking_loss", "basic", [uniform((6,)), uniform((6,), seed=1), signs((6,))], [True, True, False], {}),
    ("margin_ranking_loss", "margin_2d", [uniform((3, 4)), uniform((3, 4), seed=1), signs((3, 4))],
     [True, True, True], {"margin": 0.5}),
    ("margin_ranking_loss", "broadcast", [uniform((3, 1)), uniform((1, 4), seed=1), signs((3, 4))],
     [True, True, False], {"margin": 0.3}),
    ("margin_ranking_loss", "scalar", [uniform(()), uniform((), seed=1), numpy.array(-1.0)], [True, True, False], {}),
    ("margin_ranking_loss", "empty", [uniform((0,)), uniform((0,), seed=1), signs((0,))], [True, True, False], {}),
    ("hinge_embedding_loss", "basic", [uniform((3, 5)), signs((3, 5))], [True, False], {}),
    ("hinge_embedding_loss", "margin", [uniform((7,)), signs((7,))], [True, False], {"margin": 0.4}),
    ("hinge_embedding_loss", "broadcast_target", [uniform((3, 4)), signs((4,))], [True, False], {}),
    ("hinge_embedding_loss", "scalar", [uniform(()), numpy.array(1.0)], [True, False], {}),
    ("hinge_embedding_loss", "empty", [uniform((2, 0)), signs((2, 0))], [True, False], {}),
    ("soft_margin_loss", "basic", [uniform((3, 5)), signs((3, 5))], [True, False], {}),
    ("soft_margin_loss", "large_values", [uniform((6,), -40, 40), signs((6,))], [True, False], {}),
    ("soft_margin_loss", "broadcast_target", [uniform((3, 4)), signs((4,))], [True, False], {}),
    ("soft_margin_loss", "scalar", [uniform(()), numpy.array(-1.0)], [True, False], {}),
    ("soft_margin_loss", "empty", [uniform((0, 3)), signs((0, 3))], [True, False], {}),
    ("cosine_embedding_loss", "basic", [uniform((5, 3)), uniform((5, 3), seed=1), signs((5,))],
     [True, True, False], {}),
    ("cosine_embedding_loss", "margin", [uniform((6, 4)), uniform((6, 4), seed=1), signs((6,))],
     [True, True, False], {"margin": -0.2}),
    ("cosine_embedding_loss", "one_pair", [uniform((4,)), uniform((4,), seed=1), numpy.array(-1.0)],
     [True, True, False], {}),
    ("cosine_embedding_loss", "broadcast_inputs", [uniform((5, 3)), uniform((1, 3), seed=1), signs((5,))],
     [True, True, False], {}),
    ("cosine_embedding_loss", "zero_vector", [numpy.zeros((2, 3)), uniform((2, 3), seed=1), numpy.array([1.0, -1.0])],
     [True, True, False], {}),
    ("triplet_margin_loss", "basic", [uniform((5, 3)), uniform((5, 3), seed=1), uniform((5, 3), seed=2)],
     [True, True, True], {}),
    ("triplet_margin_loss", "p1_swap", [uniform((4, 6)), uniform((4, 6), seed=1), uniform((4, 6), seed=2)],
     [True, True, True], {"p": 1, "swap": True, "margin": 0.5}),
    ("triplet_margin_loss", "p3_eps", [uniform((4, 2)), uniform((4, 2), seed=1), uniform((4, 2), seed=2)],
     [True, True, True], {"p": 3, "eps": 1e-3, "margin": 2.0}),
    ("triplet_margin_loss", "one_triplet", [uniform((3,)), uniform((3,), seed=1), uniform((3,), seed=2)],
     [True, True, True], {}),
    ("triplet_margin_loss", "broadcast", [uniform((4, 3)), uniform((1, 3), seed=1), uniform((4, 3), seed=2)],
     [True, True, True], {"swap": True}),
    ("poisson_nll_loss", "log_input", [uniform((3, 4)), uniform((3, 4), 0, 4, seed=1)], [True, True], {}),
    ("poisson_nll_loss", "rate_input", [uniform((3, 4), 0.1, 3), uniform((3, 4), 0, 4, seed=1)], [True, True],
     {"log_input": False}),
    ("poisson_nll_loss", "full", [uniform((3, 4)), uniform((3, 4), 0, 4, seed=1)], [True, False], {"full": True}),
    ("poisson_nll_loss", "rate_full_eps", [uniform((6,), 0.1, 3), uniform((6,), 0, 4, seed=1)], [True, False],
     {"log_input": False, "full": True, "eps": 1e-3}),
    ("poisson_nll_loss", "broadcast", [uniform((3, 1)), uniform((4,), 0, 4, seed=1)], [True, True], {}),
    ("poisson_nll_loss", "empty", [uniform((0, 2)), uniform((0, 2), 0, 4, seed=1)], [True, True], {}),
    ("gaussian_nll_loss", "per_element", [uniform((4, 3)), uniform((4, 3), seed=1), uniform((4, 3), 0.1, 2, seed=2)],
     [True, True, True], {}),
    ("gaussian_nll_loss", "per_row", [uniform((4, 3)), uniform((4, 3), seed=1), uniform((4,), 0.1, 2, seed=2)],
     [True, True, True], {"full": True}),
    ("gaussian_nll_loss", "size_one_dim", [uniform((4, 3)), uniform((4, 3), seed=1), uniform((4, 1), 0.1, 2, seed=2)],
     [True, True, True], {}),
    ("gaussian_nll_loss", "clamped", [uniform((5,)), uniform((5,), seed=1), numpy.array([0.0, 1e-9, 0.5, 1.0, 2.0])],
     [True, True, True], {"eps": 1e-3}),
    ("gaussian_nll_loss", "scalar", [uniform(()), uniform((), seed=1), numpy.array(0.7)], [True, True, True], {}),
    ("multilabel_soft_margin_loss", "basic", [uniform((4, 5)), (uniform((4, 5), seed=1) > 0) * 1.0],
     [True, True], {}),
    ("multilabel_soft_margin_loss", "weight", [uniform((3, 4)), (uniform((3, 4), seed=1) > 0) * 1.0],
     [True, False], {"weight": uniform((4,), 0, 2, seed=2)}),
    ("multilabel_soft_margin_loss", "soft_targets", [uniform((3, 4), -30, 30), uniform((3, 4), 0, 1, seed=1)],
     [True, True], {}),
    ("multilabel_soft_margin_loss", "one_sample", [uniform((5,)), (uniform((5,), seed=1) > 0) * 1.0],
     [True, True], {}),
    ("multilabel_soft_margin_loss", "no_samples", [uniform((0, 3)), uniform((0, 3), seed=1)], [True, True], {}),
]
IDS = [f"{case[0]}-{case[1]}" for case in CASES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,label,arrays,grads,kwargs", CASES, ids=IDS)
def test_functional_matches_torch(name, label, arrays, grads, kwargs, reduction, dtype):
    if "weight" in kwargs:
        kwargs = dict(kwargs, weight=kwargs["weight"].astype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (torch's and minigrad's warnings alike: checked below)
        compare(functional(name, reduction=reduction, **kwargs), arrays, grads, dtype)


SECOND_ORDER = ["margin_ranking_loss-margin_2d", "hinge_embedding_loss-basic", "soft_margin_loss-basic",
                "soft_margin_loss-broadcast_target", "cosine_embedding_loss-basic", "cosine_embedding_loss-one_pair",
                "triplet_margin_loss-basic", "triplet_margin_loss-p3_eps", "poisson_nll_loss-log_input",
                "poisson_nll_loss-rate_full_eps", "gaussian_nll_loss-per_element", "gaussian_nll_loss-per_row",
                "multilabel_soft_margin_loss-weight", "multilabel_soft_margin_loss-basic"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", SECOND_ORDER)
def test_second_derivatives_match_torch(case, reduction):
    name, _, arrays, grads, kwargs = CASES[IDS.index(case)]
    call = functional(name, reduction=reduction, **kwargs)
    assert_second_order_matches_torch(lambda lib, *xs: call(lib, *xs), None,
                                      arrays=[numpy.asarray(a, dtype="float64") for a in arrays], grad_mask=grads)


# ---- modules --------------------------------------------------------------------------------
MODULES = [
    ("MarginRankingLoss", {"margin": 0.2}, "margin_ranking_loss-margin_2d"),
    ("HingeEmbeddingLoss", {"margin": 0.5}, "hinge_embedding_loss-basic"),
    ("SoftMarginLoss", {"reduction": "sum"}, "soft_margin_loss-basic"),
    ("CosineEmbeddingLoss", {"margin": 0.1, "reduction": "none"}, "cosine_embedding_loss-basic"),
    ("TripletMarginLoss", {"margin": 0.7, "p": 1.0, "swap": True}, "triplet_margin_loss-basic"),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-4}, "poisson_nll_loss-rate_input"),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-2}, "gaussian_nll_loss-per_row"),
    ("MultiLabelSoftMarginLoss", {}, "multilabel_soft_margin_loss-basic"),
]


@pytest.mark.parametrize("name,kwargs,case", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, kwargs, case):
    _, _, arrays, grads, _ = CASES[IDS.index(case)]
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    for attribute in torch.nn.__dict__[name].__constants__:
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    compare(lambda lib, *xs: (ours if lib is minigrad else theirs)(*xs), arrays, grads)


def test_module_defaults_match_torch():
    for name in ("MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
                 "TripletMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MultiLabelSoftMarginLoss"):
        ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
        for attribute in torch.nn.__dict__[name].__constants__:
            assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)


def test_multilabel_soft_margin_loss_module_keeps_its_weight_as_torch():
    weight = numpy.array([0.5, 1.0, 2.0, 1.5, 0.1])
    ours = nn.MultiLabelSoftMarginLoss(weight=minigrad.tensor(weight), reduction="sum")
    theirs = torch.nn.MultiLabelSoftMarginLoss(weight=torch.tensor(weight), reduction="sum")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    _, _, arrays, grads, _ = CASES[IDS.index("multilabel_soft_margin_loss-basic")]
    compare(lambda lib, *xs: (ours if lib is minigrad else theirs)(*xs), arrays, grads)


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True)])
def test_legacy_reduction_arguments_match_torch(size_average, reduce):
    for name, case in (("MarginRankingLoss", "margin_ranking_loss-basic"), ("SoftMarginLoss", "soft_margin_loss-basic"),
                       ("PoissonNLLLoss", "poisson_nll_loss-log_input"),
                       ("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss-basic")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = getattr(nn, name)(size_average=size_average, reduce=reduce)
            theirs = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert ours.reduction == theirs.reduction
        assert [str(w.message) for w in caught][:1] * 2 == [str(w.message) for w in caught]
        _, _, arrays, grads, _ = CASES[IDS.index(case)]
        compare(lambda lib, *xs: (ours if lib is minigrad else theirs)(*xs), arrays, grads)


def test_soft_margin_loss_of_float32_large_margins_stays_finite_as_torch():
    x, t = numpy.array([100.0, -100.0, 30.0], dtype="float32"), numpy.array([-1.0, 1.0, 1.0], dtype="float32")
    compare(functional("soft_margin_loss", reduction="none"), [x, t], [True, False], "float32")


def test_gaussian_nll_loss_with_a_float_variance_matches_torch():
    _, _, arrays, grads, _ = CASES[IDS.index("gaussian_nll_loss-per_element")]
    for reduction in REDUCTIONS:
        compare(lambda lib, a, b: lib.nn.functional.gaussian_nll_loss(a, b, 0.5, reduction=reduction),
                arrays[:2], grads[:2])


# ---- errors ---------------------------------------------------------------------------------
def assert_same_error(action):
    """``action(lib)`` raises the same exception type and message in both (``torch.`` spelt ``minigrad.``)."""
    kind, message = torch_error(lambda: action(torch))
    with pytest.raises(kind) as raised:
        action(minigrad)
    assert str(raised.value) == message.replace("torch.", "minigrad.")


BAD_INPUTS = [
    ("reduction", lambda m: m.nn.functional.margin_ranking_loss(m.zeros(3), m.zeros(3), m.ones(3), reduction="x")),
    ("margin_ranking_dims", lambda m: m.nn.functional.margin_ranking_loss(m.zeros(3), m.zeros(3), m.ones(3, 1))),
    ("margin_ranking_broadcast", lambda m: m.nn.functional.margin_ranking_loss(m.zeros(3), m.zeros(3), m.ones(4))),
    ("hinge_reduction", lambda m: m.nn.functional.hinge_embedding_loss(m.zeros(3), m.ones(3), reduction="avg")),
    ("hinge_broadcast", lambda m: m.nn.functional.hinge_embedding_loss(m.zeros(3), m.ones(4))),
    ("soft_margin_reduction", lambda m: m.nn.functional.soft_margin_loss(m.zeros(3), m.ones(3), reduction="bad")),
    ("soft_margin_target_shape", lambda m: m.nn.functional.soft_margin_loss(m.zeros(3, 1), m.ones(4))),
    ("soft_margin_integer_input", lambda m: m.nn.functional.soft_margin_loss(m.zeros(3, dtype=m.int64), m.ones(3))),
    ("soft_margin_target_grad",
     lambda m: m.nn.functional.soft_margin_loss(m.zeros(3, requires_grad=True), m.ones(3, requires_grad=True))),
    ("cosine_target_2d", lambda m: m.nn.functional.cosine_embedding_loss(m.zeros(3, 2), m.zeros(3, 2), m.ones(3, 1))),
    ("cosine_target_0d", lambda m: m.nn.functional.cosine_embedding_loss(m.zeros(3, 2), m.zeros(3, 2), m.ones(()))),
    ("cosine_input_1d", lambda m: m.nn.functional.cosine_embedding_loss(m.zeros(3), m.zeros(4), m.ones(3))),
    ("cosine_rows", lambda m: m.nn.functional.cosine_embedding_loss(m.zeros(3, 2), m.zeros(2, 2), m.ones(3))),
    ("triplet_dims", lambda m: m.nn.functional.triplet_margin_loss(m.zeros(3, 2), m.zeros(3, 2), m.zeros(2))),
    ("triplet_margin", lambda m: m.nn.functional.triplet_margin_loss(m.zeros(3, 2), m.zeros(3, 2), m.zeros(3, 2),
                                                                    margin=0)),
    ("triplet_module_margin", lambda m: m.nn.TripletMarginLoss(margin=-1.0)),
    ("triplet_reduction", lambda m: m.nn.functional.triplet_margin_loss(m.zeros(2), m.zeros(2), m.zeros(2),
                                                                       reduction="x")),
    ("poisson_reduction", lambda m: m.nn.functional.poisson_nll_loss(m.zeros(3), m.zeros(3), reduction="x")),
    ("poisson_broadcast", lambda m: m.nn.functional.poisson_nll_loss(m.zeros(3), m.zeros(2))),
    ("gaussian_negative_float", lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(3), m.zeros(3), -1.0)),
    ("gaussian_negative_var", lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(3), m.zeros(3),
                                                                          m.tensor([1.0, -1.0, 1.0]))),
    ("gaussian_var_size", lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(3, 2), m.zeros(3, 2), m.ones(2))),
    ("gaussian_var_two_mismatches", lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(3, 2), m.zeros(3, 2),
                                                                                m.ones(1, 1))),
    ("gaussian_reduction", lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(3), m.zeros(3), 1.0, reduction="x")),
    ("multilabel_reduction", lambda m: m.nn.functional.multilabel_soft_margin_loss(m.zeros(3, 2), m.zeros(3, 2),
                                                                                  reduction="bad")),
    ("multilabel_scalar", lambda m: m.nn.functional.multilabel_soft_margin_loss(m.zeros(()), m.zeros(()))),
    ("multilabel_shapes", lambda m: m.nn.functional.multilabel_soft_margin_loss(m.zeros(3, 2), m.zeros(3, 4))),
    ("multilabel_integer_input", lambda m: m.nn.functional.multilabel_soft_margin_loss(m.tensor([[1, 2]]),
                                                                                      m.tensor([[1, 0]]))),
    ("gaussian_integer_var", lambda m: m.nn.functional.gaussian_nll_loss(m.tensor([[1, 2]]), m.tensor([[1, 0]]),
                                                                        m.tensor([[1, 1]]))),
    ("margin_ranking_bool_target", lambda m: m.nn.functional.margin_ranking_loss(m.ones(1, 2), m.zeros(1, 2),
                                                                                m.tensor([[True, False]]))),
]


@pytest.mark.parametrize("name,action", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_torch_error(name, action):
    assert_same_error(action)


MIXED_DTYPES = [
    ("margin_ranking_loss", lambda lib: (lib.tensor([0.5, -1.0], dtype=lib.float32), lib.tensor([1.0, 2.0]),
                                         lib.tensor([1.0, -1.0], dtype=lib.float64))),
    ("hinge_embedding_loss", lambda lib: (lib.tensor([0.5, -1.0, 2.0], dtype=lib.float32), lib.tensor([1, -1, 0]))),
    ("soft_margin_loss", lambda lib: (lib.tensor([0.5, -1.0], dtype=lib.float32), lib.tensor([1.0, -1.0],
                                                                                             dtype=lib.float64))),
    ("cosine_embedding_loss", lambda lib: (lib.tensor([[0.5, -1.0]], dtype=lib.float32), lib.tensor([[1.0, 2.0]]),
                                           lib.tensor([-1]))),
    ("poisson_nll_loss", lambda lib: (lib.tensor([0.5, -1.0], dtype=lib.float32), lib.tensor([3, 0]))),
    ("gaussian_nll_loss", lambda lib: (lib.tensor([0.5, -1.0]), lib.tensor([1.0, 0.0], dtype=lib.float64),
                                       lib.tensor([0.5, 2.0]))),
    ("multilabel_soft_margin_loss", lambda lib: (lib.tensor([[0.5, -1.0]], dtype=lib.float32), lib.tensor([[1, 0]]))),
]


@pytest.mark.parametrize("name,make", MIXED_DTYPES, ids=[case[0] for case in MIXED_DTYPES])
def test_mixed_dtypes_promote_as_torch(name, make):
    for reduction in REDUCTIONS:
        ours = getattr(minigrad.nn.functional, name)(*make(minigrad), reduction=reduction)
        theirs = getattr(torch.nn.functional, name)(*make(torch), reduction=reduction)
        assert ours.dtype.name == str(theirs.dtype)[6:] and tuple(ours.shape) == tuple(theirs.shape)
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


INTEGER_INPUTS = [
    # torch's composite writes ``margin - input`` in the input's dtype: 1.5 acts as 1 on integers
    ("hinge_embedding_loss", lambda lib: (lib.tensor([0, 1, -2]), lib.tensor([-1, 1, -1])), {"margin": 1.5}),
    ("margin_ranking_loss", lambda lib: (lib.tensor([1, 2]), lib.tensor([2, 1]), lib.tensor([1, -1])), {"margin": 0.5}),
    ("cosine_embedding_loss", lambda lib: (lib.tensor([[1, 2]]), lib.tensor([[2, 1]]), lib.tensor([1])), {}),
    ("poisson_nll_loss", lambda lib: (lib.tensor([1, 2]), lib.tensor([2, 1])), {"full": True}),
    ("triplet_margin_loss", lambda lib: (lib.tensor([[1, 2]]), lib.tensor([[2, 1]]), lib.tensor([[2, 2]])), {}),
]


@pytest.mark.parametrize("name,make,kwargs", INTEGER_INPUTS, ids=[case[0] for case in INTEGER_INPUTS])
def test_integer_inputs_give_torch_dtypes_and_values(name, make, kwargs):
    for reduction in REDUCTIONS:
        def action(lib):
            return getattr(lib.nn.functional, name)(*make(lib), reduction=reduction, **kwargs)
        try:
            theirs = action(torch)
        except RuntimeError:        # the mean of an integer loss: the same error
            assert_same_error(action)
            continue
        ours = action(minigrad)
        assert ours.dtype.name == str(theirs.dtype)[6:] and tuple(ours.shape) == tuple(theirs.shape)
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_soft_margin_loss_saves_its_input_and_target_as_torch():
    """Writing either in place before backward stops it with torch's error."""
    def action(lib, write_target):
        x = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        target = lib.ones(3, 4, dtype=lib.float64)
        loss = lib.nn.functional.soft_margin_loss(x, target)
        (target if write_target else x).add_(1)
        loss.backward()
    for write_target in (False, True):
        assert_same_error(lambda lib: action(lib, write_target))


def test_gaussian_nll_loss_adds_its_constant_in_place_as_torch():
    """torch's ``loss += 0.5 * log(2 pi)`` (full=True) leaves the result at version 1, so an in-place write
    to it and backward's error then name torch's versions (fuzz seed 50017495)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor([-5.069, -2.865, -3.993, -4.936], dtype=lib.float64, requires_grad=True)
        target = lib.tensor([-130.768, -28.332, 95.011, -63.075], dtype=lib.float64)
        loss = lib.nn.functional.gaussian_nll_loss(x, target, target.abs() + 0.1, full=True, reduction="none")
        loss /= loss
        with pytest.raises(RuntimeError) as error:
            loss.sum().backward()
        results.append((loss._version, str(error.value).replace("torch.", "").replace("minigrad.", "")))
    assert results[1] == results[0]


def test_poisson_nll_loss_adds_stirlings_term_in_place_as_torch():
    """ATen's ``loss += stirling_term`` (full=True) leaves the result at version 1, so a later in-place write
    and backward's error name torch's versions (fuzz seed 50255396)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor([[0.97, 1.048, 0.214, 0.246, 0.147]], requires_grad=True)
        target = lib.tensor([[0.957, 0.496, 0.32, 3.0, 0.717]])
        loss = lib.nn.functional.poisson_nll_loss(x, target, log_input=False, full=True, reduction="none")
        clamped = loss.clamp(0.2, 2.6)       # saves the loss at its version now
        loss.sub_(lib.tensor([[1, -2, 5, 5, 6]]))
        with pytest.raises(RuntimeError) as error:
            (clamped.sum() + loss.sum()).backward()
        results.append((loss._version, str(error.value).replace("torch.", "").replace("minigrad.", "")))
    assert results[1] == results[0]
