"""The fused recurrent step kernels of ``nn/recurrent/cuda_kernels.py``.

On the CPU (always run): every kernel body, run by its NumPy interpreter
(``StepKernel.emulate``: the same statements on whole arrays), is plugged into
the fused layers at the CUDA hooks of ``nn/recurrent/fused.py``, and the layers must give
exactly the numbers of the NumPy path.  This verifies the kernels' maths and
which buffers the hooks pass in and out; it does NOT verify that the CUDA code
compiles or launches, which only the ``cuda`` cases below check.  The recorder
that writes the CUDA text from the same body is checked here too: the exact
text of a small kernel, what it refuses, and that every kernel's text declares
each local once and assigns every output.

On a GPU (``@pytest.mark.cuda``, skipped without one): each compiled kernel
against its emulator on the same data, and the layers with the kernels against
the layers running the NumPy statements on CuPy and against the CPU.
"""
import re

import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.nn.recurrent import cuda_kernels as rnn_cuda
from minigrad.nn.utils.rnn import pack_padded_sequence

# torch-free here, but the LSTM projection warning filter keeps parity with the other RNN tests
LENGTHS = [5, 3, 3, 1]          # unequal: the packed, shrinking-batch layout and the reversal flip

CASES = {
    "lstm": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    "lstm_no_bias": lambda: nn.LSTM(3, 4, bias=False),
    "lstm_proj": lambda: nn.LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True),
    "gru": lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True),
    "gru_no_bias": lambda: nn.GRU(3, 4, bias=False, bidirectional=True),
    "rnn_tanh": lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True),
    "rnn_relu": lambda: nn.RNN(3, 4, nonlinearity="relu", bidirectional=True),
}


def _run(case, dtype, packed, device="cpu", seed=0):
    """Output, h_n (and c_n), and the gradients of input and weights, as NumPy arrays."""
    minigrad.manual_seed(seed)
    module = CASES[case]().to(getattr(minigrad, dtype))
    rng = numpy.random.default_rng(seed)
    for parameter in module.parameters():        # larger than the default init: saturated gates too
        with minigrad.no_grad():
            parameter.copy_(minigrad.tensor(rng.uniform(-1.5, 1.5, tuple(parameter.shape)).astype(dtype)))
    module.to(device)
    x = minigrad.tensor(rng.standard_normal((5, 4, 3)).astype(dtype), device=device, requires_grad=True)
    inputs = pack_padded_sequence(x, LENGTHS) if packed else x
    output, state = module(inputs)
    output = output.data if packed else output
    results = [output] + list(state if isinstance(state, tuple) else (state,))
    loss = sum((r * minigrad.tensor(rng.standard_normal(tuple(r.shape)).astype(dtype), device=device)).sum()
               for r in results)
    loss.backward()
    arrays = [r.detach().cpu().numpy() for r in results] + [x.grad.cpu().numpy()]
    return arrays + [p.grad.cpu().numpy() for p in module.parameters()]


class _Counting:
    """The emulated kernels, counting launches per kernel."""

    def __init__(self):
        self.calls = {}
        emulated = rnn_cuda.emulated_kernels()
        for kernel in rnn_cuda.KERNELS:
            setattr(self, kernel.name, self._counted(kernel.name, getattr(emulated, kernel.name)))

    def _counted(self, name, launch):
        def call(*arrays):
            self.calls[name] = self.calls.get(name, 0) + 1
            return launch(*arrays)
        return call


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_emulated_kernels_reproduce_the_numpy_path_exactly(case, dtype, packed, monkeypatch):
    reference = _run(case, dtype, packed)
    counting = _Counting()
    monkeypatch.setattr(rnn_cuda, "step_kernels", lambda xp: counting)
    emulated = _run(case, dtype, packed)
    assert counting.calls, "the CUDA hooks were not reached"
    assert len(emulated) == len(reference)
    for mine, expected in zip(emulated, reference):
        numpy.testing.assert_array_equal(mine, expected)


def test_one_launch_per_step_and_direction(monkeypatch):
    """The forward and backward each launch one kernel per time step and direction (GRU: two backward)."""
    counting = _Counting()
    monkeypatch.setattr(rnn_cuda, "step_kernels", lambda xp: counting)
    steps, layers, directions = 5, 2, 2
    for make in (CASES["lstm"], CASES["gru"], CASES["rnn_tanh"]):
        module = make().double()
        output, _ = module(minigrad.randn(steps, 4, 3, dtype=minigrad.float64))
        output.sum().backward()
    per_direction = steps * layers * directions
    assert counting.calls == {"lstm_forward": per_direction, "lstm_backward": per_direction,
                              "gru_forward_bias": per_direction, "gru_backward": per_direction,
                              "gru_backward_carry": per_direction,
                              "rnn_tanh_forward": per_direction, "rnn_backward": per_direction}


