"""The differential fuzzer in the suite: random programs run in torch and minigrad.

CI runs 12,000 programs in ``CHUNKS`` chunks (45 s under ``pytest -n 2`` on this project's idle
2-core machine; several times that when the machine is shared);
``MINIGRAD_FUZZ_EXAMPLES=N`` runs N programs and ``MINIGRAD_FUZZ_SEED=S`` starts
at seed S.  A failure prints each new mismatch class with a runnable reproduction.
Mismatches covered by an entry of ``known.py`` are counted, never failed on.
"""
import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import minigrad  # noqa: E402
from differential import Mismatch, check, execute, compare  # noqa: E402
from known import KNOWN_TORCH_BUGS, known, torch_fmod_gives_nan, torch_lets_an_integer_tensor_require_grad  # noqa: E402
from programs import Program, Statement, generate  # noqa: E402

EXAMPLES = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", 12000))
SEED = int(os.environ.get("MINIGRAD_FUZZ_SEED", 0))
CHUNKS = 16


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs_match_torch(chunk):
    new = {}
    for seed in range(SEED + chunk, SEED + EXAMPLES, CHUNKS):
        program = generate(seed)
        mismatch, _, _ = check(program)
        if mismatch is not None and known(program, mismatch) is None:
            new.setdefault(mismatch.key, program.reproduction(f"{mismatch.key}: {mismatch.detail}"))
    assert not new, f"{len(new)} mismatch classes with torch:\n\n" + "\n\n".join(new.values())


def test_known_tables_explain_themselves():
    for entry in KNOWN_TORCH_BUGS:
        assert entry.link.startswith("https://github.com/pytorch/pytorch/issues/"), entry.name
    for entry in KNOWN_TORCH_BUGS:
        assert entry.reason and entry.name


def program_of(*lines, loss=None, leaves=()):
    statements = [Statement(line, line.split(" = ")[-1].split("(")[0]) for line in lines]
    outputs = [line.split(" = ")[0] for line in lines if " = " in line]
    return Program(0, statements, outputs, loss, list(leaves))


def test_a_wrong_value_is_reported_with_a_reproduction(monkeypatch):
    program = program_of("x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)", "y = lib.exp(x)",
                         loss="loss = (y * lib.tensor([0.5, -2.0], dtype=lib.float64)).sum()", leaves=["x"])
    assert check(program)[0] is None
    monkeypatch.setattr(minigrad, "exp", lambda t: t * 2.7)
    mismatch = check(program)[0]
    assert mismatch.kind == "value" and "y" in mismatch.detail
    source = program.reproduction(mismatch.detail)
    assert "import torch" in source and "import minigrad" in source
    namespace = {}
    exec(source.split("\n\nfor lib in")[0], namespace)   # the reproduction runs as it is printed
    namespace["program"](__import__("torch"))


def test_a_wrong_gradient_and_a_missing_error_are_reported(monkeypatch):
    program = program_of("x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)", "y = x.sin()",
                         loss="loss = (y * lib.tensor([0.5, -2.0], dtype=lib.float64)).sum()", leaves=["x"])
    theirs = execute(program, __import__("torch"))
    mine = execute(program, minigrad)
    mine.grads["x"] = (*mine.grads["x"][:4], mine.grads["x"][4] + 1e-3)
    assert compare(program, mine, theirs).kind == "grad"
    mine.error = (1, "RuntimeError", "boom")
    assert compare(program, mine, theirs).kind == "error-only-minigrad"


def test_the_same_seed_gives_the_same_program():
    assert generate(12345).source() == generate(12345).source()


def test_an_integer_tensor_torch_lets_require_grad_is_its_bug_and_nothing_else():
    written = program_of("x = lib.tensor([1, 2, 3])", "v = lib.tensor([0.5], requires_grad=True)",
                         "y = x.masked_fill_(lib.tensor([True, False, True]), v[0])")
    mismatch = check(written)[0]   # torch's x (y) requires grad; minigrad's needs no gradient
    assert mismatch.kind == "requires_grad" and known(written, mismatch).name.startswith("an integer tensor")
    floats = program_of("x = lib.tensor([1.0, 2.0, 3.0])", "y = x.sum()")
    assert not torch_lets_an_integer_tensor_require_grad(floats, Mismatch("requires_grad", "reduce:sum",
                                                                          "y: False vs torch True"))


def test_the_integer_tensor_bug_covers_only_what_is_computed_from_such_a_tensor():
    program = program_of("x0 = lib.tensor([1, 2, 3])", "x1 = lib.tensor([0.5], requires_grad=True)",
                         "v2 = x0.masked_fill_(lib.tensor([True, False, True]), x1[0])",
                         "x3 = lib.tensor([1.0, 2.0])", "v4 = x3.sum()")
    assert torch_lets_an_integer_tensor_require_grad(program, Mismatch("requires_grad", "inplace:masked_fill_",
                                                                       "v2: False vs torch True"))
    # a float result that never met the tainted tensor: a minigrad bug, not torch's
    assert not torch_lets_an_integer_tensor_require_grad(program, Mismatch("requires_grad", "reduce:sum",
                                                                           "v4: False vs torch True"))


def test_torchs_fmod_nan_covers_only_a_remainder_and_what_is_computed_from_it():
    program = program_of("x0 = lib.full((8,), 3e38)", "x1 = lib.full((8,), 1e-45)", "v2 = x0 % x1",
                         "v3 = lib.minimum(v2, x0)", "v4 = x0.log()")
    nans = "NaN positions: [0. 0.] vs torch [nan nan]"
    for name in ("v2", "v3"):
        assert torch_fmod_gives_nan(program, Mismatch("value", "binary:%", f"{name}: {nans}"))
    assert not torch_fmod_gives_nan(program, Mismatch("value", "unary:log", f"v4: {nans}"))


def test_a_bool_number_to_a_tensor_power_is_torchs_internal_assert_and_minigrads_gradient():
    powered = program_of("x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)", "y = False ** x",
                         loss="loss = y.sum()", leaves=["x"])
    mismatch = check(powered)[0]      # torch 2.13 asserts in backward; minigrad's gradient is its float base's
    assert mismatch.kind == "error-only-torch" and known(powered, mismatch).link.endswith("/182283")


def test_an_error_about_the_output_of_a_convolution_with_no_channels_is_torchs_bug():
    """fuzz seed 195079: torch's output has 0 channels, so ``pow_`` by a tensor of minigrad's
    shape fails in both, with other words; a program that convolves no channels is covered."""
    program = program_of("x = lib.zeros((0, 2), dtype=lib.float64)",
                         "w = lib.zeros((2, 0, 2), dtype=lib.float64)",
                         "y = F.conv1d(x, w, padding=1)",
                         "z = y.pow_(lib.zeros((2, 0, 3), dtype=lib.float64))")
    mismatch = check(program)[0]
    assert mismatch.kind == "error-message" and known(program, mismatch).name.startswith("a convolution with 0")
    plain = program_of("y = lib.zeros((0, 3), dtype=lib.float64)",
                       "z = y.pow_(lib.zeros((2, 0, 3), dtype=lib.float64))")
    assert check(plain)[0] is None
