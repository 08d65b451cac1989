"""Committee votes (审保会): the tally, and the resolution as soon as it can no longer change.

Rules (docs/workflow.md): a quorum of `min_attendance` members must vote (a count, or a fraction of
the members); the motion passes when approvals are at least `pass` of the votes cast (abstentions
and requests to reconsider are cast votes that do not approve); a chair with `veto` rejects alone.
A motion that fails is sent to reconsideration (复议) when more members asked for that than
rejected. Until everyone has voted the engine only decides what the remaining votes cannot change.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

from metadata.workflow import Step

from .model import Task


@dataclass
class Tally:
    members: int
    approve: int = 0
    reject: int = 0
    abstain: int = 0
    reconsider: int = 0
    pending: int = 0
    quorum: int = 0
    pass_ratio: str = "1/2"
    vetoed: bool = False
    votes: list = field(default_factory=list)    # [{member, vote, opinion, at}]

    @property
    def cast(self) -> int:
        return self.approve + self.reject + self.abstain + self.reconsider

    def as_dict(self) -> dict:
        d = asdict(self)
        d["cast"] = self.cast
        return d


def quorum(step: Step, members: int) -> int:
    need = step.min_attendance
    if need is None:
        return 1
    if isinstance(need, Fraction):
        return max(1, math.ceil(need * members))
    return need


def tally(step: Step, tasks: list[Task]) -> Tally:
    """Count the votes of one holding of a vote step (the chair's task has origin "chair")."""
    votes = [t for t in tasks if t.kind == "vote"]   # cancelled: closed before they voted
    t = Tally(members=len(votes), quorum=quorum(step, len(votes)), pass_ratio=str(step.pass_ratio))
    for v in votes:
        if v.state == "done" and v.action in ("approve", "reject", "abstain", "reconsider"):
            setattr(t, v.action, getattr(t, v.action) + 1)
            t.votes.append({"member": v.assignee, "vote": v.action, "opinion": v.opinion,
                            "at": v.acted_at.isoformat() if v.acted_at else None,
                            "chair": v.origin == "chair"})
            if step.veto and v.origin == "chair" and v.action == "reject":
                t.vetoed = True
        else:
            t.pending += 1
    return t


def decide(step: Step, t: Tally, *, chair_pending: bool = False, closing: bool = False) -> str | None:
    """pass | fail | reconsider | no_quorum, or None while the remaining votes could change it.
    `closing`: the vote is closed now (a deadline): decide on the votes cast."""
    if t.vetoed:
        return "fail"
    remaining = 0 if closing else t.pending
    if t.cast + remaining < t.quorum:
        return "no_quorum"
    p = step.pass_ratio
    if remaining == 0:
        if t.cast >= t.quorum and t.approve >= p * t.cast and t.cast > 0:
            return "pass"
        return _against(step, t, 0)
    # early: passes even if every remaining member votes against (and no chair veto can come)
    if t.cast >= t.quorum and t.approve >= p * (t.cast + remaining) and not (step.veto and chair_pending):
        return "pass"
    # early: fails even if every remaining member approves
    if t.approve + remaining < p * (t.cast + remaining):
        return _against(step, t, remaining)
    return None


def _against(step: Step, t: Tally, remaining: int) -> str | None:
    if "reconsider" not in step.options or not step.reconsider_to:
        return "fail"
    if t.reconsider > t.reject + remaining:
        return "reconsider"
    if t.reject >= t.reconsider + remaining:
        return "fail"
    return None
