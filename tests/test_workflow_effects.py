"""Side effects beyond `set` and `number`: `create` (a related record) and `call` (a plugin's
workflow action, hook danbao_workflow_actions) — in the transition's transaction, checked at
install time, and a failing one rolls the whole transition back."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core import metastore
from core.db import records
from core.store import Store
from core.workflow import WorkflowError, Workflows
from metadata.errors import MetadataError
from metadata.loader import load_packs
from plugins.hookspecs import hookimpl
from plugins.manager import PluginError, build_registry, plugin_manager

from .test_workflow_fixtures import flow_pack, make_flow

FOLLOW_UP = """\
name: follow_up
label: {zh: 保后跟进, en: Follow-up}
fields:
  - {name: project, type: link, entity: project, required: true}
  - {name: title, type: text, required: true}
  - {name: amount, type: money}
"""

EFFECTS = """\
name: effects
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{users: [risk1]}]
    on_leave:
      - create: {entity: follow_up, values: {project: id, title: 'CONCAT("首次保后检查 ", name)', amount: amount}}
      - call: stamp
        with: {prefix: '"HT-"', big: amount > 5000000}
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""

calls: list = []


class Stamp:
    """A test plugin: records what it was given, creates a follow-up itself, sets contract_no."""
    fail = False

    @hookimpl
    def danbao_workflow_actions(self):
        return {"stamp": self.stamp}

    def stamp(self, ctx):
        calls.append(ctx)
        if self.fail:
            raise RuntimeError("the bank's service is down")
        ctx.store.create("follow_up", {"project": ctx.values["id"], "title": "由插件创建"},
                         actor=ctx.actor, conn=ctx.conn)
        return {"contract_no": f"{ctx.params['prefix']}{ctx.instance.id}"}


def registry_with(*plugins):
    pm = plugin_manager(load_entrypoints=False)
    for i, p in enumerate(plugins):
        pm.register(p, name=f"test{i}")
    return build_registry(pm)


def effects_flow(engine, clock, plugin, text=EFFECTS):
    f = make_flow(engine, clock, flow_pack({"entities/follow_up.yaml": FOLLOW_UP, "workflows/effects.yaml": text}))
    reg = registry_with(plugin)
    f.store = Store(engine, f.store.meta, clock=clock, registry=reg, meta_version=f.store.meta_version)
    f.wf = Workflows(f.store)
    return f


def follow_ups(engine) -> list[dict]:
    with engine.connect() as c:
        return [r.data for r in c.execute(select(records.c.data, records.c.created_by)
                                          .where(records.c.entity == "follow_up").order_by(records.c.id))]


@pytest.fixture(autouse=True)
def _forget_calls():
    calls.clear()


def test_create_and_call_run_on_leaving_the_step(engine, clock):
    f = effects_flow(engine, clock, Stamp())
    inst = f.start("effects", amount="6000000", name="甲项目")
    f.act("risk1", "approve", inst)
    assert f.state(inst) == ("approved", "done")
    rid = f.wf.instance(inst.id).record_id
    made = follow_ups(engine)
    assert made[0] == {"project": rid, "title": "首次保后检查 甲项目", "amount": "6000000.00"}
    assert made[1]["title"] == "由插件创建" and made[1]["project"] == rid      # the plugin wrote in the same tx
    assert f.record(inst)["contract_no"] == f"HT-{inst.id}"                    # the returned dict was saved
    ctx = calls[0]
    assert ctx.params == {"prefix": "HT-", "big": True} and ctx.values["amount"] == Decimal("6000000.00")
    assert ctx.step.name == "review" and ctx.actor.username == "risk1" and ctx.instance.id == inst.id
    with engine.connect() as c:
        creators = c.execute(select(records.c.created_by).where(records.c.entity == "follow_up")).scalars().all()
    assert creators == ["risk1", "risk1"]                                      # as the acting user
    log = [(a["action"], a["data"]) for a in f.wf.timeline(inst.id) if a["action"] in ("create", "call")]
    assert log[0][0] == "create" and log[0][1]["entity"] == "follow_up"
    assert log[1] == ("call", {"action": "stamp", "set": ["contract_no"]})


