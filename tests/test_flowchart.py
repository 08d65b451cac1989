"""The flow diagram (ui/flowchart.py): the SVG parsed with xml.etree and checked for structure —
nodes, edges, marks, escaping, CSP-safety, determinism, cycles, overlap — on the flow test pack,
hand-made workflows and generated ones."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from core.workflow.queries import path
from metadata.loader import load_packs
from metadata.workflow import build
from ui.app import create_app
from ui.flowchart import render

from .test_workflow_fixtures import flow, flow_pack  # noqa: F401 (fixture)

NS = "{http://www.w3.org/2000/svg}"
GUARANTEE = load_packs([flow_pack()]).kinds["workflows"]["guarantee"]


def zh(step) -> str:
    return step.label.get("zh", step.name)


def draw(wf=GUARANTEE, taken=(), current=None, label=zh, **kw) -> ET.Element:
    return ET.fromstring(str(render(wf, taken=list(taken), current=current, label=label, **kw)))


def classes(el) -> set[str]:
    return set(el.get("class", "").split())


def nodes(svg) -> dict[str, ET.Element]:
    return {g.get("data-step"): g for g in svg.iter(NS + "g") if g.get("data-step")}


def edges(svg) -> dict[tuple[str, str], ET.Element]:
    return {(g.get("data-from"), g.get("data-to")): g for g in svg.iter(NS + "g") if "fc-edge" in classes(g)}


def box(g) -> tuple[float, float, float, float]:
    """left, top, right, bottom of a node."""
    x, y = map(float, re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", g.get("transform")).groups())
    rect = g.find(NS + "rect")
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def disjoint(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def workflow(steps: list[dict], start: str | None = None):
    return build({"name": "w", "entity": "project", "start": start or steps[0]["name"], "steps": steps})


def test_the_test_pack_renders_one_node_per_step_with_its_kind():
    svg = draw()
    assert svg.tag == NS + "svg" and svg.get("role") == "img" and svg.get("aria-label") == "guarantee"
    assert svg.find(NS + "title").text == "guarantee"
    found = nodes(svg)
    assert list(found) == [s.name for s in GUARANTEE.steps]
    assert classes(found["draft"]) == {"fc-step", "fc-task"}
    assert classes(found["first_review"]) == {"fc-step", "fc-approval"}
    assert classes(found["committee"]) == {"fc-step", "fc-vote"}
    assert classes(found["approved"]) == {"fc-step", "fc-end", "fc-approved"}
    assert classes(found["rejected"]) == {"fc-step", "fc-end", "fc-rejected"}
    assert classes(found["withdrawn"]) == {"fc-step", "fc-end", "fc-withdrawn"}
    assert found["committee"].find(NS + "text").text == "审保会"
    assert found["committee"].find(NS + "title").text == "审保会"


def test_every_transition_and_the_reconsider_edge_are_drawn():
    svg = draw()
    found = edges(svg)
    expected = {(s.name, t.to) for s in GUARANTEE.steps for t in s.transitions} | {("committee", "risk_review")}
    assert set(found) == expected
    assert "fc-back" in classes(found["committee", "risk_review"])
    assert not any("fc-back" in classes(g) for pair, g in found.items() if pair != ("committee", "risk_review"))
    for g in found.values():
        p = g.find(NS + "path")
        assert p.get("d").startswith("M") and p.get("marker-end", "").startswith("url(#fc-")
    markers = {m.get("id") for m in svg.iter(NS + "marker")}
    assert {p.get("marker-end")[5:-1] for g in found.values() for p in g.iter(NS + "path")} <= markers


def test_conditional_edges_are_dashed_with_the_condition_as_tooltip_and_label():
    found = edges(draw(legend={"fail": "未通过", "reconsider": "复议"}))
    green = found["draft", "fee"]
    assert "fc-cond" in classes(green)
    assert green.find(NS + "title").text == "green and amount <= 1000000"
    assert green.find(NS + "text").text.endswith("…")                        # truncated label
    assert "green and" in green.find(NS + "text").text
    assert found["committee", "gm"].find(NS + "text").text == "amount > 5000000"
    plain = found["draft", "first_review"]
    assert "fc-cond" not in classes(plain) and plain.find(NS + "text") is None
    assert found["committee", "rejected"].find(NS + "text").text == "未通过"   # the caller's text for `fail`
    assert "fc-cond" not in classes(found["committee", "rejected"])
    assert found["committee", "risk_review"].find(NS + "text").text == "复议"
    assert edges(draw())["committee", "rejected"].find(NS + "text").text == "fail"   # no text given: the event


def test_taken_steps_and_edges_and_the_current_step_are_marked():
    taken = ["draft", "first_review", "risk_review", "committee", "gm"]
    svg = draw(taken=taken, current="gm")
    found = nodes(svg)
    assert {n for n, g in found.items() if "fc-taken" in classes(g)} == set(taken)
    assert {n for n, g in found.items() if "fc-current" in classes(g)} == {"gm"}
    marked = {pair for pair, g in edges(svg).items() if "fc-edge-taken" in classes(g)}
    assert marked == set(zip(taken, taken[1:]))
    taken_edge = edges(svg)["committee", "gm"]
    assert taken_edge.find(NS + "path").get("marker-end").endswith("-t)")
    assert not any("fc-current" in classes(g) for g in draw(taken=taken + ["fee", "approved"]).iter(NS + "g"))


def test_moves_outside_the_definition_are_drawn_as_taken_implicit_edges():
    """A return (驳回) and a rejection without a transition are moves the definition does not draw."""
    taken = ["draft", "first_review", "risk_review", "draft", "first_review", "rejected"]
    svg = draw(taken=taken)
    found = edges(svg)
    back = found["risk_review", "draft"]
    assert classes(back) >= {"fc-edge", "fc-implicit", "fc-back", "fc-edge-taken"}
    assert classes(found["first_review", "rejected"]) >= {"fc-implicit", "fc-edge-taken"}
    assert "fc-back" not in classes(found["first_review", "rejected"])
    assert len(found) == 10 + 2                    # the definition's edges and the two moves
    # the layout of the steps does not move for an instance's detours
    plain = {n: box(g) for n, g in nodes(draw()).items()}
    assert [plain[n][1] for n in plain] == [box(g)[1] for g in nodes(svg).values()]


def test_labels_are_escaped_and_long_labels_truncated_with_the_full_text_as_title():
    nasty = "<b>&\"风险\"</b>"
    long = "项目经理与风险经理联合尽职调查及现场核查报告审批" * 2

    def label(step):
        return {"draft": nasty, "first_review": long}.get(step.name, zh(step))
    text = str(render(GUARANTEE, taken=[], current=None, label=label, legend={"title": "a<b", "task": "<任务>"}))
    assert "<b>" not in text and "&lt;b&gt;" in text
    svg = ET.fromstring(text)
    found = nodes(svg)
    assert found["draft"].find(NS + "text").text == nasty
    assert found["draft"].find(NS + "title").text == nasty + " · <任务>"
    shown = found["first_review"].find(NS + "text").text
    assert shown.endswith("…") and len(shown) < 20 and found["first_review"].find(NS + "title").text == long
    assert svg.get("aria-label") == "a<b"


def test_no_inline_styles_anywhere():
    text = str(render(GUARANTEE, taken=["draft", "fee"], current="fee", label=zh,
                      legend={"task": "任务", "taken": "已走", "current": "当前"}))
    svg = ET.fromstring(text)
    assert not [el for el in svg.iter() if el.tag == NS + "style" or "style" in el.attrib]
    assert "style=" not in text and "<script" not in text


def test_output_is_deterministic():
    args = dict(taken=["draft", "first_review", "risk_review", "committee", "risk_review"], current="risk_review",
                label=zh)
    assert str(render(GUARANTEE, **args)) == str(render(GUARANTEE, **args))
    again = load_packs([flow_pack()]).kinds["workflows"]["guarantee"]
    assert str(render(again, **args)) == str(render(GUARANTEE, **args))


def test_nodes_do_not_overlap_and_lie_inside_the_view_box():
    svg = draw(legend={"task": "任务", "approval": "审批", "vote": "表决", "end": "结束"})
    boxes = {n: box(g) for n, g in nodes(svg).items()}
    names = list(boxes)
    assert all(disjoint(boxes[a], boxes[b]) for i, a in enumerate(names) for b in names[i + 1:])
    left, top, width, height = map(float, svg.get("viewBox").split())
    assert all(left <= b[0] and b[2] <= left + width and top <= b[1] and b[3] <= top + height for b in boxes.values())
    assert float(svg.get("width")) == width <= 900
    # top to bottom: the start first, the outcomes on the bottom row
    assert boxes["draft"][1] < boxes["first_review"][1] < boxes["risk_review"][1] < boxes["committee"][1]
    assert boxes["committee"][1] < boxes["gm"][1] < boxes["fee"][1] < boxes["approved"][1]
    assert boxes["approved"][1] == boxes["rejected"][1] == boxes["withdrawn"][1]


def test_a_flow_with_cycles_and_a_self_loop_terminates():
    wf = workflow([
        {"name": "a", "kind": "task", "transitions": [{"to": "b"}]},
        {"name": "b", "kind": "approval", "transitions": [{"to": "c"}, {"to": "a", "on": "reject"}]},
        {"name": "c", "kind": "vote", "reconsider_to": "c",
         "transitions": [{"to": "a", "on": "fail"}, {"to": "d", "when": "amount > 1"}, {"to": "e"}]},
        {"name": "d", "kind": "automatic", "transitions": [{"to": "b"}, {"to": "e"}]},
        {"name": "e", "kind": "end", "outcome": "approved"},
    ])
    svg = draw(wf, taken=["a", "b", "a", "b", "c", "c", "d"], current="d")
    found = edges(svg)
    assert {pair for pair, g in found.items() if "fc-back" in classes(g)} == {("b", "a"), ("c", "a"), ("c", "c"),
                                                                               ("d", "b")}
    assert classes(nodes(svg)["d"]) == {"fc-step", "fc-automatic", "fc-taken", "fc-current"}
    boxes = [box(g) for g in nodes(svg).values()]
    assert all(disjoint(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@st.composite
def workflows(draw_):
    """Random flows: forward and backward transitions between up to 12 steps, some end steps."""
    n = draw_(st.integers(2, 12))
    names = [f"s{i}" for i in range(n)]
    steps = []
    for i, name in enumerate(names):
        if i and draw_(st.booleans()) and i > n / 2:
            steps.append({"name": name, "kind": "end", "outcome": draw_(st.sampled_from(["approved", "rejected"]))})
            continue
        targets = draw_(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        steps.append({"name": name, "kind": draw_(st.sampled_from(["task", "approval", "automatic"])),
                      "transitions": [{"to": t, "when": "amount > 1" if k else None} for k, t in enumerate(targets)]})
    taken = draw_(st.lists(st.sampled_from(names), max_size=8))
    return workflow(steps), taken


@settings(max_examples=60, deadline=None)
@given(workflows())
def test_any_flow_renders_with_every_edge_and_no_overlap(case):
    wf, taken = case
    svg = draw(wf, taken=taken, current=taken[-1] if taken else None, label=lambda s: s.name)
    assert list(nodes(svg)) == [s.name for s in wf.steps]
    expected = {(s.name, t.to) for s in wf.steps for t in s.transitions} | {p for p in zip(taken, taken[1:])
                                                                            if p[0] != p[1]}
    assert set(edges(svg)) == expected
    boxes = [box(g) for g in nodes(svg).values()]
    assert all(disjoint(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_every_class_the_diagram_uses_is_styled_by_the_served_stylesheet(flow):
    text = str(render(GUARANTEE, taken=["draft", "fee"], current="fee", label=zh, legend={"task": "任务"}))
    used = {c for m in re.findall(r'class="([^"]+)"', text) for c in m.split()}
    app = create_app({"ENGINE": flow.engine, "SECRET_KEY": "test-secret", "CLOCK": flow.clock})
    css = app.test_client().get("/static/danbao.css").get_data(as_text=True)
    unstyled = sorted(c for c in used if not re.search(r"\." + re.escape(c) + r"(?![\w-])", css))
    assert unstyled == []


def test_a_running_instance_path_marks_the_diagram(flow):
    """The engine's path (core.workflow.queries.path) and current step, on a real database."""
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "approve", inst)
    flow.act("pmb", "approve", inst)
    flow.act("risk1", "return", inst, to="first_review", opinion="请补充")
    taken = path(flow.engine, inst.id)
    assert taken == ["draft", "first_review", "risk_review", "first_review"]
    current = flow.wf.instance(inst.id).step
    svg = draw(flow.wf.definition(flow.wf.instance(inst.id)), taken=taken, current=current)
    assert {n for n, g in nodes(svg).items() if "fc-taken" in classes(g)} == {"draft", "first_review", "risk_review"}
    assert classes(nodes(svg)["first_review"]) >= {"fc-current"}
    assert classes(edges(svg)["risk_review", "first_review"]) >= {"fc-implicit", "fc-back", "fc-edge-taken"}
