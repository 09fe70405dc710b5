"""The grader: run a learner's exercise, compare it with torch, and say precisely what is wrong.

An exercise is a ``check(module, grader)`` function.  It calls the learner's
code (``module`` is their ``exercises/chNN_*.py``, loaded from a path), runs
the same computation in torch, and hands both to ``grader.compare``:

* a different shape, dtype or value fails with the name of the output or
  gradient, the index of the largest difference, the expected and the obtained
  number, and how many elements differ;
* before failing, the obtained result is compared with what each *typical
  mistake* would have produced (``mistakes={"gate_order": alternative}``, the
  answer computed with that mistake made on purpose); the first one that
  matches adds its hint from ``HINTS``.

A learner's exception is reported with the tail of its traceback (the frames
of the learner's file and of minigrad, not the checker's), and matched against
typical error messages (``ERROR_HINTS``).  ``NotImplementedError`` from an
untouched stub means "not done yet".
"""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import sys
import time
import traceback

import numpy

from ..testing import TOLERANCES

PROGRESS_FILE = ".progress.json"

HINTS = {
    "accumulate": "a gradient is *added* to .grad (+=), never assigned: a value used twice (x * x) "
                  "receives one contribution per use.",
    "tanh_grad_of_input": "d tanh(x)/dx = 1 - tanh(x)**2: the square of the *output*, not of x.",
    "topological_order": "a node's backward must run after every node that uses it has run: "
                         "walk the nodes in reverse topological order.",
    "recursion": "the walk is recursive and too deep for Python (an RNN unrolled over many steps "
                 "gets there fast): build the order with a loop and an explicit stack.",
    "missing_sum_to": "the gradient of a broadcast input has the broadcast shape: sum it back to "
                      "the input's shape with sum_to (an input of shape (4, 1) added to (4, 5) "
                      "gets a (4, 1) gradient).",
    "keepdims": "summing a stretched size-1 dimension must keep it (keepdims=True): (4, 5) sums "
                "to (4, 1), not (4,).",
    "leading_only": "broadcasting also stretches size-1 dimensions: sum over those too, not only "
                    "over the dimensions that were prepended.",
    "count_edges": "count edges, not parents: x * x has two edges into x's node, and the node "
                   "must wait for both gradients.",
    "ran_early": "a node ran before all of its gradients had arrived (or a buffer was overwritten "
                 "instead of summed): wait until its dependency count reaches zero.",
    "transposed": "a transposed weight or product: with y = x @ W.T, dL/dx = dL/dy @ W and "
                  "dL/dW = dL/dy.T @ x; torch stores a layer's weight as (out_features, in_features).",
    "softmax_not_stable": "exp overflows for large inputs: subtract the maximum of each row before exp "
                          "(softmax(x) = softmax(x - max(x))).",
    "softmax_diagonal": "the Jacobian of softmax is not diagonal: every output depends on every "
                        "input, dL/dx = y * (g - sum(g * y)) along the softmax dimension.",
    "log_softmax_grad": "the gradient of log_softmax is g - softmax(x) * sum(g) along the dimension "
                        "(softmax = exp(output)).",
    "repeated_index": "with repeated indices, grad[index] += g keeps only one of the repeats: "
                      "use numpy.add.at(grad, index, g), which adds every one.",
    "linear_init": "torch draws Linear's weight and bias from U(-1/sqrt(in_features), "
                   "1/sqrt(in_features)).",
    "coupled_weight_decay": "SGD's weight decay is added to the gradient (g + weight_decay * p) "
                            "*before* the momentum buffer, not applied to the parameter afterwards.",
    "adam_bias_correction": "Adam divides the moments by (1 - beta1**t) and (1 - beta2**t), t "
                            "counting from 1: without it the first steps are far too small.",
    "adam_eps_inside": "Adam adds eps *outside* the square root: m_hat / (sqrt(v_hat) + eps).",
    "zero_grad": "gradients accumulate across backward calls: zero them before each step "
                 "(optimizer.zero_grad()).",
    "gate_order": "gates in the wrong order: torch stacks them i, f, g, o for the LSTM "
                  "(input, forget, cell, output) and r, z, n for the GRU, as rows of weight_ih/weight_hh.",
    "gru_update": "the GRU keeps the old state where z is 1: h' = (1 - z) * n + z * h.",
    "gru_reset": "torch's GRU applies the reset gate after the hidden matmul: "
                 "n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).",
    "reverse_h_n": "the reverse direction finishes at time step 0: its h_n is its state after "
                   "reading x[0], i.e. output[0, :, H:], not output[-1].",
    "reverse_not_flipped": "the reverse direction's outputs must be put back in time order: "
                           "the state after reading x[t] belongs at output[t].",
    "h_n_batch_first": "h_n and c_n are (num_layers * num_directions, batch, hidden) whatever "
                       "batch_first says; only input and output are batch-first.",
    "padded_h_n": "h_n was taken from the padded end: each sequence's h_n is its state at its "
                  "own last step (time lengths[b] - 1), and it must not read the padding.",
    "padded_output": "the output past each sequence's length must be zero, as pad_packed_sequence "
                     "gives it.",
    "missing_detach": "a forgotten detach in truncated BPTT: the hidden state carried into the next "
                      "chunk must be h.detach(), or backward reaches back into the previous chunk "
                      "(whose graph is freed, or, with retain_graph, counted twice).",
    "no_carry": "backward through time must carry dh_next = dz @ W_hh from step t to step t - 1 "
                "and add it to the gradient of h_{t-1}; without it each step sees only its own "
                "output's gradient.",
    "attention_scale": "scaled dot-product attention divides the scores by sqrt(E), not by E.",
    "attention_axis": "the softmax runs over the keys (the last axis of the scores, S), so each "
                      "query's weights sum to 1.",
    "attention_mask": "a boolean attn_mask marks with True the positions that *may* be attended; "
                      "False ones get -inf before the softmax.",
    "head_split": "split the embedding into heads as view(B, L, num_heads, head_dim): the first "
                  "head is the first head_dim features.",
    "norm_first": "TransformerEncoderLayer's default is post-norm: x = norm1(x + attention(x)), "
                  "then x = norm2(x + feed_forward(x)); pre-norm is norm_first=True.",
    "one_sided_difference": "a one-sided difference (g(x + eps v) - g(x)) / eps is only first-order "
                            "accurate: use the central difference (g(x + eps v) - g(x - eps v)) / (2 eps).",
    "dtype": "keep the input's dtype: a float32 input gives a float32 result, as in torch; make buffers "
             "and constants with dtype=x.dtype (NumPy's and minigrad's defaults differ: float64, float32).",
    "graph_cut": "the result is not connected to the inputs' graph: an op on .numpy() / .detach() "
                 "values, or a new tensor built from them, records nothing for backward; use tensor ops "
                 "(or a Function) all the way.",
    "half_difference": "the central difference divides by 2 * eps: the two points are 2 * eps apart.",
}