def test_a_failing_plugin_action_rolls_the_transition_back(engine, clock):
    plugin = Stamp()
    plugin.fail = True
    f = effects_flow(engine, clock, plugin)
    inst = f.start("effects")
    with pytest.raises(WorkflowError) as e:
        f.act("risk1", "approve", inst, opinion="同意")
    assert "the plugin action 'stamp' failed" in e.value.message["en"]
    assert "the bank's service is down" in e.value.message["en"] and "插件动作「stamp」" in e.value.message["zh"]
    assert f.state(inst) == ("running", "review") and f.holders(inst) == ["risk1"]
    assert follow_ups(engine) == []                                            # the create before it too
    assert f.record(inst).get("contract_no") is None
    assert [a["action"] for a in f.wf.timeline(inst.id)] == ["start"]         # no approve, move or create


def test_a_record_the_effect_cannot_create_rolls_back_with_a_clear_error(engine, clock):
    text = EFFECTS.replace("""'CONCAT("首次保后检查 ", name)'""", "reviewers")     # blank: title is required
    f = effects_flow(engine, clock, Stamp(), text)
    inst = f.start("effects")
    with pytest.raises(WorkflowError) as e:
        f.act("risk1", "approve", inst)
    assert "could not create a 'follow_up' record: title" in e.value.message["en"]
    assert f.state(inst) == ("running", "review") and follow_ups(engine) == [] and calls == []


def test_a_plugin_action_that_is_not_installed_is_an_error_when_it_runs(engine, clock):
    f = effects_flow(engine, clock, object())          # metadata installed without checking, plugin absent
    inst = f.start("effects")
    with pytest.raises(WorkflowError) as e:
        f.act("risk1", "approve", inst)
    assert "no plugin workflow action 'stamp'" in e.value.message["en"]
    assert f.state(inst) == ("running", "review") and follow_ups(engine) == []


def problems(text: str, actions=("stamp",)) -> list[str]:
    try:
        load_packs([flow_pack({"entities/follow_up.yaml": FOLLOW_UP, "workflows/x.yaml": text})],
                   workflow_actions=actions)
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


@pytest.mark.parametrize("replace, expected", [
    (("entity: follow_up", "entity: followup"), "x.yaml:9 steps.review.on_leave.0.create.entity: no entity 'followup'"),
    (("amount: amount}", "amout: amount}"), "steps.review.on_leave.0.create.values.amout: entity 'follow_up' has no field 'amout'"),
    (("amount: amount}", "amount: amout}"), "steps.review.on_leave.0.create.values.amount: unknown field 'amout'"),
    (("call: stamp", "call: stomp"), "x.yaml:10 steps.review.on_leave.1.call: no plugin workflow action 'stomp' (known: stamp)"),
    (("big: amount > 5000000", "big: amout > 1"), "steps.review.on_leave.1.with.big: unknown field 'amout'"),
    (("      - call: stamp\n        with: {", "      - with: {"), "steps.review.on_leave.1: 'call' is a dependency of 'with'"),
])
def test_install_time_checks(replace, expected):
    old, new = replace
    assert old in EFFECTS
    found = problems(EFFECTS.replace(old, new))
    assert any(expected in p for p in found), found


def test_plugin_actions_are_checked_when_installing(engine):
    assert problems(EFFECTS) == []
    assert problems(EFFECTS, actions=None) == []       # names unknown: checked when the action runs
    with pytest.raises(MetadataError) as e:
        metastore.install(engine, [flow_pack({"entities/follow_up.yaml": FOLLOW_UP, "workflows/x.yaml": EFFECTS})],
                          workflow_actions=registry_with().action_names)
    assert "no plugin workflow action 'stamp' (known: generate_fee_schedule, regulatory_check, settle_receipt)" \
        in str(e.value.problems[0])                    # the builtin plugin's actions only


def test_the_hook_is_gathered_and_checked():
    builtin = set(registry_with().workflow_actions)
    assert set(registry_with(Stamp()).workflow_actions) - builtin == {"stamp"}

    class Bad:
        @hookimpl
        def danbao_workflow_actions(self):
            return {"Notify-Bank": lambda ctx: None}

    with pytest.raises(PluginError, match="lower-case identifier"):
        registry_with(Bad())
    with pytest.raises(PluginError, match="defined by two plugins"):
        registry_with(Stamp(), Stamp())

    class NotCallable:
        @hookimpl
        def danbao_workflow_actions(self):
            return {"notify": 42}

    with pytest.raises(PluginError, match="not callable"):
        registry_with(NotCallable())
