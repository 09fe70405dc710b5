"""nn.Module, nn.Parameter and the containers against torch: registries, traversal, modes,
devices/dtypes, hooks, state_dict / load_state_dict (names, errors, round trips) and print(model)."""
import copy
from collections import OrderedDict

import numpy
import pytest
import torch

import minigrad
from minigrad import nn
from _nn_parity import copy_weights, torch_error, torch_state_as_numpy


# ---- models built the same way in both libraries --------------------------------------------
def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(64, 32), lib.nn.ReLU(), lib.nn.Dropout(0.1),
                             lib.nn.Linear(32, 10))


def nested(lib):
    nn_ = lib.nn

    class Block(nn_.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn_.LayerNorm(8)
            self.layers = nn_.ModuleList([nn_.Linear(8, 8), nn_.Linear(8, 8), nn_.GELU()])
            self.heads = nn_.ModuleDict({"a": nn_.Linear(8, 8, bias=False), "b": nn_.Identity()})
            self.register_buffer("steps", lib.zeros(3, dtype=lib.int64))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x):
            for layer in self.layers:
                x = layer(self.norm(x))
            return self.heads["a"](x)

    class Model(nn_.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn_.Embedding(10, 8, padding_idx=0)
            self.blocks = nn_.Sequential(Block(), Block())
            self.out = nn_.Sequential(OrderedDict([("fc", nn_.Linear(8, 3)), ("act", nn_.Tanh())]))
            self.scale = nn_.Parameter(lib.ones(1))

        def forward(self, tokens):
            return self.out(self.blocks(self.embed(tokens))) * self.scale

    return Model()


def tied(lib):
    """A model with one parameter used twice (weight tying) and one module used twice."""
    model = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.ReLU())
    shared = lib.nn.Linear(4, 4)
    model.append(shared)
    model.append(shared)
    model[0].weight = model[2].weight
    return model


BUILDERS = [mlp, nested, tied]


