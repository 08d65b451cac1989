"""Export of the current list to CSV and XLSX: the same filters and sort as the screen, values for
people, numbers as numbers, streamed a page at a time."""
from __future__ import annotations

import csv
import io
import types
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core import query as core_query
from ui import export, lists

from . import test_lists
from .test_lists import DEALS

# the list tests' fixtures: an app with the deal pack, a signed-in client, sample deals
app, client, deals = test_lists.app, test_lists.client, test_lists.deals


def rows_of_csv(resp) -> list[list[str]]:
    data = resp.get_data()
    assert data.startswith(b"\xef\xbb\xbf")                       # UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_of_a_filtered_sorted_list(client, deals):
    resp = client.get("/e/deal/export.csv?f.area=zj&sort=-amount&page=3")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.is_streamed                                         # a generator, not a body in memory
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="deal.csv"' in disposition
    assert "filename*=UTF-8''%E4%B8%9A%E5%8A%A1.csv" in disposition
    rows = rows_of_csv(resp)
    head = rows[0]
    assert head[:8] == ["ID", "名称", "地区", "金额", "签约日", "费率", "加急", "经办人"]
    assert "审核时间" in head and "备注" in head
    body = [dict(zip(head, r)) for r in rows[1:]]
    assert [r["名称"] for r in body] == ["浙江丙", "杭州甲", "宁波乙"]    # filtered, sorted, every page
    first = body[0]
    assert first["ID"] == str(deals["浙江丙"].id)
    assert first["金额"] == "2500000.00" and first["费率"] == "2.50"   # plain numbers, no grouping
    assert first["地区"] == "浙江" and first["加急"] == "否" and first["经办人"] == "李经理"
    assert first["签约日"] == "2026-03-05" and first["备注"] == "备注浙江丙"
    assert body[1]["地区"] == "杭州" and body[1]["加急"] == "是"


def test_csv_neutralises_formulas_and_keeps_search(client, deals):
    rows = rows_of_csv(client.get("/e/deal/export.csv?q=危险"))
    assert len(rows) == 2 and rows[1][1] == "'=危险公式"


def test_export_pages_by_id_and_by_sort(app, client, monkeypatch):
    for i in range(7):
        app.store.create("deal", {"title": f"业务{i}", "amount": str(100 - i)})
    calls = []
    real_find = core_query.find

    def spy(engine, meta, q, types=None):
        calls.append(q)
        return real_find(engine, meta, q, types)
    monkeypatch.setattr(export, "find", spy)
    monkeypatch.setattr(export, "BATCH", 3)
    # newest first (the list's default): keyset pages on id
    names = [r[1] for r in rows_of_csv(client.get("/e/deal/export.csv"))[1:]]
    assert names == [f"业务{i}" for i in range(6, -1, -1)]
    assert [c.limit for c in calls] == [3, 3, 3] and all(c.offset == 0 for c in calls)
    assert [f.op for f in calls[1].filters] == ["lt"] and calls[1].sort == ["-id"]
    calls.clear()
    # any other sort: that sort, in offset pages
    names = [r[1] for r in rows_of_csv(client.get("/e/deal/export.csv?sort=amount"))[1:]]
    assert names == [f"业务{i}" for i in range(6, -1, -1)]
    assert [c.offset for c in calls] == [0, 3, 6] and calls[0].sort == ["amount"]
    calls.clear()
    rows_of_csv(client.get("/e/deal/export.csv?sort=id"))
    assert calls[1].filters[0].op == "gt"


def sent(app) -> list:
    """The response objects as the views returned them (the test client rebuilds its own)."""
    out = []

    def keep(resp):
        out.append(resp)
        return resp
    app.after_request_funcs.setdefault(None, []).append(keep)   # the app has already served a request
    return out


def test_responses_are_streamed(app, client, deals):
    got = sent(app)
    client.get("/e/deal/export.csv")
    resp = got[-1]
    assert resp.is_streamed and isinstance(resp.response, types.GeneratorType)
    client.get("/e/deal/export.xlsx")
    resp = got[-1]
    assert resp.is_streamed and resp.direct_passthrough and isinstance(resp.response, types.GeneratorType)


def test_xlsx_of_a_filtered_list(client, deals, tmp_path):
    resp = client.get("/e/deal/export.xlsx?f.amount.min=1万&sort=signed_on")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="deal.xlsx"' in resp.headers["Content-Disposition"]
    path = tmp_path / "out.xlsx"
    path.write_bytes(resp.get_data())
    ws = load_workbook(path).active
    assert ws.title == "业务"
    rows = list(ws.iter_rows())
    head = [c.value for c in rows[0]]
    assert head[:8] == ["ID", "名称", "地区", "金额", "签约日", "费率", "加急", "经办人"]
    col = {h: i for i, h in enumerate(head)}
    body = rows[1:]
    assert [r[col["名称"]].value for r in body] == ["杭州甲", "宁波乙", "浙江丙", "=危险公式"]
    hz = body[0]
    amount = hz[col["金额"]]
    assert amount.value == 800000 and amount.data_type == "n" and amount.number_format == "#,##0.00"
    signed = hz[col["签约日"]]
    assert signed.value == datetime(2026, 1, 10) and signed.number_format == "yyyy-mm-dd"
    rate = hz[col["费率"]]
    assert rate.value == pytest.approx(0.015) and rate.number_format == "0.00%"
    assert hz[col["地区"]].value == "杭州" and hz[col["加急"]].value == "是"
    assert hz[col["经办人"]].value == "李经理"
    assert hz[col["审核时间"]].value == datetime(2026, 3, 1, 9, 0)
    formula = body[3][col["名称"]]
    assert formula.value == "=危险公式" and formula.data_type == "s"     # text, never a formula
    assert hz[col["ID"]].value == deals["杭州甲"].id


def test_xlsx_of_an_empty_list(client, deals, tmp_path):
    resp = client.get("/e/deal/export.xlsx?q=nothing-matches")
    path = tmp_path / "empty.xlsx"
    path.write_bytes(resp.get_data())
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) == 1 and rows[0][0] == "ID"


def test_export_refuses_bad_filters_before_streaming(client, deals):
    for fmt in ("csv", "xlsx"):
        resp = client.get(f"/e/deal/export.{fmt}?f.amount.min=abc")
        assert resp.status_code == 400 and "不是有效的数字" in resp.get_data(as_text=True)
        resp = client.get(f"/e/deal/export.{fmt}?f.nothing=1")
        assert resp.status_code == 400 and "nothing" in resp.get_data(as_text=True)
        assert "Traceback" not in resp.get_data(as_text=True)


def test_exporter_values_outside_a_request(app, deals):
    """The exporter needs no request: usable by a CLI or a scheduled job."""
    from core.query import Query
    inst = app.extensions["danbao"].installed()
    entity = inst.meta.entity("deal")
    ex = export.Exporter(inst.meta, app.extensions["danbao"].engine, app.extensions["danbao"].registry,
                         entity, header=lambda f: f.name)
    chunks = list(ex.csv_chunks(Query("deal", sort=["id"])))
    text = "".join(chunks)
    assert text.startswith("\ufeffID,title,area,amount")
    assert text.count("\r\n") == 1 + len(DEALS)
    assert ex.csv_value(None, entity.field("amount"), Decimal("1.50")) == "1.50"
    assert ex.csv_value(None, entity.field("signed_on"), date(2026, 1, 2)) == "2026-01-02"
    assert lists.filter_kind(entity.field("note")) == "text"
