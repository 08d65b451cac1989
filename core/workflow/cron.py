"""`python -m core.workflow.cron`: handle overdue workflow tasks once (for cron; safe to run from
several processes at once). Uses DANBAO_DATABASE_URL and the installed metadata."""
from __future__ import annotations

import sys

from .. import metastore
from ..db import make_engine
from ..store import Store
from .engine import Workflows


def main(argv=None) -> int:
    engine = make_engine()
    installed = metastore.current(engine)
    if installed is None:
        print("no metadata installed", file=sys.stderr)
        return 1
    done = Workflows(Store(engine, installed.meta, meta_version=installed.version)).run_deadlines()
    for d in done:
        print(f"instance {d['instance']} task {d['task']} ({d['assignee']}): {d['action']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
