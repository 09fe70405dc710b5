"""Chapter 5's checks: a Linear module, SGD and Adam, against torch.nn.Linear and torch.optim."""
from __future__ import annotations

import math

import numpy
import torch

from ..testing import from_torch
from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch05_modules"


def check_linear(module, grader):
    rng = numpy.random.default_rng(50)
    cases = [("square weight (4, 4)", 4, 4, True, (3, 4)), ("batch 5", 3, 4, True, (5, 3)),
             ("batch 1", 3, 4, True, (1, 3)), ("3-D input (2, 6, 3)", 3, 2, True, (2, 6, 3)),
             ("no bias", 4, 3, False, (5, 4))]
    for description, in_features, out_features, bias, input_shape in cases:
        grader.case_is(f"Linear({in_features}, {out_features}, bias={bias}), input {input_shape}, {description}")
        layer = module.Linear(in_features, out_features, bias=bias)
        reference = torch.nn.Linear(in_features, out_features, bias=bias).double()
        shapes = {name: tuple(p.shape) for name, p in layer.named_parameters()}
        expected_shapes = {name: tuple(p.shape) for name, p in reference.named_parameters()}
        if shapes != expected_shapes:
            transposed = shapes.get("weight") == (in_features, out_features) != (out_features, in_features)
            grader.fail(f"parameters {shapes}, expected {expected_shapes} (names and shapes as torch's)",
                        "transposed" if transposed else None)
        bound = 1 / math.sqrt(in_features)
        for name, parameter in layer.named_parameters():
            values = parameter.detach().numpy()
            grader.expect(values.min() >= -bound and values.max() <= bound
                          and (values.size < 8 or values.std() > bound / 4),
                          f"{name} drawn from [{values.min():.3g}, {values.max():.3g}] with std {values.std():.3g}, "
                          f"expected U({-bound:.3g}, {bound:.3g})", "linear_init")
        layer.double()
        layer.load_state_dict(from_torch(reference.state_dict()))
        x = rng.standard_normal(input_shape)
        ours, theirs = tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
        output, expected = layer(ours), reference(theirs)
        weight = reference.weight.detach().numpy()
        bias_value = reference.bias.detach().numpy() if bias else 0
        grader.compare("output", output, expected, mistakes={"transposed": x @ weight + bias_value
                                                             if in_features == out_features else None})
        weights = rng.standard_normal(tuple(expected.shape))
        (expected * torch.from_numpy(weights)).sum().backward()
        (output * tensor(weights)).sum().backward()
        grader.compare("gradient of the input", ours.grad, theirs.grad)
        parameters = dict(layer.named_parameters())
        for name, parameter in reference.named_parameters():
            grader.compare(f"gradient of {name}", parameters[name].grad, parameter.grad)


def _problem(seed):
    """A small least-squares problem: parameters W (3, 4), b (3,) and the loss of (W, b)."""
    rng = numpy.random.default_rng(seed)
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    start = [rng.standard_normal((3, 4)), rng.standard_normal(3)]

    def loss(W, b, lib):
        inputs, targets = (torch.from_numpy(x), torch.from_numpy(y)) if lib is torch else (tensor(x), tensor(y))
        return ((inputs @ W.T + b - targets) ** 2).mean()
    return start, loss


def _by_hand(start, loss, steps, update, accumulate=False):
    """Run ``update(params, grads, state, t)`` in torch for ``steps`` steps: a deliberate variant.

    ``accumulate``: the gradients are never zeroed, so step t sees the sum of all t so far.
    """
    params = [torch.from_numpy(a.copy()) for a in start]
    state, history, accumulated = {}, [], [torch.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        leaves = [p.clone().requires_grad_() for p in params]
        loss(*leaves, torch).backward()
        grads = [leaf.grad for leaf in leaves]
        if accumulate:
            accumulated = [a + g for a, g in zip(accumulated, grads)]
            grads = accumulated
        params = update(params, grads, state, t)
        history.append([p.clone() for p in params])
    return history


def _check_optimizer(module, grader, class_name, settings, torch_class, variants, steps=5):
    for seed, options in enumerate(settings):
        grader.case_is(f"{class_name}({', '.join(f'{k}={v}' for k, v in options.items())}), {steps} steps "
                       "on a least-squares problem")
        start, loss = _problem(60 + seed)
        ours = [tensor(a.copy(), requires_grad=True) for a in start]
        theirs = [torch.from_numpy(a.copy()).requires_grad_() for a in start]
        optimizer = getattr(module, class_name)(ours, **options)
        reference = torch_class(theirs, **options)
        alternatives = {hint: _by_hand(start, loss, steps, rule(options), accumulate=hint == "zero_grad")
                        for hint, rule in variants.items()}
        for step in range(steps):
            optimizer.zero_grad()
            loss(*ours, None).backward()
            optimizer.step()
            reference.zero_grad()
            loss(*theirs, torch).backward()
            reference.step()
            for index, (mine, expected) in enumerate(zip(ours, theirs)):
                grader.compare(f"parameter {index} after step {step + 1}", mine, expected,
                               mistakes={hint: history[step][index] for hint, history in alternatives.items()})


def _sgd_rule(options, decoupled=False):
    lr, momentum, decay = options["lr"], options.get("momentum", 0.0), options.get("weight_decay", 0.0)

    def update(params, grads, state, t):
        new = []
        for index, (p, g) in enumerate(zip(params, grads)):
            if not decoupled:
                g = g + decay * p
            if momentum:
                buffer = state.get(index)
                state[index] = buffer = g if buffer is None else momentum * buffer + g
                g = buffer
            new.append((p * (1 - lr * decay) if decoupled else p) - lr * g)
        return new
    return update


def check_sgd(module, grader):
    settings = [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, weight_decay=0.1),
                dict(lr=0.1, weight_decay=0.2)]
    variants = {"coupled_weight_decay": lambda options: _sgd_rule(options, decoupled=True),
                "zero_grad": lambda options: _sgd_rule(options)}
    _check_optimizer(module, grader, "SGD", settings, torch.optim.SGD, variants)


def _adam_rule(options, correction=True, eps_inside=False, decoupled=False):
    lr, (beta1, beta2) = options.get("lr", 1e-3), options.get("betas", (0.9, 0.999))
    eps, decay = options.get("eps", 1e-8), options.get("weight_decay", 0.0)

    def update(params, grads, state, t):
        new = []
        for index, (p, g) in enumerate(zip(params, grads)):
            if not decoupled:
                g = g + decay * p
            m, v = state.get(index, (torch.zeros_like(p), torch.zeros_like(p)))
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
            state[index] = (m, v)
            m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if correction else (m, v)
            step = m_hat / ((v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps)
            p = p * (1 - lr * decay) if decoupled else p
            new.append(p - lr * step)
        return new
    return update


def check_adam(module, grader):
    settings = [dict(lr=0.1), dict(lr=0.01, betas=(0.8, 0.99)), dict(lr=0.05, weight_decay=0.1),
                dict(lr=0.1, eps=0.1)]
    variants = {"adam_bias_correction": lambda options: _adam_rule(options, correction=False),
                "adam_eps_inside": lambda options: _adam_rule(options, eps_inside=True),
                "coupled_weight_decay": lambda options: _adam_rule(options, decoupled=True)}
    _check_optimizer(module, grader, "Adam", settings, torch.optim.Adam, variants)


EXERCISES = [
    Exercise("5.1", "Linear: torch's parameters, forward and gradients", MODULE, check_linear),
    Exercise("5.2", "SGD with momentum and weight decay", MODULE, check_sgd),
    Exercise("5.3", "Adam", MODULE, check_adam),
]
