from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.fieldtypes import (
    BUILTIN_TYPES, FieldType, FieldValueError, dump_value, field_type, load_value, parse_value,
    storage_of,
)

DOC_TYPES = {
    "text", "long_text", "integer", "decimal", "money", "percent", "date", "datetime", "boolean",
    "choice", "multichoice", "link", "table", "attachment", "computed", "rollup", "user", "department",
    "id_number", "uscc", "phone", "email", "region", "industry",
}


def parse(type_name, raw, **field_attrs):
    return BUILTIN_TYPES[type_name].parse(raw, F(type=type_name, **field_attrs))


def error(type_name, raw, **field_attrs) -> FieldValueError:
    with pytest.raises(FieldValueError) as info:
        parse(type_name, raw, **field_attrs)
    e = info.value
    assert e.message["zh"] and e.message["en"] and str(e) == e.message["en"]
    assert e.message["zh"] != e.message["en"]
    return e


# ---------------------------------------------------------------- registry

def test_every_documented_type_is_built_in():
    assert set(BUILTIN_TYPES) == DOC_TYPES
    for name, ft in BUILTIN_TYPES.items():
        assert ft.name == name
        assert ft.storage in {"text", "integer", "decimal", "date", "datetime", "boolean", "json"}


def test_field_type_lookup_and_plugin_types():
    assert field_type("money") is BUILTIN_TYPES["money"]
    plugin = FieldType("iban", "text", lambda raw, field: raw, lambda v, f=None: v,
                       lambda v, f=None: v)
    assert field_type("iban", {"iban": plugin}) is plugin
    assert field_type("money", {"money": plugin}) is BUILTIN_TYPES["money"]   # no overriding
    with pytest.raises(KeyError):
        field_type("iban")
    with pytest.raises(FrozenInstanceError):
        plugin.name = "x"


def test_storage_of_computed_follows_result():
    assert storage_of(F(type="computed", result="date")) == "date"
    assert storage_of(F(type="computed")) == "decimal"
    assert storage_of(F(type="multichoice")) == "json"
    assert storage_of({"type": "link"}) == "integer"          # mappings work as fields too


@pytest.mark.parametrize("type_name", sorted(DOC_TYPES))
def test_blank_and_none(type_name):
    assert parse(type_name, None) is None
    assert parse(type_name, "") is None
    assert parse(type_name, "   ") is None
    ft = BUILTIN_TYPES[type_name]
    assert ft.dump(None) is None and ft.load(None) is None


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("raw, expected", [
    ("1,234,567.8", Decimal("1234567.80")),
    ("¥1,234.5", Decimal("1234.50")),
    ("￥1,234.5", Decimal("1234.50")),
    ("1234", Decimal("1234.00")),
    (" 1234 ", Decimal("1234.00")),
    ("-1,234.5", Decimal("-1234.50")),
    ("¥-12", Decimal("-12.00")),
    ("-¥12", Decimal("-12.00")),
    ("RMB 100", Decimal("100.00")),
    ("100元", Decimal("100.00")),
    ("500万元", Decimal("5000000.00")),
    ("1.5亿", Decimal("150000000.00")),
    ("１，２３４．５", Decimal("1234.50")),         # full-width input
    ("0.005", Decimal("0.01")),                      # half-up, not banker's
    ("0.015", Decimal("0.02")),
    ("2.675", Decimal("2.68")),                      # binary float would give 2.67
    ("-0.005", Decimal("-0.01")),
    (1234, Decimal("1234.00")),
    (Decimal("1.005"), Decimal("1.01")),
    (2.675, Decimal("2.68")),
    (0.1, Decimal("0.10")),
])
def test_money(raw, expected):
    value = parse("money", raw)
    assert value == expected and value.as_tuple().exponent == -2
    assert isinstance(value, Decimal)


def test_money_ignores_precision():
    assert parse("money", "1.234", precision=4) == Decimal("1.23")


@pytest.mark.parametrize("raw", [
    "abc", "1,23", "12,34.5", "1.2.3", "¥", "--1", "-¥-1", "1,2345", "NaN", "Infinity", "1 234",
    True, float("nan"), float("inf"), [1], "万",
])
def test_money_errors(raw):
    e = error("money", raw)
    assert e.key in {"number", "type"}


def test_money_error_messages_are_bilingual():
    e = error("money", "abc")
    assert e.message == {"zh": "不是有效的数字", "en": "Not a valid number"}