def test_the_cpu_never_takes_the_kernel_path():
    assert rnn_cuda.step_kernels(numpy) is None


# ---- the one definition, two interpreters: the CUDA recorder ---------------------------
def _small(k):
    k.total = k.a + k.b * k.T(2)
    k.out = -(k.total - k.out) / k.exp(k.a * k.T(-0.5)) + k.relu_of(k.total) * k.tanh(k.b)


def test_the_recorder_writes_one_statement_per_assignment_in_python_order():
    kernel = rnn_cuda.StepKernel("small", ["a", "b"], ["out"], _small)
    assert kernel.source == ("T total = (a + (b * T(2)));\n"
                             "out = (((-(total - out)) / exp((a * T(-0.5)))) + (relu_of(total) * tanh(b)));\n")
    assert str(kernel) == "// minigrad_small(T a, T b -> T out)\n" + kernel.source.rstrip()
    assert rnn_cuda.RNN_BACKWARD.source == "grad_pre = ((grad_pre + grad_h) * slope);\n"


def test_the_numpy_interpreter_runs_the_same_body_in_the_arrays_dtype():
    kernel = rnn_cuda.StepKernel("small", ["a", "b"], ["out"], _small)
    a, b = numpy.float32([1.0, -2.0, numpy.nan]), numpy.float32([0.5, 0.25, 1.0])
    out = numpy.float32([3.0, 4.0, 5.0])
    T = numpy.float32
    total = a + b * T(2)
    expected = -(total - out) / numpy.exp(a * T(-0.5)) + numpy.maximum(total, T(0)) * numpy.tanh(b)
    kernel.emulate(a, b, out)
    assert out.dtype == numpy.float32
    numpy.testing.assert_array_equal(out, expected)     # relu_of keeps the NaN, as maximum does
    assert numpy.isnan(out[2])


def test_reading_an_unknown_name_is_an_error():
    def reads_a_typo(k):
        k.b = k.aa + k.a
    with pytest.raises(NameError, match="'aa'"):
        rnn_cuda.StepKernel("bad", ["a"], ["b"], reads_a_typo)

    def reads_a_local_before_it_exists(k):
        k.b = k.later
        k.later = k.a
    with pytest.raises(NameError, match="'later'"):
        rnn_cuda.StepKernel("bad", ["a"], ["b"], reads_a_local_before_it_exists)


@pytest.mark.parametrize("body", [
    lambda k: setattr(k, "b", k.a * 2),
    lambda k: setattr(k, "b", 2 * k.a),
    lambda k: setattr(k, "b", k.a + 2.0),
    lambda k: setattr(k, "b", numpy.float32(2) * k.a),
    lambda k: setattr(k, "b", k.exp(2)),
    lambda k: setattr(k, "b", 2),
], ids=["expr*2", "2*expr", "expr+2.0", "numpy_scalar", "exp(2)", "assign_2"])
def test_a_bare_number_is_refused_it_would_be_a_double_in_c(body):
    with pytest.raises(TypeError, match=r"k\.T\(2(\.0)?\)"):
        rnn_cuda.StepKernel("bad", ["a"], ["b"], body)


def test_the_recorder_refuses_what_cuda_would_not_compile_or_the_launch_would_lose():
    with pytest.raises(TypeError, match="input"):            # inputs are const in CUDA
        rnn_cuda.StepKernel("bad", ["a"], ["b"], lambda k: setattr(k, "a", k.b))
    with pytest.raises(ValueError, match="never assigns"):
        rnn_cuda.StepKernel("bad", ["a"], ["b", "c"], lambda k: setattr(k, "b", k.a))
    with pytest.raises(TypeError, match="branches"):
        rnn_cuda.StepKernel("bad", ["a"], ["b"], lambda k: setattr(k, "b", k.a if k.a else k.b))
    with pytest.raises(ValueError, match="cannot name"):
        rnn_cuda.StepKernel("bad", ["exp"], ["b"], lambda k: setattr(k, "b", k.b))


