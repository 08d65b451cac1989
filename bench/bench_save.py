"""Save benchmark: Store.create and Store.update of a record with validation and ten computed fields.

    python bench/bench_save.py                                   # SQLite file in /tmp
    python bench/bench_save.py --url postgresql://postgres@127.0.0.1:5432/danbao_bench_save

The entity is bench/pack's `bench_project` (20 input fields incl. ID-number, USCC, phone and
code-list checks, 10 computed fields, 3 validations, a numbering pattern and a unique field),
installed with seed/standard. Each save is the full write path in its own transaction: permission,
parsing and validation, computed fields, number assignment (create), the unique pre-check, the
insert/update, and the history row. Prints median and p95 in milliseconds, plus the time spent in
validation and computed fields alone (core.validate.prepare, no database).

THE SCHEMA OF THE TARGET DATABASE IS DROPPED: use a database of its own.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date
from decimal import Decimal

from common import DEFAULT_SQLITE, ROOT, fmt, machine, server_version, summary, timed

from core import sampledata
from core.clock import Clock
from core.db import create_schema, drop_schema, make_engine
from core.metastore import install
from core.store import Actor, Store
from core.validate import prepare
from metadata.source import read_pack_dir

ENTITY = "bench_project"
ACTOR = Actor("pm1", {"pm"})          # an ordinary user: permission checks and readonly rules apply


def project(rng: random.Random, today: date) -> dict:
    e = sampledata.enterprise(rng, today)
    kind = rng.choice(("loan", "loan", "loan", "bond", "performance"))
    return {
        "customer_name": e["name"], "customer_uscc": e["uscc"], "legal_rep_id_number": e["legal_rep_id_number"],
        "phone": e["phone"], "region": e["region"], "industry": e["industry"],
        "kind": kind,
        "bank": rng.choice(("中国工商银行杭州西湖支行", "中国建设银行南京鼓楼支行", "招商银行深圳南山支行")),
        "amount": f"{rng.choice((100, 300, 500, 1000, 2000, 5000))}0000.00",
        "rate": rng.choice(("1.2", "1.5", "2%")), "term_months": rng.choice((12, 24, 36) if kind == "bond" else (6, 12, 12, 24)),
        "collateral_value": str(Decimal(rng.randint(0, 8000)) * 10000), "manager": "李明",
        "notes": "首次合作，企业经营稳定。",
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--url", default=DEFAULT_SQLITE.replace("danbao_bench", "danbao_bench_save"),
                    help="database URL (default a SQLite file in /tmp)")
    ap.add_argument("--saves", type=int, default=200, help="timed saves of each kind (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    engine = make_engine(args.url)
    print(f"machine:  {machine()}")
    print(f"database: {server_version(engine)}  ({engine.url.render_as_string(hide_password=True)})")
    drop_schema(engine)
    create_schema(engine)
    installed = install(engine, [read_pack_dir(ROOT / "seed" / "standard"), read_pack_dir(ROOT / "bench" / "pack")])
    store = Store(engine, installed.meta, clock=Clock(), meta_version=installed.version)
    entity = installed.meta.entity(ENTITY)
    rng = random.Random(args.seed)
    today = date.today()

    data = [project(rng, today) for _ in range(args.saves + 10)]
    created = []
    it = iter(data)

    def create():
        created.append(store.create(ENTITY, next(it), actor=ACTOR))

    creates = summary(timed(create, args.saves, warmup=10))
    rec = created[0]
    assert len(rec.values) == 30 and rec.values["fee"] is not None and rec.values["end_date"] is not None, rec.values

    targets = iter(created)

    def update():
        r = next(targets)
        store.update(ENTITY, r.id, {"amount": str(r.values["amount"] + 10000), "rate": "1.8",
                                    "notes": "补充反担保措施。"}, version=r.version, actor=ACTOR)

    updates = summary(timed(update, args.saves, warmup=10))

    sample = data[0]
    system = {"id": None, "created_at": None, "updated_at": None, "created_by": "pm1", "updated_by": "pm1"}
    validation = summary(timed(lambda: prepare(installed.meta, entity, sample, None, functions=store.functions,
                                               today=today, exists=lambda target, ids: set(ids), trusted=False,
                                               system=system, types=store.types), args.saves, warmup=10))

    print(f"\n{args.saves} saves each; entity {ENTITY}: {sum(not f.is_computed for f in entity.fields)} input fields, "
          f"{sum(f.is_computed for f in entity.fields)} computed, {len(entity.validations)} validations\n")
    print(f"create               {fmt(creates)}")
    print(f"update               {fmt(updates)}")
    print(f"validate + compute   {fmt(validation)}   (no database)")
    print("\n| operation | median ms | p95 ms |\n| --- | ---: | ---: |")
    for label, s in (("Store.create", creates), ("Store.update", updates),
                     ("validation + computed fields only", validation)):
        print(f"| {label} | {s['median']:.2f} | {s['p95']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
