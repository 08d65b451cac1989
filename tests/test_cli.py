"""The `danbao` command, driven through click's CliRunner against a real database."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from core import metastore
from core.store import Store
from core.users import authenticate
from metadata.loader import load_packs
from metadata.source import read_pack_dir
from ui.cli import cli

from .conftest import PACKS, SEED


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(engine, *args, input=None):
    result = CliRunner().invoke(cli, ["--database", url_of(engine), *map(str, args)], input=input)
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def copy_pack(tmp_path: Path, name: str = "mini", dest: str | None = None) -> Path:
    target = tmp_path / (dest or name)
    shutil.copytree(PACKS / name, target)
    return target


def set_version(pack: Path, version: str) -> None:
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    (pack / "pack.yaml").write_text(text.replace("version: 1.0.0", f"version: {version}"), encoding="utf-8")


def test_no_arguments_prints_help(engine):
    result = run(engine)
    assert result.exit_code == 0
    assert "Usage:" in result.output and "install" in result.output and "demo" in result.output


def test_init_is_idempotent(engine):
    assert run(engine, "init").exit_code == 0
    assert run(engine, "init").exit_code == 0


def test_validate_reports_file_line_and_path_and_exits_1(engine, tmp_path):
    pack = tmp_path / "broken"
    (pack / "entities").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: broken\nversion: 1.0.0\ntitle: 坏包\n", encoding="utf-8")
    (pack / "entities" / "thing.yaml").write_text(
        "name: thing\nlabel: 东西\nfields:\n"
        "  - {name: a, type: text}\n"
        "  - {name: b, type: nonsense}\n"
        "  - {name: c, type: computed, formula: 'a +* 1'}\n", encoding="utf-8")
    result = run(engine, "validate", pack)
    assert result.exit_code == 1
    assert "broken/entities/thing.yaml:5 fields.b.type: unknown field type 'nonsense'" in result.output
    assert "broken/entities/thing.yaml:6 fields.c.formula:" in result.output   # every problem at once
    assert "2 problem(s)" in result.output


def test_validate_accepts_packs_in_any_order(engine):
    result = run(engine, "validate", SEED / "acme", SEED / "standard")
    assert result.exit_code == 0, result.output
    assert "OK: 2 pack(s)" in result.output and "standard 1.0.0" in result.output


def test_validate_missing_dependency_and_non_pack(engine, tmp_path):
    result = run(engine, "validate", SEED / "acme")
    assert result.exit_code == 1 and "needs pack 'standard'" in result.output
    result = run(engine, "validate", tmp_path)
    assert result.exit_code == 1 and "not a pack folder" in result.output


def test_install_upgrade_and_packs(engine, tmp_path):
    assert run(engine, "install", PACKS / "mini").exit_code == 0
    # upgrade: a new version of the same pack (by name) with an extra field replaces it
    v2 = copy_pack(tmp_path, dest="mini_v2")
    set_version(v2, "1.1.0")
    ent = v2 / "entities" / "customer.yaml"
    ent.write_text(ent.read_text(encoding="utf-8") + "  - {name: wechat, type: text}\n", encoding="utf-8")
    result = run(engine, "install", v2)
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output and "mini 1.1.0" in result.output
    installed = metastore.current(engine)
    assert [p.name for p in installed.meta.packs] == ["mini"]
    assert installed.meta.entity("customer").has("wechat")
    result = run(engine, "packs")
    assert "mini" in result.output and "1.1.0" in result.output
    assert "   1  " in result.output and "   2  " in result.output


def test_install_adds_an_overlay_to_the_installed_packs(engine):
    assert run(engine, "install", SEED / "standard").exit_code == 0
    result = run(engine, "install", SEED / "acme")          # standard stays, acme is added
    assert result.exit_code == 0, result.output
    assert [p.name for p in metastore.current(engine).meta.packs] == ["standard", "acme"]


def test_install_is_atomic(engine, tmp_path):
    assert run(engine, "install", PACKS / "mini").exit_code == 0
    before = metastore.current(engine)
    bad = copy_pack(tmp_path, dest="mini_bad")
    set_version(bad, "2.0.0")
    ent = bad / "entities" / "customer.yaml"
    ent.write_text(ent.read_text(encoding="utf-8") + "  - {name: broken, type: computed, formula: nope + 1}\n",
                   encoding="utf-8")
    result = run(engine, "install", bad)
    assert result.exit_code == 1
    assert "mini_bad/entities/customer.yaml" in result.output and "nothing was changed" in result.output
    assert len(metastore.versions(engine)) == 1
    after = metastore.current(engine)
    assert after.version == before.version and after.meta.packs[0].version == "1.0.0"


def test_install_is_atomic_when_existing_data_breaks_a_new_unique_index(engine, tmp_path):
    assert run(engine, "install", PACKS / "mini").exit_code == 0
    inst = metastore.current(engine)
    store = Store(engine, inst.meta, meta_version=inst.version)
    store.create("customer", {"name": "甲", "rating": 5})
    store.create("customer", {"name": "乙", "rating": 5})
    uniq = copy_pack(tmp_path, dest="mini_unique")
    set_version(uniq, "1.1.0")
    ent = uniq / "entities" / "customer.yaml"
    ent.write_text(ent.read_text(encoding="utf-8").replace(
        "{name: rating, type: integer,", "{name: rating, type: integer, unique: true,"), encoding="utf-8")
    result = run(engine, "install", uniq)
    assert result.exit_code == 1 and "unique" in result.output
    assert len(metastore.versions(engine)) == 1
    assert metastore.current(engine).meta.packs[0].version == "1.0.0"


def test_export_meta_round_trip(engine, tmp_path):
    assert run(engine, "install", SEED / "standard", SEED / "acme").exit_code == 0
    out = tmp_path / "out"
    result = run(engine, "export-meta", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["acme", "standard"]
    assert (out / "standard" / "entities" / "enterprise_customer.yaml").read_text(encoding="utf-8") == \
        (SEED / "standard" / "entities" / "enterprise_customer.yaml").read_text(encoding="utf-8")
    result = run(engine, "validate", out / "standard", out / "acme")
    assert result.exit_code == 0, result.output
    original = load_packs([read_pack_dir(SEED / "standard"), read_pack_dir(SEED / "acme")])
    exported = load_packs([read_pack_dir(out / "standard"), read_pack_dir(out / "acme")])
    assert exported.entities == original.entities and exported.codelists == original.codelists
    # a second export refuses to overwrite unless told to
    assert run(engine, "export-meta", out).exit_code == 1
    assert run(engine, "export-meta", out, "--force").exit_code == 0


def test_records_commands_need_metadata_and_a_known_entity(engine):
    result = run(engine, "export", "customer")
    assert result.exit_code == 1 and "no metadata installed" in result.output
    run(engine, "install", PACKS / "mini")
    result = run(engine, "export", "nope")
    assert result.exit_code == 1 and "no entity 'nope'" in result.output


def test_export_to_stdout_and_import_with_error_report(engine, tmp_path):
    run(engine, "install", PACKS / "mini")
    good = tmp_path / "good.csv"
    good.write_text("名称,rating,joined_on\n张三,80,2024-01-02\n李四,90,\n", encoding="utf-8")
    result = run(engine, "import", "customer", good, "--dry-run")
    assert result.exit_code == 0 and "Dry run: all 2 row(s) are valid" in result.output
    assert run(engine, "export", "customer").output.count("\n") == 1   # the dry run kept nothing
    bad = tmp_path / "bad.csv"
    bad.write_text("name,rating\n王五,50\n,500\n赵六,abc\n", encoding="utf-8")
    result = run(engine, "import", "customer", bad)
    assert result.exit_code == 1
    assert "row 3: name: required" in result.output
    assert "row 3: rating: must be at most 100" in result.output
    assert "row 4: rating:" in result.output
    assert "Nothing was imported" in result.output
    result = run(engine, "import", "customer", good)
    assert result.exit_code == 0 and "Imported 2 row(s): 2 created" in result.output
    result = run(engine, "export", "customer", "--format", "json")
    assert '"name": "张三"' in result.output and '"joined_on": "2024-01-02"' in result.output


def test_purge_command(engine, tmp_path):
    run(engine, "install", PACKS / "mini")
    inst = metastore.current(engine)
    store = Store(engine, inst.meta, meta_version=inst.version)
    store.create("customer", {"name": "甲", "nickname": "abc"})
    co = tmp_path / "co"
    (co / "entities").mkdir(parents=True)
    (co / "pack.yaml").write_text("name: co\nversion: 1.0.0\nextends: [{name: mini}]\n", encoding="utf-8")
    (co / "entities" / "customer.yaml").write_text("overlay: customer\nremove_fields: [nickname]\n", encoding="utf-8")
    assert run(engine, "install", co).exit_code == 0
    result = run(engine, "purge", "customer", "--dry-run")
    assert result.exit_code == 0 and "nickname: 1 record(s)" in result.output and "nothing was changed" in result.output
    result = run(engine, "purge", "customer", input="n\n")
    assert result.exit_code == 1   # declined: aborted
    result = run(engine, "purge", "customer", "--yes")
    assert result.exit_code == 0 and "from 1 record(s)" in result.output
    result = run(engine, "purge", "customer", "--field", "name")
    assert result.exit_code == 1 and "still in the model" in result.output


def test_user_add_and_password(engine):
    result = run(engine, "user", "add", "li", "--name", "李经理", "--role", "pm", "--role", "risk",
                 "--password", "secret1")
    assert result.exit_code == 0, result.output
    assert authenticate(engine, "li", "secret1").roles == {"pm", "risk"}
    result = run(engine, "user", "add", "li", "--name", "重复", "--password", "secret1")
    assert result.exit_code == 1 and "already exists" in result.output
    result = run(engine, "user", "password", "li", input="newpass2\nnewpass2\n")
    assert result.exit_code == 0, result.output
    assert authenticate(engine, "li", "secret1") is None and authenticate(engine, "li", "newpass2")
    result = run(engine, "user", "password", "nobody", "--password", "whatever1")
    assert result.exit_code == 1 and "no user 'nobody'" in result.output
    assert "li" in run(engine, "user", "list").output


def test_demo_without_serving(engine):
    result = run(engine, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "60 enterprise customers, 60 individual customers, 8 banks" in result.output
    assert "password: danbao-demo" in result.output and "committee3" in result.output
    assert authenticate(engine, "risk", "danbao-demo").roles == {"risk"}
    # again: keeps the data, adds nothing
    result = run(engine, "demo", "--no-serve")
    assert result.exit_code == 0 and "keeping the existing data" in result.output
    result = run(engine, "demo", "--no-serve", "--reset")
    assert result.exit_code == 0 and "60 enterprise customers" in result.output
    assert len(metastore.versions(engine)) == 1


@pytest.mark.parametrize("args", [["import", "customer", "missing.csv"], ["bogus"]])
def test_usage_errors_exit_2_without_traceback(engine, args):
    assert run(engine, *args).exit_code == 2