def _wrong_gradient_shape(match):
    """The engine refused a gradient: reversed dims are a transpose, extra or stretched ones a missing sum_to."""
    got, expected = ([int(size) for size in re.findall(r"\d+", text)] for text in match.groups())
    return "transposed" if got == expected[::-1] and got != expected else "missing_sum_to"


# (pattern in the exception's text, hint or a function of the match): mistakes that end in an exception
ERROR_HINTS = [
    (r"RecursionError|maximum recursion depth", "recursion"),
    (r"invalid gradient at index \d+ - got \[([\d, ]*)\] but expected shape compatible with \[([\d, ]*)\]",
     _wrong_gradient_shape),
    (r"backward through the graph a second time", "missing_detach"),
    (r"does not require grad and does not have a grad_fn", "graph_cut"),
    (r"OverflowError|math range error", "softmax_not_stable"),
]


class ExerciseFailed(AssertionError):
    """A check found a difference; the message says where and, when it can, why."""


class Grader:
    """What a check uses to compare the learner's results with torch's."""

    def __init__(self):
        self.case = ""

    def case_is(self, description):
        """Name the case being checked (shapes, options), for the report."""
        self.case = description

    def fail(self, message, hint=None):
        """Raise the report; ``hint`` is a key of HINTS, or (key, what exactly the result equals)."""
        lines = [f"case: {self.case}"] if self.case else []
        lines.append(message)
        if hint:
            key, detail = hint if isinstance(hint, tuple) else (hint, None)
            lines.append(f"hint ({key}): {HINTS[key]}" + (f" (Your result is exactly {detail}.)" if detail else ""))
        raise ExerciseFailed("\n".join(lines))

    def compare(self, what, got, expected, *, rtol=None, atol=None, mistakes=None, dtype=True):
        """Fail unless ``got`` (the learner's) equals ``expected`` (torch's) in shape, dtype and value.

        Tolerances default to ``minigrad.testing.TOLERANCES`` for the expected
        dtype (float64: rtol 1e-9, atol 1e-10), as minigrad's own parity tests.
        ``mistakes`` maps a hint name to what that mistake would give: an array,
        a dict {what exactly was done: array} when the mistake has variants
        (which one matched is reported), or a function of the obtained array
        returning True when it matches.
        """
        mistakes = mistakes or {}
        default_rtol, default_atol = TOLERANCES.get(_dtype_name(expected) or "float64", TOLERANCES["float64"])
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
        if expected is None:               # torch gives no gradient: none, or zeros, is right
            if got is not None and _array(got).any():
                self.fail(f"{what}: expected no gradient (the input is not used), got nonzero values")
            return
        if got is None:
            hint = _which_mistake(None, mistakes, rtol, atol)
            self.fail(f"{what}: got None, expected an array of shape {tuple(_array(expected).shape)}",
                      hint or ("graph_cut" if what.startswith("gradient") else None))
        got_array, expected_array = _array(got), _array(expected)
        if got_array.shape != expected_array.shape:
            self.fail(f"{what}: shape {tuple(got_array.shape)}, expected {tuple(expected_array.shape)}",
                      _which_mistake(got_array, mistakes, rtol, atol))
        if dtype and _dtype_name(got) is not None and _dtype_name(expected) is not None \
                and _dtype_name(got) != _dtype_name(expected):
            self.fail(f"{what}: dtype {_dtype_name(got)}, expected {_dtype_name(expected)}", "dtype")
        if _close(got_array, expected_array, rtol, atol):
            return
        self.fail(f"{what}: {_where_it_differs(got_array, expected_array, rtol, atol)}",
                  _which_mistake(got_array, mistakes, rtol, atol))

    def expect(self, condition, message, hint=None):
        if not condition:
            self.fail(message, hint)


