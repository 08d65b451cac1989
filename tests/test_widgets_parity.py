"""The record form's two drawings agree: ui/widgets.py (FormView) draws the common fields, child
tables and cascades in Python for speed, and the macros of ui/templates/widgets/fields.html are the
reference for every field type. Each screen is requested twice — as served, and with FormView.fast
off so that the macros draw everything — and the two answers must be the same, byte for byte: a
change to one drawing that is not made to the other fails here."""
from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from core import metastore
from core.store import Store
from core.users import create_user
from metadata.source import PackSource
from ui.app import create_app
from ui.widgets import FormView

from .test_records import inputs, login, text, token_of

# every field type, at the top level and as child-table columns, with the options that change
# the drawing: placeholder, help, max length, inactive options, conditions, computed, read-only
SCALARS = """
  - {name: t_text, type: text, label: {zh: 文本, en: Text}, placeholder: {zh: 请输入, en: Type}, max_length: 20, help: {zh: 说明<b>, en: Help}}
  - {name: t_long, type: long_text, label: 长文本, placeholder: 多行}
  - {name: t_int, type: integer, label: 整数, required: true}
  - {name: t_dec, type: decimal, label: 小数}
  - {name: t_money, type: money, label: 金额}
  - {name: t_pct, type: percent, label: 比例}
  - {name: t_id, type: id_number, label: 身份证}
  - {name: t_uscc, type: uscc, label: 信用代码}
  - {name: t_phone, type: phone, label: 电话}
  - {name: t_email, type: email, label: 邮箱}
  - {name: t_date, type: date, label: 日期}
  - {name: t_dt, type: datetime, label: 时间}
  - {name: t_bool, type: boolean, label: 是否}
  - {name: t_choice, type: choice, label: 选择, options: [{value: a, label: {zh: 甲, en: A}}, {value: b, label: 乙}, {value: z, label: 旧, active: false}]}
  - {name: t_code, type: choice, codelist: colour, label: 颜色}
  - {name: t_area, type: choice, codelist: area, label: 地区}
  - {name: t_region, type: region, label: 行政区}
  - {name: t_dept, type: department, label: 部门}
  - {name: t_user, type: user, label: 用户}
  - {name: t_link, type: link, entity: other, label: 关联}
  - {name: t_multi, type: multichoice, label: 多选, options: [{value: x, label: 叉}, {value: y, label: 歪}]}
  - {name: t_file, type: attachment, label: 附件}
  - {name: t_calc, type: computed, result: money, formula: "t_money * 2", label: 计算}
  - {name: t_ro, type: text, readonly: true, label: 只读}
  - {name: t_shown, type: text, visible_if: "t_bool", required_if: "t_int > 5", label: 条件}
  - {name: t_locked, type: money, readonly_if: "t_int > 100", label: 锁定}"""

PACK = PackSource("parity", {
    "pack.yaml": "name: parity\nversion: 1.0.0\n",
    "codelists/colour.yaml": "name: colour\nlabel: 颜色\nitems:\n  - {code: red, label: {zh: 红, en: Red}}\n"
                             "  - {code: old, label: 旧色, active: false}\n",
    "codelists/area.yaml": "name: area\nlabel: 地区\nitems:\n  - code: n\n    label: {zh: 北, en: North}\n"
                           "    children:\n      - {code: n1, label: 北一}\n      - {code: n2, label: 北二, active: false}\n"
                           "  - {code: s, label: 南}\n",
    "codelists/region.yaml": "name: region\nlabel: 行政区\nitems:\n  - code: '330000'\n    label: 浙江省\n"
                             "    children:\n      - code: '330100'\n        label: 杭州市\n        children:\n"
                             "          - {code: '330106', label: 西湖区}\n",
    "codelists/department.yaml": "name: department\nlabel: 部门\nitems:\n  - {code: d1, label: 业务一部}\n",
    "entities/other.yaml": "name: other\nlabel: 其他\ntitle_field: name\nfields:\n  - {name: name, type: text}\n",
    "entities/sample.yaml": (
        "name: sample\nlabel: {zh: 样例, en: Sample}\ntitle_field: t_text\n"
        "numbering: {field: number, pattern: 'S{SEQ:3}'}\nfields:\n"
        "  - {name: number, type: text, readonly: true, label: 编号}" + SCALARS
        + "\n  - name: items\n    type: table\n    label: 明细\n    fields:"
        + SCALARS.replace("\n  - ", "\n      - ").replace('"t_money * 2"', '"t_money * 3"')),
})


