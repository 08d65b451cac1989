"""The workflow editor in a real browser: an administrator builds a three-step workflow with a
condition and sees the flow diagram drawn again beside the form after every change (HTMX)."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import screenshot, settle, sign_in


def add_step(page, name, label):
    page.fill("#f-name", name)
    page.select_option("#f-kind", "approval")
    page.fill("#f-new_label_zh", label)
    page.click("#add-step")
    expect(page.locator("h1")).to_contain_text(name)


def test_an_administrator_builds_a_three_step_workflow_beside_its_diagram(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/studio/workflows")
    page.fill("#f-name", "big_loan")
    page.select_option("#f-entity", "project")
    page.fill("#f-label_zh", "大额审批")
    page.click("#create-workflow")
    diagram = page.locator("#wf-diagram")
    expect(diagram.locator('[data-step="start"]')).to_be_visible()
    expect(diagram.locator('[data-from="start"][data-to="approved"]')).to_have_count(1)

    add_step(page, "gm", "总经理审批")
    page.fill("#f-assignees_roles", "gm")
    page.select_option("#f-t0_to", "approved")
    page.click("#save-step")
    settle(page)
    expect(diagram.locator('[data-from="gm"][data-to="approved"]')).to_have_count(1)
    page.goto(live_server + "/studio/workflows/big_loan")
    add_step(page, "review", "风控审查")
    page.fill("#f-assignees_roles", "risk")
    page.select_option("#f-t0_to", "gm")
    page.locator("#f-t0_when").press_sequentially("amout > 1000000")
    expect(page.locator("#check-t0_when .error")).to_contain_text("amout")      # checked as typed
    page.fill("#f-t0_when", "amount > 1000000")
    page.locator("#f-t0_when").press("End")
    expect(page.locator("#check-t0_when .ok")).to_be_visible()
    page.select_option("#f-t1_to", "approved")
    page.click("#save-step")
    settle(page)
    edge = diagram.locator('[data-from="review"][data-to="gm"]')
    expect(edge).to_have_class("fc-edge fc-cond")                              # dashed: a condition
    expect(diagram.locator('[data-step="review"]')).to_have_class("fc-step fc-approval fc-current")
    expect(page.locator("#step-problems")).to_contain_text("review")            # nothing leads here yet

    page.goto(live_server + "/studio/workflows/big_loan/steps/start")
    page.select_option("#f-t0_to", "review")
    page.click("#save-step")
    settle(page)
    expect(diagram.locator('[data-from="start"][data-to="review"]')).to_have_count(1)
    expect(page.locator("#workflow-problems")).to_have_count(0)
    expect(page.locator("#wf-diagram-note")).to_have_count(0)
    page.goto(live_server + "/studio/workflows/big_loan/steps/review")
    screenshot(page, "studio-workflow")
    page.goto(live_server + "/studio/draft")
    expect(page.locator("#studio-changes")).to_contain_text("big_loan")
