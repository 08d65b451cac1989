"""Attachments to workflow actions over HTTP (审批附件): an assignee uploads files in the action form
without update permission on the record, they are recorded with the action and listed in the
timeline, anyone who may read the record downloads them; others may not upload, crafted file ids
are ignored, a refused action keeps the uploads. The `flow` test pack on a real database."""
from __future__ import annotations

import io
import json
import re
from html import unescape

from core import files as core_files
from ui import workflow_files

from .test_workflow_screens import submitted
from .test_workflow_screens_fixtures import HX, site, task_ids, text  # noqa: F401 (fixture)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(browser, task: int, *files: tuple[bytes, str], refs: str = "[]", remove: str | None = None):
    data = {"csrf_token": browser.token, "_wf_files": refs,
            "_wf_upload": [(io.BytesIO(body), name) for body, name in files]}
    if remove:
        data["_wf_remove"] = remove
    return browser.client.post(f"/flow/task/{task}/files", data=data, headers=HX, content_type="multipart/form-data")


def refs_of(html: str) -> str:
    """The JSON of the uploaded files' references in an attachments part (`_wf_files`)."""
    return unescape(re.search(r'name="_wf_files" value="([^"]*)"', html).group(1))


def test_an_approver_attaches_files_to_the_action(site):
    rec, inst = submitted(site)
    pma = site.as_("pma")
    task = site.task_of("pma", inst)
    html = pma.panel(rec.id)
    assert f'id="flow-files-{task}"' in html and f'id="flow-upload-{task}"' in html and "20 MB" in html
    # pma (role pm) could edit the record, but a risk reviewer cannot: attaching needs no update permission
    resp = upload(pma, task, (PDF, "尽调报告.pdf"), (b"MZ\x90\x00", "tool.exe"))
    assert resp.status_code == 200
    part = text(resp)
    assert part.lstrip().startswith('<div class="dbf flow-files"') and "尽调报告.pdf" in part
    assert f'id="flow-file-errors-{task}"' in part and "tool.exe" in part and "不允许" in part
    refs = json.loads(refs_of(part))
    assert [r["name"] for r in refs] == ["尽调报告.pdf"]
    fid = int(refs[0]["id"])
    row = core_files.open_file(site.flow.engine, fid, with_data=False)
    assert (row.entity, row.field, row.record_id, row.uploaded_by) == ("project", "_workflow", None, "pma")
    # a second upload keeps the first; removing one answers the list without it
    part = text(upload(pma, task, (b"note", "说明.txt"), refs=refs_of(part)))
    assert [r["name"] for r in json.loads(refs_of(part))] == ["尽调报告.pdf", "说明.txt"]
    second = json.loads(refs_of(part))[1]["id"]
    part = text(upload(pma, task, refs=refs_of(part), remove=second))
    assert [r["name"] for r in json.loads(refs_of(part))] == ["尽调报告.pdf"]
    # the approval carries the file: the timeline links it, the file now belongs to the record
    html = site.act("pma", inst, "approve", _wf_opinion="见附件", _wf_files=refs_of(part))
    assert f'href="/files/{fid}"' in html and "尽调报告.pdf" in html
    log = [a for a in site.flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert log["attachments"] == [fid]
    assert core_files.open_file(site.flow.engine, fid, with_data=False).record_id == rec.id
    # anyone who may read the record downloads it (risk1 has no task here)
    resp = site.as_("risk1").get(f"/files/{fid}")
    assert resp.status_code == 200 and resp.data == PDF
    assert 'filename*=UTF-8' in resp.headers["Content-Disposition"]


def test_only_an_assignee_of_the_open_task_may_upload(site):
    rec, inst = submitted(site)
    task = site.task_of("pma", inst)
    for who in ("pmb", "risk1", "li"):       # another holder of the step, a non-assignee, the initiator
        resp = upload(site.as_(who), task, (PDF, "x.pdf"))
        assert resp.status_code == 403 and resp.headers["HX-Retarget"] == "#alerts"
    assert upload(site.as_("pma"), 999999, (PDF, "x.pdf")).status_code == 404
    site.act("pma", inst, "approve")
    assert upload(site.as_("pma"), task, (PDF, "x.pdf")).status_code == 403       # no longer open
    # the password proxy form has no upload (the route would refuse it before the password is given)
    html = site.as_("dh").panel(rec.id)
    assert 'id="flow-proxy"' in html and f'id="flow-files-{site.task_of("pmb", inst)}"' not in html


def test_crafted_file_ids_are_ignored(site):
    rec, inst = submitted(site)
    mine = json.loads(refs_of(text(upload(site.as_("pma"), site.task_of("pma", inst), (PDF, "pma.pdf")))))
    # someone else's upload, and a record attachment field's file: not pmb's to attach
    other = core_files.save_upload(site.flow.engine, entity="project", field="docs", name="a.pdf",
                                   content_type="application/pdf", data=PDF, uploaded_by="pmb")
    crafted = json.dumps(mine + [other])
    site.act("pmb", inst, "approve", _wf_files=crafted)
    log = [a for a in site.flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert log["actor"] == "pmb" and not log["attachments"]
    assert core_files.open_file(site.flow.engine, int(mine[0]["id"]), with_data=False).record_id is None


def test_a_refused_action_keeps_the_uploads(site, monkeypatch):
    rec, inst = submitted(site)
    pma = site.as_("pma")
    task = site.task_of("pma", inst)
    refs = refs_of(text(upload(pma, task, (PDF, "保留.pdf"))))
    resp = pma.act(task, "transfer", _wf_opinion="转给谁?", _wf_files=refs)     # nobody chosen
    assert resp.status_code == 422
    html = text(resp)
    assert 'id="flow-message"' in html and "保留.pdf" in html and json.loads(refs_of(html)) == json.loads(refs)
    fid = int(json.loads(refs)[0]["id"])
    assert core_files.open_file(site.flow.engine, fid, with_data=False).record_id is None     # rolled back
    # the size limit is the workflow-wide one
    monkeypatch.setattr(workflow_files, "MAX_SIZE_MB", 0.00001)
    part = text(upload(pma, task, (PDF, "大.pdf")))
    assert "超过" in part and json.loads(refs_of(part)) == []
