"""The flow diagram of a workflow: one inline <svg>, drawn on the server.

`render(wf, taken=…, current=…, label=…)` lays the steps out in layers (a small Sugiyama-style
layout in Python: no JavaScript, and no graphviz binary, which intranet customers would have to
install) and draws them top to bottom, because step labels are wide Chinese text and a panel is
~900px wide: ten steps side by side would not fit, ten rows do.

1. Edges: every transition (merged per pair of steps), a vote's `reconsider_to`, and the moves of
   `taken` the definition does not draw (a return, an implicit rejection).
2. Back edges: a depth-first walk from the start in definition order; an edge to a step still on
   the walk's stack closes a cycle (return, reconsider) and is drawn as an arc on the right.
3. Layers: the longest path from the start along the remaining (forward) transitions; end steps
   share the bottom row. An edge spanning several layers passes through one placeholder per layer.
4. Order within layers: barycentre sweeps, keeping the order with the fewest crossings.
5. Positions: each node as close as possible to the mean of its neighbours, keeping its order and
   gaps (an isotonic regression per layer), in alternating downward and upward passes.

The SVG carries classes only (the CSP forbids inline styles); danbao.css ("Flow diagram") colours
them. Output is deterministic: everything iterates in definition order.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from markupsafe import Markup, escape

from metadata.workflow import FORWARD, Step, Workflow

FONT = 13            # px, as `.fc` in danbao.css; text widths are estimated from it
NODE_H = 34
LAYER_GAP = 44       # between rows: room for edge labels
NODE_GAP = 28        # between neighbouring nodes of a row
PASS_GAP = 12        # next to an edge passing through a row
PASS_W = 10          # the width an edge passing through a row takes
MIN_W, MAX_TEXT = 84, 168
PAD, GLYPH = 10, 18  # inner padding; a 12px glyph and its gap to the text
MARGIN, LANE = 16, 14
LABEL_EM = 16        # edge labels longer than this (in em) are truncated; the <title> has it all
LEGEND_ORDER = ("task", "approval", "vote", "automatic", "end", "taken", "current")

# 12×12 glyphs for step kinds and outcomes (stroked; see .fc-glyph)
GLYPHS = {
    "task": "M2 10l.5-2.5 6-6 2 2-6 6z",
    "approval": "M1 6a5 5 0 1 0 10 0a5 5 0 1 0-10 0M3.5 6l2 2 3-4",
    "vote": "M2 11V7M6 11V2M10 11V5",
    "automatic": "M7 1L3 7h3l-1 4 4-6H6z",
    "approved": "M2 6.5l2.5 2.5 5.5-6",
    "rejected": "M3 3l6 6M9 3l-6 6",
    "withdrawn": "M4 2L1 5l3 3M1 5h6a3 3 0 0 1 0 6H5",
}


@dataclass
class _Edge:
    src: str
    dst: str
    texts: list[str]          # one per transition: its event and condition, in full
    conditional: bool         # every transition of the pair has a `when`: drawn dashed
    implicit: bool = False    # a move of the instance the definition does not draw
    back: bool = False
    taken: bool = False
    chain: tuple = ()         # the slots it passes, from source to target (forward edges)


def render(wf: Workflow, *, taken: list[str], current: str | None,
           label: Callable[[Step], str], legend: dict | None = None) -> Markup:
    """The diagram of `wf` as one <svg> element.

    `taken`: the steps the instance went through, in order (core.workflow.queries.path);
    `current`: its current step (None when it ended, or for a definition); `label(step)`: a
    step's display text. `legend` (optional, texts already localised): "title" the accessible
    name (default the workflow's name); event names ("reject", "fail", "no_quorum", "reconsider",
    …) shown on edges instead of the raw event; and any of LEGEND_ORDER, which draws a legend row.
    """
    legend = legend or {}
    steps = {s.name: s for s in wf.steps}
    edges = _edges(wf, [s for s in taken if s in steps], legend)
    layer = _layers(wf, edges)
    rows, up, down = _slots(wf, edges, layer)
    widths = {s.name: _node_width(label(s)) for s in wf.steps}
    _order(rows, up, down)
    x = _positions(rows, up, down, lambda slot: widths.get(slot, PASS_W))
    return _Drawing(wf, edges, layer, rows, x, widths, set(taken), current if current in steps else None,
                    label, legend).svg()


# -- graph -----------------------------------------------------------------------------------

def _edges(wf: Workflow, taken: list[str], legend: dict) -> list[_Edge]:
    by_pair: dict[tuple[str, str], _Edge] = {}
    names = {s.name for s in wf.steps}

    def add(src, dst, text, conditional, implicit=False):
        if dst not in names:
            return
        e = by_pair.get((src, dst))
        if e is None:
            by_pair[src, dst] = _Edge(src, dst, [text] if text else [], conditional, implicit)
        else:
            e.texts += [text] if text else []
            e.conditional = e.conditional and conditional
    for s in wf.steps:
        for t in s.transitions:
            event = "" if t.on == FORWARD.get(s.kind) else str(legend.get(t.on, t.on))
            add(s.name, t.to, ": ".join(p for p in (event, t.when) if p), bool(t.when))
        if s.reconsider_to:
            add(s.name, s.reconsider_to, str(legend.get("reconsider", "reconsider")), False)
    for a, b in zip(taken, taken[1:]):
        if a != b:
            add(a, b, "", False, implicit=True)
            by_pair[a, b].taken = True
    return list(by_pair.values())


def _layers(wf: Workflow, edges: list[_Edge]) -> dict[str, int]:
    """Marks back edges and gives each step its row: the longest forward path from the start; end
    steps at the bottom. Only the definition's edges count, so an instance's detours never move a
    step; they are back edges when they do not go down."""
    out: dict[str, list[_Edge]] = {s.name: [] for s in wf.steps}
    for e in edges:
        if not e.implicit:
            out[e.src].append(e)
    state: dict[str, int] = {}          # 1: on the walk's stack, 2: done
    for root in [wf.start] + [s.name for s in wf.steps]:
        if root in state or root not in out:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            name, it = stack[-1]
            e = next(it, None)
            if e is None:
                state[name] = 2
                stack.pop()
            elif state.get(e.dst) == 1:
                e.back = True
            elif e.dst not in state:
                state[e.dst] = 1
                stack.append((e.dst, iter(out[e.dst])))
    layer = {s.name: 0 for s in wf.steps}
    forward = [e for e in edges if not (e.back or e.implicit)]
    for _ in wf.steps:                  # relax: at most one pass per step on an acyclic graph
        changed = False
        for e in forward:
            if layer[e.dst] < layer[e.src] + 1:
                layer[e.dst], changed = layer[e.src] + 1, True
        if not changed:
            break
    bottom = 1 + max((layer[s.name] for s in wf.steps if s.kind != "end"), default=-1)
    for s in wf.steps:
        if s.kind == "end":
            layer[s.name] = bottom
    for e in edges:
        e.back = e.back or layer[e.dst] <= layer[e.src]
    return layer


def _slots(wf, edges, layer):
    """Rows of slots (step names, and (edge index, row) where an edge passes a row) and each
    slot's neighbours in the rows above and below."""
    rows: list[list] = [[] for _ in range(1 + max(layer.values(), default=0))]
    for s in wf.steps:
        rows[layer[s.name]].append(s.name)
    up: dict = {s: [] for row in rows for s in row}
    down: dict = {s: [] for row in rows for s in row}
    for i, e in enumerate(edges):
        if e.back:
            continue
        chain = [e.src] + [(i, r) for r in range(layer[e.src] + 1, layer[e.dst])] + [e.dst]
        for r, slot in zip(range(layer[e.src] + 1, layer[e.dst]), chain[1:-1]):
            rows[r].append(slot)
            up[slot], down[slot] = [], []
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        e.chain = tuple(chain)
    return rows, up, down