def test_decimal_precision():
    assert parse("decimal", "1.23456") == Decimal("1.23")
    assert parse("decimal", "1.23456", precision=4) == Decimal("1.2346")
    assert parse("decimal", "2.5", precision=0) == Decimal("3")
    assert parse("decimal", "1e3") == Decimal("1000.00")
    assert parse("decimal", "1,000.555") == Decimal("1000.56")
    assert parse("decimal", Decimal("-7")) == Decimal("-7.00")


def test_decimal_too_large():
    assert error("decimal", "1e60").key == "too_large"


@pytest.mark.parametrize("raw, expected", [
    ("35.5%", Decimal("35.50")),
    ("35.5 %", Decimal("35.50")),
    ("35.5", Decimal("35.50")),
    ("35.5％", Decimal("35.50")),
    ("0.355", Decimal("0.36")),             # percent points: no scaling either way
    ("100%", Decimal("100.00")),
    (12, Decimal("12.00")),
])
def test_percent(raw, expected):
    assert parse("percent", raw) == expected


def test_percent_precision_and_errors():
    assert parse("percent", "12.3456%", precision=3) == Decimal("12.346")
    error("percent", "%")
    error("percent", "abc%")
    error("percent", "35.5%%")


@pytest.mark.parametrize("raw, expected", [
    ("1,234", 1234), ("42", 42), ("-3", -3), ("+7", 7), (7, 7), (Decimal("12"), 12),
    ("12.0", 12), (3.0, 3), ("１２", 12),
])
def test_integer(raw, expected):
    value = parse("integer", raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("raw, key", [
    ("1.5", "integer"), (1.5, "integer"), (True, "type"), (False, "type"), ("abc", "number"),
    ("1,23", "number"),
])
def test_integer_errors(raw, key):
    e = error("integer", raw)
    assert e.key == key
    if key == "integer":
        assert e.message == {"zh": "应为整数", "en": "Must be a whole number"}


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("raw", [
    "2024-03-05", "2024/03/05", "2024/3/5", "2024年3月5日", "2024 年 3 月 5 日", "2024.03.05",
    "20240305", date(2024, 3, 5), datetime(2024, 3, 5), "2024-03-05 00:00:00", "２０２４-０３-０５",
])
def test_date(raw):
    assert parse("date", raw) == date(2024, 3, 5)
    assert type(parse("date", raw)) is date


@pytest.mark.parametrize("raw", [
    "2024-02-30", "2024-13-01", "05/03/2024", "yesterday", "2024-03-05 10:30", 20240305,
    datetime(2024, 3, 5, 10, 30),
])
def test_date_errors(raw):
    e = error("date", raw)
    assert e.key in {"date", "date_has_time", "type"}


def test_date_error_message():
    assert error("date", "2024-02-30").message["zh"].startswith("不是有效的日期")


def test_datetime():
    assert parse("datetime", "2024-03-05T10:30:00") == datetime(2024, 3, 5, 10, 30)
    assert parse("datetime", "2024-03-05 10:30") == datetime(2024, 3, 5, 10, 30)
    aware = parse("datetime", "2024-03-05T10:30:00+08:00")
    assert aware.utcoffset() == timedelta(hours=8)
    assert parse("datetime", "2024-03-05T02:30:00Z").tzinfo is not None
    assert parse("datetime", date(2024, 3, 5)) == datetime(2024, 3, 5)
    assert error("datetime", "5 March").key == "datetime"
    assert error("datetime", 5).key == "type"


# ---------------------------------------------------------------- boolean

@pytest.mark.parametrize("raw", [True, "true", "TRUE", "1", 1, "yes", "Y", "是", "on", "On"])
def test_boolean_true(raw):
    assert parse("boolean", raw) is True


@pytest.mark.parametrize("raw", [False, "false", "0", 0, "no", "n", "否", "off"])
def test_boolean_false(raw):
    assert parse("boolean", raw) is False


@pytest.mark.parametrize("raw", ["maybe", 2, "10", [True]])
def test_boolean_errors(raw):
    assert error("boolean", raw).key == "boolean"


# ---------------------------------------------------------------- text and codes

def test_text():
    assert parse("text", "  杭州恒信  ") == "杭州恒信"
    assert parse("text", 123) == "123"
    assert parse("text", Decimal("1.50")) == "1.50"
    assert error("text", "a\nb").key == "single_line"
    assert error("text", "a\x00b").key == "chars"
    assert error("text", True).key == "type"
    assert error("text", {"a": 1}).key == "type"


def test_long_text_keeps_lines():
    assert parse("long_text", " line 1\r\nline 2\n") == "line 1\nline 2"


@pytest.mark.parametrize("type_name", ["choice", "region", "industry", "department"])
def test_codes(type_name):
    assert parse(type_name, " C34 ") == "C34"
    assert parse(type_name, 330106) == "330106"
    error(type_name, ["a"])


def test_multichoice():
    assert parse("multichoice", ["a", "b", "a", " c "]) == ["a", "b", "c"]
    assert parse("multichoice", "b, a,b,,c") == ["b", "a", "c"]
    assert parse("multichoice", "甲，乙、丙") == ["甲", "乙", "丙"]
    assert parse("multichoice", []) is None
    assert parse("multichoice", " , ") is None
    error("multichoice", 5)
    error("multichoice", [["a"]])


# ---------------------------------------------------------------- checked identifiers

def test_id_number():
    assert parse("id_number", "11010519491231002x") == "11010519491231002X"
    assert parse("id_number", " 110105 19491231 002X ") == "11010519491231002X"
    assert parse("id_number", "１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


@pytest.mark.parametrize("raw, key, zh, en", [
    ("110105194912310021", "checksum", "身份证号码校验位不正确", "The ID number's check digit is wrong"),
    ("1101051949123100", "length", "身份证号码应为18位", "An ID number has 18 characters"),
    ("1101051949123100AX", "chars", None, None),
    ("110105194902300020", "birthdate", "身份证号码中的出生日期无效",
     "The birth date in the ID number is not valid"),
])
def test_id_number_errors(raw, key, zh, en):
    e = error("id_number", raw)
    assert e.key == key
    if zh:
        assert e.message == {"zh": zh, "en": en}


def test_uscc():
    assert parse("uscc", "91350100m000100y43") == "91350100M000100Y43"
    assert error("uscc", "91350100M000100Y44").message == {
        "zh": "统一社会信用代码校验位不正确",
        "en": "The unified social credit code's check character is wrong"}
    assert error("uscc", "91350100M000100Y4").key == "length"
    assert error("uscc", "91350100O000100Y43").key == "chars"


def test_phone():
    assert parse("phone", "138 0013 8000") == "13800138000"
    assert parse("phone", "+86 13800138000") == "+8613800138000"
    assert parse("phone", "0571-88888888-123") == "0571-88888888-123"
    assert parse("phone", 13800138000) == "13800138000"
    e = error("phone", "12345")
    assert e.key == "format" and e.message["zh"] == "不是有效的手机号码或固定电话号码"


def test_email():
    assert parse("email", " Zhang.San@Example.COM ") == "Zhang.San@example.com"
    e = error("email", "zhang@san")
    assert e.message == {"zh": "不是有效的电子邮箱地址", "en": "Not a valid e-mail address"}


# ---------------------------------------------------------------- ids, attachments, tables

@pytest.mark.parametrize("type_name", ["link", "user"])
def test_record_ids(type_name):
    assert parse(type_name, 17) == 17
    assert parse(type_name, " 17 ") == 17
    for bad in (0, -1, "-1", "1.5", "abc", True, 1.0, 2 ** 63):
        assert error(type_name, bad).key == "record_id"


ATTACHMENT = {"id": "f1", "name": "营业执照.pdf", "size": 1024, "type": "application/pdf"}


def test_attachment():
    assert parse("attachment", [ATTACHMENT]) == [ATTACHMENT]
    assert parse("attachment", ATTACHMENT) == [ATTACHMENT]
    assert parse("attachment", []) is None
    with_extra = dict(ATTACHMENT, sha256="ab")
    assert parse("attachment", [with_extra]) == [with_extra]
    for bad in (
        [dict(ATTACHMENT, size="1024")], [dict(ATTACHMENT, size=True)], [dict(ATTACHMENT, size=-1)],
        [{k: v for k, v in ATTACHMENT.items() if k != "name"}], [dict(ATTACHMENT, id="")],
        [dict(ATTACHMENT, extra={"nested": 1})], ["f1"],
    ):
        assert error("attachment", bad).key == "attachment"
    assert error("attachment", "f1").key == "type"


def test_table_shape_only():
    rows = [{"name": "张三", "share": "60"}, {"name": "李四", "share": 40}]
    parsed = parse("table", rows)
    assert parsed == rows and parsed[0] is not rows[0]
    assert parse("table", []) is None
    assert error("table", [["张三"]]).key == "table_row"
    assert error("table", {"name": "x"}).key == "type"


# ---------------------------------------------------------------- computed

def test_computed_parses_by_result():
    assert parse("computed", "1.005") == Decimal("1.01")
    assert parse("computed", "1.23456", precision=3) == Decimal("1.235")
    assert parse("computed", "2024/1/2", result="date") == date(2024, 1, 2)
    assert parse("computed", "是", result="boolean") is True
    assert parse("computed", "35%", result="percent") == Decimal("35.00")
    assert parse("computed", "1,234", result="integer") == 1234
    assert error("computed", "1", result="uscc").key == "result"


def test_computed_dump_load_by_result():
    f = F(type="computed", result="date")
    assert dump_value(f, date(2024, 1, 2)) == "2024-01-02"
    assert load_value(f, "2024-01-02") == date(2024, 1, 2)
    g = F(type="computed", result="money")
    assert load_value(g, dump_value(g, Decimal("12.50"))) == Decimal("12.50")


# ---------------------------------------------------------------- dump / load

@pytest.mark.parametrize("type_name, value, stored", [
    ("money", Decimal("1234.50"), "1234.50"),
    ("money", Decimal("-0.01"), "-0.01"),
    ("decimal", Decimal("1E+3"), "1000"),
    ("percent", Decimal("35.50"), "35.50"),
    ("date", date(2024, 3, 5), "2024-03-05"),
    ("datetime", datetime(2024, 3, 5, 10, 30, tzinfo=timezone.utc), "2024-03-05T10:30:00+00:00"),
    ("integer", 5, 5),
    ("boolean", False, False),
    ("text", "杭州", "杭州"),
    ("multichoice", ["a", "b"], ["a", "b"]),
    ("link", 7, 7),
    ("attachment", [ATTACHMENT], [ATTACHMENT]),
])
def test_dump_and_load(type_name, value, stored):
    ft = BUILTIN_TYPES[type_name]
    assert ft.dump(value) == stored
    assert ft.load(stored) == value
    assert type(ft.load(stored)) is type(value)


def test_table_dump_and_load_use_the_child_fields():
    field = F(type="table", fields=[F(name="name", type="text"), F(name="share", type="percent"),
                                    F(name="since", type="date")])
    rows = [{"name": "张三", "share": Decimal("60.00"), "since": date(2020, 1, 1), "row": 1}]
    stored = dump_value(field, rows)
    assert stored == [{"name": "张三", "share": "60.00", "since": "2020-01-01", "row": 1}]
    assert load_value(field, stored) == rows
    # without child field definitions values are still made JSON-storable
    assert BUILTIN_TYPES["table"].dump(rows) == stored


def test_parse_value_helper():
    assert parse_value(F(type="money"), "1,000") == Decimal("1000.00")
    assert parse_value({"type": "percent", "precision": 1}, "12.34%") == Decimal("12.3")


decimal_values = st.decimals(allow_nan=False, allow_infinity=False, min_value=-10 ** 15,
                             max_value=10 ** 15)


@given(decimal_values)
def test_money_round_trip(value):
    ft = BUILTIN_TYPES["money"]
    parsed = ft.parse(value, None)
    stored = ft.dump(parsed)
    assert isinstance(stored, str) and "E" not in stored
    loaded = ft.load(stored)
    assert loaded == parsed and loaded.as_tuple() == parsed.as_tuple()
    assert ft.parse(stored, None) == parsed             # the stored form is valid input


@given(decimal_values, st.integers(0, 8))
def test_decimal_round_trip(value, precision):
    field = F(type="decimal", precision=precision)
    ft = BUILTIN_TYPES["decimal"]
    parsed = ft.parse(value, field)
    assert parsed.as_tuple().exponent == -precision
    assert abs(parsed - value) <= Decimal(1).scaleb(-precision) / 2
    loaded = ft.load(ft.dump(parsed))
    assert loaded.as_tuple() == parsed.as_tuple()


@given(st.integers(-10 ** 12, 10 ** 12), st.integers(0, 99))
def test_money_with_thousands_separators_round_trip(units, cents):
    value = Decimal(units) + Decimal(cents) / 100 * (1 if units >= 0 else -1)
    text = f"{value:,.2f}"
    assert parse("money", text) == value


@given(st.dates())
def test_date_round_trip(value):
    ft = BUILTIN_TYPES["date"]
    assert ft.load(ft.dump(value)) == value
    assert ft.parse(ft.dump(value), None) == value


@given(st.datetimes(timezones=st.one_of(st.none(), st.timezones())))
def test_datetime_round_trip(value):
    ft = BUILTIN_TYPES["datetime"]
    loaded = ft.load(ft.dump(value))
    assert loaded == value and loaded.utcoffset() == value.utcoffset()
