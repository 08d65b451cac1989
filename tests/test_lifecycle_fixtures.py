"""Shared fixtures of the lifecycle tests (no tests here): the standard pack behind the real app, the
demo users acting over HTTP (record forms, workflow panels, uploads) as in
tests/test_workflow_screens_standard.py, and a project driven through the standard flow to 在保.
(seed/standard; docs/lifecycle.md)"""
from __future__ import annotations

import json
import re
from html import unescape
from io import BytesIO

import pytest

from .test_workflow_screens_fixtures import task_ids, text
from .test_workflow_screens_standard import Office, fee_sign_release
from .test_workflow_screens_votes import vote

PDF = b"%PDF-1.4\n%lifecycle test\n"


class Desk(Office):
    """The standard office, with generic record and workflow actions on any entity."""

    def new(self, username: str, entity: str, **form) -> int:
        """`username` saves a new record with the record form: its id."""
        resp = self.site.as_(username).post(f"/e/{entity}/new", form, htmx=False)
        assert resp.status_code == 302, text(resp)[:3000]
        return int(re.search(rf"/e/{entity}/(\d+)$", resp.headers["Location"]).group(1))

    def refused(self, username: str, entity: str, record_id: int | None = None, **form) -> str:
        """The form comes back (422) with its errors: the page's text."""
        url = f"/e/{entity}/new" if record_id is None else f"/e/{entity}/{record_id}/edit"
        resp = self.site.as_(username).post(url, form, htmx=False)
        assert resp.status_code == 422, (resp.status_code, text(resp)[:2000])
        return text(resp)

    def edit(self, username: str, entity: str, record_id: int, **form) -> None:
        resp = self.site.as_(username).post(f"/e/{entity}/{record_id}/edit", form, htmx=False)
        assert resp.status_code == 302, text(resp)[:3000]

    def upload(self, username: str, entity: str, field: str, name: str = "proof.pdf") -> str:
        """A file uploaded through the attachment widget: the JSON list of references the form posts."""
        browser = self.site.as_(username)
        resp = browser.client.post(f"/files/{entity}/{field}", data={
            "csrf_token": browser.token, "_fw_name": field, field: "[]", "_fw_files": [(BytesIO(PDF), name)]},
            content_type="multipart/form-data", headers={"HX-Request": "true"})
        assert resp.status_code == 200, text(resp)[:2000]
        m = re.search(r'<input type="hidden" name="' + field + r'" value="([^"]*)"', text(resp))
        refs = json.loads(unescape(m.group(1)))
        assert len(refs) == 1 and refs[0]["name"] == name
        return json.dumps(refs)

    def supply(self, username: str, record_id: int, *codes: str, entity: str = "project",
               name: str = "scan.pdf") -> str:
        """`username` uploads a file for each of the product's required documents `codes` from the
        record's 申报资料 checklist: the checklist's HTML after the last upload."""
        browser = self.site.as_(username)
        html = ""
        for code in codes:
            resp = browser.client.post(f"/e/{entity}/{record_id}/required-documents/{code}", data={
                "csrf_token": browser.token, "_rd_files": [(BytesIO(PDF), name)]},
                content_type="multipart/form-data", headers={"HX-Request": "true"})
            assert resp.status_code == 200, text(resp)[:2000]
            html = text(resp)
        return html

    def start(self, username: str, entity: str, record_id: int, workflow: str) -> str:
        resp = self.site.as_(username).post(f"/flow/start/{entity}/{record_id}", {"_wf_workflow": workflow})
        assert resp.status_code == 200, text(resp)[:3000]
        return text(resp)

    def panel(self, username: str, entity: str, record_id: int) -> str:
        resp = self.site.as_(username).get(f"/flow/panel/{entity}/{record_id}", htmx=True)
        assert resp.status_code == 200
        return text(resp)

    def act_on(self, username: str, entity: str, record_id: int, action: str, **form) -> str:
        """`username` acts on their one open task of the record's workflow from its panel."""
        (task,) = task_ids(self.panel(username, entity, record_id))
        resp = self.site.as_(username).act(task, action, **form)
        assert resp.status_code == 200, text(resp)[:3000]
        return text(resp)

    def get(self, entity: str, record_id: int) -> dict:
        return self.store.get(entity, record_id).values

    def flow_step(self, entity: str, record_id: int) -> str:
        return self.wf.instance_for(entity, record_id).step

    def page(self, username: str, entity: str, record_id: int) -> str:
        resp = self.site.as_(username).get(f"/e/{entity}/{record_id}")
        assert resp.status_code == 200
        return text(resp)

    def later(self, clock, days: int) -> None:
        """Time passes: everyone signs in again (sessions expire when idle)."""
        clock.advance(days=days)
        self.site.sign_in_again()

    # -- the standard flow to 在保 ----------------------------------------------------------------
    def in_force(self, released: str = "2,800,000", **values) -> int:
        """A project applied for and approved by the committee, fee paid, contract signed and the loan
        released on 2026-03-20: in force."""
        rid = self.apply(**values)
        self.act("pm_a", rid, "submit", _wf_opinion="资料齐全，请审批")
        self.act("pm_b", rid, "approve", _wf_opinion="同意", due_diligence="经营稳定，现金流充足")
        if self.step(rid) == "risk_review":
            self.act("risk", rid, "approve", risk_opinion="风险可控，同意上会")
            inst = self.instance(rid)
            for member in ("committee1", "committee2", "committee3", "gm"):
                vote(self.site, inst, member, "approve", "同意")
        fee_sign_release(self, rid, released=released)
        assert self.record(rid)["status"] == "in_force"
        return rid


@pytest.fixture
def desk(engine, clock, tmp_path, standard):
    return Desk(engine, clock, tmp_path, standard)