def _order(rows, up, down, sweeps: int = 4) -> None:
    """Barycentre ordering in place, keeping the best order found (fewest crossings)."""
    best, best_n = [list(r) for r in rows], _crossings(rows, down)
    for i in range(sweeps):
        span = range(1, len(rows)) if i % 2 == 0 else range(len(rows) - 2, -1, -1)
        for r in span:
            near = rows[r - 1] if i % 2 == 0 else rows[r + 1]
            links = up if i % 2 == 0 else down
            pos = {s: k for k, s in enumerate(near)}
            here = {s: k for k, s in enumerate(rows[r])}
            rows[r].sort(key=lambda s: (sum(pos[n] for n in links[s]) / len(links[s]) if links[s] else here[s],
                                        here[s]))
        n = _crossings(rows, down)
        if n < best_n:
            best, best_n = [list(r) for r in rows], n
    rows[:] = best


def _crossings(rows, down) -> int:
    n = 0
    for upper, lower in zip(rows, rows[1:]):
        pos = {s: k for k, s in enumerate(lower)}
        pairs = [(i, pos[d]) for i, s in enumerate(upper) for d in down[s]]
        n += sum(1 for k, (a, b) in enumerate(pairs) for c, d in pairs[k + 1:] if (a - c) * (b - d) < 0)
    return n