def _array(value):
    """A NumPy array from a minigrad tensor, a torch tensor, an array or a number."""
    if hasattr(value, "detach"):
        value = value.detach()
        if hasattr(value, "cpu"):          # torch
            value = value.cpu()
        return numpy.asarray(value.numpy())
    return numpy.asarray(value)


def _dtype_name(value):
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return None
    return str(getattr(dtype, "name", dtype)).replace("torch.", "")


def _close(got, expected, rtol, atol):
    if got.dtype.kind not in "fc" or expected.dtype.kind not in "fc":
        return numpy.array_equal(got, expected)
    return bool(numpy.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True))


def _where_it_differs(got, expected, rtol, atol):
    """'3 of 12 values differ; at index (1, 2): expected 0.4187, got -0.1061 (off by 0.5248)'."""
    got64, expected64 = got.astype(numpy.float64), expected.astype(numpy.float64)
    bad = ~numpy.isclose(got64, expected64, rtol=rtol, atol=atol, equal_nan=True)
    error = numpy.where(bad, numpy.abs(got64 - expected64), 0)
    error = numpy.where(numpy.isnan(error), numpy.inf, error)       # a NaN is the worst difference
    flat = int(numpy.argmax(error))
    index = numpy.unravel_index(flat, got.shape) if got.ndim else ()
    index_text = f"at index {tuple(int(i) for i in index)}" if got.ndim else "the value"
    return (f"{int(bad.sum())} of {got.size} values differ; largest difference {index_text}: "
            f"expected {expected64[index]:.6g}, got {got64[index]:.6g} "
            f"(off by {abs(got64[index] - expected64[index]):.3g})")


def _which_mistake(got, mistakes, rtol, atol):
    """The first typical mistake whose answer ``got`` equals: its hint, or (hint, which variant)."""
    for hint, alternative in mistakes.items():
        if callable(alternative):
            if alternative(got):
                return hint
            continue
        variants = alternative if isinstance(alternative, dict) else {None: alternative}
        for detail, answer in variants.items():
            if got is None or answer is None:
                continue
            answer = _array(answer)
            if answer.shape == got.shape and _close(got, answer, max(rtol, 1e-6), max(atol, 1e-8)):
                return (hint, detail) if detail else hint
    return None


