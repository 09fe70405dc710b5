"""minigrad.autograd.functional against torch.autograd.functional (float64)."""
import numpy
import pytest
import torch

import minigrad


def _inputs(library, shapes, seed=0):
    rng = numpy.random.default_rng(seed)
    return tuple(library.tensor(rng.uniform(-1.0, 1.0, shape)) for shape in shapes)


def _function(library, name):
    def cubic_sum(x):
        return (x ** 3).sum()

    def pair(x, y):
        return (x.sum() * y.exp()).sum() + (x ** 2).sum() * y.sum()

    def vector(x):
        return x.tanh() * x.sum()

    def two_outputs(x, y):
        return (x * y, (x ** 2).sum(0))

    def ignores_y(x, y):
        return x.sin()
    return {"cubic_sum": cubic_sum, "pair": pair, "vector": vector, "two_outputs": two_outputs,
            "ignores_y": ignores_y}[name]


def _flatten(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _same(ours, theirs):
    ours, theirs = _flatten(ours), _flatten(theirs)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert tuple(mine.shape) == tuple(reference.shape)
        numpy.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-10, atol=1e-12)


CASES = [  # (api, function, input shapes, extra)
    ("jacobian", "vector", [(4,)], {}), ("jacobian", "two_outputs", [(2, 3), (2, 3)], {}),
    ("jacobian", "ignores_y", [(3,), (2,)], {}), ("jacobian", "vector", [(4,)], {"vectorize": True}),
    ("hessian", "cubic_sum", [(3,)], {}), ("hessian", "pair", [(2,), (3,)], {}),
    ("vjp", "vector", [(4,)], {"v": [(4,)]}), ("vjp", "two_outputs", [(2, 3), (2, 3)], {"v": [(2, 3), (3,)]}),
    ("jvp", "vector", [(4,)], {"v": [(4,)]}), ("jvp", "two_outputs", [(2, 3), (2, 3)], {"v": [(2, 3), (2, 3)]}),
    ("vhp", "pair", [(2,), (3,)], {"v": [(2,), (3,)]}), ("hvp", "pair", [(2,), (3,)], {"v": [(2,), (3,)]}),
    ("hvp", "cubic_sum", [(3,)], {"v": [(3,)]}), ("vjp", "cubic_sum", [(3,)], {}),
]


def _call(library, api, name, shapes, extra, create_graph):
    inputs = _inputs(library, shapes)
    inputs = inputs if len(inputs) > 1 else inputs[0]
    options = dict(extra)
    if "v" in options:
        v = _inputs(library, options.pop("v"), seed=1)
        options["v"] = v if len(v) > 1 else v[0]
    return getattr(library.autograd.functional, api)(_function(library, name), inputs,
                                                     create_graph=create_graph, **options)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("api, name, shapes, extra", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_functional_matches_torch(api, name, shapes, extra, create_graph):
    ours = _call(minigrad, api, name, shapes, extra, create_graph)
    theirs = _call(torch, api, name, shapes, extra, create_graph)
    _same(ours, theirs)
    assert [t.requires_grad for t in _flatten(ours)] == [t.requires_grad for t in _flatten(theirs)]


@pytest.mark.parametrize("api", ["jacobian", "vjp", "hessian"])
def test_strict_mode_errors_match_torch(api):
    def call(library):
        x, y = _inputs(library, [(3,), (2,)])
        function = (lambda a, b: a.sin().sum()) if api == "hessian" else _function(library, "ignores_y")
        kwargs = {"v": library.ones(3, dtype=library.float64)} if api == "vjp" else {}
        with pytest.raises(RuntimeError) as error:
            getattr(library.autograd.functional, api)(function, (x, y), strict=True, **kwargs)
        return str(error.value)
    assert call(minigrad) == call(torch)


def test_bad_inputs_and_v_get_torchs_errors():
    for library in (minigrad, torch):
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            library.autograd.functional.jacobian(lambda x: x, [1.0])
    messages = []
    for library in (minigrad, torch):
        x = library.ones(3, dtype=library.float64)
        with pytest.raises(RuntimeError) as error:
            library.autograd.functional.vjp(lambda a: a * 2, x, library.ones(2, dtype=library.float64))
        messages.append(str(error.value).replace("torch.", "minigrad."))
    assert messages[0] == messages[1]


def test_third_derivatives_of_scalar_functions_match_torch():
    for name in ("tanh", "sigmoid", "exp", "sin"):
        values = []
        for library in (minigrad, torch):
            x = library.tensor([0.3, -0.7, 1.1], dtype=library.float64, requires_grad=True)
            y = getattr(x, name)().sum()
            for _ in range(3):
                (y,) = library.autograd.grad(y, x, create_graph=True)
                y = y.sum()
            values.append(y.item())
        numpy.testing.assert_allclose(values[0], values[1], rtol=1e-11)


def test_a_gradient_has_a_grad_fn_and_retain_graph_follows_create_graph_as_torch():
    names = []
    for library in (minigrad, torch):
        x = library.tensor([0.5, 2.0], dtype=library.float64, requires_grad=True)
        y = (x ** 3).sum()
        (g,) = library.autograd.grad(y, x, create_graph=True)
        names.append(g.grad_fn.name())
        (g2,) = library.autograd.grad(y, x)         # the graph was retained by create_graph
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            library.autograd.grad(y, x)
        x.grad = None
        (x ** 2).sum().backward(create_graph=True)
        names.append(x.grad.requires_grad)
    assert names[:2] == names[2:]