@pytest.mark.parametrize("kernel", rnn_cuda.KERNELS, ids=lambda kernel: kernel.name)
def test_every_kernel_declares_each_local_once_and_assigns_every_output(kernel):
    declared, assigned = set(), set()
    for statement in kernel.source.splitlines():
        match = re.fullmatch(r"(T )?(\w+) = (.+);", statement)
        assert match, statement
        declaration, name, expression = match.groups()
        for read in set(re.findall(r"[A-Za-z_]\w*", expression)) - {"T", "exp", "tanh", "relu_of"}:
            assert read in kernel.inputs or read in kernel.outputs or read in declared, (read, statement)
        assert name not in kernel.inputs, statement
        if declaration:
            assert name not in kernel.outputs and name not in declared, statement
            declared.add(name)
        else:
            assert name in kernel.outputs or name in declared, statement
        assigned.add(name)
        assert expression.count("(") == expression.count(")"), statement
    assert set(kernel.outputs) <= assigned


def test_the_emulator_checks_arguments_as_a_launch_does():
    kernel = rnn_cuda.RNN_BACKWARD
    grad_h, slope, grad_pre = numpy.ones((2, 3)), numpy.ones((2, 3)), numpy.ones((2, 3))
    with pytest.raises(TypeError, match="takes 3 arrays"):
        kernel.emulate(grad_h, grad_pre)
    with pytest.raises(TypeError, match="dtypes"):
        kernel.emulate(grad_h.astype(numpy.float32), slope, grad_pre)
    with pytest.raises(ValueError, match="broadcast"):
        kernel.emulate(numpy.ones((3, 3)), slope, grad_pre)
    kernel.emulate(grad_h, slope, grad_pre)
    numpy.testing.assert_array_equal(grad_pre, numpy.full((2, 3), 2.0))


# ---- on a GPU ----------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kernel", rnn_cuda.KERNELS, ids=lambda kernel: kernel.name)
def test_compiled_kernel_matches_its_emulator(kernel, dtype):
    cupy = minigrad.core.device.cupy_module()
    rng = numpy.random.default_rng(0)
    arrays = [rng.uniform(-3, 3, (6, 5)).astype(dtype) for _ in kernel.inputs + kernel.outputs]
    on_gpu = [cupy.asarray(array) for array in arrays]
    kernel.emulate(*arrays)
    kernel.cupy(*on_gpu)
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-6, atol=1e-6)
    for name, host, device in zip(kernel.outputs, arrays[len(kernel.inputs):], on_gpu[len(kernel.inputs):]):
        numpy.testing.assert_allclose(cupy.asnumpy(device), host, err_msg=name, **tolerance)


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_gpu_kernels_match_the_gpu_numpy_path_and_the_cpu(case, dtype, packed, monkeypatch):
    tolerance = dict(rtol=1e-9, atol=1e-10) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    with_kernels = _run(case, dtype, packed, device="cuda")
    monkeypatch.setattr(minigrad.backends.cuda_kernels, "enabled", False)
    without = _run(case, dtype, packed, device="cuda")
    cpu = _run(case, dtype, packed, device="cpu")
    for mine, gpu_statements, expected in zip(with_kernels, without, cpu):
        numpy.testing.assert_allclose(mine, gpu_statements, **tolerance)
        numpy.testing.assert_allclose(mine, expected, **tolerance)


# ---- CuPy pitfalls fixed by reading (backend.py, autograd/gradcheck.py) --------------------
@pytest.mark.cuda
def test_gradcheck_runs_on_gpu_tensors():
    x = minigrad.randn(3, 4, dtype=minigrad.float64, device="cuda", requires_grad=True)
    assert minigrad.autograd.gradcheck(lambda t: (t.tanh() * t).sum(dim=1), (x,))


@pytest.mark.cuda
def test_repeated_indices_accumulate_on_gpu():
    """backend.scatter_add (cupy.add.at or cupyx.scatter_add) through the embedding's backward."""
    weight = minigrad.ones(4, 2, dtype=minigrad.float64, device="cuda", requires_grad=True)
    index = minigrad.tensor([1, 1, 3, 1], device="cuda")
    nn.functional.embedding(index, weight).sum().backward()
    numpy.testing.assert_array_equal(weight.grad.cpu().numpy()[:, 0], [0.0, 3.0, 0.0, 1.0])


@pytest.mark.cuda
def test_manual_seed_before_the_first_gpu_use_seeds_the_gpu():
    """In a fresh process: manual_seed, then the first CuPy import; the GPU draws repeat."""
    import subprocess
    import sys
    code = ("import minigrad; minigrad.manual_seed(7); "
            "print(minigrad.rand(4, device='cuda').tolist())")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].strip()
