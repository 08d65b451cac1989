"""Flow diagram benchmark: time to draw a workflow's SVG (ui.flowchart.render), no database.

    python bench/bench_flowchart.py [--reps 500]

Draws the flow test pack's workflow (9 steps), a 12-step flow shaped like a company's guarantee
approval (a branch above ¥5m to the general manager, a green-channel skip, a committee that can
send back for reconsideration, a return on the path taken), and every workflow of seed/standard,
each as a definition preview and with a path taken and a current step. Prints median and p95 in
milliseconds; the aim is a 12-step flow under 2 ms.
"""
from __future__ import annotations

import argparse

from common import ROOT, fmt, machine, summary, timed

from metadata.loader import load_packs
from metadata.source import read_pack_dir
from metadata.workflow import build
from ui.flowchart import render


def twelve_steps():
    def step(name, kind, label, *to, **extra):
        return {"name": name, "kind": kind, "label": {"zh": label}, **extra,
                "transitions": [t if isinstance(t, dict) else {"to": t} for t in to]}
    return build({"name": "guarantee12", "entity": "project", "start": "application", "steps": [
        step("application", "task", "业务申请", {"to": "fee", "when": "green and amount <= 1000000"}, "first_review"),
        step("first_review", "approval", "项目经理初审", "risk_review"),
        step("risk_review", "approval", "风险经理复审", "legal_review"),
        step("legal_review", "approval", "法务审查", "committee"),
        step("committee", "vote", "审保会表决", {"to": "gm", "on": "pass", "when": "amount > 5000000"},
             {"to": "fee", "on": "pass"}, {"to": "rejected", "on": "fail"}, reconsider_to="risk_review"),
        step("gm", "approval", "总经理审批", "fee"),
        step("fee", "task", "收取担保费", "contract"),
        step("contract", "task", "签订委托担保合同", "notify"),
        step("notify", "automatic", "通知银行放款", "in_force"),
        {"name": "in_force", "kind": "end", "outcome": "approved", "label": {"zh": "在保"}},
        {"name": "rejected", "kind": "end", "outcome": "rejected", "label": {"zh": "已否决"}},
        {"name": "withdrawn", "kind": "end", "outcome": "withdrawn", "label": {"zh": "已撤回"}},
    ]}), ["application", "first_review", "risk_review", "first_review", "risk_review", "legal_review",
          "committee", "gm"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--reps", type=int, default=500, help="timed renders of each case (default 500)")
    args = ap.parse_args(argv)
    print(f"machine:  {machine()}")

    def label(step):
        return step.label.get("zh", step.name)
    flow = load_packs([read_pack_dir(ROOT / "tests" / "packs" / "flow")]).kinds["workflows"]["guarantee"]
    standard = load_packs([read_pack_dir(ROOT / "seed" / "standard")]).kinds.get("workflows", {})
    wf12, path12 = twelve_steps()
    cases = [(f"flow test pack ({len(flow.steps)} steps)", flow, ["draft", "first_review", "risk_review", "committee"]),
             ("12-step flow", wf12, path12)]
    cases += [(f"seed/standard {name} ({len(wf.steps)} steps)", wf, [wf.start]) for name, wf in sorted(standard.items())]
    rows = []
    for name, wf, taken in cases:
        for what, kw in (("definition", {"taken": [], "current": None}), ("path taken", {"taken": taken, "current": taken[-1]})):
            s = summary(timed(lambda: render(wf, label=label, **kw), args.reps, warmup=20))
            rows.append((f"{name}, {what}", s))
            print(f"{name + ', ' + what:58s} {fmt(s)}")
    print("\n| diagram | median ms | p95 ms |\n| --- | ---: | ---: |")
    for label_, s in rows:
        print(f"| {label_} | {s['median']:.2f} | {s['p95']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
