"""The `danbao` command: database, metadata packs, records, users, the demo.

Every command calls the same functions the screens call (`core.metastore`, `core.transfer`,
`core.purge`, `core.users`); nothing here holds business logic. Errors are printed for people
(file:line for metadata, field messages for records) with exit status 1, never as a stack trace.

The database is `--database URL`, else $DANBAO_DATABASE_URL, else ./instance/danbao.sqlite.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from core.db import analyze, create_schema, default_url, drop_schema, make_engine
from core.metastore import installed_sources, merged_sources, pack_name
from core.errors import DanbaoError, ValidationError
from metadata.errors import MetadataError, Problem
from metadata.source import PackSource, read_pack_dir
from plugins.manager import PluginError

SEED = Path(__file__).resolve().parent.parent / "seed"


# -- plumbing ---------------------------------------------------------------------------------

class State:
    def __init__(self, url: str | None):
        self._url = url
        self._engine = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = default_url()
        return self._url

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def close(self):
        if self._engine is not None:
            self._engine.dispose()


def _fail(lines: list[str] | str) -> None:
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1)


def _validation_lines(e: ValidationError, prefix: str = "") -> list[str]:
    out = []
    for path, messages in e.errors.items():
        for m in messages:
            out.append(f"{prefix}{path or '(record)'}: {m.get('en', '')} / {m.get('zh', '')}")
    return out


class DanbaoGroup(click.Group):
    """Turns the errors meant for people into messages and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MetadataError as e:
            _fail([str(p) for p in e.problems] + [f"{len(e.problems)} problem(s); nothing was changed."])
        except ValidationError as e:
            _fail(["error: the input is not valid:"] + _validation_lines(e, "  "))
        except DanbaoError as e:
            _fail(f"error: {e.message['en']} / {e.message['zh']}")
        except PluginError as e:
            _fail(f"plugin error: {e}" + (f" (plugins: {', '.join(e.plugins)})" if e.plugins else ""))
        except FileNotFoundError as e:
            _fail(f"error: {e.strerror + ': ' + e.filename if e.filename else e}")
        except SQLAlchemyError as e:
            first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            _fail(f"database error: {first}\n(is the database reachable, and has `danbao init` been run?)")


_REGISTRY = None


def registry():
    """What plugins add (field types, formula functions); built once per process."""
    global _REGISTRY
    if _REGISTRY is None:
        from plugins.manager import build_registry
        _REGISTRY = build_registry()
    return _REGISTRY


def _plugin_kw() -> dict:
    return registry().checks()


def _state(ctx: click.Context) -> State:
    return ctx.find_object(State)


@click.group(cls=DanbaoGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", metavar="URL", envvar="DANBAO_DATABASE_URL",
              help="Database URL (default: $DANBAO_DATABASE_URL, else ./instance/danbao.sqlite).")
@click.pass_context
def cli(ctx: click.Context, database: str | None):
    """Danbao: a low-code platform for financing-guarantee companies."""
    state = State(database)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="danbao")


# -- database and metadata ----------------------------------------------------------------------

@cli.command()
@click.pass_context
def init(ctx):
    """Create the database tables (safe to run again)."""
    create_schema(_state(ctx).engine)
    click.echo(f"Database ready: {_state(ctx).engine.url.render_as_string(hide_password=True)}")


def _read_packs(dirs) -> list[PackSource]:
    sources, problems = [], []
    for d in dirs:
        try:
            sources.append(read_pack_dir(d))
        except FileNotFoundError:
            problems.append(Problem(str(d), None, "", "not a pack folder (no pack.yaml)"))
        except UnicodeDecodeError as e:
            problems.append(Problem(str(d), None, "", f"a file is not UTF-8 text: {e.reason}"))
    if problems:
        raise MetadataError(problems)
    return sources


def _summary(meta) -> str:
    packs = ", ".join(f"{p.name} {p.version}" for p in meta.packs)
    return (f"{len(meta.packs)} pack(s) ({packs}): {len(meta.entities)} entities, "
            f"{len(meta.codelists)} code lists, {len(meta.forms)} forms")


