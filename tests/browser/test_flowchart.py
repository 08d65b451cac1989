"""The flow diagram in a real Chromium, with the stylesheet the app serves: the estimated widths
hold for the real fonts (no label spills out of its box), the CSS applies, and a screenshot of the
test pack's diagram for the docs (docs/screenshots/flow.png)."""
from metadata.loader import load_packs
from ui.flowchart import render

from ..test_workflow_fixtures import flow_pack
from .conftest import SCREENSHOTS


def test_flow_diagram_labels_fit_their_boxes_in_a_real_browser(live_server, new_page):
    wf = load_packs([flow_pack()]).kinds["workflows"]["guarantee"]
    svg = render(wf, taken=["draft", "first_review", "risk_review", "committee", "risk_review", "committee"],
                 current="committee", label=lambda s: s.label.get("zh", s.name),
                 legend={"fail": "未通过", "reconsider": "复议", "task": "任务", "approval": "审批", "vote": "表决",
                         "end": "结束", "taken": "已走", "current": "当前"})
    page = new_page()
    page.set_content(f'<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" '
                     f'href="{live_server}/static/danbao.css"></head><body><main>{svg}</main></body></html>')
    page.wait_for_load_state("load")
    spilled = page.evaluate("""() => [...document.querySelectorAll('.fc-step[data-step]')].filter(g => {
        const box = g.querySelector('rect').getBBox(), text = g.querySelector('text').getBBox();
        return text.x < 22 || text.x + text.width > box.width - 4;   // 22: after the glyph
    }).map(g => g.dataset.step)""")
    assert spilled == []
    assert page.evaluate("getComputedStyle(document.querySelector('.fc-current rect')).strokeWidth") == "3px"
    page.locator("svg.fc").screenshot(path=str(SCREENSHOTS / "flow.png"))
