"""Formula engine throughput: evaluations per second of a typical condition.

Run: python bench/bench_formula.py [seconds-per-case]
Prints evaluations/second for a cached formula (parse once, the normal path) and an uncached one
(parse + check + evaluate every time), plus a computed value and a child-row aggregate.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from core.formula import compile_formula  # noqa: E402
from core.formula.formula import Formula  # noqa: E402

CONDITION = 'amount > 5000000 and kind == "loan"'
VALUES = {"amount": Decimal("6000000"), "kind": "loan", "rate": Decimal("1.5"),
          "shareholders": [{"name": f"S{i}", "share": Decimal("12.5")} for i in range(8)]}


def rate(fn, seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    n, batch = 0, 1000
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main(seconds: float = 2.0) -> None:
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    cases = [
        ("cached condition", CONDITION, True),
        ("uncached condition (parse each time)", CONDITION, False),
        ("cached amount * rate / 100", "ROUND(amount * rate / 100, 2)", True),
        ("cached SUM(shareholders.share) == 100", "SUM(shareholders.share) == 100", True),
    ]
    for label, text, cached in cases:
        if cached:
            f = compile_formula(text)
            per_sec = rate(lambda: f.evaluate(VALUES), seconds)
        else:
            per_sec = rate(lambda: Formula(text).evaluate(VALUES), seconds)
        print(f"{label:42s} {per_sec:>12,.0f} evaluations/s")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