# ---- Parameter ------------------------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad_and_shares_memory():
    data = minigrad.zeros(2, 3)
    param = nn.Parameter(data)
    assert isinstance(param, minigrad.Tensor) and isinstance(param, nn.Parameter)
    assert param.requires_grad and param.is_leaf
    data.array[0, 0] = 5.0
    assert param.array[0, 0] == 5.0
    assert not nn.Parameter(minigrad.zeros(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_ops_give_plain_tensors_and_repr_as_torch():
    param = nn.Parameter(minigrad.tensor([1.0, 2.0]))
    result = param * 2
    assert type(result) is minigrad.Tensor and result.requires_grad
    assert type(param.detach()) is minigrad.Tensor
    theirs = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(param) == repr(theirs)


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        nn.Parameter(minigrad.tensor([1, 2]))
    assert not nn.Parameter(minigrad.tensor([1, 2]), requires_grad=False).requires_grad


def test_deepcopy_of_a_model_copies_values_and_keeps_types():
    model = nn.Linear(3, 2)
    model(minigrad.randn(4, 3)).sum().backward()
    clone = copy.deepcopy(model)
    assert isinstance(clone.weight, nn.Parameter) and clone.weight is not model.weight
    numpy.testing.assert_array_equal(clone.weight.array, model.weight.array)
    assert not numpy.shares_memory(clone.weight.array, model.weight.array)
    assert clone.weight.grad is None   # as torch's Parameter.__deepcopy__


# ---- registries and traversal -------------------------------------------------------------------------
@pytest.mark.parametrize("build", BUILDERS)
def test_names_of_parameters_buffers_and_modules_match_torch(build):
    minigrad.manual_seed(0)
    ours, theirs = build(minigrad), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [n for n, _ in ours.named_parameters(prefix="model", recurse=False)] == \
        [n for n, _ in theirs.named_parameters(prefix="model", recurse=False)]


def test_attribute_assignment_fills_the_registries():
    module = nn.Module()
    module.weight = nn.Parameter(minigrad.ones(2))
    module.child = nn.Linear(2, 2)
    module.register_buffer("running", minigrad.zeros(2))
    module.plain = 3
    assert list(module._parameters) == ["weight"] and list(module._modules) == ["child"]
    assert list(module._buffers) == ["running"] and module.plain == 3
    module.running = minigrad.ones(2)          # assigning a tensor to a buffer name replaces the buffer
    assert module._buffers["running"].array.sum() == 2
    module.weight = None
    assert module._parameters["weight"] is None and module.weight is None
    del module.child
    assert "child" not in module._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'child'"):
        module.child


def test_registration_errors_match_torch():
    def both(action):
        ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
        kind, message = torch_error(lambda: action(theirs, torch))
        with pytest.raises(kind) as raised:
            action(ours, minigrad)
        assert str(raised.value) == message

    both(lambda m, lib: setattr(m, "weight", lib.zeros(2, 3)))
    both(lambda m, lib: m.foo)
    both(lambda m, lib: m.register_buffer("weight", lib.zeros(1)))
    both(lambda m, lib: m.register_buffer("a.b", lib.zeros(1)))
    both(lambda m, lib: m.register_buffer("", lib.zeros(1)))
    both(lambda m, lib: m.register_buffer("c", 3))
    both(lambda m, lib: m.register_parameter("c", lib.zeros(1)))
    both(lambda m, lib: m.add_module("c", 3))
    both(lambda m, lib: m.train(3))
    both(lambda m, lib: lib.nn.Module()(1))


def test_train_eval_and_requires_grad_reach_every_submodule():
    model = nested(minigrad)
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model = mlp(minigrad)
    model(minigrad.randn(5, 64)).sum().backward()
    model.zero_grad(set_to_none=set_to_none)
    for param in model.parameters():
        if set_to_none:
            assert param.grad is None
        else:
            assert param.grad is not None and not param.grad.array.any()


def test_apply_visits_children_first_like_torch():
    ours, theirs = [], []
    nested(minigrad).apply(lambda m: ours.append(type(m).__name__))
    nested(torch).apply(lambda m: theirs.append(type(m).__name__))
    assert ours == theirs


def test_to_dtype_keeps_parameter_objects_and_casts_grads_not_integer_buffers():
    model = nested(minigrad)
    model(minigrad.tensor([[1, 2, 3]])).sum().backward()
    params_before = list(model.parameters())
    assert model.double() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params_before]
    assert all(p.dtype == minigrad.float64 for p in model.parameters())
    assert all(p.grad.dtype == minigrad.float64 for p in model.parameters() if p.grad is not None)
    assert model.blocks[0].steps.dtype == minigrad.int64
    model.to(minigrad.float32)
    assert all(p.dtype == minigrad.float32 for p in model.parameters())
    model.to("cpu", minigrad.float64).cpu()
    assert model.scale.dtype == minigrad.float64 and model.scale.device.type == "cpu"
    model.half().float()
    assert model.scale.dtype == minigrad.float32
    model.to(minigrad.zeros(1, dtype=minigrad.float64))
    assert model.scale.dtype == minigrad.float64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        model.to(minigrad.int64)


def test_forward_hooks_and_pre_hooks_run_and_are_removable():
    layer = nn.Linear(3, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out * 2)
    out = layer(minigrad.ones(4, 3))
    numpy.testing.assert_allclose(out.detach().numpy(), 2 * layer.bias.detach().numpy()[None].repeat(4, 0))
    assert calls == [(4, 2)]
    pre.remove()
    post.remove()
    assert layer(minigrad.ones(1, 3)).shape == (1, 2) and calls == [(4, 2)]


def test_hook_options_prepend_and_with_kwargs_as_torch():
    def run(lib):
        layer, order = lib.nn.Linear(3, 2), []
        layer.register_forward_hook(lambda m, args, out: order.append("first"))
        layer.register_forward_hook(lambda m, args, out: order.append("prepended"), prepend=True)
        layer.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs) if not order.append(sorted(kwargs))
                                        else None, with_kwargs=True)
        layer.register_forward_hook(lambda m, args, kwargs, out: order.append(len(args)), with_kwargs=True)
        layer(input=lib.ones(1, 3))
        return order
    assert run(minigrad) == run(torch)


