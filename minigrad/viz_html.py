"""The autograd graph as one HTML page whose backward pass you can step through.

``to_html(loss, "graph.html", params=model)`` writes a single self-contained
file (inline CSS, JavaScript and SVG; nothing is fetched when it is opened).
It draws the graph that made ``loss``, one box per node with the shapes it
produced, leaves labelled with their parameter names, and a step control that
replays the backward pass in the engine's own order, node by node: the
gradient the node received, what it sent to each input, and how many senders
every waiting node is still waiting for.

The steps are not re-derived: the engine is run (``autograd.grad``'s way: no
``.grad`` is touched, the graph is kept) with a recorder attached through
``core/observe.py``, and what it did is embedded in the page as JSON.
"""
from __future__ import annotations

import html
import json
import pathlib

from .core import observe
from .core.device import array_module
from .core.engine import run_backward
from .core.function import AccumulateGrad, gradient_edge

__all__ = ["to_html", "record_backward"]

MAX_VALUES = 64          # gradients longer than this are shown truncated


def _values(array):
    """A gradient as a flat list of floats (the first MAX_VALUES), with its shape."""
    import numpy
    flat = numpy.asarray(array.get() if hasattr(array, "get") else array, dtype=numpy.float64).ravel()
    return {"shape": list(array.shape), "values": [float(value) for value in flat[:MAX_VALUES]],
            "truncated": int(flat.size) > MAX_VALUES}


def _shape_text(shape):
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


class _StepRecorder:
    """Notes each node the engine runs: what it got, what it sent, who still waits."""

    def __init__(self, ids):
        self.ids = ids
        self.steps = []

    def _waiting(self, pending, released):
        counts = {self.ids[node]: count for node, count in pending.items() if node in self.ids}
        for child in released:
            counts[child] -= 1
        return {node: count for node, count in counts.items() if count > 0}

    def after_backward(self, node, grads, input_grads, pending):
        sends, released = [], []
        for edge, grad in zip(node.next_edges, input_grads):
            if edge is None:
                continue
            released.append(self.ids[edge[0]])
            if grad is not None:
                sends.append({"to": self.ids[edge[0]], "grad": _values(grad)})
        self.steps.append({"node": self.ids[node], "incoming": [_values(grad) for grad in grads],
                           "sends": sends, "pending": self._waiting(pending, released)})

    def leaf_reached(self, node, grad, pending):
        if node in self.ids:
            self.steps.append({"node": self.ids[node], "incoming": [_values(grad)], "sends": [],
                               "pending": self._waiting(pending, [])})


def _graph(tensor, names):
    """Nodes (id, label, shapes, kind, layer) and edges of the graph that made ``tensor``."""
    root = gradient_edge(tensor)[0]
    ids, order, stack = {}, [], [root]
    while stack:
        node = stack.pop()
        if node in ids:
            continue
        ids[node] = len(ids)
        order.append(node)
        stack.extend(edge[0] for edge in reversed(node.next_edges) if edge is not None)
    # layer = longest path from the root, so every edge points down the page
    layer = {root: 0}
    for node in _topological(order):
        for edge in node.next_edges:
            if edge is not None:
                layer[edge[0]] = max(layer.get(edge[0], 0), layer[node] + 1)
    nodes = []
    for node in order:
        if isinstance(node, AccumulateGrad):
            leaf = node.leaf
            label = names.get(id(leaf)) or ("Parameter" if type(leaf).__name__ == "Parameter" else "leaf")
            shapes, kind = [_shape_text(leaf.array.shape)], "leaf"
        else:
            label, kind = node.name(), "op"
            shapes = [_shape_text(shape) for shape, _, _ in node.output_meta]
        nodes.append({"id": ids[node], "label": label, "shapes": shapes, "kind": kind, "layer": layer[node]})
    edges = [{"from": ids[node], "to": ids[edge[0]]} for node in order for edge in node.next_edges
             if edge is not None]
    return ids, nodes, edges


def _topological(nodes):
    """Parents before children (Kahn's algorithm over the reachable nodes)."""
    indegree = {node: 0 for node in nodes}
    for node in nodes:
        for edge in node.next_edges:
            if edge is not None:
                indegree[edge[0]] += 1
    ready = [node for node in nodes if indegree[node] == 0]
    result = []
    while ready:
        node = ready.pop()
        result.append(node)
        for edge in node.next_edges:
            if edge is not None:
                indegree[edge[0]] -= 1
                if indegree[edge[0]] == 0:
                    ready.append(edge[0])
    return result


def _names(params):
    if params is None:
        return {}
    items = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
    return {id(tensor): name for name, tensor in items}


