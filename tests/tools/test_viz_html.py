"""viz.to_html: the page's data is the engine's real backward, and a real browser steps through it.

The browser test drives Debian's chromium (``apt-get install -y chromium``) with
Playwright (``pip install playwright``; its own browser download is not needed)
and is skipped where either is missing.
"""
import json
import pathlib
import re
import shutil

import numpy
import pytest

import minigrad
from minigrad.viz_html import record_backward

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def small_graph():
    """loss = sum(tanh(x * w) * x + b): x is used twice, so its node waits for two senders."""
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = minigrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = minigrad.tensor(0.25, requires_grad=True)
    loss = ((x * w).tanh() * x + b).sum()
    return loss, {"x": x, "w": w, "b": b}


def engine_gradients(loss, leaves):
    return dict(zip(leaves, [g.numpy() for g in minigrad.autograd.grad(loss, list(leaves.values()),
                                                                         retain_graph=True)]))


def test_recorded_steps_are_the_engines_order_and_gradients():
    loss, leaves = small_graph()
    data = record_backward(loss, leaves)
    labels = {node["id"]: node["label"] for node in data["nodes"]}
    order = [labels[step["node"]] for step in data["steps"]]
    # the root runs first, every node once, leaves last-in-their-branch; x waits for both its senders
    assert order[0] == "SumBackward0" and sorted(order) == sorted(labels.values())
    x_id = next(i for i, label in labels.items() if label == "x")
    senders_of_x = [step for step in data["steps"] if any(send["to"] == x_id for send in step["sends"])]
    assert len(senders_of_x) == 2
    assert order.index("x") > max(order.index(labels[step["node"]]) for step in senders_of_x)
    assert senders_of_x[0]["pending"][x_id] == 1      # after the first sender, x waits for one more
    # the gradient each leaf receives is what the engine computes
    expected = engine_gradients(loss, leaves)
    for step in data["steps"]:
        if labels[step["node"]] in expected:
            numpy.testing.assert_allclose(step["incoming"][0]["values"],
                                          expected[labels[step["node"]]].ravel(), rtol=1e-6)
    assert x_id in data["steps"][0]["pending"]
    assert leaves["x"].grad is None          # recording touches no .grad


def test_page_is_one_self_contained_file(tmp_path):
    loss, leaves = small_graph()
    path = minigrad.viz.to_html(loss, tmp_path / "graph.html", params=leaves)
    text = pathlib.Path(path).read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)       # nothing fetched at view time
    data = json.loads(re.search(r'<script id="graph-data" type="application/json">(.*?)</script>',
                                text, re.S).group(1))
    assert {node["label"] for node in data["nodes"]} >= {"x", "w", "b", "TanhBackward0"}
    assert next(node for node in data["nodes"] if node["label"] == "x")["shapes"] == ["(3,)"]


def test_module_parameter_names_label_the_leaves():
    minigrad.manual_seed(0)
    model = minigrad.nn.Linear(3, 2)
    data = record_backward(model(minigrad.ones(4, 3)).sum(), model)
    labels = {node["label"]: node["shapes"] for node in data["nodes"] if node["kind"] == "leaf"}
    assert labels == {"weight": ["(2, 3)"], "bias": ["(2,)"]}


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_browser_steps_through_backward_and_shows_the_engines_gradients(browser, tmp_path):
    loss, leaves = small_graph()
    expected = engine_gradients(loss, leaves)
    path = minigrad.viz.to_html(loss, tmp_path / "graph.html", params=leaves)
    data = record_backward(loss, leaves)
    labels = {node["id"]: node["label"] for node in data["nodes"]}
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(pathlib.Path(path).as_uri())
    steps = len(data["steps"])
    assert page.inner_text("#step-label") == f"step 0 / {steps}"
    assert page.locator("svg .node").count() == len(data["nodes"])
    seen = []
    for number in range(1, steps + 1):
        page.click("#next")
        assert page.inner_text("#step-label") == f"step {number} / {steps}"
        node_id = int(page.get_attribute("#current-node", "data-node"))
        seen.append(labels[node_id])
        assert page.locator(f"#node-{node_id}.current").count() == 1
        shown = json.loads(page.get_attribute("#incoming td.grad", "data-values"))
        numpy.testing.assert_allclose(shown, data["steps"][number - 1]["incoming"][0]["values"])
        if labels[node_id] in expected:           # a leaf: the page shows the engine's gradient
            numpy.testing.assert_allclose(shown, expected[labels[node_id]].ravel(), rtol=1e-12)
            text = page.inner_text("#incoming td.grad")
            first = float(text.split("[")[1].split(",")[0].rstrip("]"))
            assert first == pytest.approx(float(expected[labels[node_id]].ravel()[0]), rel=1e-5)
        pending_rows = page.locator("#pending tr[data-node]")
        shown_pending = {int(pending_rows.nth(i).get_attribute("data-node")):
                         int(pending_rows.nth(i).locator("td").inner_text())
                         for i in range(pending_rows.count())}
        assert shown_pending == {int(k): v for k, v in data["steps"][number - 1]["pending"].items()}
    assert seen == [labels[step["node"]] for step in data["steps"]]
    page.click("#prev")
    assert page.inner_text("#step-label") == f"step {steps - 1} / {steps}"
    page.click("#reset")
    assert page.inner_text("#step-label") == f"step 0 / {steps}"
    assert not errors