def test_get_submodule_parameter_buffer():
    model = nested(minigrad)
    assert model.get_submodule("blocks.1.layers.0") is model.blocks[1].layers[0]
    assert model.get_parameter("blocks.0.norm.weight") is model.blocks[0].norm.weight
    assert model.get_buffer("blocks.0.steps") is model.blocks[0].steps
    with pytest.raises(AttributeError):
        model.get_submodule("blocks.7")


# ---- state_dict -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("build", BUILDERS)
def test_state_dict_keys_match_torch_and_values_share_memory(build):
    ours, theirs = build(minigrad), build(torch)
    state = ours.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == list(theirs.state_dict())
    assert list(ours.state_dict(keep_vars=True)) == list(theirs.state_dict(keep_vars=True))
    for key, value in state.items():
        assert not value.requires_grad and value.grad_fn is None
    first = next(iter(ours.parameters()))
    key = next(iter(state))
    state[key].array[...] = 7.0
    assert (first.array == 7.0).all()
    assert ours.state_dict(keep_vars=True)[key] is first
    assert list(ours.state_dict(prefix="m.")) == ["m." + k for k in theirs.state_dict()]


@pytest.mark.parametrize("build", BUILDERS)
def test_torch_state_dict_loads_and_round_trips_back_to_torch(build):
    ours, theirs = build(minigrad), build(torch)
    result = ours.load_state_dict(torch_state_as_numpy(theirs))
    assert repr(result) == "<All keys matched successfully>" and result.missing_keys == []
    for (name, mine), (_, reference) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        numpy.testing.assert_array_equal(mine.numpy(), reference.numpy(), err_msg=name)
    # and back: a fresh torch model takes ours
    again = build(torch)
    again.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    for (name, a), (_, b) in zip(again.state_dict().items(), theirs.state_dict().items()):
        assert torch.equal(a, b), name


def test_load_state_dict_accepts_torch_tensors_and_minigrad_tensors_and_casts_dtype():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2).double()
    ours.load_state_dict(theirs.state_dict())
    assert ours.weight.dtype == minigrad.float32
    numpy.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    other = nn.Linear(3, 2)
    other.load_state_dict(ours.state_dict())
    numpy.testing.assert_array_equal(other.bias.array, ours.bias.array)
    assert not numpy.shares_memory(other.bias.array, ours.bias.array)


def test_load_state_dict_keeps_parameter_objects_and_bumps_versions():
    layer = nn.Linear(3, 2)
    weight, version = layer.weight, layer.weight._version
    layer.load_state_dict({"weight": numpy.ones((2, 3)), "bias": numpy.zeros(2)})
    assert layer.weight is weight and weight._version > version and weight.requires_grad
    assert (weight.array == 1).all()


def test_load_state_dict_assign_replaces_parameters():
    layer = nn.Linear(3, 2)
    old = layer.weight
    layer.load_state_dict({"weight": numpy.ones((2, 3), "float32"), "bias": numpy.zeros(2, "float32")},
                          assign=True)
    assert layer.weight is not old and isinstance(layer.weight, nn.Parameter)
    assert layer.weight.requires_grad and (layer.weight.array == 1).all()


BAD_STATES = [
    ("Linear", {"weight": (2, 3)}),
    ("Linear", {"weight": (2, 4), "bias": (2,), "x": (1,), "y": (1,)}),
    ("Sequential", {"0.weight": (2, 4), "bias": (2,)}),
    ("Linear", {"weight": (2, 3), "bias": (3,)}),
]


def _bad_model(lib, kind):
    return lib.nn.Linear(3, 2) if kind == "Linear" else lib.nn.Sequential(lib.nn.Linear(3, 2))


@pytest.mark.parametrize("kind, shapes", BAD_STATES)
def test_failing_load_gives_torch_message_and_changes_nothing(kind, shapes):
    theirs = _bad_model(torch, kind)
    _, message = torch_error(lambda: theirs.load_state_dict({k: torch.zeros(s) for k, s in shapes.items()}))
    ours = _bad_model(minigrad, kind)
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    with pytest.raises(RuntimeError) as raised:
        ours.load_state_dict({k: numpy.full(s, 9.0, "float32") for k, s in shapes.items()})
    assert str(raised.value) == message.replace("torch.Size", "minigrad.Size")
    for key, value in ours.state_dict().items():
        numpy.testing.assert_array_equal(value.numpy(), before[key])


