"""List screens over real HTTP: active search, typed filters, sort, capped count, pages, URL state,
HTMX fragments, error messages and permissions."""
from __future__ import annotations

import html as htmlmod
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from core import metastore
from core.store import Store
from core.users import create_user
from metadata.source import PackSource, read_pack_dir
from ui.app import create_app

from .conftest import PACKS

DEAL_PACK = PackSource("deals", {
    "pack.yaml": "name: deals\nversion: 1.0.0\n",
    "codelists/area.yaml": (
        "name: area\nlabel: {zh: 地区, en: Area}\nitems:\n"
        "  - code: zj\n    label: {zh: 浙江, en: Zhejiang}\n    children:\n"
        "      - {code: hz, label: {zh: 杭州, en: Hangzhou}}\n"
        "      - {code: nb, label: {zh: 宁波, en: Ningbo}}\n"
        "  - {code: js, label: {zh: 江苏, en: Jiangsu}}\n"),
    "entities/deal.yaml": (
        "name: deal\nlabel: {zh: 业务, en: Deal}\ntitle_field: title\nsearch_fields: [title]\n"
        "list_columns: [title, area, amount, signed_on, rate, urgent, owner]\n"
        "fields:\n"
        "  - {name: title, type: text, label: {zh: 名称, en: Title}, required: true}\n"
        "  - {name: area, type: choice, codelist: area, label: {zh: 地区, en: Area}}\n"
        "  - {name: amount, type: money, label: {zh: 金额, en: Amount}, indexed: true}\n"
        "  - {name: signed_on, type: date, label: {zh: 签约日, en: Signed on}}\n"
        "  - {name: rate, type: percent, label: {zh: 费率, en: Rate}}\n"
        "  - {name: urgent, type: boolean, label: {zh: 加急, en: Urgent}}\n"
        "  - {name: owner, type: user, label: {zh: 经办人, en: Owner}}\n"
        "  - {name: reviewed_at, type: datetime, label: {zh: 审核时间, en: Reviewed at}, indexed: true}\n"
        "  - {name: note, type: text, label: {zh: 备注, en: Note}}\n"),
})
SECRET_PACK = read_pack_dir(PACKS / "sec")   # an entity only the risk role may read


