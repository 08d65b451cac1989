"""When an approval (or task) step is decided, by its mode: all, any, ratio, sequential.

Counted: tasks resolved for the step, and those that replace one (transferred, escalated). A
delegate's task never decides (the delegate hands back to the delegator). Signers added with
add_signer must approve as well, whatever the mode. Outcomes: "approve", "reject", or None
(still waiting)."""
from __future__ import annotations

from fractions import Fraction

from .model import Task

NOT_DECIDING = ("transfer", "escalate", "hand_back")


def outcome(mode: str, ratio: Fraction | None, tasks: list[Task]) -> str | None:
    tasks = [t for t in tasks if t.kind in ("approve", "task") and t.origin != "delegated"
             and t.state != "cancelled" and t.action not in NOT_DECIDING]
    added = [t for t in tasks if t.origin == "added"]
    base = [t for t in tasks if t.origin != "added"]
    if any(t.action == "reject" for t in tasks if t.origin == "added"):
        return "reject"
    approved = sum(t.action in ("approve", "submit") for t in base)
    rejected = sum(t.action == "reject" for t in base)
    n = len(base)
    if mode in ("all", "sequential"):
        if rejected:
            return "reject"
        decided = approved == n
    elif mode == "any":
        # or-sign (或签): the first decision of a resolved approver decides
        if rejected and not approved:
            return "reject"
        decided = approved > 0
    else:  # ratio
        undecided = n - approved - rejected
        if approved >= (ratio or 1) * n:
            decided = True
        elif approved + undecided < (ratio or 1) * n:
            return "reject"
        else:
            decided = False
    if decided and all(t.action == "approve" for t in added):
        return "approve"
    return None