def test_load_state_dict_rejects_non_tensors_with_torch_message():
    _, message = torch_error(lambda: torch.nn.Linear(3, 2).load_state_dict({"weight": [1, 2], "bias": torch.zeros(2)}))
    with pytest.raises(RuntimeError) as raised:
        nn.Linear(3, 2).load_state_dict({"weight": [1, 2], "bias": numpy.zeros(2)})
    assert str(raised.value) == message


def test_non_strict_load_reports_keys_as_torch():
    state = {"weight": numpy.zeros((2, 3), "float32"), "extra": numpy.zeros(1, "float32")}
    ours = nn.Linear(3, 2).load_state_dict(state, strict=False)
    theirs = torch.nn.Linear(3, 2).load_state_dict({k: torch.from_numpy(v) for k, v in state.items()},
                                                   strict=False)
    assert ours.missing_keys == theirs.missing_keys and ours.unexpected_keys == theirs.unexpected_keys
    assert repr(ours) == repr(theirs)


def test_non_persistent_buffers_and_none_entries_are_not_saved():
    ours, theirs = nn.Module(), torch.nn.Module()
    for module, lib in ((ours, minigrad), (theirs, torch)):
        module.register_buffer("kept", lib.zeros(2))
        module.register_buffer("dropped", lib.zeros(2), persistent=False)
        module.register_buffer("empty", None)
        module.register_parameter("nothing", None)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["kept"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


# ---- printing -----------------------------------------------------------------------------------------------
def _activation_zoo(lib):
    n = lib.nn
    return n.Sequential(n.ReLU(), n.ReLU(inplace=True), n.ReLU6(), n.Hardtanh(-2.0, 3.0), n.LeakyReLU(0.2),
                        n.ELU(alpha=0.5, inplace=True), n.SELU(), n.CELU(), n.GELU(), n.GELU("tanh"),
                        n.SiLU(), n.Mish(), n.Softplus(2, 10), n.Sigmoid(), n.Tanh(), n.LogSigmoid(),
                        n.Hardsigmoid(), n.Hardswish(), n.Softsign(), n.Tanhshrink(), n.Threshold(0.1, 20),
                        n.Softmax(dim=1), n.Softmax(), n.LogSoftmax(-1), n.Softmin(0))


def _layer_zoo(lib):
    n = lib.nn
    return n.Sequential(n.Linear(64, 10), n.Linear(3, 4, bias=False), n.Bilinear(2, 3, 4), n.Identity(),
                        n.Embedding(10, 3), n.Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=3.0,
                                                        scale_grad_by_freq=True, sparse=True),
                        n.Dropout(), n.Dropout(0.2, inplace=True), n.LayerNorm(4),
                        n.LayerNorm((3, 4), eps=1e-6, elementwise_affine=False), n.LayerNorm(4, bias=False),
                        n.RMSNorm(4), n.RMSNorm([2, 4], eps=1e-5), n.Flatten(), n.Flatten(0, 2),
                        n.Unflatten(1, (2, 3)))


def _loss_zoo(lib):
    n = lib.nn
    return n.ModuleList([n.CrossEntropyLoss(), n.CrossEntropyLoss(weight=lib.ones(3), label_smoothing=0.1),
                         n.NLLLoss(), n.MSELoss(reduction="sum"), n.L1Loss(), n.SmoothL1Loss(beta=0.5),
                         n.HuberLoss(delta=2.0), n.BCELoss(), n.BCEWithLogitsLoss(pos_weight=lib.ones(3))])


def _containers(lib):
    n = lib.nn
    return n.ModuleDict({"list": n.ModuleList([n.Linear(2, 2), n.Linear(2, 2), n.Linear(2, 2), n.ReLU(),
                                               n.Sequential(n.Linear(2, 3), n.ReLU()),
                                               n.Sequential(n.Linear(2, 3), n.ReLU())]),
                         "empty_list": n.ModuleList(), "empty_seq": n.Sequential(), "empty_dict": n.ModuleDict(),
                         "mlp": mlp(lib)})


