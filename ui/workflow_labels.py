"""Words of the workflow screens: actions, states, vote results and task origins in the user's
language, and the labels of a workflow's steps. The engine speaks in codes (`approve`,
`running`, `pass`); people read 同意, 进行中, 通过.

An approval's `approve` is 同意 but a committee member's is 赞成, so an action's label depends on
the kind of step it was taken on (`vote` or not)."""
from __future__ import annotations

from flask_babel import gettext as _

from metadata.workflow import Workflow

from .i18n import N_, text_of

ACTIONS = {
    "start": N_("Start"), "submit": N_("Submit"), "approve": N_("Approve"), "reject": N_("Reject"),
    "return": N_("Return"), "transfer": N_("Transfer"), "delegate": N_("Delegate"),
    "hand_back": N_("Hand back"), "add_signer": N_("Add signer"), "cc": N_("CC"), "read": N_("Read"),
    "withdraw": N_("Withdraw"), "move": N_("Move on"), "resolution": N_("Resolution"),
    "remind": N_("Reminder"), "escalate": N_("Escalate"),
    # side effects of a step, logged in the timeline
    "create": N_("Record created"), "update": N_("Record updated"), "call": N_("Action run"),
}
VOTES = {"approve": N_("Vote for"), "reject": N_("Vote against"), "abstain": N_("Abstain"),
         "reconsider": N_("Reconsider")}
STATES = {"running": N_("Running"), "approved": N_("Approved"), "rejected": N_("Rejected"),
          "withdrawn": N_("Withdrawn")}
STATE_BADGES = {"running": "info", "approved": "ok", "rejected": "danger", "withdrawn": "warning"}
RESULTS = {"pass": N_("Passed"), "fail": N_("Not passed"), "reconsider": N_("To be reconsidered"),
           "no_quorum": N_("No quorum")}
TASK_STATES = {"open": N_("To do"), "waiting": N_("Waiting"), "done": N_("Done"), "cancelled": N_("Closed")}
ORIGINS = {"delegated": N_("delegated"), "transferred": N_("transferred"), "added": N_("added signer"),
           "escalated": N_("escalated"), "chair": N_("chair")}


def action_label(action: str | None, vote: bool = False) -> str:
    """An action (or a vote's choice when `vote`) in the user's language; unknown codes as they are."""
    table = VOTES if vote and action in VOTES else ACTIONS
    return _(table[action]) if action in table else (action or "")


def state_label(state: str) -> str:
    return _(STATES[state]) if state in STATES else state


def result_label(result: str | None) -> str:
    return _(RESULTS[result]) if result in RESULTS else (result or "")


def task_state_label(state: str) -> str:
    return _(TASK_STATES[state]) if state in TASK_STATES else state


def origin_label(origin: str) -> str:
    return _(ORIGINS[origin]) if origin in ORIGINS else ""


def step_label(wf: Workflow, name: str | None) -> str:
    """A step's label (its name when it has none, or when the definition no longer has it)."""
    if not name:
        return ""
    if not wf.has_step(name):
        return name
    label = wf.step(name).label
    return text_of(label) if label else name


def is_vote(wf: Workflow, name: str | None) -> bool:
    return bool(name) and wf.has_step(name) and wf.step(name).kind == "vote"