@pytest.fixture
def app(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini"), DEAL_PACK, SECRET_PACK], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock, "PAGE_SIZE": 10})
    app.store = store
    app.li = create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    app.zhao = create_user(engine, "zhao", name="赵专员", roles=["pm"], password="right-pass")
    return app


@pytest.fixture
def client(app):
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    c.post("/login", data={"username": "li", "password": "right-pass", "csrf_token": tok})
    return c


DEALS = [
    # title, area, amount, signed_on, rate, urgent, owner, reviewed_at
    ("杭州甲", "hz", "800000", "2026-01-10", "1.5", True, "li", "2026-03-01T09:00"),
    ("宁波乙", "nb", "15000", "2026-02-20", "2", False, "zhao", "2026-03-15T18:30"),
    ("浙江丙", "zj", "2500000", "2026-03-05", "2.5", False, "li", "2026-03-16T08:00"),
    ("江苏丁", "js", "9999.99", "2025-12-31", "3", True, "zhao", None),
    ("=危险公式", "js", "120000", "2026-03-31", "1", False, None, None),
]


@pytest.fixture
def deals(app):
    owners = {"li": app.li.id, "zhao": app.zhao.id}
    out = {}
    for title, area, amount, signed, rate, urgent, owner, reviewed in DEALS:
        rec = app.store.create("deal", {"title": title, "area": area, "amount": amount, "signed_on": signed,
                                        "rate": rate, "urgent": urgent, "owner": owners.get(owner),
                                        "reviewed_at": reviewed, "note": f"备注{title}"})
        out[title] = rec
    return out


def text(resp) -> str:
    return resp.get_data(as_text=True)


def titles(page: str) -> list[str]:
    """The first column's text of each row, in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [htmlmod.unescape(t) for t in re.findall(r'<td[^>]*><a href="/e/\w+/\d+">([^<]*)</a>', body)]


def hx(client, url, **headers):
    return client.get(url, headers={"HX-Request": "true", **headers})


# ------------------------------------------------------------------------------ search and HTMX

def test_full_page_has_active_search_and_filters(client, deals):
    page = text(client.get("/e/deal"))
    assert '<form id="list-form"' in page and 'method="get"' in page and 'action="/e/deal"' in page
    search = re.search(r'<input type="search" name="q"[^>]*>', page, re.DOTALL).group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in search
    assert 'hx-target="#list-results"' in search and 'hx-push-url="true"' in search
    # a filter per field type, named by the URL scheme
    for name in ('name="f.title"', 'name="f.area"', 'name="f.amount.min"', 'name="f.amount.max"',
                 'name="f.signed_on.min"', 'name="f.rate.max"', 'name="f.urgent"', 'name="f.owner"',
                 'name="f.reviewed_at.min"'):
        assert name in page, name
    assert 'name="f.note"' not in page           # neither a column nor indexed: no filter
    assert "<html" in page and 'id="list-results"' in page
    assert set(titles(page)) == set(DEALS_TITLES)


DEALS_TITLES = [d[0] for d in DEALS]


def test_search_as_htmx_fragment(client, deals):
    resp = hx(client, "/e/deal?q=杭州&f.title=")
    frag = text(resp)
    assert resp.status_code == 200 and "<html" not in frag and "<form id=\"list-form\"" not in frag
    assert frag.lstrip().startswith("<div id=\"list-results\"")
    assert titles(frag) == ["杭州甲"] and "共 1 条" in frag
    assert resp.headers["HX-Push-Url"] == "/e/deal?q=%E6%9D%AD%E5%B7%9E"   # canonical: no blank fields
    assert "HX-Request" in resp.headers["Vary"]
    # history restore (cache miss) and plain requests get the whole page
    restore = text(hx(client, "/e/deal?q=杭州", **{"HX-History-Restore-Request": "true"}))
    assert "<html" in restore and 'value="杭州"' in restore
    assert "<html" in text(client.get("/e/deal?q=杭州"))


def test_search_escapes_and_keeps_like_wildcards_literal(app, client, deals):
    app.store.create("deal", {"title": "<script>x</script>50%"})
    page = text(client.get("/e/deal?q=<script>"))
    assert "&lt;script&gt;x&lt;/script&gt;50%" in page and "<script>x" not in page
    assert titles(text(client.get("/e/deal?q=50%25"))) == ["<script>x</script>50%"]
    assert titles(text(client.get("/e/deal?q=_"))) == []


# ------------------------------------------------------------------------------ filters

def test_text_and_choice_filters(client, deals):
    assert titles(text(client.get("/e/deal?f.title=宁波"))) == ["宁波乙"]
    # a parent code matches its children (hierarchical code list)
    assert set(titles(text(client.get("/e/deal?f.area=zj")))) == {"杭州甲", "宁波乙", "浙江丙"}
    # repeated values: any of them
    assert set(titles(text(client.get("/e/deal?f.area=hz&f.area=js")))) == {"杭州甲", "江苏丁", "=危险公式"}
    page = text(client.get("/e/deal?f.area=hz&f.area=js"))
    assert 'name="f.area" value="hz" checked' in page and 'name="f.area" value="js" checked' in page
    assert 'name="f.area" value="nb">' in page and "\u3000杭州" in page     # children indented
    assert '<details id="list-filters" class="list-filters" open>' in page
    # booleans
    assert set(titles(text(client.get("/e/deal?f.urgent=true")))) == {"杭州甲", "江苏丁"}
    assert 'value="true" checked' in text(client.get("/e/deal?f.urgent=true"))
    assert len(titles(text(client.get("/e/deal?f.urgent=true&f.urgent=false")))) == 5


def test_user_filter(app, client, deals):
    page = text(client.get(f"/e/deal?f.owner={app.zhao.id}"))
    assert set(titles(page)) == {"宁波乙", "江苏丁"}
    assert f'<option value="{app.zhao.id}" selected>赵专员</option>' in page


def test_money_percent_and_date_ranges(client, deals):
    got = set(titles(text(client.get("/e/deal?f.amount.min=1万&f.amount.max=1,000,000"))))
    assert got == {"杭州甲", "宁波乙", "=危险公式"}                      # typed: 9999.99 < 10000
    assert titles(text(client.get("/e/deal?f.amount.min=2500000"))) == ["浙江丙"]
    assert set(titles(text(client.get("/e/deal?f.amount.max=9999.99")))) == {"江苏丁"}
    assert set(titles(text(client.get("/e/deal?f.rate.min=2.5")))) == {"浙江丙", "江苏丁"}
    got = set(titles(text(client.get("/e/deal?f.signed_on.min=2026-01-01&f.signed_on.max=2026-03-05"))))
    assert got == {"杭州甲", "宁波乙", "浙江丙"}
    assert set(titles(text(client.get("/e/deal?f.signed_on.max=2025-12-31")))) == {"江苏丁"}
    # a date as the upper bound of a date-time range includes that whole day
    got = set(titles(text(client.get("/e/deal?f.reviewed_at.min=2026-03-02&f.reviewed_at.max=2026-03-15"))))
    assert got == {"宁波乙"}
    page = text(client.get("/e/deal?f.amount.min=1万"))
    assert 'name="f.amount.min" value="1万"' in page


def test_link_filter_offers_linked_titles(app, client):
    a = app.store.create("customer", {"name": "杭州恒信"})
    b = app.store.create("customer", {"name": "宁波海达"})
    app.store.create("project", {"customer": a.id, "kind": "loan", "amount": "100"})
    app.store.create("project", {"customer": b.id, "kind": "bond", "amount": "200", "bond_rating": "AA"})
    page = text(client.get(f"/e/project?f.customer={b.id}"))
    assert f'<option value="{b.id}" selected>宁波海达</option>' in page
    assert f'<option value="{a.id}">杭州恒信</option>' in page
    rows = re.findall(r"<tr>.*?</tr>", page.split("<tbody>")[1], re.DOTALL)
    assert len(rows) == 1 and "宁波海达" in rows[0]
    # a choice with a few options is a set of checkboxes
    assert 'name="f.kind" value="loan"' in page
    assert len(re.findall(r"<tr>", text(client.get("/e/project?f.kind=loan&f.kind=bond")).split("<tbody>")[1])) == 2


def test_bad_filter_input_is_a_message_not_an_error(client, deals):
    resp = client.get("/e/deal?f.amount.min=abc&f.signed_on.max=2026-13-45")
    page = text(resp)
    assert resp.status_code == 200 and 'role="alert"' in page
    assert "金额" in page and "不是有效的数字" in page and "签约日" in page
    assert "Traceback" not in page and titles(page) == []
    page = text(client.get("/e/deal?f.note=x&f.nothing=1&f.title.min=3"))
    assert "不能按“note”筛选" in page and "不能按“nothing”筛选" in page and "不能按“title.min”筛选" in page
    page = text(client.get("/e/deal?sort=-owner"))
    assert "不能按“owner”排序" in page and len(titles(page)) == 5           # default order instead
    frag = text(hx(client, "/e/deal?f.amount.max=abc"))
    assert "不是有效的数字" in frag and "<html" not in frag


def test_blank_filter_fields_are_ignored(client, deals):
    page = text(client.get("/e/deal?q=&f.title=&f.amount.min=&f.area=&sort="))
    assert len(titles(page)) == 5 and 'role="alert"' not in page


# ------------------------------------------------------------------------------ sort

def test_sort_by_column_both_ways(client, deals):
    asc = text(client.get("/e/deal?sort=amount"))
    assert titles(asc) == ["江苏丁", "宁波乙", "=危险公式", "杭州甲", "浙江丙"]
    th = re.search(r'<th scope="col" class="num" aria-sort="ascending">.*?</th>', asc, re.DOTALL).group(0)
    assert "▲" in th and 'href="/e/deal?sort=-amount"' in th and 'hx-get="/e/deal?sort=-amount"' in th
    desc = text(client.get("/e/deal?sort=-amount"))
    assert titles(desc) == ["浙江丙", "杭州甲", "=危险公式", "宁波乙", "江苏丁"]
    assert 'aria-sort="descending"' in desc and "▼" in desc
    assert 'href="/e/deal?sort=amount"' in desc
    dates = titles(text(client.get("/e/deal?sort=signed_on")))
    assert dates == ["江苏丁", "杭州甲", "宁波乙", "浙江丙", "=危险公式"]
    assert titles(text(client.get("/e/deal?sort=title")))[0] == "=危险公式"
    # default: newest first; other headers offer ascending first
    default = text(client.get("/e/deal"))
    assert titles(default)[0] == "=危险公式" and "aria-sort" not in default
    assert 'href="/e/deal?sort=title"' in default
    # link and user columns are not sortable
    assert 'href="/e/deal?sort=owner"' not in default


# ------------------------------------------------------------------------------ pages and counts

def test_pages_and_capped_count(app, client):
    for i in range(1, 24):
        app.store.create("deal", {"title": f"业务{i:02d}", "amount": str(i * 100)})
    page1 = text(client.get("/e/deal?sort=amount"))
    assert "共 23 条" in page1 and "第 1 / 3 页" in page1
    assert 'href="/e/deal?page=2&amp;sort=amount" hx-get="/e/deal?page=2&amp;sort=amount" rel="next"' in page1
    assert 'href="/e/deal?page=3&amp;sort=amount"' in page1        # last page known under the cap
    assert '<span class="off" aria-disabled="true">上一页</span>' in page1
    page3 = text(client.get("/e/deal?sort=amount&page=3"))
    assert titles(page3) == ["业务21", "业务22", "业务23"] and "第 3 / 3 页" in page3
    assert 'rel="prev"' in page3 and '<span class="off" aria-disabled="true">下一页</span>' in page3
    assert "第 3 / 3 页" in text(client.get("/e/deal?page=99"))

    app.config["LIST_COUNT_CAP"] = 6         # counting stops at the cap: "5+", no last page
    page1 = text(client.get("/e/deal?sort=amount"))
    assert "共 5+ 条" in page1 and "第 1 页" in page1 and " / " not in page1.split('class="current">')[1][:30]
    assert "末页" not in page1 and 'rel="next"' in page1
    page3 = text(client.get("/e/deal?sort=amount&page=3"))
    assert titles(page3) == ["业务21", "业务22", "业务23"] and 'aria-disabled="true">下一页' in page3
    beyond = text(client.get("/e/deal?sort=amount&page=9"))
    assert "本页没有记录" in beyond and 'href="/e/deal?sort=amount"' in beyond
    assert "共 4 条" in text(client.get("/e/deal?q=业务2"))       # under the cap: exact


def test_cap_shows_ten_thousand_plus_by_default(app, client, monkeypatch):
    from core import query
    from ui import lists
    calls = []
    real = query.count

    def spy(*args, **kw):
        calls.append(kw.get("cap"))
        return kw["cap"]                     # pretend every count reaches the cap
    monkeypatch.setattr(lists, "count", spy)
    page = text(client.get("/e/deal"))
    assert calls == [10_001] and "共 10,000+ 条" in page and real is query.count


# ------------------------------------------------------------------------------ URL state

def test_state_round_trips_through_the_links(app, client, deals):
    for i in range(12):
        app.store.create("deal", {"title": f"浙江{i}", "area": "hz", "amount": "50000"})
    url = "/e/deal?q=浙江&sort=-amount&f.area=zj&f.amount.min=1000"
    page = text(client.get(url))
    hrefs = {htmlmod.unescape(h) for h in re.findall(r'href="(/e/deal\?[^"]*)"', page)}
    nxt = next(h for h in hrefs if "page=2" in h)
    state = parse_qs(urlsplit(nxt).query)
    assert state == {"page": ["2"], "q": ["浙江"], "sort": ["-amount"], "f.area": ["zj"], "f.amount.min": ["1000"]}
    # following the link gives page 2 of the same list
    page2 = text(client.get(nxt))
    assert "第 2 / 2 页" in page2 and 'value="浙江"' in page2 and 'aria-sort="descending"' in page2
    # sort links keep the filters and go back to page 1
    sort_link = next(h for h in hrefs if "sort=title" in h)
    assert parse_qs(urlsplit(sort_link).query) == {"q": ["浙江"], "sort": ["title"], "f.area": ["zj"],
                                                   "f.amount.min": ["1000"]}
    # the search form carries the sort (a hidden input bound to the form, swapped with the results)
    assert '<input type="hidden" name="sort" value="-amount" form="list-form">' in page
    # the export form carries the whole state except the page
    export = page.split('class="list-export"', 1)[1].split("</form>", 1)[0]
    for pair in ('name="q" value="浙江"', 'name="sort" value="-amount"', 'name="f.area" value="zj"',
                 'name="f.amount.min" value="1000"'):
        assert pair in export
    assert 'name="page"' not in export and 'formaction="/e/deal/export.xlsx"' in export


# ------------------------------------------------------------------------------ permissions

def test_unknown_entity_and_unreadable_entity(app, client):
    app.store.create("memo", {"subject": "关注"})
    for path in ("/e/memo", "/e/memo/export.csv", "/e/memo/export.xlsx"):
        resp = client.get(path)
        assert resp.status_code == 403 and "Traceback" not in text(resp) and "关注" not in text(resp)
    for path in ("/e/nope", "/e/nope/export.csv", "/e/nope/export.xlsx"):
        assert client.get(path).status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/e/deal").status_code == 302
    assert anonymous.get("/e/deal/export.csv").status_code == 302


def test_english_interface_and_labels(app, client, deals):
    if "babel" not in app.extensions:
        pytest.skip("the app has no language switch yet")
    with client.session_transaction() as s:
        s["lang"] = "en"
    page = text(client.get("/e/deal?f.amount.min=abc&sort=amount"))
    assert "Amount" in page and "Zhejiang" in page and "records" in page and "Filters" in page
    assert "Not a valid number" in page and "不是有效的数字" not in page
    rows = list(csv_rows(client.get("/e/deal/export.csv?f.area=hz")))
    assert rows[0][:3] == ["ID", "Title", "Area"] and rows[1][2] == "Hangzhou" and rows[1][6] == "Yes"


def csv_rows(resp):
    import csv
    import io
    return csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig")))