@pytest.mark.parametrize("build", [mlp, nested, tied, _activation_zoo, _layer_zoo, _loss_zoo, _containers])
def test_print_model_matches_torch_exactly(build):
    assert str(build(minigrad)) == str(build(torch))
    assert repr(build(minigrad)) == repr(build(torch))


def test_repr_of_a_custom_module_with_extra_repr_and_children():
    def build(lib):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.Linear(2, 2)
                self.factor = 3

            def extra_repr(self):
                return f"factor={self.factor}\nsecond line"
        return Scaled()
    assert str(build(minigrad)) == str(build(torch))


# ---- containers ---------------------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing_as_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
    assert len(ours) == 4 and isinstance(ours[0], nn.Linear) and isinstance(ours[-1], nn.Tanh)
    head = ours[1:3]
    assert type(head) is nn.Sequential and list(head._modules) == ["1", "2"]
    assert head[0] is ours[1]
    assert [type(m).__name__ for m in ours] == ["Linear", "ReLU", "Linear", "Tanh"]
    ours.append(nn.Sigmoid())
    assert len(ours) == 5 and list(ours._modules)[-1] == "4"
    del ours[1]
    assert list(ours._modules) == ["0", "1", "2", "3"] and isinstance(ours[1], nn.Linear)
    ours[3] = nn.ReLU()
    assert isinstance(ours[3], nn.ReLU)
    ours.insert(0, nn.Identity())
    assert isinstance(ours[0], nn.Identity) and len(ours) == 5
    popped = ours.pop(0)
    assert isinstance(popped, nn.Identity) and len(ours) == 4
    assert len(ours + nn.Sequential(nn.ReLU())) == 5
    ours.extend([nn.ReLU(), nn.ReLU()])
    assert len(ours) == 6
    with pytest.raises(IndexError, match="index 6 is out of range"):
        ours[6]
    out = nn.Sequential(nn.Linear(2, 3), nn.ReLU())(minigrad.randn(5, 2))
    assert out.shape == (5, 3) and (out.array >= 0).all()


def test_module_list_and_module_dict_behave_as_torch():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(1, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Linear", "Identity", "Linear", "Linear", "ReLU", "Tanh"]
    assert type(layers[1:3]) is nn.ModuleList and len(layers[1:3]) == 2
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers += [nn.ReLU()]
    assert len(layers) == 6
    with pytest.raises(IndexError, match="index 9 is out of range"):
        layers[9]
    heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
    heads["b"] = nn.ReLU()
    heads.update([("c", nn.Tanh())])
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.keys()) == ["a", "b", "c"] and isinstance(heads.pop("b"), nn.ReLU)
    assert [k for k, _ in heads.items()] == ["a", "c"] and len(list(heads.values())) == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias"]
    heads.clear()
    assert len(heads) == 0


def test_parameter_list_and_dict_register_parameters():
    params = nn.ParameterList([nn.Parameter(minigrad.zeros(2)), minigrad.ones(3)])
    assert len(params) == 2 and isinstance(params[1], nn.Parameter)
    params.append(nn.Parameter(minigrad.zeros(1)))
    assert [n for n, _ in params.named_parameters()] == ["0", "1", "2"]
    table = nn.ParameterDict({"a": nn.Parameter(minigrad.zeros(2))})
    table["b"] = minigrad.ones(1)
    assert list(table) == ["a", "b"] and list(table.state_dict()) == ["a", "b"]
    assert isinstance(table["b"], nn.Parameter)


def test_whole_model_forward_and_backward_match_torch_after_loading_weights():
    from _nn_parity import check_module
    ours, theirs = nested(minigrad).double(), nested(torch).double()
    copy_weights(ours, theirs)
    tokens = numpy.array([[1, 0, 3, 9], [2, 2, 5, 0]])
    check_module(ours, theirs, [tokens], requires_grad=[False])