@cli.command()
@click.argument("pack_dirs", nargs=-1, required=True, type=click.Path())
def validate(pack_dirs):
    """Check packs (all given together, in any order) and list every problem."""
    from metadata.loader import load_packs
    meta = load_packs(_read_packs(pack_dirs), **_plugin_kw())
    click.echo(f"OK: {_summary(meta)}")


@cli.command()
@click.argument("pack_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--actor", default="system", show_default=True, help="Who installs (recorded).")
@click.pass_context
def install(ctx, pack_dirs, actor):
    """Install or upgrade packs: the given packs replace installed packs of the same name.

    The whole resulting set is validated and installed as one new metadata version; on any problem
    nothing changes.
    """
    from core import metastore
    engine = _state(ctx).engine
    create_schema(engine)
    sources = merged_sources(installed_sources(engine), _read_packs(pack_dirs))
    installed = metastore.install(engine, sources, actor=actor, **_plugin_kw())
    click.echo(f"Installed metadata version {installed.version}: {_summary(installed.meta)}")


@cli.command()
@click.pass_context
def packs(ctx):
    """List the installed packs and the metadata versions."""
    from core import metastore
    engine = _state(ctx).engine
    current = metastore.current(engine, **_plugin_kw())
    if current is None:
        click.echo("No metadata installed. Run `danbao install PACK_DIR...`.")
        return
    click.echo(f"Installed (metadata version {current.version}):")
    for p in current.meta.packs:
        click.echo(f"  {p.name:<20} {p.version:<10} {p.title.get('zh', '')}")
    click.echo("Versions:")
    for v in metastore.versions(engine):
        at = v["installed_at"].strftime("%Y-%m-%d %H:%M:%S") if v["installed_at"] else ""
        click.echo(f"  {v['version']:>4}  {at}  {v['installed_by'] or '':<12} {', '.join(v['packs'])}")


@cli.command("export-meta")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite pack folders that already exist.")
@click.pass_context
def export_meta(ctx, out_dir, force):
    """Write the installed packs back as pack folders (one per pack) under OUT_DIR."""
    sources = installed_sources(_state(ctx).engine)
    if not sources:
        _fail("error: no metadata installed")
    root = Path(out_dir)
    targets = [(s, root / pack_name(s)) for s in sources]
    busy = [str(t) for _, t in targets if t.exists() and any(t.iterdir())]
    if busy and not force:
        _fail(f"error: {', '.join(busy)} already exist(s) and are not empty; use --force to overwrite")
    for source, target in targets:
        if target.exists():
            shutil.rmtree(target)
        files = {**source.files, **source.binaries}
        for rel, content in sorted(files.items()):
            path = (target / rel).resolve()
            if target.resolve() not in path.parents:
                _fail(f"error: refusing to write {rel} outside {target}")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):   # templates and other binary files, byte for byte
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        click.echo(f"{target}: {len(files)} file(s)")


# -- records ------------------------------------------------------------------------------------

def _installed(ctx):
    from core import metastore
    current = metastore.current(_state(ctx).engine, **_plugin_kw())
    if current is None:
        _fail("error: no metadata installed; run `danbao install PACK_DIR...` first")
    return current


def _store(ctx):
    from core.store import Store
    current = _installed(ctx)
    return Store(_state(ctx).engine, current.meta, registry=registry(), meta_version=current.version)


def _check_entity(meta, entity: str):
    if entity not in meta.entities:
        _fail(f"error: no entity '{entity}' (installed: {', '.join(sorted(meta.entities))})")


