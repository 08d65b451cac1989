"""The plugin interface: hooks documented, the built-in plugin, conflicts, and a plugin's field
type and function used by a pack and stored through the real database."""
from __future__ import annotations

import importlib.metadata
import inspect
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.fieldtypes import FieldType, FieldValueError
from core.formula import FormulaError, FunctionSpec, compile_formula
from core.registry import Registry
from core.store import Store
from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.source import read_pack_dir
from plugins import builtin, hookspecs, manager
from plugins.builtin import BANK_ACCOUNT, RMB_UPPER, rmb_upper
from plugins.hookspecs import hookimpl
from plugins.manager import PluginError, build_registry, plugin_manager

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"


# ---------------------------------------------------------------- every hook is documented

def hook_names() -> list[str]:
    return sorted(name for name, obj in vars(hookspecs).items()
                  if callable(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec"))


def doc_headings() -> set[str]:
    return {m[1] for m in re.finditer(r"^#{2,3}\s+`?([A-Za-z0-9_]+)`?(?:\(\))?\s*$",
                                      DOCS.read_text(encoding="utf-8"), re.MULTILINE)}


def test_the_hooks_are_found():
    assert {"danbao_field_types", "danbao_formula_functions"} <= set(hook_names())


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_has_a_section_in_the_docs(name):
    assert name in doc_headings(), f"hook {name} has no '## {name}' section in docs/plugins.md"
    assert inspect.getdoc(getattr(hookspecs, name)), f"hook {name} has no docstring"


def test_the_docs_document_no_hook_that_does_not_exist():
    documented = {h for h in doc_headings() if h.startswith("danbao_")}
    assert documented == set(hook_names())


def test_the_docs_name_what_the_built_in_plugin_adds():
    text = DOCS.read_text(encoding="utf-8")
    registry = build_registry(plugin_manager(load_entrypoints=False))
    for name in [*registry.function_names, *registry.field_types]:
        assert f"`{name}" in text, name


# ---------------------------------------------------------------- RMB_UPPER

@pytest.mark.parametrize("amount, words", [
    ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ("100", "壹佰元整"),
    ("1001.00", "壹仟零壹元整"),
    ("100000000", "壹亿元整"),
    ("0.05", "伍分"),
    ("0.5", "伍角整"),
    ("0.55", "伍角伍分"),
    ("10.50", "壹拾元伍角整"),            # 整 after 角: allowed (payment rules), required (accounting)
    ("10", "壹拾元整"),                   # 壹拾, never a bare 拾
    ("16", "壹拾陆元整"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),    # examples of the PBoC rules for bills
    ("6007.14", "陆仟零柒元壹角肆分"),       # a run of zeros: one 零
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),  # 角 zero, 分 not: 零 after 元
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("100010", "壹拾万零壹拾元整"),
    ("1000", "壹仟元整"),
    ("10000", "壹万元整"),
    ("100000001", "壹亿零壹元整"),
    ("105000000", "壹亿零伍佰万元整"),
    ("150000000", "壹亿伍仟万元整"),
    ("1000000000000", "壹万亿元整"),
    ("10000500000000", "壹拾万亿零伍亿元整"),  # a whole group of zeros skipped: 零
    ("20000000000.10", "贰佰亿元壹角整"),
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("-100", "负壹佰元整"),
    ("-0.05", "负伍分"),
    ("-1234.5", "负壹仟贰佰叁拾肆元伍角整"),
    ("12.345", "壹拾贰元叁角伍分"),            # rounded half up to the fen
    ("12.344", "壹拾贰元叁角肆分"),
    ("-0.004", "零元整"),                      # rounds to zero: no 负
    ("9999999999999999.99",
     "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_rmb_upper(amount, words):
    assert rmb_upper(Decimal(amount)) == words
    assert compile_formula("RMB_UPPER(x)").evaluate({"x": Decimal(amount)},
                                                    functions={"RMB_UPPER": RMB_UPPER}) == words


def test_rmb_upper_takes_integers_and_blank():
    assert rmb_upper(3) == "叁元整"
    assert rmb_upper(None) is None
    f = compile_formula("RMB_UPPER(x)")
    assert f.evaluate({"x": None}, functions={"RMB_UPPER": RMB_UPPER}) is None
    assert f.evaluate({"x": 20}, functions={"RMB_UPPER": RMB_UPPER}) == "贰拾元整"


@pytest.mark.parametrize("value", ["100", True, [1], Decimal("NaN"), Decimal("1E16")])
def test_rmb_upper_refuses_what_is_not_an_amount(value):
    with pytest.raises(FormulaError) as info:
        rmb_upper(value)
    assert info.value.zh.startswith("RMB_UPPER：") and str(info.value).startswith("RMB_UPPER: ")


def test_rmb_upper_argument_count_is_checked_with_the_engines_message():
    with pytest.raises(FormulaError, match=r"RMB_UPPER\(\) takes 1 argument, got 2"):
        compile_formula("RMB_UPPER(1, 2)").evaluate({}, functions={"RMB_UPPER": RMB_UPPER})


# ---------------------------------------------------------------- bank_account

@pytest.mark.parametrize("raw, value", [
    ("6222 0202 0012 3456 789", "6222020200123456789"),
    ("  6222020200123456789  ", "6222020200123456789"),
    ("６２２２ ０２０２ ００１２", "622202020012"),     # full-width digits and space
    ("0100 1234", "01001234"),                         # leading zeros kept
    ("12345678", "12345678"),                          # 8 digits
    ("1" * 30, "1" * 30),                              # 30 digits
    (6222020200123456789, "6222020200123456789"),
    (Decimal(12345678), "12345678"),
    ("", None), ("   ", None), (None, None),
])
def test_bank_account_parse(raw, value):
    assert BANK_ACCOUNT.parse(raw, None) == value
    assert BANK_ACCOUNT.load(BANK_ACCOUNT.dump(value)) == value


@pytest.mark.parametrize("raw, key", [
    ("1234567", "length"), ("1" * 31, "length"),
    ("6222-0202-0012", "digits"), ("6222O2O2OO12", "digits"), ("一二三四五六七八", "digits"),
    (Decimal("12345678.5"), "digits"),
    (6.222020200123457e18, "type"), (True, "type"), (["12345678"], "type"),
])
def test_bank_account_errors_are_bilingual(raw, key):
    with pytest.raises(FieldValueError) as info:
        BANK_ACCOUNT.parse(raw, None)
    e = info.value
    assert e.key == key
    assert e.message["zh"] and e.message["en"] and e.message["zh"] != e.message["en"]
    assert "银行账号" in e.message["zh"] and "bank account" in e.message["en"]


def test_bank_account_is_stored_as_text():
    assert BANK_ACCOUNT.storage == "text"
    with pytest.raises(ValueError):
        BANK_ACCOUNT.load(12345678)


# ---------------------------------------------------------------- the manager

def test_builtin_plugin_is_registered_once_although_it_is_also_an_entry_point():
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="danbao")}
    assert names.get("builtin") == "plugins.builtin"     # declared in pyproject.toml
    pm = plugin_manager()
    assert [p for p in pm.get_plugins() if p is builtin] == [builtin]
    assert pm.get_plugin("builtin") is builtin
    assert len(pm.hook.danbao_formula_functions.get_hookimpls()) == len(
        [p for p in pm.get_plugins() if hasattr(p, "danbao_formula_functions")])
    registry = build_registry(pm)
    assert registry.functions["RMB_UPPER"] is RMB_UPPER
    assert registry.field_types["bank_account"] is BANK_ACCOUNT


def test_without_entry_points_only_the_built_in_plugin():
    pm = plugin_manager(load_entrypoints=False)
    assert pm.list_name_plugin() == [("builtin", builtin)]
    registry = build_registry(pm)
    assert isinstance(registry, Registry)
    assert registry.storage == {"bank_account": "text"}
    assert registry.function_names == {"RMB_UPPER"}
    assert registry.type("bank_account") is BANK_ACCOUNT and registry.type("money").name == "money"


def test_build_registry_defaults_to_the_installed_plugins():
    assert "RMB_UPPER" in build_registry().functions


DEMO_PLUGIN = '''
from core.fieldtypes import FieldType
from plugins.hookspecs import hookimpl

def _same(value, field=None):
    return value

@hookimpl
def danbao_formula_functions():
    return {"DEMO_TWICE": lambda x: None if x is None else x * 2}

@hookimpl
def danbao_field_types():
    return [FieldType("demo_code", "text", lambda raw, field: raw or None, _same, _same)]
'''


def fake_entry_points(monkeypatch, tmp_path, **modules):
    """Install entry points: name -> module source (or 'plugins.builtin' for the real one)."""
    eps = []
    for name, source in modules.items():
        if source.startswith("plugins."):
            value = source
        else:
            value = f"danbao_test_{name}"
            (tmp_path / f"{value}.py").write_text(source, encoding="utf-8")
            monkeypatch.delitem(sys.modules, value, raising=False)
        eps.append(importlib.metadata.EntryPoint(name=name, value=value, group="danbao"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(manager, "_entry_points", lambda: eps)


def test_entry_point_plugins_are_loaded(monkeypatch, tmp_path):
    fake_entry_points(monkeypatch, tmp_path, builtin="plugins.builtin", demo=DEMO_PLUGIN)
    pm = plugin_manager()
    assert [name for name, _ in pm.list_name_plugin()] == ["builtin", "demo"]
    registry = build_registry(pm)
    assert registry.function_names == {"RMB_UPPER", "DEMO_TWICE"}
    assert registry.storage == {"bank_account": "text", "demo_code": "text"}
    assert compile_formula("DEMO_TWICE(2)").evaluate({}, functions=registry.functions) == 4
    assert plugin_manager(load_entrypoints=False).get_plugin("demo") is None


def test_the_built_in_plugin_under_another_entry_point_name_is_not_registered_twice(
        monkeypatch, tmp_path):
    fake_entry_points(monkeypatch, tmp_path, builtin="plugins.builtin", extras="plugins.builtin")
    assert plugin_manager().list_name_plugin() == [("builtin", builtin)]


def test_an_entry_point_that_cannot_be_imported_is_a_plugin_error(monkeypatch, tmp_path):
    fake_entry_points(monkeypatch, tmp_path, broken="import no_such_module_for_danbao\n")
    with pytest.raises(PluginError, match=r"plugin 'broken' could not be loaded.*"
                                          r"no_such_module_for_danbao") as info:
        plugin_manager()
    assert info.value.plugins == ("broken",)


def test_two_plugins_under_one_name_is_a_plugin_error(monkeypatch, tmp_path):
    fake_entry_points(monkeypatch, tmp_path, builtin=DEMO_PLUGIN)
    with pytest.raises(PluginError, match="two plugins are called 'builtin'"):
        plugin_manager()


def test_a_misspelled_hook_is_a_plugin_error():
    class Typo:
        @hookimpl
        def danbao_field_type(self):
            return []

    pm = plugin_manager(load_entrypoints=False)
    pm.register(Typo(), name="typo")
    with pytest.raises(PluginError, match=r"plugin 'typo'.*danbao_field_type\b.*"
                                          r"danbao_field_types"):
        manager.check(pm)


def test_a_hook_with_unknown_arguments_is_a_plugin_error(monkeypatch, tmp_path):
    fake_entry_points(monkeypatch, tmp_path, args="""
from plugins.hookspecs import hookimpl

@hookimpl
def danbao_formula_functions(config):
    return {}
""")
    with pytest.raises(PluginError, match="plugin 'args' is not a valid Danbao plugin"):
        plugin_manager()


# ---------------------------------------------------------------- conflicts and bad names

def _same(value, field=None):
    return value


def text_type(name: str, storage: str = "text") -> FieldType:
    return FieldType(name, storage, lambda raw, field: raw or None, _same, _same)


class Functions:
    def __init__(self, functions):
        self.functions = functions

    @hookimpl
    def danbao_formula_functions(self):
        return self.functions


class Types:
    def __init__(self, *types):
        self.types = list(types)

    @hookimpl
    def danbao_field_types(self):
        return self.types


def registry_with(**plugins) -> Registry:
    pm = plugin_manager(load_entrypoints=False)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    return build_registry(pm)


def test_two_plugins_defining_one_function_name_both_named():
    with pytest.raises(PluginError) as info:
        registry_with(alpha=Functions({"WAN": lambda x: x}), beta=Functions({"WAN": lambda x: x}))
    assert "'alpha'" in str(info.value) and "'beta'" in str(info.value)
    assert "WAN" in str(info.value)
    assert set(info.value.plugins) == {"alpha", "beta"}


def test_a_plugin_redefining_a_function_of_the_built_in_plugin():
    with pytest.raises(PluginError, match="RMB_UPPER is defined by two plugins: 'builtin' and 'mine'"):
        registry_with(mine=Functions({"RMB_UPPER": lambda x: "?"}))


def test_two_plugins_defining_one_field_type_both_named():
    with pytest.raises(PluginError) as info:
        registry_with(alpha=Types(text_type("plate")), beta=Types(text_type("plate", "json")))
    message = str(info.value)
    assert "field type 'plate'" in message and "'alpha'" in message and "'beta'" in message
    with pytest.raises(PluginError, match="'builtin' and 'mine'"):
        registry_with(mine=Types(text_type("bank_account")))


def test_one_plugin_giving_a_field_type_twice():
    with pytest.raises(PluginError, match="field type 'plate' is given twice"):
        registry_with(alpha=Types(text_type("plate"), text_type("plate")))


@pytest.mark.parametrize("name", ["money", "text", "computed", "id_number", "table"])
def test_built_in_field_types_cannot_be_redefined(name):
    with pytest.raises(PluginError, match=f"plugin 'mine'.*field type '{name}' is a built-in "
                                          "field type of Danbao core") as info:
        registry_with(mine=Types(text_type(name)))
    assert info.value.plugins == ("mine", "Danbao core")


@pytest.mark.parametrize("name", ["IF", "SUM", "TODAY", "EDATE", "LOOKUP", "TRUE"])
def test_built_in_functions_cannot_be_redefined(name):
    with pytest.raises(PluginError, match=f"plugin 'mine'.*{name} is a built-in formula function "
                                          "of Danbao core") as info:
        registry_with(mine=Functions({name: lambda *a: None}))
    assert info.value.plugins == ("mine", "Danbao core")


@pytest.mark.parametrize("name", ["wan", "Wan", "1WAN", "WAN-YUAN", "WAN YUAN", "", "万元", 7])
def test_function_names_must_be_upper_case_identifiers(name):
    with pytest.raises(PluginError, match="must be an UPPER_CASE identifier"):
        registry_with(mine=Functions({name: lambda x: x}))


@pytest.mark.parametrize("name", ["Plate", "PLATE", "2plate", "plate-no", "车牌", ""])
def test_field_type_names_must_be_lower_case_identifiers(name):
    with pytest.raises(PluginError, match="must be a lower-case identifier"):
        registry_with(mine=Types(text_type(name)))


@pytest.mark.parametrize("storage", ["varchar", "money", "", None])
def test_field_type_storage_must_be_known(storage):
    with pytest.raises(PluginError, match=f"storage {storage!r}; use one of boolean, date, "):
        registry_with(mine=Types(text_type("plate", storage)))


@pytest.mark.parametrize("result, match", [
    ({"WAN": 3}, "WAN is not callable"),
    ([("WAN", abs)], "must return a dict"),
])
def test_function_hook_results_are_checked(result, match):
    with pytest.raises(PluginError, match=match):
        registry_with(mine=Functions(result))


def test_field_type_hook_results_are_checked():
    with pytest.raises(PluginError, match="is not a core.fieldtypes.FieldType"):
        registry_with(mine=Types({"name": "plate", "storage": "text"}))
    with pytest.raises(PluginError, match="must return a list of FieldType"):
        class One:
            @hookimpl
            def danbao_field_types(self):
                return text_type("plate")
        registry_with(mine=One())


def test_a_wrong_formula_spec_is_refused():
    def wan(x):
        return x
    wan.formula_spec = FunctionSpec("WANYUAN", 1, 1)
    with pytest.raises(PluginError, match="WAN.formula_spec must be FunctionSpec"):
        registry_with(mine=Functions({"WAN": wan}))


def test_a_failing_hook_names_its_plugin():
    class Broken:
        @hookimpl
        def danbao_formula_functions(self):
            raise RuntimeError("config missing")
    with pytest.raises(PluginError, match=r"plugin 'broken': danbao_formula_functions\(\) failed: "
                                          "RuntimeError: config missing"):
        registry_with(broken=Broken())


def test_a_plugin_may_contribute_nothing():
    class Quiet:
        @hookimpl
        def danbao_field_types(self):
            return None
    assert registry_with(quiet=Quiet()).storage == {"bank_account": "text"}


# ---------------------------------------------------------------- end to end

def _parse_area(raw, field):
    """Floor area in square metres: '120.5㎡', '120.5 平方米', 120.5 -> Decimal('120.50')."""
    if isinstance(raw, str):
        raw = raw.strip().removesuffix("㎡").removesuffix("平方米").strip()
        if not raw:
            return None
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise FieldValueError({"zh": "面积应为数字", "en": "An area is a number"}, "number") from None
    if not value.is_finite() or value <= 0:
        raise FieldValueError({"zh": "面积应大于零", "en": "An area is positive"}, "positive")
    return value.quantize(Decimal("0.01"))


class RealEstatePlugin:
    """A test plugin: a field type `area` and a function `WAN` (yuan -> 万元)."""

    @hookimpl
    def danbao_field_types(self):
        return [FieldType("area", "decimal", _parse_area,
                          dump=lambda v, field=None: None if v is None else format(v, "f"),
                          load=lambda s, field=None: None if s is None else Decimal(s))]

    @hookimpl
    def danbao_formula_functions(self):
        return {"WAN": lambda amount: None if amount is None else amount / 10000}


PACK = {
    "pack.yaml": """\
name: realestate
version: 1.0.0
title: {zh: 房产抵押, en: Real estate collateral}
""",
    "entities/property.yaml": """\
name: property
label: {zh: 抵押房产, en: Mortgaged property}
title_field: name
fields:
  - {name: name, type: text, required: true}
  - {name: floor_area, type: area, label: {zh: 建筑面积, en: Floor area}}
  - {name: value, type: money, label: {zh: 评估价值, en: Appraised value}}
  - {name: value_wan, type: computed, result: decimal, formula: WAN(value)}
  - {name: per_sqm, type: computed, result: money, formula: 'IF(floor_area > 0, value / floor_area, 0)'}
  - {name: value_words, type: computed, result: text, formula: RMB_UPPER(value)}
  - {name: account, type: bank_account, label: {zh: 收款账号, en: Account}}
""",
}


@pytest.fixture
def pack_dir(tmp_path):
    root = tmp_path / "realestate"
    for rel, text in PACK.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def registry():
    pm = plugin_manager(load_entrypoints=False)
    pm.register(RealEstatePlugin(), name="realestate")
    return build_registry(pm)


def test_a_pack_needs_the_plugin_to_load(pack_dir):
    with pytest.raises(MetadataError) as info:
        load_packs([read_pack_dir(pack_dir)])
    text = str(info.value)
    assert "unknown field type 'area'" in text
    assert "unknown field type 'bank_account'" in text
    assert "unknown function 'WAN'" in text
    assert "unknown function 'RMB_UPPER'" in text
    # only the built-in plugin: the test plugin's names are still missing
    builtin_only = build_registry(plugin_manager(load_entrypoints=False))
    with pytest.raises(MetadataError) as info:
        load_packs([read_pack_dir(pack_dir)], field_types=builtin_only.storage,
                   functions=builtin_only.function_names)
    text = str(info.value)
    assert "'area'" in text and "'WAN'" in text
    assert "unknown field type 'bank_account'" not in text and "RMB_UPPER" not in text


def test_a_plugins_field_type_and_function_through_the_store(pack_dir, registry, engine, clock):
    meta = load_packs([read_pack_dir(pack_dir)], field_types=registry.storage,
                      functions=registry.function_names)
    store = Store(engine, meta, clock=clock, registry=registry)
    created = store.create("property", {"name": "滨江花园 3-1201", "floor_area": "120.5㎡",
                                        "value": "3,456,789.10",
                                        "account": "6222 0202 0012 3456 789"})
    expected = {
        "floor_area": Decimal("120.50"),
        "value": Decimal("3456789.10"),
        "value_wan": Decimal("345.68"),          # 345.67891, as a decimal of 2 places
        "per_sqm": Decimal("28687.05"),
        "value_words": "叁佰肆拾伍万陆仟柒佰捌拾玖元壹角整",
        "account": "6222020200123456789",
    }
    for record in (created, store.get("property", created.id)):
        for name, value in expected.items():
            assert record[name] == value, name
            assert type(record[name]) is type(value), name


def test_a_plugin_field_types_errors_reach_the_store(pack_dir, registry, engine, clock):
    from core.errors import ValidationError
    meta = load_packs([read_pack_dir(pack_dir)], field_types=registry.storage,
                      functions=registry.function_names)
    store = Store(engine, meta, clock=clock, registry=registry)
    with pytest.raises(ValidationError) as info:
        store.create("property", {"name": "x", "floor_area": "-3", "account": "1234"})
    errors = info.value.errors
    assert [m["zh"] for m in errors["floor_area"]] == ["面积应大于零"]
    assert [m["en"] for m in errors["account"]] == ["A bank account number has 8 to 30 digits, not 4"]


def test_the_example_plugin_in_the_docs_works(tmp_path, monkeypatch):
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```python\n(# danbao_vehicles/__init__.py\n.*?)```", text, re.DOTALL)[1]
    (tmp_path / "danbao_vehicles_doc.py").write_text(example, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import danbao_vehicles_doc as plugin
    pm = plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="vehicles")
    registry = build_registry(pm)
    plate = registry.type("licence_plate")
    assert plate.parse(" 京a·12345 ", None) == "京A12345"
    with pytest.raises(FieldValueError):
        plate.parse("12345", None)
    wan = compile_formula("WAN(value)")
    assert wan.evaluate({"value": Decimal(35000)}, functions=registry.functions) == Decimal("3.5")
    assert wan.evaluate({"value": None}, functions=registry.functions) is None
    with pytest.raises(FormulaError):
        wan.evaluate({"value": "x"}, functions=registry.functions)
    yaml_example = re.search(r"```yaml\n(fields:\n.*?)```", text, re.DOTALL)[1]
    assert "type: licence_plate" in yaml_example and "WAN(value)" in yaml_example
