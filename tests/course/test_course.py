"""The course itself: solvable exercises, a checker that recognises typical mistakes, a working CLI.

* every exercise passes when filled with the reference solution (tests/course/solutions/);
* a planted mistake (a small edit of a solution) fails with the hint for that mistake;
* the committed stubs are exactly the solutions with their bodies removed;
* ``python -m minigrad.course`` exits 0 when all checked exercises pass, 1 otherwise,
  and saves progress between runs.
"""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from minigrad.course.checker import HINTS, Grader, ExerciseFailed, run_exercise
from minigrad.course.registry import EXERCISES, select

from course.stubs import EXERCISES as STUB_DIR, SOLUTIONS, stub_source   # tests/ is on sys.path (conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
BY_KEY = {exercise.key: exercise for exercise in EXERCISES}


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    """A copy of the reference solutions (the checker writes .progress.json next to them)."""
    directory = tmp_path_factory.mktemp("solutions")
    for path in SOLUTIONS.glob("ch*.py"):
        shutil.copy(path, directory / path.name)
    return directory


@pytest.mark.parametrize("key", list(BY_KEY))
def test_reference_solution_passes(key, solutions):
    result = run_exercise(BY_KEY[key], solutions)
    assert result.status == "passed", str(result)


# (exercise, file, [(text in the solution, replacement)], hint the checker must give)
PLANTED = [
    ("1.1", "ch01_value", [("self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
                           ("other.grad += self.data * out.grad", "other.grad = self.data * out.grad")],
     "accumulate"),
    ("1.2", "ch01_value", [("self.grad += (1 - t ** 2) * out.grad", "self.grad += (1 - self.data ** 2) * out.grad")],
     "tanh_grad_of_input"),
    ("1.3", "ch01_value", [("        order, visited = [], set()\n",
                            "        order, visited = [], set()\n\n"
                            "        def visit(node):\n"
                            "            if id(node) not in visited:\n"
                            "                visited.add(id(node))\n"
                            "                for child in node._prev:\n"
                            "                    visit(child)\n"
                            "                order.append(node)\n"
                            "        visit(self)\n"
                            "        stack = []\n"),
                           ("        stack = [(self, False)]\n", "")],
     "recursion"),
    ("2.1", "ch02_tensors", [("grad = grad.sum(axis=stretched, keepdims=True)", "return grad.sum(axis=stretched)")],
     "keepdims"),
    ("2.1", "ch02_tensors", [("    if stretched:\n        grad = grad.sum(axis=stretched, keepdims=True)\n", "")],
     "leading_only"),
    ("2.2", "ch02_tensors", [("return sum_to(grad_output, shape_a), sum_to(grad_output, shape_b)",
                              "return grad_output, grad_output")], "missing_sum_to"),
    ("3.1", "ch03_engine", [("        for child, _ in node.next_functions:\n            if child is None:\n"
                             "                continue\n            counts[child]",
                             "        for child in {child for child, _ in node.next_functions}:\n"
                             "            if child is None:\n                continue\n            counts[child]")],
     "count_edges"),
    ("3.2", "ch03_engine", [("buffers[child] = child_grad if child not in buffers else buffers[child] + child_grad",
                             "buffers[child] = child_grad")], "ran_early"),
    ("4.1", "ch04_ops", [("return grad_output @ b.T, a.T @ grad_output",
                          "return grad_output @ b.T, grad_output.T @ a")],
     "transposed"),
    ("4.1", "ch04_ops", [("return grad_output @ b.T, a.T @ grad_output", "return grad_output @ b, a.T @ grad_output")],
     "transposed"),
    ("4.2", "ch04_ops", [("return y * (grad_output - (grad_output * y).sum(axis=-1, keepdims=True))",
                          "return grad_output * y * (1 - y)")], "softmax_diagonal"),
    ("4.2", "ch04_ops", [("shifted = numpy.exp(x - x.max(axis=-1, keepdims=True))",
                          "shifted = numpy.exp(x)")], "softmax_not_stable"),
    ("4.3", "ch04_ops", [("return grad_output - numpy.exp(y) * grad_output.sum(axis=-1, keepdims=True)",
                          "return grad_output - numpy.exp(y) * grad_output")], "log_softmax_grad"),
    ("4.4", "ch04_ops", [("numpy.add.at(grad, self.index, grad_output)", "grad[self.index] += grad_output")],
     "repeated_index"),
    ("5.1", "ch05_modules", [("minigrad.empty(out_features, in_features)", "minigrad.empty(in_features, out_features)"),
                             ("y = x @ self.weight.T", "y = x @ self.weight")], "transposed"),
    ("5.1", "ch05_modules", [("y = x @ self.weight.T", "y = x @ self.weight")], "transposed"),
    ("5.1", "ch05_modules", [("bound = 1 / math.sqrt(in_features)", "bound = 1.0")], "linear_init"),
    ("5.2", "ch05_modules", [("                g = p.grad + self.weight_decay * p\n                if self.momentum:",
                              "                g = p.grad\n                p *= 1 - self.lr * self.weight_decay\n"
                              "                if self.momentum:")], "coupled_weight_decay"),
    ("5.2", "ch05_modules", [("        for p in self.params:\n            p.grad = None\n\n    def step(self):\n"
                              "        \"\"\"Exercise 5.2",
                              "        pass\n\n    def step(self):\n        \"\"\"Exercise 5.2")], "zero_grad"),
    ("5.3", "ch05_modules", [("m_hat = m / (1 - beta1 ** self.steps)", "m_hat = m"),
                             ("v_hat = v / (1 - beta2 ** self.steps)", "v_hat = v")], "adam_bias_correction"),
    ("5.3", "ch05_modules", [("(v_hat.sqrt() + self.eps)", "(v_hat + self.eps).sqrt()")], "adam_eps_inside"),
    ("6.1", "ch06_rnn", [("hx @ self.weight_hh.T", "hx @ self.weight_hh")], "transposed"),
    ("7.1", "ch07_lstm", [("i, f, g, o = z.chunk(4, dim=1)", "i, f, o, g = z.chunk(4, dim=1)")], "gate_order"),
    ("7.1", "ch07_lstm", [("i, f, g, o = z.chunk(4, dim=1)", "f, i, g, o = z.chunk(4, dim=1)")], "gate_order"),
    ("7.2", "ch07_lstm", [("return (1 - z) * n + z * h", "return z * n + (1 - z) * h")], "gru_update"),
    ("7.2", "ch07_lstm", [("r, z = (input_r + hidden_r).sigmoid(), (input_z + hidden_z).sigmoid()",
                           "z, r = (input_r + hidden_r).sigmoid(), (input_z + hidden_z).sigmoid()")], "gate_order"),
    ("7.3", "ch07_lstm", [("            h_n.append(h)", "            h_n.append(per_step[-1])")], "reverse_h_n"),
    ("7.3", "ch07_lstm", [("                per_step[t] = h ",
                           "                per_step[steps - 1 - t if direction else t] = h ")],
     "reverse_not_flipped"),
    ("7.3", "ch07_lstm", [("return output, (minigrad.stack(h_n), minigrad.stack(c_n))",
                           "axis = 1 if batch_first else 0\n"
                           "    return output, (minigrad.stack(h_n, dim=axis), minigrad.stack(c_n, dim=axis))")],
     "h_n_batch_first"),
    ("7.4", "ch07_lstm", [("h = alive * h_new + (1 - alive) * h ", "h = h_new ")], "padded_h_n"),
    ("7.4", "ch07_lstm", [("outputs.append(alive * h_new)", "outputs.append(h)")], "padded_output"),
    ("7.5", "ch07_lstm", [("h = h.detach() ", "h = h ")], "missing_detach"),
    ("7.5", "ch07_lstm", [("h = h.detach() ", "h = h "), ("loss.backward()\n        gradients",
                                                            "loss.backward(retain_graph=True)\n        gradients")],
     "missing_detach"),
    ("7.5", "ch07_lstm", [("        cell.zero_grad()\n", "")], "zero_grad"),
    ("8.1", "ch08_fused", [("dz[t] = (grad_output[t] + dh_next) * (1 - hidden[t] ** 2)",
                            "dz[t] = grad_output[t] * (1 - hidden[t] ** 2)")], "no_carry"),
    ("8.1", "ch08_fused", [("dh_next = dz[t] @ weight_hh", "dh_next = dz[t] @ weight_hh.T")], "transposed"),
    ("8.1", "ch08_fused", [("numpy.empty((x.shape[0],) + h0.shape, dtype=x.dtype)",
                            "numpy.empty((x.shape[0],) + h0.shape)")], "dtype"),
    ("9.1", "ch09_attention", [("/ math.sqrt(query.shape[-1])", "/ query.shape[-1]")], "attention_scale"),
    ("9.1", "ch09_attention", [("scores.softmax(dim=-1) @ value", "scores.softmax(dim=-2) @ value")],
     "attention_axis"),
    ("9.1", "ch09_attention", [("scores.masked_fill(~attn_mask,", "scores.masked_fill(attn_mask,")],
     "attention_mask"),
    ("9.2", "ch09_attention", [(".view(batch, x.shape[1], num_heads, head_dim).transpose(1, 2)",
                                ".view(batch, x.shape[1], head_dim, num_heads).permute(0, 3, 1, 2)"),
                               ("joined = attended.transpose(1, 2).reshape(batch, length, embed)",
                                "joined = attended.permute(0, 2, 3, 1).reshape(batch, length, embed)")],
     "head_split"),
    ("9.3", "ch09_attention", [("    attention = multi_head_attention(src, src, src,",
                                "    normed = F.layer_norm(src, (embed,), params['norm1.weight'],"
                                " params['norm1.bias'])\n"
                                "    attention = multi_head_attention(normed, normed, normed,"),
                               ("    x = F.layer_norm(src + attention, (embed,), params[\"norm1.weight\"], "
                                "params[\"norm1.bias\"], eps=1e-5)\n"
                                "    hidden = (x @",
                                "    x = src + attention\n"
                                "    normed = F.layer_norm(x, (embed,), params['norm2.weight'], params['norm2.bias'])\n"
                                "    hidden = (normed @"),
                               ("    return F.layer_norm(x + feed_forward, (embed,), params[\"norm2.weight\"], "
                                "params[\"norm2.bias\"], eps=1e-5)",
                                "    return x + feed_forward")], "norm_first"),
    ("10.2", "ch10_higher_order", [("(gradient(f, x + eps * v) - gradient(f, x - eps * v)) / (2 * eps)",
                                    "(gradient(f, x + eps * v) - gradient(f, x)) / eps")], "one_sided_difference"),
    ("10.2", "ch10_higher_order", [("/ (2 * eps)", "/ eps")], "half_difference"),
    ("9.1", "ch09_attention", [("return scores.softmax(dim=-1) @ value",
                                "return minigrad.tensor((scores.softmax(dim=-1) @ value).detach().numpy())")],
     "graph_cut"),
    ("4.2", "ch04_ops", [("def softmax(x):\n    return Softmax.apply(x)",
                          "def softmax(x):\n    return Softmax.apply(x.detach())")], "graph_cut"),
]


def _plant(directory, module, edits):
    """Copy the solutions to ``directory`` and apply ``edits`` to ``module``'s file."""
    for path in SOLUTIONS.glob("ch*.py"):
        shutil.copy(path, directory / path.name)
    target = directory / f"{module}.py"
    text = target.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"the planted edit's text must occur once in {module}.py: {old!r}"
        text = text.replace(old, new)
    target.write_text(text)


def test_every_required_mistake_is_planted():
    planted = {hint for _, _, _, hint in PLANTED}
    assert planted >= {"transposed", "gate_order", "missing_sum_to", "padded_h_n", "missing_detach"}
    assert planted <= set(HINTS)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")          # a planted overflow warns, as it should
@pytest.mark.parametrize("key, module, edits, hint", PLANTED,
                         ids=[f"{key}-{hint}-{index}" for index, (key, _, _, hint) in enumerate(PLANTED)])
def test_planted_mistake_fails_with_its_hint(key, module, edits, hint, tmp_path):
    _plant(tmp_path, module, edits)
    result = run_exercise(BY_KEY[key], tmp_path)
    assert result.status in ("failed", "error"), str(result)
    assert f"hint ({hint})" in result.report, str(result)


def test_feedback_names_the_output_the_index_and_both_numbers(tmp_path):
    _plant(tmp_path, "ch07_lstm", [("i, f, g, o = z.chunk(4, dim=1)", "i, f, o, g = z.chunk(4, dim=1)")])
    report = str(run_exercise(BY_KEY["7.1"], tmp_path))
    assert "exercise 7.1 (lstm_cell: one LSTM step, gates i, f, g, o): FAILED" in report
    assert "case: lstm_cell: x (3, 4), h and c (3, 5), batch 3" in report
    assert "h': " in report and "values differ; largest difference at index (" in report
    assert "expected " in report and ", got " in report and "(off by " in report
    assert "hint (gate_order)" in report
    assert "(Your result is exactly what reading the stacked blocks as i, f, o, g gives.)" in report


def test_a_learners_exception_is_reported_with_its_traceback(tmp_path):
    _plant(tmp_path, "ch04_ops", [("return grad_output @ b.T, a.T @ grad_output", "return grad_output @ c.T, a.T")])
    result = run_exercise(BY_KEY["4.1"], tmp_path)
    assert result.status == "error"
    assert "your code raised NameError: name 'c' is not defined" in result.report
    assert f'File "{tmp_path / "ch04_ops.py"}", line' in result.report
    assert "return grad_output @ c.T, a.T" in result.report
    assert "minigrad/course/" not in result.report      # the checker's own frames are left out


def test_an_untouched_stub_is_todo_not_an_error():
    result = run_exercise(BY_KEY["7.1"], STUB_DIR)
    assert result.status == "todo"
    assert "exercise 7.1: one LSTM step" in result.report


def test_a_syntax_error_in_the_learners_file_is_reported(tmp_path):
    (tmp_path / "ch01_value.py").write_text("def broken(:\n")
    result = run_exercise(BY_KEY["1.1"], tmp_path)
    assert result.status == "error" and "SyntaxError" in result.report


def test_the_stubs_are_the_solutions_without_their_bodies():
    solutions = sorted(path.name for path in SOLUTIONS.glob("ch*.py"))
    assert sorted(path.name for path in STUB_DIR.glob("ch*.py")) == solutions
    for name in solutions:
        assert (STUB_DIR / name).read_text() == stub_source((SOLUTIONS / name).read_text()), \
            f"exercises/{name} is stale: run python tests/course/stubs.py"


def test_every_stub_raises_for_every_exercise_of_its_chapter():
    for exercise in EXERCISES:
        assert f'NotImplementedError("exercise {exercise.key}:' in (STUB_DIR / f"{exercise.module}.py").read_text()


def test_compare_reports_shape_dtype_and_nan():
    grader = Grader()
    import numpy
    with pytest.raises(ExerciseFailed, match=r"gradient: shape \(4, 5\), expected \(4, 1\)"):
        grader.compare("gradient", numpy.zeros((4, 5)), numpy.zeros((4, 1)))
    with pytest.raises(ExerciseFailed, match=r"dtype float32, expected float64\nhint \(dtype\)"):
        grader.compare("output", numpy.zeros(3, numpy.float32), numpy.zeros(3))
    with pytest.raises(ExerciseFailed, match=r"1 of 3 values differ; largest difference at index \(1,\): "
                                             r"expected 2, got nan"):
        grader.compare("output", numpy.array([1.0, numpy.nan, 3.0]), numpy.array([1.0, 2.0, 3.0]))


def test_select_takes_a_chapter_an_exercise_or_all():
    assert [exercise.key for exercise in select("7")] == ["7.1", "7.2", "7.3", "7.4", "7.5"]
    assert [exercise.key for exercise in select("07")] == [exercise.key for exercise in select("7")]
    assert [exercise.key for exercise in select("7.2")] == ["7.2"]
    assert [exercise.key for exercise in select("10")] == ["10.1", "10.2", "10.3"]
    assert len(select("all")) == len(EXERCISES)
    with pytest.raises(ValueError, match="no exercise or chapter '11'"):
        select("11")


def _cli(*arguments, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "minigrad.course", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_exit_code_is_zero_when_all_pass_and_progress_is_saved(solutions):
    done = _cli("check", "1", "--exercises", str(solutions))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 of 3 passed" in done.stdout
    progress = json.loads((solutions / ".progress.json").read_text())
    assert {key: value["status"] for key, value in progress.items() if key.startswith("1.")} == \
        {"1.1": "passed", "1.2": "passed", "1.3": "passed"}
    status = _cli("status", "--exercises", str(solutions))
    assert status.returncode == 0
    assert "  1.1  passed" in status.stdout and "  9.1  not checked" in status.stdout


def test_a_later_exercise_names_the_earlier_one_it_depends_on(tmp_path, capsys):
    from minigrad.course.__main__ import main
    _plant(tmp_path, "ch01_value", PLANTED[0][2])              # 1.1: = instead of +=
    assert main(["--exercises", str(tmp_path), "check", "1"]) == 1
    printed = capsys.readouterr().out
    assert "exercise 1.1 (Value: + and * with their backward): FAILED" in printed
    assert "note: this exercise calls your 1.1, which does not pass yet: fix that first" in printed


def test_cli_exit_code_is_nonzero_when_an_exercise_fails(tmp_path):
    _plant(tmp_path, "ch02_tensors", [("return sum_to(grad_output, shape_a), sum_to(grad_output, shape_b)",
                                       "return grad_output, grad_output")])
    done = _cli("--exercises", str(tmp_path), "check", "2")    # the option before the command works too
    assert done.returncode == 1
    assert "exercise 2.1 (sum_to: undo a broadcast): PASSED" in done.stdout
    assert "exercise 2.2 (Add and Mul backward with broadcasting): FAILED" in done.stdout
    assert "hint (missing_sum_to)" in done.stdout
    assert "1 of 2 passed" in done.stdout
    assert json.loads((tmp_path / ".progress.json").read_text())["2.2"]["status"] == "failed"


def test_the_exercises_folder_is_not_part_of_the_package(tmp_path):
    assert not (STUB_DIR / "__init__.py").exists()
    outside = subprocess.run([sys.executable, "-c", "import exercises"], cwd=tmp_path, capture_output=True, text=True)
    assert "No module named 'exercises'" in outside.stderr        # the install maps minigrad only
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'include = ["minigrad*"]' in pyproject
    assert ".progress.json" in (ROOT / ".gitignore").read_text().splitlines()