@cli.command("export")
@click.argument("entity")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
@click.pass_context
def export_cmd(ctx, entity, fmt, out):
    """Export an entity's records as CSV or JSON (money as exact decimal strings)."""
    from core.transfer import export_records
    current = _installed(ctx)
    _check_entity(current.meta, entity)
    engine = _state(ctx).engine
    if out:
        # a BOM lets spreadsheet programs recognise UTF-8 CSV; readers here accept both
        with open(out, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as f:
            n = export_records(engine, current.meta, entity, f, fmt, types=registry())
        click.echo(f"{n} record(s) written to {out}", err=True)
    else:
        stream = click.get_text_stream("stdout")
        export_records(engine, current.meta, entity, stream, fmt, types=registry())
        stream.flush()


@cli.command("import")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), help="Default: from the file name.")
@click.option("--dry-run", is_flag=True, help="Check every row, keep nothing.")
@click.option("--partial", is_flag=True, help="Keep the rows that pass even when others fail.")
@click.option("--as-new", is_flag=True, help="Ignore id/version columns: create every row.")
@click.option("--user", "username", help="Import as this user (their permissions; default: system).")
@click.pass_context
def import_cmd(ctx, entity, file, fmt, dry_run, partial, as_new, username):
    """Import records from CSV or JSON through the same validation as the screens.

    All or nothing by default: if any row fails, no row is kept and every failing row is listed.
    Rows with `id` and `version` update that record; other rows create records.
    """
    from core.store import SYSTEM, Actor
    from core.transfer import import_file
    from core.users import get_user
    store = _store(ctx)
    _check_entity(store.meta, entity)
    actor = SYSTEM
    if username:
        user = get_user(store.engine, username=username)
        if user is None or not user.active:
            _fail(f"error: no active user '{username}'")
        actor = Actor(user.username, user.roles)
    result = import_file(store, entity, file, fmt, actor=actor, dry_run=dry_run, partial=partial, as_new=as_new)
    for e in result.errors:
        click.echo(f"row {e.row}: {e.field or '(row)'}: {e.en} / {e.zh}", err=True)
    counts = f"{result.created} to create, {result.updated} to update, {result.unchanged} unchanged"
    if result.errors:
        click.echo(f"{result.failed_rows} of {result.rows} row(s) failed.")
    if result.committed:
        analyze(store.engine)  # the planner should know about the new rows
        click.echo(f"Imported {result.rows - result.failed_rows} row(s): {result.created} created, "
                   f"{result.updated} updated, {result.unchanged} unchanged"
                   + (f"; the {result.failed_rows} failing row(s) were skipped." if result.errors else "."))
    elif dry_run and not result.errors:
        click.echo(f"Dry run: all {result.rows} row(s) are valid ({counts}); nothing was imported.")
    else:
        click.echo("Nothing was imported." + ("" if dry_run else
                                               " Fix the rows above, or use --partial to keep the good rows."))
    if result.errors:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("entity")