def _positions(rows, up, down, width, passes: int = 5) -> dict:
    """Centres: each slot near the mean of its neighbours (above on downward passes, below on
    upward ones, both on the last), in order and with gaps."""
    x: dict = {}
    offsets = {id(row): _offsets(row, width) for row in rows}
    for row in rows:
        _place(row, [0.0] * len(row), offsets[id(row)], x)
    both = {s: up[s] + down[s] for s in up}
    for i in range(passes):
        links = both if i == passes - 1 else up if i % 2 == 0 else down
        for row in (rows if i % 2 == 0 else rows[::-1]):
            want = [sum(x[n] for n in links[s]) / len(links[s]) if links[s] else x[s] for s in row]
            _place(row, want, offsets[id(row)], x)
    return x


def _offsets(row, width) -> list[float]:
    """Each slot's least distance from the row's first: the widths and gaps before it."""
    out, acc = [], 0.0
    for k, s in enumerate(row):
        if k:
            nodes = isinstance(row[k - 1], str) and isinstance(s, str)
            acc += (width(row[k - 1]) + width(s)) / 2 + (NODE_GAP if nodes else PASS_GAP)
        out.append(acc)
    return out


def _place(row, want, offset, x) -> None:
    """The positions closest (least squares) to `want` that keep the row's order and gaps: pool
    adjacent violators on the positions less their offsets."""
    blocks: list[list[float]] = []      # [mean, count]
    for w, o in zip(want, offset):
        blocks.append([w - o, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, n2 = blocks.pop()
            m1, n1 = blocks[-1]
            blocks[-1] = [(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2]
    k = 0
    for mean, count in blocks:
        for _ in range(count):
            x[row[k]] = mean + offset[k]
            k += 1


# -- text ------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _em(text: str) -> float:
    """Estimated width in em: ~1 for CJK (wide) characters, ~0.6 for the rest."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _fit(text: str, max_em: float) -> str:
    if _em(text) <= max_em:
        return text
    while text and _em(text) > max_em - 1:
        text = text[:-1]
    return text + "…"


def _node_width(text: str) -> float:
    return max(MIN_W, 2 * PAD + GLYPH + min(_em(text) * FONT, MAX_TEXT))


def _n(v: float) -> str:
    s = f"{v + 0.0:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _rounded(points: list[tuple[float, float]], r: float = 10) -> str:
    """An orthogonal polyline with rounded corners (the back edges' arcs)."""
    pts = [p for k, p in enumerate(points) if k == 0 or p != points[k - 1]]
    d = [f"M{_n(pts[0][0])} {_n(pts[0][1])}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(pts, pts[1:], pts[2:]):
        rr = min(r, (abs(bx - ax) + abs(by - ay)) / 2, (abs(cx - bx) + abs(cy - by)) / 2)
        p = (bx - rr * _sign(bx - ax), by - rr * _sign(by - ay))
        q = (bx + rr * _sign(cx - bx), by + rr * _sign(cy - by))
        d.append(f"L{_n(p[0])} {_n(p[1])}Q{_n(bx)} {_n(by)} {_n(q[0])} {_n(q[1])}")
    d.append(f"L{_n(pts[-1][0])} {_n(pts[-1][1])}")
    return "".join(d)


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


# -- drawing ---------------------------------------------------------------------------------

class _Drawing:
    def __init__(self, wf, edges, layer, rows, x, widths, taken, current, label, legend):
        self.wf, self.edges, self.layer, self.rows, self.widths = wf, edges, layer, rows, widths
        self.taken, self.current, self.label, self.legend = taken, current, label, legend
        shift = MARGIN - min((x[s] - self._w(s) / 2 for row in rows for s in row), default=0)
        self.x = {s: v + shift for s, v in x.items()}
        self.right = max((self.x[s] + self._w(s) / 2 for row in rows for s in row), default=MARGIN)
        self.extent = [MARGIN, self.right]          # horizontal extent of everything drawn
        self.marker = "fc-" + wf.digest[:8]
        self.sides: dict[str, int] = {}            # arcs met so far on each step's right side

    def _w(self, slot) -> float:
        return self.widths.get(slot, PASS_W) if isinstance(slot, str) else PASS_W

    def _top(self, row: int) -> float:
        return MARGIN + row * (NODE_H + LAYER_GAP)

    def svg(self) -> Markup:
        body = self._edges() + [self._node(s) for s in self.wf.steps]
        height = self._top(len(self.rows)) - LAYER_GAP + MARGIN
        legend, height = self._legend(height)
        left = self.extent[0] - MARGIN          # below 0 when a label sticks out on the left
        width = self.extent[1] + MARGIN - left
        title = escape(self.legend.get("title", self.wf.name))
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="fc" role="img" aria-label="{title}" '
            f'viewBox="{_n(left)} 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
            f'font-size="{FONT}">'
            f'<title>{title}</title><defs>{self._arrow("")}{self._arrow("-t")}</defs>'
            + "".join(body) + legend + "</svg>")

    def _arrow(self, suffix: str) -> str:
        return (f'<marker id="{self.marker}{suffix}" class="fc-arrow{suffix and " fc-arrow-taken"}" '
                'viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
                'markerUnits="userSpaceOnUse" orient="auto"><path d="M0 1L10 5L0 9z"/></marker>')

    # nodes

    def _node(self, step: Step) -> str:
        full = str(self.label(step))
        text = _fit(full, MAX_TEXT / FONT)
        w, cx, top = self.widths[step.name], self.x[step.name], self._top(self.layer[step.name])
        classes = ["fc-step", f"fc-{step.kind}"] + ([f"fc-{step.outcome}"] if step.outcome else [])
        classes += ["fc-taken"] * (step.name in self.taken) + ["fc-current"] * (step.name == self.current)
        kind = self.legend.get(step.kind)
        tip = f"{full} · {kind}" if kind else full
        rx = NODE_H / 2 if step.kind == "end" else 6
        glyph = GLYPHS.get(step.outcome or step.kind, "")
        text_x = PAD + GLYPH + (w - 2 * PAD - GLYPH - _em(text) * FONT) / 2
        return (f'<g class="{" ".join(classes)}" data-step="{escape(step.name)}" '
                f'transform="translate({_n(cx - w / 2)} {_n(top)})"><title>{escape(tip)}</title>'
                f'<rect class="fc-box" width="{_n(w)}" height="{NODE_H}" rx="{_n(rx)}"/>'
                f'<path class="fc-glyph" transform="translate({PAD} {(NODE_H - 12) / 2:g})" d="{glyph}"/>'
                f'<text class="fc-label" x="{_n(text_x)}" y="{NODE_H / 2:g}" dominant-baseline="central">'
                f'{escape(text)}</text></g>')

    # edges

    def _edges(self) -> list[str]:
        ports_out, ports_in = self._ports()
        labelled: dict[str, list[int]] = {}     # a source's labelled edges, left to right
        for i in sorted(ports_out, key=ports_out.get):
            if self.edges[i].texts:
                labelled.setdefault(self.edges[i].src, []).append(i)
        lanes: list[tuple[float, float, float]] = []
        drawn = []
        for i, e in enumerate(self.edges):
            if e.back:
                d, label_at = self._back(e, lanes)
            else:
                ids = labelled.get(e.src, [])
                at = (ids.index(i) + 1) / (len(ids) + 1) if i in ids else 0.5
                d, label_at = self._forward(e, ports_out[i], ports_in[i], at)
            drawn.append((e.taken, self._edge(e, d, label_at)))
        # taken edges last: on top of the others
        return [svg for taken, svg in sorted(drawn, key=lambda t: t[0])]

    def _ports(self):
        """Where forward edges leave their source and reach their target: spread along the
        node's bottom and top, in the order of the other end's position."""
        outs: dict[int, float] = {}
        ins: dict[int, float] = {}
        for side, ends, key in ((outs, lambda e: e.src, lambda e: e.chain[1]),
                                (ins, lambda e: e.dst, lambda e: e.chain[-2])):
            groups: dict[str, list[int]] = {}
            for i, e in enumerate(self.edges):
                if not e.back:
                    groups.setdefault(ends(e), []).append(i)
            for name, ids in groups.items():
                ids.sort(key=lambda i: self.x[key(self.edges[i])])
                step = min(16.0, self.widths[name] / (len(ids) + 1))
                for k, i in enumerate(ids):
                    side[i] = self.x[name] + (k - (len(ids) - 1) / 2) * step
        return outs, ins

    def _forward(self, e: _Edge, x0: float, x1: float, at: float):
        """The edge through its placeholders; its label at `at` (0–1) of the way to the next row,
        so that the labels of one source stand at different heights."""
        pts = [(x0, self._top(self.layer[e.src]) + NODE_H)]
        for slot in e.chain[1:-1]:
            top = self._top(slot[1])
            pts += [(self.x[slot], top), (self.x[slot], top + NODE_H)]
        pts.append((x1, self._top(self.layer[e.dst])))
        d = [f"M{_n(pts[0][0])} {_n(pts[0][1])}"]
        for k, ((ax, ay), (bx, by)) in enumerate(zip(pts, pts[1:])):
            if k % 2:                   # through a row: straight down
                d.append(f"L{_n(bx)} {_n(by)}")
            else:                       # between rows: an S-curve with vertical tangents
                my = (ay + by) / 2
                d.append(f"C{_n(ax)} {_n(my)} {_n(bx)} {_n(my)} {_n(bx)} {_n(by)}")
        (ax, ay), (bx, by) = pts[0], pts[1]
        right = bx >= ax
        lx = ax + (bx - ax) * at * at * (3 - 2 * at)       # the S-curve's point at `at`
        ly = ay + (by - ay) * (1.5 * at - 1.5 * at * at + at ** 3)
        return "".join(d), (lx + (4 if right else -4), ly + 4, "start" if right else "end")

    def _clear_right(self, name: str) -> bool:
        row = self.rows[self.layer[name]]
        return not any(isinstance(s, str) for s in row[row.index(name) + 1:])

    def _side(self, name: str) -> float:
        """Where the next arc meets a step's right side: the middle, then alternately below and
        above it, so that arcs (and a loop's two ends) do not share a point."""
        k = self.sides[name] = self.sides.get(name, 0) + 1
        return (k // 2) * 7 * (1 if k % 2 == 0 else -1)

    def _back(self, e: _Edge, lanes):
        """An arc on the right: out of the source's right side (or its top, when a step stands to
        its right), up a lane clear of every row it passes, into the target's right side (or its
        bottom)."""
        (sx, sy), (tx, ty) = (self.x[e.src], self._top(self.layer[e.src])), (self.x[e.dst], self._top(self.layer[e.dst]))
        sw, tw = self.widths[e.src], self.widths[e.dst]
        start = [(sx + sw / 2, sy + NODE_H / 2 + self._side(e.src))] if self._clear_right(e.src) else \
            [(sx + sw / 2 - 10, sy), (sx + sw / 2 - 10, sy - LAYER_GAP / 2)]
        end = [(tx + tw / 2, ty + NODE_H / 2 + self._side(e.dst))] if self._clear_right(e.dst) else \
            [(tx + tw / 2 - 10, ty + NODE_H + LAYER_GAP / 2), (tx + tw / 2 - 10, ty + NODE_H)]
        lo, hi = min(end[0][1], start[-1][1]), max(end[0][1], start[-1][1])
        if start[-1][1] == end[0][1] and start[-1][0] != end[0][0]:
            pts = start + end
        else:
            rows = range(min(self.layer[e.dst], self.layer[e.src]), max(self.layer[e.dst], self.layer[e.src]) + 1)
            lane = max(self.x[s] + self._w(s) / 2 for r in rows for s in self.rows[r]) + LANE
            while any(a <= hi and lo <= b and abs(lane - x) < LANE for a, b, x in lanes):
                lane += LANE
            lanes.append((lo, hi, lane))
            self.extent[1] = max(self.extent[1], lane)
            pts = start + [(lane, start[-1][1]), (lane, end[0][1])] + end
        (ax, ay) = start[-1]
        return _rounded(pts), (ax + 4, ay + 14, "start")

    def _edge(self, e: _Edge, d: str, label_at) -> str:
        classes = ["fc-edge"] + ["fc-cond"] * e.conditional + ["fc-back"] * e.back \
            + ["fc-implicit"] * e.implicit + ["fc-edge-taken"] * e.taken
        full = " | ".join(e.texts)
        out = [f'<g class="{" ".join(classes)}" data-from="{escape(e.src)}" data-to="{escape(e.dst)}">']
        if full:
            out.append(f"<title>{escape(full)}</title>")
        out.append(f'<path d="{d}" fill="none" marker-end="url(#{self.marker}{"-t" if e.taken else ""})"/>')
        if full:
            text = _fit(full, LABEL_EM)
            x, y, anchor = label_at
            w = _em(text) * FONT * 0.85    # labels are drawn smaller (.fc-edge-label)
            self.extent[0] = min(self.extent[0], x - w if anchor == "end" else x)
            self.extent[1] = max(self.extent[1], x + w if anchor == "start" else x)
            out.append(f'<text class="fc-edge-label" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">'
                       f"{escape(text)}</text>")
        return "".join(out) + "</g>"

    # legend

    def _legend(self, top: float) -> tuple[str, float]:
        items = [k for k in LEGEND_ORDER if k in self.legend]
        if not items:
            return "", top
        first = self.extent[0]
        out, x, y = ['<g class="fc-legend">'], first, top
        for key in items:
            text = str(self.legend[key])
            w = 18 + 6 + _em(text) * FONT * 0.85
            if x > first and x + w > max(self.extent[1], first + 320):
                x, y = first, y + 22
            kind = key if key in GLYPHS or key == "end" else "task"
            marks = {"taken": " fc-taken", "current": " fc-current"}.get(key, "")
            out.append(f'<g class="fc-step fc-{kind}{marks}" transform="translate({_n(x)} {_n(y)})">'
                       f'<rect class="fc-box" width="18" height="12" rx="{6 if key == "end" else 2}"/>'
                       f'<text class="fc-edge-label" x="24" y="10">{escape(text)}</text></g>')
            x += w + 14
            self.extent[1] = max(self.extent[1], x)
        return "".join(out) + "</g>", y + 12 + MARGIN