def record_backward(tensor, params=None):
    """The graph of ``tensor`` and the engine's steps through it, as the page embeds them.

    The backward starts from ones (``tensor`` need not be a scalar); no ``.grad`` changes.
    """
    if tensor.grad_fn is None:
        raise ValueError("this tensor has no graph (it is a leaf or was made under no_grad)")
    ids, nodes, edges = _graph(tensor, _names(params))
    recorder = _StepRecorder(ids)
    xp = array_module(tensor.array)
    observe.attach(recorder)
    try:
        run_backward([(gradient_edge(tensor), xp.ones(tensor.array.shape, tensor.array.dtype))],
                     retain_graph=True, capture=set())
    finally:
        observe.detach(recorder)
    return {"nodes": nodes, "edges": edges, "steps": recorder.steps}


def to_html(tensor, path, params=None, title="minigrad autograd graph"):
    """Write the steppable graph of ``tensor`` to ``path`` (one HTML file); return the path.

    ``params``: a module (its ``named_parameters()``) or a dict ``{name: tensor}`` naming the
    leaves.  Call it before ``tensor.backward()``: a backward without ``retain_graph`` frees
    what the replay needs.
    """
    data = record_backward(tensor, params)
    page = _PAGE.replace("__TITLE__", html.escape(title))
    # "</" cannot appear inside the script element
    page = page.replace("__DATA__", json.dumps(data).replace("</", "<\\/"))
    path = pathlib.Path(path)
    path.write_text(page, encoding="utf-8")
    return path


_PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 0; display: flex; height: 100vh; color: #222; }
#left { flex: 3; overflow: auto; border-right: 1px solid #ccc; }
#right { flex: 2; padding: 12px 16px; overflow: auto; }
#controls { position: sticky; top: 0; background: #f7f7f7; padding: 8px; border-bottom: 1px solid #ddd; }
button { font-size: 14px; margin-right: 4px; }
.node rect { fill: #fff; stroke: #555; stroke-width: 1.2; rx: 6; }
.node.leaf rect { fill: #eef6ff; }
.node.done rect { fill: #e4e4e4; stroke: #999; }
.node.current rect { fill: #ffd58a; stroke: #c07000; stroke-width: 2.5; }
.node.waiting rect { stroke: #2a6fdb; stroke-dasharray: 4 2; }
.node text { font-size: 12px; text-anchor: middle; }
.node text.shape { fill: #666; font-size: 11px; }
.edge { stroke: #888; stroke-width: 1.2; fill: none; marker-end: url(#arrow); }
.edge.active { stroke: #c07000; stroke-width: 2.5; }
table { border-collapse: collapse; margin: 4px 0 12px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; font-family: monospace; font-size: 12px; }
h2 { font-size: 16px; margin: 8px 0; } h3 { font-size: 14px; margin: 10px 0 4px; }
.grad { font-family: monospace; font-size: 12px; word-break: break-all; }
</style></head>
<body>
<div id="left">
  <div id="controls">
    <button id="reset">reset</button><button id="prev">&#x25C0; prev</button><button id="next">next &#x25B6;</button>
    <span id="step-label"></span>
  </div>
  <svg id="graph" xmlns="http://www.w3.org/2000/svg">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>
  </svg>
</div>
<div id="right">
  <h2 id="title">__TITLE__</h2>
  <p>Backward runs from the output (top) to the leaves (bottom), in the engine's own order.
  A node runs once every node that sends it a gradient has run.</p>
  <div id="details"></div>
</div>
<script id="graph-data" type="application/json">__DATA__</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("graph-data").textContent);
const byId = {}; data.nodes.forEach(n => byId[n.id] = n);
const W = 170, H = 46, GX = 24, GY = 60, svgNS = "http://www.w3.org/2000/svg";
const layers = {};
data.nodes.forEach(n => (layers[n.layer] = layers[n.layer] || []).push(n));
let width = 0;
Object.values(layers).forEach(row => { width = Math.max(width, row.length * (W + GX)); });
Object.values(layers).forEach(row => row.forEach((n, i) => {
  const offset = (width - row.length * (W + GX)) / 2;
  n.x = offset + i * (W + GX) + GX / 2; n.y = 20 + n.layer * (H + GY);
}));
const svg = document.getElementById("graph");
const depth = Math.max(...data.nodes.map(n => n.layer)) + 1;
svg.setAttribute("width", width + 20); svg.setAttribute("height", depth * (H + GY) + 20);
function el(name, attrs, parent) {
  const e = document.createElementNS(svgNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e); return e;
}
const edgeEls = data.edges.map(e => {
  const a = byId[e.from], b = byId[e.to];
  const line = el("line", {x1: a.x + W / 2, y1: a.y + H, x2: b.x + W / 2, y2: b.y, class: "edge"}, svg);
  line.dataset.from = e.from; line.dataset.to = e.to; return line;
});
const nodeEls = {};
data.nodes.forEach(n => {
  const g = el("g", {class: "node " + n.kind, id: "node-" + n.id, transform: `translate(${n.x},${n.y})`}, svg);
  el("rect", {width: W, height: H}, g);
  el("text", {x: W / 2, y: 18}, g).textContent = n.label;
  el("text", {x: W / 2, y: 35, class: "shape"}, g).textContent = n.shapes.join(" ");
  el("title", {}, g).textContent = n.label + " " + n.shapes.join(" ");
  nodeEls[n.id] = g;
});
function fmt(g) {
  const vals = g.values.map(v => Number(v.toPrecision(6)));
  return "(" + g.shape.join(", ") + (g.shape.length === 1 ? "," : "") + ") [" + vals.join(", ") + (g.truncated ? ", ..." : "") + "]";
}
function gradCell(g) {
  const td = document.createElement("td"); td.className = "grad"; td.textContent = fmt(g);
  td.dataset.values = JSON.stringify(g.values); return td;
}
let step = 0;          // steps shown: 0 = nothing run yet
function render() {
  const n = data.steps.length;
  document.getElementById("step-label").textContent = `step ${step} / ${n}`;
  const done = new Set(data.steps.slice(0, Math.max(step - 1, 0)).map(s => s.node));
  const current = step > 0 ? data.steps[step - 1] : null;
  const waiting = current ? current.pending : {};
  data.nodes.forEach(node => {
    const g = nodeEls[node.id];
    g.classList.toggle("done", done.has(node.id) && !(current && current.node === node.id));
    g.classList.toggle("current", !!current && current.node === node.id);
    g.classList.toggle("waiting", node.id in waiting);
  });
  edgeEls.forEach(line => line.classList.toggle("active", !!current && Number(line.dataset.from) === current.node));
  const details = document.getElementById("details");
  details.innerHTML = "";
  if (!current) {
    details.innerHTML = "<p>Press <b>next</b> to run the first node.</p>"; return;
  }
  const node = byId[current.node];
  const h = document.createElement("h3"); h.id = "current-node"; h.textContent = `running: ${node.label}`;
  h.dataset.node = node.id; details.appendChild(h);
  const inc = document.createElement("table"); inc.id = "incoming";
  current.incoming.forEach((g, i) => {
    const tr = document.createElement("tr"); const th = document.createElement("th");
    th.textContent = "grad of output " + i; tr.appendChild(th); tr.appendChild(gradCell(g)); inc.appendChild(tr);
  });
  details.appendChild(Object.assign(document.createElement("h3"), {textContent: "gradient received"}));
  details.appendChild(inc);
  details.appendChild(Object.assign(document.createElement("h3"), {textContent: "sends to its inputs"}));
  const sends = document.createElement("table"); sends.id = "sends";
  if (!current.sends.length) sends.innerHTML = "<tr><td>" + (node.kind === "leaf" ? "a leaf: this gradient is added to its .grad" : "nothing") + "</td></tr>";
  current.sends.forEach(s => {
    const tr = document.createElement("tr"); tr.dataset.to = s.to;
    const th = document.createElement("th"); th.textContent = "→ " + byId[s.to].label; tr.appendChild(th);
    tr.appendChild(gradCell(s.grad)); sends.appendChild(tr);
  });
  details.appendChild(sends);
  details.appendChild(Object.assign(document.createElement("h3"), {textContent: "waiting nodes (senders still to run)"}));
  const pend = document.createElement("table"); pend.id = "pending";
  const ids = Object.keys(waiting);
  if (!ids.length) pend.innerHTML = "<tr><td>none</td></tr>";
  ids.forEach(id => {
    const tr = document.createElement("tr"); tr.dataset.node = id;
    tr.innerHTML = "<th></th><td></td>";
    tr.children[0].textContent = byId[id].label; tr.children[1].textContent = waiting[id];
    pend.appendChild(tr);
  });
  details.appendChild(pend);
}
document.getElementById("next").onclick = () => { if (step < data.steps.length) { step++; render(); } };
document.getElementById("prev").onclick = () => { if (step > 0) { step--; render(); } };
document.getElementById("reset").onclick = () => { step = 0; render(); };
document.addEventListener("keydown", e => {
  if (e.key === "ArrowRight") document.getElementById("next").click();
  if (e.key === "ArrowLeft") document.getElementById("prev").click();
});
render();
</script>
</body></html>
"""