@click.option("--field", "fields", multiple=True, help="Only this removed field (repeatable).")
@click.option("--dry-run", is_flag=True, help="Only count the records holding data of removed fields.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def purge(ctx, entity, fields, dry_run, yes):
    """Delete the stored data of fields no longer in the model (after a preview)."""
    from core import purge as purging
    current = _installed(ctx)
    _check_entity(current.meta, entity)
    engine = _state(ctx).engine
    preview = purging.preview(engine, current.meta, entity, list(fields) or None)
    if not preview.fields:
        click.echo(f"{entity}: no data of removed fields.")
        return
    for name in preview.fields:
        click.echo(f"  {name}: {preview.counts[name]} record(s) hold data")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if not any(preview.counts.values()):
        click.echo("Nothing to purge.")
        return
    if not yes:
        click.confirm(f"Delete this data from {entity} for good?", abort=True)
    result = purging.purge(engine, current.meta, entity, preview.fields, actor="system")
    click.echo(f"Purged {', '.join(result.fields)} from {result.records} record(s).")


@cli.group()
def rollups():
    """Rollup fields (aggregates over related records)."""


@rollups.command("refresh")
@click.argument("entity", required=False)
@click.option("--field", help="Only this rollup field of ENTITY.")
@click.pass_context
def rollups_refresh(ctx, entity, field):
    """Compute the stored rollup values of existing records (all entities with rollups, or ENTITY).

    Needed after a pack adds a rollup to an entity that already has records; safe to run again."""
    from core.rollups import refresh_all
    store = _store(ctx)
    if entity:
        _check_entity(store.meta, entity)
        if field and not (store.meta.entity(entity).has(field) and store.meta.entity(entity).field(field).is_rollup):
            _fail(f"error: '{entity}' has no rollup field '{field}'")
    elif field:
        _fail("error: --field needs ENTITY")
    names = [entity] if entity else sorted(e.name for e in store.meta.entities.values()
                                           if any(f.is_rollup for f in e.fields))
    failed = 0
    for name in names:
        result = refresh_all(store, name, field)
        click.echo(f"{name}: {result.checked} record(s) checked, {result.changed} updated")
        for rid, message in result.failed:
            click.echo(f"  {name} {rid}: {message}", err=True)
        failed += len(result.failed)
    if failed:
        _fail(f"{failed} record(s) were refused by their rules and left as they were")


# -- users --------------------------------------------------------------------------------------

@cli.group()
def user():
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Display name, e.g. 张明.")
@click.option("--role", "roles", multiple=True, help="A role (repeatable), e.g. --role pm --role risk.")
@click.option("--department", help="Department code.")
@click.option("--position", "positions", multiple=True,
              help="A position (岗位, repeatable) that workflow steps resolve approvers by, e.g. --position 风控经理.")
@click.option("--password", help="Password (prompted when not given).")
@click.pass_context
def user_add(ctx, username, name, roles, department, positions, password):
    """Add a user."""
    from core.users import create_user
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _state(ctx).engine
    create_schema(engine)
    u = create_user(engine, username, name=name, roles=roles, password=password, department=department,
                    positions=positions)
    click.echo(f"User {u.username} ({u.name}) added with role(s): {', '.join(sorted(u.roles)) or '-'}"
               + (f"; position(s): {', '.join(u.positions)}" if u.positions else ""))


@user.command("password")
@click.argument("username")
@click.option("--password", help="New password (prompted when not given).")
@click.pass_context
def user_password(ctx, username, password):
    """Set a user's password."""
    from core.users import set_password
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    set_password(_state(ctx).engine, username, password)
    click.echo(f"Password of {username} changed.")


@user.command("list")
@click.pass_context
def user_list(ctx):
    """List users."""
    from core.users import list_users
    for u in list_users(_state(ctx).engine):
        click.echo(f"{u.username:<16} {u.name:<20} {','.join(sorted(u.roles)):<24} {','.join(u.positions):<16} "
                   f"{'' if u.active else '(inactive)'}")


# -- workflows ------------------------------------------------------------------------------------

@cli.group()
def flow():
    """Workflows: deadlines (for cron) and running instances."""


@flow.command("deadlines")
@click.option("--now", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              help="Handle what is overdue at this time instead of the clock's (e.g. to catch up).")
@click.pass_context
def flow_deadlines(ctx, now):
    """Handle overdue workflow tasks once: remind, escalate, decide automatically, close votes.

    Run it from cron as often as you like, from several machines at once: each instance is handled
    once. Exits 1 when an instance could not be handled (it is tried again next time).
    """
    from core.workflow import cron
    done = cron.handle_deadlines(_state(ctx).engine, registry(), now)
    for d in done:
        click.echo(cron.describe(d), err=bool(d.get("error")))
    click.echo(f"{sum(1 for d in done if not d.get('error'))} overdue task(s) handled.")
    if any(d.get("error") for d in done):
        raise click.exceptions.Exit(1)


@flow.command("list")
@click.pass_context
def flow_list(ctx):
    """Running workflow instances, counted by workflow and current step."""
    from core.workflow import queries
    current = _installed(ctx)
    workflows = current.meta.kinds.get("workflows", {})
    rows = queries.running(_state(ctx).engine)
    for workflow, step, n in rows:
        wf = workflows.get(workflow)
        label = wf.step(step).label.get("zh", step) if wf is not None and wf.has_step(step) else ""
        click.echo(f"{workflow:<20} {step:<20} {label:<12} {n:>6}")
    click.echo(f"{sum(n for _, _, n in rows)} running instance(s).")


# -- warnings (docs/rules.md) ------------------------------------------------------------------------

@cli.group("warnings")
def warnings_group():
    """Warning rules: the scan (for cron) and the warnings raised."""


@warnings_group.command("scan")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable); default: every enabled daily rule.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Records read and written per transaction.")
@click.pass_context
def warnings_scan(ctx, rules, batch):
    """Evaluate the warning rules over their records once: raise, refresh, resolve, escalate.

    Run it from cron (e.g. daily); running it again, or from several machines at once, never
    duplicates a warning. A rule that fails on a record is reported (to administrators, and here)
    and skipped; exits 1 when that happened.
    """
    from core.warnings import scan
    current = _installed(ctx)
    result = scan(_state(ctx).engine, current.meta, registry=registry(), rules=rules or None, batch=batch)
    for line in result.failures:
        click.echo(f"rule failed: {line}", err=True)
    click.echo(result.summary() + ".")
    if result.counts.errors:
        raise click.exceptions.Exit(1)


