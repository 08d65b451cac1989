"""The message center's engine (core/messages.py): sending to users, departments (with the ones
below them) and roles; read marks per recipient; nobody reads another's message; announcements
between publish and expiry; to-dos, deadline reminders and warnings arriving in the inbox."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import messages
from core.errors import NotFound, PermissionDenied, ValidationError
from core.users import create_user, set_active
from metadata.model import CodeItem, CodeList

from .test_rules_fixtures import OVERDUE, World
from .test_workflow_fixtures import flow_pack, make_flow
from .test_workflow_runtime import AUTO

DEPARTMENTS = CodeList("department", {"zh": "部门", "en": "Department"}, (
    CodeItem("business", {"zh": "业务部", "en": "Business"}),
    CodeItem("business_1", {"zh": "业务一部", "en": "Business 1"}, parent="business"),
    CodeItem("business_2", {"zh": "业务二部", "en": "Business 2"}, parent="business"),
    CodeItem("risk", {"zh": "风控部", "en": "Risk"}),
))
PEOPLE = {"li": (["pm"], "business_1"), "wang": (["pm"], "business_2"), "zhao": (["risk"], "risk"),
          "gm": (["gm"], None), "admin": (["admin"], None), "gone": (["pm"], "business_1")}


@pytest.fixture
def people(engine):
    for name, (roles, dept) in PEOPLE.items():
        create_user(engine, name, name=name.upper(), roles=roles, department=dept, password="Secret-pass-1")
    set_active(engine, "gone", False)
    return engine


def _send(engine, clock, **kw):
    return messages.send(engine, sender=kw.pop("sender", "gm"), subject=kw.pop("subject", "周会改期"),
                         body=kw.pop("body", "改到周五下午"), now=clock.now(), departments_list=DEPARTMENTS, **kw)


def _inbox(engine, user, **kw):
    return [(x.subject, x.unread) for x in messages.inbox(engine, user, **kw).items]


def test_send_to_users_departments_and_roles(people, clock):
    engine = people
    _send(engine, clock, users=["li"])
    _send(engine, clock, subject="业务部通知", departments=["business"])          # both business departments
    _send(engine, clock, subject="风控通知", roles=["risk"], users=["zhao"])        # once, though named twice
    assert _inbox(engine, "li") == [("业务部通知", True), ("周会改期", True)]
    assert _inbox(engine, "wang") == [("业务部通知", True)]
    assert _inbox(engine, "zhao") == [("风控通知", True)]
    assert _inbox(engine, "gone") == [] and _inbox(engine, "gm") == []            # inactive; the sender
    assert [x.subject for x in messages.sent(engine, "gm").items] == ["风控通知", "业务部通知", "周会改期"]
    assert messages.unread_count(engine, "li") == 2


def test_a_message_needs_a_subject_and_somebody_to_receive_it(people, clock):
    with pytest.raises(ValidationError) as e:
        _send(people, clock, subject="  ", departments=["legal"])
    assert set(e.value.errors) == {"subject", "to"}
    with pytest.raises(ValidationError):
        _send(people, clock, users=["gm"])                                         # only the sender


def test_reading_marks_read_for_that_recipient_only_and_nobody_reads_anothers(people, clock):
    engine = people
    mid = _send(engine, clock, users=["li", "wang"])
    clock.advance(minutes=5)
    m = messages.read(engine, mid, "li", clock.now())
    assert (m.subject, m.body, m.read_at) == ("周会改期", "改到周五下午", clock.now())
    assert messages.unread_count(engine, "li") == 0 and messages.unread_count(engine, "wang") == 1
    assert messages.read(engine, mid, "gm", clock.now()).sender == "gm"            # the sender sees it
    with pytest.raises(NotFound):
        messages.read(engine, mid, "zhao", clock.now())
    assert messages.mark(engine, [mid], "zhao", clock.now()) == 0                 # touches nothing of others
    assert messages.recipients_of(engine, mid) == [("li", clock.now()), ("wang", None)]


def test_the_inbox_lists_unread_first_filters_and_pages(people, clock):
    engine = people
    ids = []
    for i in range(5):
        ids.append(_send(engine, clock, subject=f"第{i}条", users=["li"]))
        clock.advance(minutes=1)
    messages.mark(engine, [ids[3], ids[4]], "li", clock.now())
    assert [s for s, _ in _inbox(engine, "li")] == ["第2条", "第1条", "第0条", "第4条", "第3条"]
    assert [s for s, _ in _inbox(engine, "li", show="read")] == ["第4条", "第3条"]
    page = messages.inbox(engine, "li", show="unread", page=2, size=2)
    assert ([x.subject for x in page.items], page.total, page.pages) == (["第0条"], 3, 2)
    assert messages.mark(engine, None, "li", clock.now()) == 3                    # all read
    assert messages.mark(engine, [ids[0]], "li", None) == 1                       # unread again
    assert messages.unread_count(engine, "li") == 1


def test_announcements_show_between_publish_and_expiry_and_only_admins_publish(people, clock):
    engine = people
    now = clock.now()
    with pytest.raises(PermissionDenied):
        messages.publish(engine, author="li", roles=["pm"], title="x", body="y", now=now)
    with pytest.raises(ValidationError) as e:
        messages.publish(engine, author="admin", roles=["admin"], title="", body="y", now=now,
                         expires_at=now - timedelta(days=1))
    assert set(e.value.errors) == {"title", "expires_at"}
    a = messages.publish(engine, author="admin", roles=["admin"], title="国庆值班安排", body="见附表", now=now,
                         expires_at=now + timedelta(days=3))
    b = messages.publish(engine, author="admin", roles=["admin"], title="下周系统升级", body="周六停机", now=now,
                         published_at=now + timedelta(days=1))
    assert [x.id for x in messages.announcements(engine, now)] == [a]
    assert [x.id for x in messages.announcements(engine, now + timedelta(days=2))] == [b, a]
    assert [x.id for x in messages.announcements(engine, now + timedelta(days=4))] == [b]
    messages.withdraw(engine, b, roles=["admin"], now=now + timedelta(days=5))
    assert messages.announcements(engine, now + timedelta(days=5)) == []
    assert len(messages.announcements(engine, now, everything=True)) == 2


def test_a_workflow_task_and_a_deadline_reminder_arrive_in_the_inbox(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO}))
    inst = f.start("auto")
    [todo] = messages.inbox(engine, "c1").items
    task = f.task("c1", inst)
    assert (todo.kind, todo.ref, todo.entity, todo.record_id) == ("task", task.id, "project", inst.record_id)
    assert todo.subject["zh"].startswith("待办:") and "{" not in todo.subject["zh"] and todo.sent_at == clock.now()
    clock.advance(hours=5)
    f.wf.run_deadlines()                                  # review auto-approved: notice opens for c2
    assert [x.kind for x in messages.inbox(engine, "c2").items] == ["task"]
    clock.advance(hours=2)
    f.wf.run_deadlines()                                  # the remind deadline
    reminder, _todo = messages.inbox(engine, "c2").items
    assert (reminder.kind, reminder.ref) == ("reminder", f.task("c2", inst).id)
    assert reminder.subject["en"].startswith("Reminder:") and messages.unread_count(engine, "c2") == 2


def test_a_raised_warning_arrives_once_per_recipient(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE)
    loan = w.loan("甲贷款")
    w.scan()
    [warning] = w.warnings(rule="loan_overdue")
    [m] = messages.inbox(engine, "li").items
    assert (m.kind, m.ref, m.entity, m.record_id, m.body) == ("warning", warning.id, "loan", loan.id,
                                                              {"level": warning.level})
    assert "甲贷款 逾期" in m.subject["zh"]
    clock.advance(days=1)
    w.scan()                                              # still overdue: the same warning, no new message
    assert messages.unread_count(engine, "li") == 1


def test_an_escalated_warning_arrives_for_the_escalation_recipients(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE)
    w.loan("乙贷款")
    w.scan()
    assert messages.inbox(engine, "gm").items == []
    clock.advance(days=4)
    w.scan()                                              # nobody handled it within 3 days: to the gm
    [m] = messages.inbox(engine, "gm").items
    assert m.kind == "warning" and "乙贷款" in m.subject["zh"]
    assert messages.unread_count(engine, "li") == 1       # li was told once, when it was raised


def test_starting_a_flow_sends_the_initiator_no_message_about_their_own_first_task(engine, clock):
    f = make_flow(engine, clock, flow_pack())
    inst = f.start("guarantee", initiator="li", pm_a=f.uid("pma"), pm_b=f.uid("pmb"))
    assert f.task("li", inst).state == "open" and messages.inbox(engine, "li").items == []
    f.act("li", "submit", inst)                           # first review: A角 and B角 each get a to-do
    for pm in ("pma", "pmb"):
        [m] = messages.inbox(engine, pm).items
        assert (m.kind, m.subject) == ("task", {"zh": "待办:初审", "en": "To do: First review"})