@pytest.fixture
def app(engine, clock):
    inst = metastore.install(engine, [PACK], clock=clock)
    create_user(engine, "li", name="李经理", roles=["admin"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    app.store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    return app


ROW = {"t_text": "a<b>&\"", "t_long": "一\n二", "t_int": 7, "t_dec": "1.50", "t_money": "1234.5", "t_pct": "12.5",
       "t_id": "11010519491231002X", "t_phone": "0571-88231234", "t_date": "2026-03-15", "t_dt": "2026-03-15T09:30",
       "t_bool": True, "t_choice": "a", "t_code": "red", "t_area": "n1", "t_region": "330106", "t_dept": "d1",
       "t_multi": ["y"], "t_shown": "见", "t_locked": "5"}


def both(client, monkeypatch, request) -> tuple[str, str]:
    """One request answered as served and with the macros drawing everything."""
    fast = text(request(client))
    monkeypatch.setattr(FormView, "fast", False)
    slow = text(request(client))
    monkeypatch.setattr(FormView, "fast", True)
    return _same_token(fast), _same_token(slow)


def _same_token(html: str) -> str:
    return re.sub(r"[A-Za-z0-9_\-.]{40,}", "TOKEN", html)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_python_and_macros_draw_the_same_form(app, monkeypatch, lang):
    client = login(app.test_client())
    other = app.store.create("other", {"name": "乙方"})
    user = 1
    values = {**ROW, "t_link": other.id, "t_user": user, "items": [dict(ROW, t_link=other.id), {"t_int": 200}, {"t_int": 1}]}
    rec = app.store.create("sample", values)
    page = text(client.get("/e/sample/new"))
    client.post("/lang", data={"lang": lang, "csrf_token": token_of(page)})
    edit_url = f"/e/sample/{rec.id}/edit"

    fast, slow = both(client, monkeypatch, lambda c: c.get(edit_url))
    assert 'id="f-items-0-t_area"' in fast and 'id="tot-items-t_money"' in fast   # drawn in Python
    assert fast == slow
    fast, slow = both(client, monkeypatch, lambda c: c.get("/e/sample/new"))
    assert fast == slow

    form = text(client.get(edit_url))
    bad = MultiDict(inputs(form))
    # a bad number, a hidden field, inactive options chosen (shown, as the user's input is kept)
    for key, value in {"t_int": "x", "items.0.t_money": "y", "items.1.t_bool": "false", "t_bool": "false",
                       "t_choice": "z", "t_code": "old", "t_area": "n2", "items.0.t_area": "n2"}.items():
        bad.setlist(key, [value])
    fast, slow = both(client, monkeypatch, lambda c: c.post(edit_url, data=bad))      # 422: errors in place
    assert "err-items-0-t_money" in fast and fast == slow

    hx = {"HX-Request": "true", "X-CSRFToken": token_of(form)}
    live = MultiDict(bad)
    live.setlist("_typing", ["items.0.t_id"])
    live.setlist("_hidden", [""])
    fast, slow = both(client, monkeypatch, lambda c: c.post("/e/sample/live", data=live, headers=hx))
    assert 'hx-swap-oob="true"' in fast and fast == slow
    action = MultiDict(inputs(form))
    action.setlist("_action", ["add_row:items"])
    fast, slow = both(client, monkeypatch, lambda c: c.post("/e/sample/live", data=action, headers=hx))
    assert 'id="row-items-3"' in fast and fast == slow


def test_cached_parts_follow_the_installed_metadata(app, engine, clock):
    """Labels drawn once per metadata version: a new version is drawn with its own labels."""
    client = login(app.test_client())
    assert "文本" in text(client.get("/e/sample/new"))
    renamed = PackSource("parity", {**PACK.files, "pack.yaml": "name: parity\nversion: 1.0.1\n",
                                    "entities/sample.yaml": PACK.files["entities/sample.yaml"].replace(
                                        "label: {zh: 文本,", "label: {zh: 改名文本,")})
    metastore.install(engine, [renamed], clock=clock)
    html = text(client.get("/e/sample/new"))
    assert "改名文本" in html and "改名文本" in html[html.index('id="table-items"'):]