@warnings_group.command("list")
@click.option("--user", "username", help="Only this user's warnings.")
@click.option("--level", "levels", multiple=True, type=click.Choice(["red", "orange", "yellow", "blue"]))
@click.option("--state", "states", multiple=True, type=click.Choice(["open", "acknowledged", "handled", "resolved"]),
              help="Default: open and acknowledged.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.pass_context
def warnings_list(ctx, username, levels, states, limit):
    """Warnings, newest first."""
    from core.warnings import listing
    _installed(ctx)
    rows = listing(_state(ctx).engine, username, levels=levels, states=states or ("open", "acknowledged"), limit=limit)
    for x in rows:
        click.echo(f"{x.id:>7} {x.level:<6} {x.state:<12} {x.rule:<22} {x.entity}#{x.record_id:<8} {x.message.get('zh', '')}")
    click.echo(f"{len(rows)} warning(s).")


@cli.command("regulatory-check")
@click.option("--on", "day", type=click.DateTime(["%Y-%m-%d"]), help="The day checked (default: today).")
@click.pass_context
def regulatory_check(ctx, day):
    """Check the regulatory limits (docs/regulatory.md): the company's figures and the effect of
    approving every application, written as regulatory_check records for the warning rules.

    Run it from cron before `danbao warnings scan`.
    """
    from core.clock import Clock
    from core.regulatory.alerts import check
    from core.store import Store
    current = _installed(ctx)
    store = Store(_state(ctx).engine, current.meta, registry=registry(), meta_version=current.version)
    r = check(store, day.date() if day else Clock().today())
    click.echo(f"company: {r.company_breaches} breach(es); applications: {r.applications} checked, "
               f"{r.applications_breaching} would breach a limit.")


# -- demo and server ------------------------------------------------------------------------------

DEMO_SIZE = 40   # projects in `danbao demo`: the 17 of core.demo_flows and 23 after the loan


def _serve(url: str, host: str, port: int, debug: bool = False) -> None:
    from ui.app import create_app
    app = create_app({"DATABASE_URL": url})
    app.run(host=host, port=port, debug=debug, use_reloader=False)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Drop all data first and load the demo afresh.")
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit.")
@click.option("--size", default=DEMO_SIZE, show_default=True, type=click.IntRange(0),
              help="Guarantee projects: 17 in the approval flows, the rest after the loan (in force, overdue, "
                   "released, compensated, written off); customers scale with it.")
@click.pass_context
def demo(ctx, host, port, reset, no_serve, size):
    """Zero-config demo: a SQLite file in ./instance, the standard pack, users and sample data."""
    from core import metastore
    from core.demo import DEMO_PASSWORD, DEMO_USERS, create_demo_users, load_demo
    from core.store import Store
    state = _state(ctx)
    engine = state.engine
    if reset:
        drop_schema(engine)
    create_schema(engine)
    current = metastore.current(engine, **_plugin_kw())
    if current is None:
        current = metastore.install(engine, [read_pack_dir(SEED / "standard")], **_plugin_kw())
        click.echo(f"Installed {_summary(current.meta)}")
        store = Store(engine, current.meta, registry=registry(), meta_version=current.version)
        counts = load_demo(store, **_demo_customers(size))
        extra = _demo_projects(store, size)
        analyze(engine)
        click.echo(f"Demo data: {counts.enterprise_customer} enterprise customers, "
                   f"{counts.individual_customer} individual customers, {counts.bank} banks")
        if extra is not None:
            _echo_report(extra)
    else:
        click.echo("Metadata already installed; keeping the existing data (use --reset to start over).")
    added = create_demo_users(engine)
    if added:
        click.echo(f"{added} demo user(s) added.")
    click.echo("")
    click.echo(f"Sign in at http://{host}:{port}/ with one of these users, password: {DEMO_PASSWORD}")
    for username, name, roles, _dept in DEMO_USERS:
        click.echo(f"  {username:<12} {name}  ({', '.join(roles)})")
    if not no_serve:
        _serve(state.url, host, port)


def _demo_customers(size: int) -> dict:
    """load_demo's customers and banks for a demo of `size` projects (today's 60/60/8 at least)."""
    from core.demo_data import sizes
    n = sizes(size)
    return {"enterprises": max(60, n["enterprise_customer"]), "individuals": max(60, n["individual_customer"]),
            "banks": max(8, n["bank"])}


def _demo_projects(store, size: int):
    """Projects after the loan for the demo (core.demo_data), beyond the approval flows' ones."""
    import random
    from core import demo_flows
    from core.demo_data import add_projects
    rest = size - (len(demo_flows.PLAN) if demo_flows.can_load(store) else 0)
    return add_projects(store, random.Random(size), store.clock.today(), rest) if rest > 0 else None


def _echo_report(report) -> None:
    click.echo("Records: " + ", ".join(f"{n} {e}" for e, n in sorted(report.records.items())))
    click.echo("Projects by stage: " + ", ".join(f"{s} {n}" for s, n in sorted(report.stages.items())))
    for line in report.skipped:
        click.echo(f"skipped: {line}")


@cli.command()
@click.option("--projects", required=True, type=click.IntRange(0), help="Guarantee projects to generate.")
@click.option("--bulk", is_flag=True,
              help="Insert encoded documents in batches (benchmarks: no history, no workflow instances).")
@click.option("--seed", default=2026, show_default=True, type=int, help="The same seed gives the same data.")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1), help="Records a transaction (--bulk).")
@click.pass_context
def generate(ctx, projects, bulk, seed, batch):
    """Generate realistic data into the database: customers with statements, banks, demo users and
    projects in every lifecycle stage (core.demo_data). Needs the standard pack installed."""
    import time
    from core.demo_bulk import BulkError
    from core.demo_data import generate as run
    store = _store(ctx)
    start = time.perf_counter()

    def progress(entity, n):
        click.echo(f"  {entity}: {n:,}", err=True)
    try:
        report = run(store, projects, seed=seed, bulk=bulk, batch=batch, progress=progress)
    except BulkError as e:
        _fail(f"error: {e}")
    analyze(_state(ctx).engine)
    _echo_report(report)
    click.echo(f"{sum(report.records.values()):,} records in {time.perf_counter() - start:.1f} s")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Flask debug mode (never in production).")
@click.pass_context
def serve(ctx, host, port, debug):
    """Run the web application with Flask's server (use gunicorn in production)."""
    _serve(_state(ctx).url, host, port, debug)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