# ---- exercises ---------------------------------------------------------------
class Exercise:
    """``key`` ("7.2"), a title, the learner's module name, ``check(module, grader)``, and
    ``error_hints``: (pattern, hint) for exceptions typical of this exercise, tried first."""

    def __init__(self, key, title, module, check, error_hints=(), uses=()):
        self.key, self.title, self.module, self.check = key, title, module, check
        self.error_hints = list(error_hints)
        self.uses = tuple(uses)          # earlier exercises whose code this one calls

    @property
    def chapter(self):
        return int(self.key.split(".")[0])


def load_exercise_module(directory, name):
    """Import ``directory/name.py`` fresh, under a private name (exercises/ is no package)."""
    path = pathlib.Path(directory) / f"{name}.py"
    if not path.exists():
        raise FileNotFoundError(f"no {path}: copy the course's exercises/ folder or pass --exercises DIR")
    module_name = f"_minigrad_course_exercise_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module      # dataclasses and pickling look themselves up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


class Result:
    """passed / failed / todo (a stub still raises NotImplementedError) / error, with the report."""

    def __init__(self, exercise, status, report=""):
        self.exercise, self.status, self.report = exercise, status, report

    def __str__(self):
        head = f"exercise {self.exercise.key} ({self.exercise.title}): {self.status.upper()}"
        return head if not self.report else head + "\n" + _indent(self.report)


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())


def run_exercise(exercise, directory):
    """Check one exercise; never raises for the learner's mistakes."""
    grader = Grader()
    try:
        module = load_exercise_module(directory, exercise.module)
        exercise.check(module, grader)
    except ExerciseFailed as failure:
        return Result(exercise, "failed", str(failure))
    except NotImplementedError as error:
        if str(error).startswith("exercise"):
            return Result(exercise, "todo", f"not written yet: {error}")
        return Result(exercise, "error", _error_report(error, grader, exercise, directory))
    except FileNotFoundError as error:
        return Result(exercise, "error", str(error))
    except Exception as error:          # the learner's bug (RecursionError too), reported, not raised
        return Result(exercise, "error", _error_report(error, grader, exercise, directory))
    return Result(exercise, "passed")


def _error_report(error, grader, exercise, directory):
    """The case, the exception, the frames in the learner's file and the last ones below, and a hint."""
    frames = traceback.extract_tb(error.__traceback__)
    checker_dir = str(pathlib.Path(__file__).resolve().parent)
    outside = [frame for frame in frames if not frame.filename.startswith(checker_dir)]
    learner_file = str((pathlib.Path(directory) / f"{exercise.module}.py").resolve())
    yours = [index for index, frame in enumerate(outside)
             if str(pathlib.Path(frame.filename).resolve()) == learner_file]
    # the learner's last three frames, then the last two below them (inside minigrad or NumPy)
    shown = sorted(set(yours[-3:]) | set(range(max(len(outside) - 2, 0), len(outside))))
    if isinstance(error, SyntaxError) and error.filename:
        lines_of_error = [f'  File "{error.filename}", line {error.lineno}', f"    {(error.text or '').strip()}"]
    else:
        lines_of_error = []
    lines = [f"case: {grader.case}"] if grader.case else []
    lines.append(f"your code raised {type(error).__name__}: {_shorten(str(error))}")
    if shown or lines_of_error:
        lines.append("traceback (most recent call last):")
        lines.extend(lines_of_error)
        previous = None
        for index in shown:
            if previous is not None and index != previous + 1:
                lines.append("  ...")
            frame, previous = outside[index], index
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
    text = f"{type(error).__name__}: {error}"
    for pattern, hint in exercise.error_hints + ERROR_HINTS:
        match = re.search(pattern, text)
        if match:
            hint = hint(match) if callable(hint) else hint
            lines.append(f"hint ({hint}): {HINTS[hint]}")
            break
    return "\n".join(lines)


def _shorten(text, limit=400):
    return text if len(text) <= limit else text[:limit] + " ..."


# ---- progress ----------------------------------------------------------------
def load_progress(directory):
    path = pathlib.Path(directory) / PROGRESS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_progress(directory, results):
    """Record each result's status (and when) in ``directory/.progress.json``."""
    progress = load_progress(directory)
    for result in results:
        progress[result.exercise.key] = {"status": result.status, "checked": time.strftime("%Y-%m-%d %H:%M:%S")}
    path = pathlib.Path(directory) / PROGRESS_FILE
    try:
        path.write_text(json.dumps(progress, indent=1, sort_keys=True) + "\n")
    except OSError:        # a read-only folder: the check still reports
        pass
