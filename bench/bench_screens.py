"""Screen benchmark: server time to render the generated screens, beside hand-written ones.

    python bench/bench_screens.py                       # record screens in /tmp/danbao_bench_screens.sqlite,
                                                        # the list in /tmp/danbao_bench.sqlite (100k, bench_list.py)
    python bench/bench_screens.py --reps 200 --profile  # more repetitions; cProfile of each generated screen
    python bench/bench_screens.py --cpu                 # CPU time of the request instead of wall time

Requests go through the Flask test client in this process, signed in (session cookie, login, CSRF
and security-header hooks all run), so a time is everything the server does for the request:
routing, database reads, formulas, formatting, template rendering. No network, no browser.

Screens, each measured with `--reps` requests (default 100) after 5 warm-up requests, alternating
with the hand-written page (one request of each in turn, so both see the same load):

(a) the record view of an enterprise customer with three child tables filled (5 shareholders,
    5 bank accounts, 4 financial statements) and every other field set;
(b) the edit screen of the same record (a form with inputs for every field and child row; the
    generated one also decides each field's state — visible, required, read-only — through
    core.edit_state, which falls back to the full Store.preview when the stored record may have
    drifted from its rules);
(c) the first page (20 rows) of the enterprise-customer list at 100,000 records on SQLite, as a
    full page (search box, 9 filters, table, pages, export buttons), and the same list filtered by
    region and sorted by name as the HTMX fragment a filter change asks for.

Beside each: the same data rendered by a *hand-written* Flask view and Jinja template, the page a
developer would write for this one entity without metadata: fixed fields and columns, labels typed
into the template, code labels from dicts built once at start-up, one SQL query for the record (or
the page plus a capped count, the same query shape as core), values formatted by small filters. The
hand-written views are registered in the same app, so both pay the same session, login and header
hooks and the same base layout (header, navigation, stylesheets).

The record database (`--url`) is dropped and created again on every run: use a database of its
own. The list database (`--list-url`) is only read, plus a benchmark user added with
core.users.create_user if missing; it must hold the enterprise customers of bench_list.py:

    python bench/bench_list.py --url sqlite:////tmp/danbao_bench.sqlite --records 100000
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import time
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from common import DEFAULT_SQLITE, ROOT, fmt, machine, server_version, summary
from flask import Blueprint, abort, request
from flask import render_template as flask_render
from flask_login import current_user, login_required
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select, text

from core import metastore
from core.checksums import make_id_number, make_uscc
from core.db import create_schema, drop_schema, make_engine, records
from core.db import users as users_table
from core.edit_state import preview_stored, stored_states
from core.store import Actor, Store
from core.users import create_user, get_user
from metadata.source import read_pack_dir
from ui.app import create_app

ENTITY = "enterprise_customer"
RECORD_URL = "sqlite:////tmp/danbao_bench_screens.sqlite"
USER, PASSWORD = "bench_screens", "bench-screens-1"
CAP = 10_001


# ------------------------------------------------------------------------------ data

def rich_customer(manager_id: int) -> dict:
    pid = lambda y, m, d, seq, g: make_id_number("330106", date(y, m, d), seq, g)
    m = lambda v: Decimal(v)
    return {
        "name": "杭州恒信精密机械有限公司", "short_name": "恒信精机", "uscc": make_uscc("91330106MA2B3C4D5"),
        "legal_rep": "陈志远", "legal_rep_id_number": pid(1975, 6, 18, 31, "male"), "legal_rep_phone": "13857112345",
        "registered_capital": m("12345678.90"), "paid_in_capital": m("10000000"), "established_on": date(2009, 4, 21),
        "business_term_unlimited": True, "company_type": "private", "industry": "C34", "region": "330106",
        "address": "浙江省杭州市西湖区文三路 478 号", "office_address": "杭州市西湖区西园八路 3 号",
        "business_scope": "通用设备、精密传动部件的研发、制造与销售；\n货物进出口。", "employees": 286,
        "annual_revenue": m("186530000"), "size": "small", "phone": "0571-88231234", "fax": "0571-88231235",
        "email": "finance@hengxin-jj.cn", "website": "www.hengxin-jj.cn", "basic_account_bank": "中国工商银行杭州西湖支行",
        "status": "active", "manager": manager_id, "department": "business_1",
        "history": "2009 年成立，2015 年完成股份制改造。", "main_business": "精密减速机、传动部件。",
        "market_position": "省内细分市场前三。", "premises": "leased", "premises_area": m("12800"),
        "lease_end": date(2029, 12, 31), "is_high_tech": True, "is_agricultural": False,
        "shareholders": [
            {"name": "杭州恒信控股集团有限公司", "kind": "company", "uscc": make_uscc("91330100MA27XY123"),
             "share": m("45"), "contribution": m("5555555.50"), "paid_contribution": m("5555555.50"),
             "contributed_on": date(2009, 4, 21), "is_controller": True},
            {"name": "陈志远", "kind": "person", "id_number": pid(1975, 6, 18, 31, "male"), "share": m("25"),
             "contribution": m("3086419.72"), "paid_contribution": m("3086419.72"), "contributed_on": date(2009, 4, 21)},
            {"name": "王晓梅", "kind": "person", "id_number": pid(1979, 2, 3, 42, "female"), "share": m("12.5"),
             "contribution": m("1543209.86"), "paid_contribution": m("1000000"), "contributed_on": date(2012, 7, 1)},
            {"name": "杭州西湖产业投资基金合伙企业（有限合伙）", "kind": "company", "uscc": make_uscc("91330106MA2CD7788"),
             "share": m("10"), "contribution": m("1234567.89"), "paid_contribution": m("1234567.89"),
             "contributed_on": date(2018, 3, 15)},
            {"name": "刘建国", "kind": "person", "id_number": pid(1968, 11, 9, 17, "male"), "share": m("7.5"),
             "contribution": m("925925.93"), "paid_contribution": m("925925.93"), "contributed_on": date(2020, 9, 1)},
        ],
        "bank_accounts": [
            {"bank_name": "中国工商银行杭州西湖支行", "account_no": "1202 0212 0990 0123 456", "account_type": "basic",
             "opened_on": date(2009, 5, 6)},
            {"bank_name": "杭州银行科技支行", "account_no": "3301 0401 6000 8876 5", "account_type": "general",
             "opened_on": date(2015, 8, 20)},
            {"bank_name": "招商银行杭州分行", "account_no": "5719 0566 7710 902", "account_type": "general",
             "opened_on": date(2020, 3, 11)},
            {"bank_name": "浙江泰隆商业银行杭州分行", "account_no": "3301 0012 0002 1188", "account_type": "special",
             "opened_on": date(2021, 6, 30)},
            {"bank_name": "中国银行杭州高新支行", "account_no": "3678 7325 1122", "account_type": "temporary",
             "opened_on": date(2024, 1, 8)},
        ],
        "financial_statements": [
            {"period": date(2022, 12, 31), "period_type": "year", "audited": True, "auditor": "天健会计师事务所",
             **_statement(140, 80, 75, 50)},
            {"period": date(2023, 12, 31), "period_type": "year", "audited": True, "auditor": "天健会计师事务所",
             **_statement(152, 88, 80, 52)},
            {"period": date(2024, 12, 31), "period_type": "year", "audited": True, "auditor": "天健会计师事务所",
             **_statement(169, 97, 86, 56)},
            {"period": date(2025, 9, 30), "period_type": "quarter", "audited": False, **_statement(175, 101, 88, 57)},
        ],
    }


def _statement(assets: int, current: int, liabilities: int, current_liab: int) -> dict:
    w = Decimal(1_000_000)
    return {"total_assets": assets * w, "current_assets": current * w, "inventory": current * w / 4,
            "accounts_receivable": current * w / 3, "total_liabilities": liabilities * w,
            "current_liabilities": current_liab * w, "net_assets": (assets - liabilities) * w,
            "revenue": assets * w * Decimal("1.1"), "net_profit": assets * w / 12, "interest_expense": w * 3,
            "operating_cash_flow": assets * w / 9}


def sign_in(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": tok})
    assert resp.status_code == 302, resp.status_code
    return client


def upgrade_schema(engine) -> None:
    """A database made by an older bench_list.py run may lack tables or columns added since (core has
    no migrations yet): create the missing tables, add the missing columns of `users`."""
    create_schema(engine)
    with engine.begin() as c:
        have = {r[1] for r in c.execute(text("PRAGMA table_info(users)"))} if engine.dialect.name == "sqlite" else \
            {r[0] for r in c.execute(text("select column_name from information_schema.columns where table_name = 'users'"))}
        for col in users_table.columns:
            if col.name not in have:
                ddl = f"ALTER TABLE users ADD COLUMN {col.name} {col.type.compile(engine.dialect)}"
                if col.name == "failed_logins":
                    ddl += " NOT NULL DEFAULT 0"
                print(f"  upgrading the old schema: {ddl}")
                c.execute(text(ddl))


def ensure_user(engine) -> int:
    u = get_user(engine, username=USER)
    if u is None:
        u = create_user(engine, USER, name="基准 测试员", roles=["pm"], password=PASSWORD, department="business_1")
    return u.id


# ------------------------------------------------------------------------------ hand-written screens

BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · 担保业务平台</title>
<link rel="stylesheet" href="/static/danbao.css"><link rel="stylesheet" href="/static/{{ css }}">{% block head %}{% endblock %}
<script src="/static/vendor/htmx.min.js" defer></script>
</head>
<body hx-headers='{{ {"X-CSRFToken": csrf_token()} | tojson }}'>
<header class="topbar"><a class="brand" href="/">担保业务平台 <span>Danbao</span></a>
<div class="tools"><div class="langs" role="group" aria-label="语言"><button type="button" hx-post="/lang" hx-vals='{"lang": "zh_CN"}' hx-swap="none" lang="zh-CN" aria-pressed="true" class="on">中文</button><button type="button" hx-post="/lang" hx-vals='{"lang": "en"}' hx-swap="none" lang="en" aria-pressed="false">English</button></div>
{% if unread_messages is defined %}{% set n = unread_messages() %}<a href="/messages" id="nav-messages" class="messages-link" hx-get="/messages/count" hx-trigger="every 60s" hx-swap="outerHTML" title="消息">消息{% if n %} <span class="badge danger">{{ n }}</span>{% endif %}</a>{% endif %}
<span class="who">{{ current_user.name }}</span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button type="submit" class="signout">退出</button></form></div></header>
<div class="layout"><nav class="side"><a href="/">首页</a>{% if unread_messages is defined %}<a href="/messages" id="nav-inbox">消息</a>{% endif %}
{% set flow = flow_counts() %}{% if flow is not none %}<div class="side-group" role="group" aria-labelledby="nav-flow"><span class="side-head" id="nav-flow">审批</span>
<a href="/flow/todo">待办{% if flow.todo %} <span class="badge info">{{ flow.todo }}</span>{% endif %}</a><a href="/flow/done">已办</a>
<a href="/flow/started">我发起的{% if flow.started %} <span class="badge">{{ flow.started }}</span>{% endif %}</a>
<a href="/flow/cc">抄送我的{% if flow.cc %} <span class="badge info">{{ flow.cc }}</span>{% endif %}</a>
<a href="/flow/proxies">我的审批代理</a></div>{% endif %}
{% set roles = current_user.roles %}%(nav)s</nav>
<main id="main">{% block content %}{% endblock %}</main></div>
</body></html>"""

# columns of the child tables: (key, label, kind)
SHAREHOLDER_COLS = [("name", "股东名称", "text"), ("kind", "股东类型", "shareholder_kind"),
                    ("id_number", "身份证件号码", "text"), ("uscc", "统一社会信用代码", "text"),
                    ("share", "持股比例", "percent4"), ("contribution", "认缴出资额", "money"),
                    ("paid_contribution", "实缴出资额", "money"), ("contributed_on", "出资日期", "date"),
                    ("is_controller", "实际控制人", "bool")]
ACCOUNT_COLS = [("bank_name", "开户银行", "text"), ("account_no", "账号", "text"),
                ("account_type", "账户类型", "bank_account_type"), ("opened_on", "开户日期", "date")]
LOAN_COLS = [("lender", "贷款机构", "text"), ("amount", "借款金额", "money"), ("balance", "借款余额", "money"),
             ("rate", "年利率", "percent"), ("start_date", "起始日", "date"), ("end_date", "到期日", "date"),
             ("guarantee_method", "担保方式", "guarantee_method"), ("guarantor", "保证人", "text"),
             ("notes", "说明", "text")]
GUARANTEE_COLS = [("beneficiary", "被担保人", "text"), ("creditor", "债权人", "text"), ("amount", "担保金额", "money"),
                  ("balance", "担保余额", "money"), ("start_date", "起始日", "date"), ("end_date", "到期日", "date"),
                  ("related", "关联方担保", "bool")]
KEY_PERSON_COLS = [("name", "姓名", "text"), ("role", "角色", "key_person_role"), ("id_number", "身份证号码", "text"),
                   ("phone", "联系电话", "text"), ("education", "学历", "education"), ("years", "从业年限", "int"),
                   ("resume", "简历", "text")]
RELATED_COLS = [("name", "关联方名称", "text"), ("kind", "关联方类型", "related_kind"), ("relation", "关联关系", "text"),
                ("id_code", "统一社会信用代码/身份证号码", "text"), ("notes", "说明", "text")]
STATEMENT_COLS = [("period", "报表截止日", "date"), ("period_type", "报表类型", "statement_period"),
                  ("audited", "经审计", "bool"), ("auditor", "审计机构", "text"), ("total_assets", "资产总额", "money"),
                  ("current_assets", "流动资产", "money"), ("inventory", "存货", "money"),
                  ("accounts_receivable", "应收账款", "money"), ("total_liabilities", "负债总额", "money"),
                  ("current_liabilities", "流动负债", "money"), ("net_assets", "所有者权益（净资产）", "money"),
                  ("revenue", "营业收入", "money"), ("net_profit", "净利润", "money"),
                  ("interest_expense", "利息支出", "money"), ("operating_cash_flow", "经营活动现金流量净额", "money")]
TABLES = {"shareholders": SHAREHOLDER_COLS, "bank_accounts": ACCOUNT_COLS, "loans": LOAN_COLS,
          "guarantees_given": GUARANTEE_COLS, "key_persons": KEY_PERSON_COLS, "related_parties": RELATED_COLS,
          "financial_statements": STATEMENT_COLS}

VIEW = """{% extends "hand/base.html" %}
{% block title %}{{ d.name }} · 企业客户{% endblock %}
{% macro f(label, value, num=false) %}<div class="field"><dt>{{ label }}</dt><dd{% if num %} class="num"{% endif %}>{{ value if value not in (none, '') else '' }}</dd></div>{% endmacro %}
{% macro table(title, key, cols) %}<h4>{{ title }}</h4>
{% set rows = d[key] or [] %}{% if rows %}<div class="scroll"><table class="data compact child"><thead><tr><th class="num">#</th>
{% for k, label, kind in cols %}<th{% if kind in ('money', 'percent', 'percent4', 'int') %} class="num"{% endif %}>{{ label }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr><td class="num muted">{{ loop.index }}</td>{% for k, label, kind in cols %}<td{% if kind in ('money', 'percent', 'percent4', 'int') %} class="num"{% endif %}>{{ r[k] | show(kind) }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></div>{% else %}<span class="muted">无</span>{% endif %}{% endmacro %}
{% block head %}<link rel="stylesheet" href="/static/record_extras.css">{% endblock %}
{% block content %}
<p class="crumbs"><a href="/e/enterprise_customer">企业客户</a> / {{ d.name }}</p>
<div class="head record-head"><h1>{{ d.name }}</h1><div class="toolbar"><a class="btn primary" href="/hand/ec/{{ id }}/edit">编辑</a></div></div>
{% if may(SCORE_ROLES) %}<div class="toolbar record-actions"><a class="btn" href="/score/enterprise_customer/{{ id }}">评分</a></div>{% endif %}
<p class="muted small record-meta">记录 #{{ id }} · 第 {{ version }} 版 · {{ created_at.strftime('%Y-%m-%d %H:%M') }} 由 {{ created_by }} 创建 · {{ updated_at.strftime('%Y-%m-%d %H:%M') }} 由 {{ updated_by }} 修改</p>
<section class="tab"><h2>注册信息</h2>
<div class="card section"><h3>工商注册信息</h3><dl class="fields grid cols-2">
{{ f('客户编号', d.number) }}{{ f('企业名称', d.name) }}{{ f('企业简称', d.short_name) }}{{ f('统一社会信用代码', d.uscc) }}
{{ f('法定代表人', d.legal_rep) }}{{ f('法定代表人身份证号码', d.legal_rep_id_number) }}{{ f('法定代表人电话', d.legal_rep_phone) }}
{{ f('注册资本（元）', d.registered_capital | money, true) }}{{ f('实收资本（元）', d.paid_in_capital | money, true) }}
{{ f('成立日期', d.established_on) }}{{ f('营业期限长期', d.business_term_unlimited | yesno) }}
{% if not d.business_term_unlimited %}{{ f('营业期限至', d.business_term_end) }}{% endif %}
{{ f('企业类型', d.company_type | show('company_type')) }}{{ f('所属行业', d.industry | show('industry')) }}
{{ f('注册地区', d.region | region) }}{{ f('注册地址', d.address) }}</dl>
<dl class="fields cols-1"><div class="field"><dt>经营范围</dt><dd>{{ d.business_scope | nl2br }}</dd></div></dl></div>
<div class="card section"><h3>规模与联系方式</h3><dl class="fields grid cols-3">
{{ f('从业人数', d.employees | show('int'), true) }}{{ f('上年营业收入（元）', d.annual_revenue | money, true) }}{{ f('企业规模', d.size | show('enterprise_size')) }}
{{ f('经营地址', d.office_address) }}{{ f('联系电话', d.phone) }}{{ f('传真', d.fax) }}{{ f('电子邮箱', d.email) }}{{ f('网址', d.website) }}
{{ f('基本户开户行', d.basic_account_bank) }}</dl></div>
<div class="card section"><h3>客户管理</h3><dl class="fields grid cols-3">
{{ f('客户状态', d.status | show('customer_status')) }}{{ f('客户经理', users.get(d.manager, '')) }}{{ f('所属部门', d.department | show('department')) }}</dl></div>
</section>
<section class="tab"><h2>公司概况</h2>
<div class="card section"><h3>企业概况</h3>
<dl class="fields cols-1"><div class="field"><dt>企业沿革</dt><dd>{{ d.history | nl2br }}</dd></div></dl>
<dl class="fields cols-1"><div class="field"><dt>主营业务及产品</dt><dd>{{ d.main_business | nl2br }}</dd></div></dl>
<dl class="fields cols-1"><div class="field"><dt>市场地位与竞争</dt><dd>{{ d.market_position | nl2br }}</dd></div></dl></div>
<div class="card section"><h3>经营场所与资质</h3><dl class="fields grid cols-3">
{{ f('经营场所', d.premises | show('premises')) }}{{ f('经营场所面积（平方米）', d.premises_area | show('decimal'), true) }}
{% if d.premises == 'leased' %}{{ f('租赁到期日', d.lease_end) }}{% endif %}
{{ f('高新技术企业', d.is_high_tech | yesno) }}{{ f('涉农企业', d.is_agricultural | yesno) }}</dl></div>
</section>
<section class="tab"><h2>金融业务</h2>
<div class="card section"><h3>银行账户</h3>{{ table('银行账户', 'bank_accounts', TABLES.bank_accounts) }}</div>
<div class="card section"><h3>银行借款</h3><dl class="fields grid cols-1">{{ f('借款余额合计', d.loan_balance_total | money, true) }}</dl>{{ table('银行借款', 'loans', TABLES.loans) }}</div>
<div class="card section"><h3>对外担保</h3><dl class="fields grid cols-1">{{ f('对外担保余额合计', d.guarantee_balance_total | money, true) }}</dl>{{ table('对外担保', 'guarantees_given', TABLES.guarantees_given) }}</div>
</section>
<section class="tab"><h2>关键人与股东</h2>
<div class="card section"><h3>关键人</h3>{{ table('关键人', 'key_persons', TABLES.key_persons) }}</div>
<div class="card section"><h3>股东信息</h3><dl class="fields grid cols-1">{{ f('持股比例合计', d.total_share | show('percent'), true) }}</dl>{{ table('股东信息', 'shareholders', TABLES.shareholders) }}</div>
<div class="card section"><h3>关联方</h3>{{ table('关联方', 'related_parties', TABLES.related_parties) }}</div>
</section>
<section class="tab"><h2>财务报表</h2>
<div class="card section"><h3>财务报表</h3>{{ table('财务报表', 'financial_statements', TABLES.financial_statements) }}</div>
</section>
<section class="tab"><h2>备注与附件</h2>
<div class="card section"><h3>备注与附件</h3><dl class="fields cols-1"><div class="field"><dt>备注</dt><dd>{{ d.remarks | nl2br }}</dd></div></dl>
<dl class="fields grid cols-1">{{ f('附件（营业执照、章程等）', (d.attachments or []) | map(attribute='name') | join('、')) }}</dl></div>
</section>
<section class="tab"><h2>业务与评分</h2>
{% if may(PROJECT_ROLES) %}<div class="card section related" hx-get="/e/enterprise_customer/{{ id }}/related/projects" hx-trigger="load" hx-swap="outerHTML"><h3>担保项目</h3><p class="muted small">加载中…</p></div>{% endif %}
{% if may(RUN_ROLES) %}<div class="card section related" hx-get="/e/enterprise_customer/{{ id }}/related/score_runs" hx-trigger="load" hx-swap="outerHTML"><h3>信用评分记录</h3><p class="muted small">加载中…</p></div>{% endif %}
</section>
{% endblock %}"""

EDIT = """{% extends "hand/base.html" %}
{% block title %}编辑 {{ d.name }} · 企业客户{% endblock %}
{% macro text(name, label, value, cls='') %}<div class="field"><label for="f-{{ name }}">{{ label }}</label><input type="text" name="{{ name }}" id="f-{{ name }}" value="{{ value if value is not none else '' }}" class="{{ cls }}"></div>{% endmacro %}
{% macro money(name, label, value) %}{{ text(name, label, value | money, 'num') }}{% endmacro %}
{% macro date_(name, label, value) %}<div class="field"><label for="f-{{ name }}">{{ label }}</label><input type="date" name="{{ name }}" id="f-{{ name }}" value="{{ value or '' }}"></div>{% endmacro %}
{% macro area(name, label, value) %}<div class="field span-all"><label for="f-{{ name }}">{{ label }}</label><textarea name="{{ name }}" id="f-{{ name }}" rows="3">{{ value or '' }}</textarea></div>{% endmacro %}
{% macro check(name, label, value) %}<div class="field check"><input type="hidden" name="{{ name }}" value="false"><input type="checkbox" name="{{ name }}" id="f-{{ name }}" value="true"{% if value %} checked{% endif %}><label for="f-{{ name }}">{{ label }}</label></div>{% endmacro %}
{% macro options(list, value) %}<option value="">— 请选择 —</option>{% for code, label in list %}<option value="{{ code }}"{% if code == value %} selected{% endif %}>{{ label }}</option>{% endfor %}{% endmacro %}
{% macro choice(name, label, list, value) %}<div class="field"><label for="f-{{ name }}">{{ label }}</label><select name="{{ name }}" id="f-{{ name }}">{{ options(list, value) }}</select></div>{% endmacro %}
{% macro cell(name, kind, value) -%}
{%- if kind in CODES %}<select name="{{ name }}">{{ options(CODES[kind], value) }}</select>
{%- elif kind == 'bool' %}<input type="hidden" name="{{ name }}" value="false"><input type="checkbox" name="{{ name }}" value="true"{% if value %} checked{% endif %}>
{%- elif kind == 'date' %}<input type="date" name="{{ name }}" value="{{ value or '' }}">
{%- else %}<input type="text" name="{{ name }}" value="{{ value | show(kind) }}"{% if kind in ('money', 'percent', 'percent4', 'int') %} class="num"{% endif %}>{% endif -%}
{%- endmacro %}
{% macro table(title, key, cols) %}<div class="field span-all"><label>{{ title }}</label><div class="scroll"><table class="data compact child"><thead><tr><th class="num">#</th>
{% for k, label, kind in cols %}<th>{{ label }}</th>{% endfor %}<th></th></tr></thead><tbody>
{% for r in d[key] or [] %}{% set i = loop.index0 %}<tr><td class="num muted">{{ loop.index }}</td>{% for k, label, kind in cols %}<td>{{ cell(key ~ '.' ~ i ~ '.' ~ k, kind, r[k]) }}</td>{% endfor %}
<td><button type="submit" name="_action" value="remove_row:{{ key }}:{{ i }}" class="small danger">×</button></td></tr>
{% else %}<tr><td colspan="{{ cols | length + 2 }}" class="muted">无数据行</td></tr>{% endfor %}
</tbody></table></div><button type="submit" name="_action" value="add_row:{{ key }}" class="small">+ 添加行</button></div>{% endmacro %}
{% macro cascade(name, label, chain, lists) %}<div class="field"><label for="f-{{ name }}">{{ label }}</label><span class="cascade">
{% for level in lists %}<select name="{{ name }}"{% if loop.first %} id="f-{{ name }}"{% endif %}>{{ options(level, chain[loop.index0] if chain | length > loop.index0 else '') }}</select>{% endfor %}</span></div>{% endmacro %}
{% block content %}
<h1>编辑 {{ d.name }}</h1>
<form method="post" action="/hand/ec/{{ id }}/edit" class="record-form"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input type="hidden" name="version" value="{{ version }}">
<div class="toolbar form-actions"><button type="submit" class="primary">保存</button><a class="btn" href="/hand/ec/{{ id }}">取消</a></div>
<section class="tab"><h2>注册信息</h2>
<div class="card section"><h3>工商注册信息</h3><div class="grid cols-2">
<div class="field"><label>客户编号</label><output>{{ d.number }}</output></div>
{{ text('name', '企业名称 *', d.name) }}{{ text('short_name', '企业简称', d.short_name) }}{{ text('uscc', '统一社会信用代码 *', d.uscc) }}
{{ text('legal_rep', '法定代表人 *', d.legal_rep) }}{{ text('legal_rep_id_number', '法定代表人身份证号码', d.legal_rep_id_number) }}
{{ text('legal_rep_phone', '法定代表人电话', d.legal_rep_phone) }}{{ money('registered_capital', '注册资本（元）', d.registered_capital) }}
{{ money('paid_in_capital', '实收资本（元）', d.paid_in_capital) }}{{ date_('established_on', '成立日期', d.established_on) }}
{{ check('business_term_unlimited', '营业期限长期', d.business_term_unlimited) }}{{ date_('business_term_end', '营业期限至', d.business_term_end) }}
{{ choice('company_type', '企业类型 *', CODES.company_type, d.company_type) }}
{{ cascade('industry', '所属行业 *', d.industry | chain('industry'), d.industry | levels('industry')) }}
{{ cascade('region', '注册地区 *', d.region | chain('region'), d.region | levels('region')) }}
{{ text('address', '注册地址', d.address) }}{{ area('business_scope', '经营范围', d.business_scope) }}</div></div>
<div class="card section"><h3>规模与联系方式</h3><div class="grid cols-3">
{{ text('employees', '从业人数', d.employees, 'num') }}{{ money('annual_revenue', '上年营业收入（元）', d.annual_revenue) }}
{{ choice('size', '企业规模', CODES.enterprise_size, d.size) }}{{ text('office_address', '经营地址', d.office_address) }}
{{ text('phone', '联系电话', d.phone) }}{{ text('fax', '传真', d.fax) }}{{ text('email', '电子邮箱', d.email) }}{{ text('website', '网址', d.website) }}
{{ text('basic_account_bank', '基本户开户行', d.basic_account_bank) }}</div></div>
<div class="card section"><h3>客户管理</h3><div class="grid cols-3">
{{ choice('status', '客户状态 *', CODES.customer_status, d.status) }}{{ choice('manager', '客户经理', users.items() | list, d.manager) }}
{{ choice('department', '所属部门', CODES.department, d.department) }}</div></div></section>
<section class="tab"><h2>公司概况</h2>
<div class="card section"><h3>企业概况</h3><div class="grid cols-1">{{ area('history', '企业沿革', d.history) }}{{ area('main_business', '主营业务及产品', d.main_business) }}{{ area('market_position', '市场地位与竞争', d.market_position) }}</div></div>
<div class="card section"><h3>经营场所与资质</h3><div class="grid cols-3">
{{ choice('premises', '经营场所', CODES.premises, d.premises) }}{{ text('premises_area', '经营场所面积（平方米）', d.premises_area, 'num') }}
{{ date_('lease_end', '租赁到期日', d.lease_end) }}{{ check('is_high_tech', '高新技术企业', d.is_high_tech) }}{{ check('is_agricultural', '涉农企业', d.is_agricultural) }}</div></div></section>
<section class="tab"><h2>金融业务</h2>
<div class="card section"><h3>银行账户</h3>{{ table('银行账户', 'bank_accounts', TABLES.bank_accounts) }}</div>
<div class="card section"><h3>银行借款</h3>{{ table('银行借款', 'loans', TABLES.loans) }}<div class="field"><label>借款余额合计</label><output class="num">{{ d.loan_balance_total | money }}</output></div></div>
<div class="card section"><h3>对外担保</h3>{{ table('对外担保', 'guarantees_given', TABLES.guarantees_given) }}<div class="field"><label>对外担保余额合计</label><output class="num">{{ d.guarantee_balance_total | money }}</output></div></div></section>
<section class="tab"><h2>关键人与股东</h2>
<div class="card section"><h3>关键人</h3>{{ table('关键人', 'key_persons', TABLES.key_persons) }}</div>
<div class="card section"><h3>股东信息</h3>{{ table('股东信息', 'shareholders', TABLES.shareholders) }}<div class="field"><label>持股比例合计</label><output class="num">{{ d.total_share | show('percent') }}</output></div></div>
<div class="card section"><h3>关联方</h3>{{ table('关联方', 'related_parties', TABLES.related_parties) }}</div></section>
<section class="tab"><h2>财务报表</h2>
<div class="card section"><h3>财务报表</h3>{{ table('财务报表', 'financial_statements', TABLES.financial_statements) }}</div></section>
<section class="tab"><h2>备注与附件</h2>
<div class="card section"><h3>备注与附件</h3><div class="grid cols-1">{{ area('remarks', '备注', d.remarks) }}</div></div></section>
<div class="toolbar form-actions"><button type="submit" class="primary">保存</button><a class="btn" href="/hand/ec/{{ id }}">取消</a></div>
</form>
{% endblock %}"""

LIST = """{% extends "hand/base.html" %}
{% block title %}企业客户{% endblock %}
{% macro checks(name, label, list) %}<div class="list-filter"><span class="list-filter-label">{{ label }}</span><span class="list-checks">
{% for code, text in list %}<label><input type="checkbox" name="f.{{ name }}" value="{{ code }}"{% if code in args.getlist('f.' ~ name) %} checked{% endif %}> {{ text }}</label>{% endfor %}</span></div>{% endmacro %}
{% macro multi(name, label, list) %}<div class="list-filter"><label class="list-filter-label" for="filter-{{ name }}">{{ label }}</label>
<select id="filter-{{ name }}" name="f.{{ name }}" multiple size="4">{% for code, text in list %}<option value="{{ code }}"{% if code in args.getlist('f.' ~ name) %} selected{% endif %}>{{ text }}</option>{% endfor %}</select></div>{% endmacro %}
{% macro text(name, label) %}<div class="list-filter"><label class="list-filter-label" for="filter-{{ name }}">{{ label }}</label><input type="text" id="filter-{{ name }}" name="f.{{ name }}" value="{{ args.get('f.' ~ name, '') }}"></div>{% endmacro %}
{% block content %}
<div class="list-head"><h1>企业客户</h1><a class="btn primary" href="/e/enterprise_customer/new">新建企业客户</a></div>
<form id="list-form" class="list-form" method="get" action="/hand/ec" hx-get="/hand/ec" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true">
<div class="list-search"><input type="search" name="q" value="{{ args.get('q', '') }}" placeholder="搜索：客户编号、企业名称、企业简称、统一社会信用代码、法定代表人"
 hx-get="/hand/ec" hx-trigger="input changed delay:300ms, search" hx-include="closest form" hx-target="#list-results"><button type="submit" class="btn primary">搜索</button></div>
<details id="list-filters" class="list-filters"><summary>筛选</summary><div class="list-filter-grid">
{{ text('number', '客户编号') }}{{ text('name', '企业名称') }}{{ text('uscc', '统一社会信用代码') }}{{ text('legal_rep', '法定代表人') }}
{{ multi('industry', '所属行业', INDUSTRY_FILTER) }}{{ multi('region', '注册地区', REGION_FILTER) }}
{{ checks('size', '企业规模', CODES.enterprise_size) }}{{ checks('status', '客户状态', CODES.customer_status) }}
<div class="list-filter"><label class="list-filter-label" for="filter-manager">客户经理</label><select id="filter-manager" name="f.manager"><option value="">不限</option>
{% for id, name in users.items() %}<option value="{{ id }}">{{ name }}</option>{% endfor %}</select></div>
</div><div class="list-filter-actions"><button type="submit" class="btn">应用</button><a class="btn" href="/hand/ec">清除</a></div></details>
</form>
{% include "hand/results.html" %}
{% endblock %}"""

RESULTS = """<div id="list-results" class="list-results">
<div class="list-bar"><p class="muted small list-count">共 {{ total }} 条</p>
<form class="list-export" method="get" action="/e/enterprise_customer/export.csv"><span class="muted small">导出</span>
<button type="submit" class="btn">CSV</button><button type="submit" class="btn" formaction="/e/enterprise_customer/export.xlsx">Excel</button></form></div>
<div class="list-scroll"><table class="data list-table"><thead><tr>
<th scope="col"><a href="?sort=number">客户编号</a></th><th scope="col"><a href="?sort=name">企业名称</a></th><th scope="col"><a href="?sort=uscc">统一社会信用代码</a></th>
<th scope="col"><a href="?sort=legal_rep">法定代表人</a></th><th scope="col"><a href="?sort=industry">所属行业</a></th><th scope="col"><a href="?sort=region">注册地区</a></th>
<th scope="col"><a href="?sort=size">企业规模</a></th><th scope="col"><a href="?sort=status">客户状态</a></th><th scope="col">客户经理</th></tr></thead><tbody>
{% for id, d in rows %}<tr><td><a href="/e/enterprise_customer/{{ id }}">{{ d.number or '#' ~ id }}</a></td><td>{{ d.name }}</td><td>{{ d.uscc }}</td><td>{{ d.legal_rep }}</td>
<td>{{ d.industry | show('industry') }}</td><td>{{ d.region | region }}</td><td>{{ d.size | show('enterprise_size') }}</td><td>{{ d.status | show('customer_status') }}</td><td>{{ users.get(d.manager, '') }}</td></tr>
{% endfor %}</tbody></table></div>
<nav class="pagination pager">{% if page > 1 %}<a href="?page=1">首页</a><a href="?page={{ page - 1 }}" rel="prev">上一页</a>{% else %}<span class="off">首页</span><span class="off">上一页</span>{% endif %}
<span class="current">第 {{ page }} 页{% if pages %}，共 {{ pages }} 页{% endif %}</span>
{% if has_next %}<a href="?page={{ page + 1 }}" rel="next">下一页</a>{% if pages %}<a href="?page={{ pages }}">末页</a>{% endif %}{% endif %}</nav>
</div>"""


def hand_written(app, meta):
    """The hand-written blueprint: fixed fields and columns; code labels in dicts built once here
    (a hand-written app would keep them in its own tables or constants)."""
    def zh(item):
        return item.label["zh"] if isinstance(item.label, Mapping) else str(item.label)

    def labels(name):
        return [(i.code, zh(i)) for i in meta.codelists[name].items if i.active]

    codes = {n: labels(n) for n in ("company_type", "customer_status", "enterprise_size", "department",
                                     "shareholder_kind", "bank_account_type", "statement_period",
                                     "key_person_role", "education")}
    codes["premises"] = [("owned", "自有"), ("leased", "租赁"), ("other", "其他")]
    codes["related_kind"] = [("company", "企业"), ("person", "个人")]
    codes["guarantee_method"] = [("credit", "信用"), ("guarantee", "保证"), ("mortgage", "抵押"), ("pledge", "质押"),
                                 ("combined", "组合担保")]
    label_of = {k: dict(v) for k, v in codes.items()}
    region_items = {i.code: i for i in meta.codelists["region"].items}
    industry_items = {i.code: i for i in meta.codelists["industry"].items}
    trees = {"region": region_items, "industry": industry_items}
    children: dict[str, dict] = {"region": {}, "industry": {}}
    for name, items in trees.items():
        for i in items.values():
            children[name].setdefault(i.parent, []).append((i.code, zh(i)))
    label_of["industry"] = {c: zh(i) for c, i in industry_items.items()}
    region_filter = [(c, zh(i)) for c, i in region_items.items()
                     if i.parent is None or region_items[i.parent].parent is None]
    industry_filter = [(c, zh(i)) for c, i in industry_items.items()]

    def chain(code, name):
        items, out = trees[name], []
        while code and code in items:
            out.append(code)
            code = items[code].parent
        return out[::-1]

    def levels(code, name):
        c = chain(code, name)
        return [children[name].get(None, [])] + [children[name].get(p, []) for p in c if children[name].get(p)]

    def region(code):
        return " ".join(zh(region_items[c]) for c in chain(code, "region")) if code else ""

    def money(v):
        return "" if v in (None, "") else f"{Decimal(v):,.2f}"

    def show(v, kind):
        if v is None or v == "":
            return ""
        if kind == "money":
            return money(v)
        if kind == "percent":
            return f"{Decimal(v).normalize():f}%"
        if kind == "percent4":                 # shares are kept to 4 places
            return f"{Decimal(v):.4f}%"
        if kind == "int":
            return f"{int(v):,}"
        if kind == "decimal":
            return f"{Decimal(v):,}"
        if kind == "bool":
            return "是" if v else "否"
        if kind in label_of:
            return label_of[kind].get(v, v)
        return v

    def read_roles(name):
        roles = meta.entity(name).permissions.get("read") if name in meta.entities else None
        return None if roles is None else frozenset(roles)

    # the side navigation as a developer would type it: a link per screen, each shown to the roles
    # that may read it (the generated one lists every entity the user may read, in this order)
    nav = []
    for e in sorted(meta.entities.values(), key=lambda e: (e.pack, e.label.get("zh", e.name))):
        link = (f'<a href="/e/{e.name}"' + (' class="on"' if e.name == ENTITY else "")
                + f'>{e.label.get("zh", e.name)}</a>')
        roles = read_roles(e.name)
        nav.append(link if roles is None else "{% if may(" + repr(tuple(sorted(roles))) + ") %}" + link + "{% endif %}")
    base = BASE.replace("%(nav)s", "\n".join(nav))

    def may(roles):     # roles None: everyone
        return roles is None or bool(set(current_user.roles) & set(roles))

    env = app.jinja_env
    env.loader = ChoiceLoader([DictLoader({"hand/base.html": base, "hand/view.html": VIEW, "hand/edit.html": EDIT,
                                           "hand/list.html": LIST, "hand/results.html": RESULTS}), env.loader])
    env.filters.update(money=money, show=show, region=region, chain=chain, levels=levels,
                       yesno=lambda v: "是" if v else "否")
    env.globals.update(TABLES=TABLES, CODES=codes, REGION_FILTER=region_filter, INDUSTRY_FILTER=industry_filter,
                       may=may, SCORE_ROLES=(meta.entity("score_run").permissions.get("create")
                                             if "score_run" in meta.entities else ()),
                       PROJECT_ROLES=read_roles("project"), RUN_ROLES=read_roles("score_run"))
    engine = app.extensions["danbao"].engine
    bp = Blueprint("hand", __name__)

    def user_names(conn):
        return dict(conn.execute(select(users_table.c.id, users_table.c.name).where(users_table.c.active)).all())

    def record(record_id):
        with engine.connect() as c:
            row = c.execute(select(records).where(records.c.id == record_id, records.c.entity == ENTITY,
                                                  records.c.deleted.is_(False))).first()
            if row is None:
                abort(404)
            return row, user_names(c)

    @bp.route("/hand/ec/<int:record_id>")
    @login_required
    def view(record_id):
        row, users = record(record_id)
        return flask_render("hand/view.html", css="records.css", d=row.data, id=row.id, version=row.version,
                            created_at=row.created_at, created_by=row.created_by, updated_at=row.updated_at,
                            updated_by=row.updated_by, users=users)

    @bp.route("/hand/ec/<int:record_id>/edit")
    @login_required
    def edit(record_id):
        row, users = record(record_id)
        return flask_render("hand/edit.html", css="records.css", d=row.data, id=row.id, version=row.version,
                            users=users)

    @bp.route("/hand/ec")
    @login_required
    def listing():
        page = max(1, request.args.get("page", 1, type=int))
        # plain SQL over the JSON documents, written against the expression indexes the pack declares
        # (partial on the entity: the entity must be a literal for SQLite to use them)
        where, params = "entity = 'enterprise_customer' AND deleted = 0", {"off": (page - 1) * 20}
        if request.args.get("f.region"):
            where += " AND json_extract(data, '$.region') = :region"
            params["region"] = request.args["f.region"]
        order = "json_extract(data, '$.name'), id" if request.args.get("sort") == "name" else "id DESC"
        with engine.connect() as c:
            total = c.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM records WHERE {where} LIMIT {CAP})"),
                              params).scalar_one()
            rows = c.execute(text(f"SELECT id, data FROM records WHERE {where} ORDER BY {order} LIMIT 21 OFFSET :off"),
                             params).all()
            users = user_names(c)
        rows = [(r.id, json.loads(r.data)) for r in rows]
        ctx = {"rows": rows[:20], "has_next": len(rows) > 20, "page": page,
               "total": f"{CAP - 1:,}+" if total >= CAP else f"{total:,}",
               "pages": None if total >= CAP else max(1, -(-total // 20)), "users": users, "args": request.args}
        if request.headers.get("HX-Request"):
            return flask_render("hand/results.html", **ctx)
        return flask_render("hand/list.html", css="lists.css", **ctx)

    app.register_blueprint(bp)


# ------------------------------------------------------------------------------ measuring

def get(client, url, headers=None):
    resp = client.get(url, headers=headers or {})
    if resp.status_code != 200:
        sys.exit(f"GET {url}: {resp.status_code}\n{resp.get_data(as_text=True)[:2000]}")
    return resp


def measure_pair(client, url, hand_url, reps, headers=None, clock=time.perf_counter):
    """Both pages `reps` times each, alternating one request of each, so that both see the same
    load on a shared machine (measured one after the other, a busy minute skews the ratio).
    `clock`: wall time, or this thread's CPU time (time.thread_time), which other processes
    competing for the cores barely change."""
    sizes = [len(get(client, u, headers).get_data()) for u in (url, hand_url)]
    for _ in range(5):
        get(client, url, headers), get(client, hand_url, headers)
    times: tuple[list, list] = ([], [])
    for _ in range(reps):
        for u, ms in zip((url, hand_url), times):
            start = clock()
            get(client, u, headers)
            ms.append((clock() - start) * 1000)
    return summary(times[0]), sizes[0], summary(times[1]), sizes[1]


def profile(client, url, n, headers=None, top=18):
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        get(client, url, headers)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    return text[text.find("   ncalls"):]


def make_app(engine):
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench-screens", "INSTANCE_DIR": "/tmp/danbao_bench_instance"})
    app.logger.disabled = True
    return app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=RECORD_URL, help="database for the record screens (DROPPED and recreated)")
    ap.add_argument("--list-url", default=DEFAULT_SQLITE, help="database holding bench_list.py's customers (read)")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of each generated screen")
    ap.add_argument("--cpu", action="store_true", help="measure the thread's CPU time instead of wall time "
                                                         "(steadier on a machine shared with other work)")
    ap.add_argument("--skip-list", action="store_true")
    args = ap.parse_args(argv)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {machine()}")
    results = []

    # -- (a), (b): the record screens
    engine = make_engine(args.url)
    drop_schema(engine)
    create_schema(engine)
    inst = metastore.install(engine, [read_pack_dir(ROOT / "seed" / "standard")], actor="bench")
    uid = ensure_user(engine)
    store = Store(engine, inst.meta, meta_version=inst.version)
    rec = store.create(ENTITY, rich_customer(uid), actor=Actor(USER, roles=["pm"]))
    print(f"record database: {server_version(engine)}; record #{rec.id}: "
          + ", ".join(f"{len(rec.values[t] or [])} {t}" for t in TABLES))
    app = make_app(engine)
    hand_written(app, inst.meta)
    client = sign_in(app)
    base = f"/e/{ENTITY}/{rec.id}"
    screens = [("(a) record view", base, f"/hand/ec/{rec.id}", None),
               ("(b) record edit", base + "/edit", f"/hand/ec/{rec.id}/edit", None)]
    check = get(client, base).get_data(as_text=True)
    assert "12,345,678.90" in check and "刘建国" in check and "天健会计师事务所" in check
    hand = get(client, f"/hand/ec/{rec.id}").get_data(as_text=True)
    for text_ in ("12,345,678.90", "刘建国", "天健会计师事务所", "民营企业", "浙江省 杭州市 西湖区", "一般存款账户", "45.0000%"):
        assert text_ in check and text_ in hand, text_
    results += run(client, screens, args)
    clock = time.thread_time if args.cpu else time.perf_counter
    actor = Actor(USER, roles=["pm"])
    preview, states = [], []
    stored = store.get(ENTITY, rec.id, actor=actor)
    assert stored_states(store, ENTITY, stored, actor=actor) is not None, "the edit form would not take the fast path"
    for _ in range(args.reps):
        start = clock()
        preview_stored(store, ENTITY, stored, actor=actor)
        states.append((clock() - start) * 1000)
        start = clock()
        store.preview(ENTITY, {}, record_id=rec.id, actor=actor)
        preview.append((clock() - start) * 1000)
    print(f"\n(b) of which the form's field states (core.edit_state.preview_stored: conditions and the rules that read\n"
          f"    the date; the hand-written form has none)\n    {fmt(summary(states))}\n"
          f"    beside the full Store.preview it replaces (computed fields, conditions, checks, the record read again)\n"
          f"    {fmt(summary(preview))}")

    # -- (c): the list at 100k
    if not args.skip_list:
        lengine = make_engine(args.list_url)
        linst = metastore.current(lengine)
        if linst is None:
            sys.exit(f"{args.list_url} holds no installed metadata: run bench/bench_list.py first")
        with lengine.connect() as c:
            n = c.execute(select(func.count()).select_from(records).where(records.c.entity == ENTITY)).scalar_one()
        print(f"list database: {server_version(lengine)}, {n:,} enterprise customers")
        upgrade_schema(lengine)
        ensure_user(lengine)
        lapp = make_app(lengine)
        hand_written(lapp, linst.meta)
        lclient = sign_in(lapp)
        hx = {"HX-Request": "true"}
        lscreens = [("(c) list, first page", f"/e/{ENTITY}", "/hand/ec", None),
                    ("(c) list, region filter sorted by name (HTMX fragment)",
                     f"/e/{ENTITY}?f.region=330106&sort=name", "/hand/ec?f.region=330106&sort=name", hx)]
        results += run(lclient, lscreens, args)

    print("\nsummary (ms)                                         generated median / p95    hand-written median / p95   ratio (median, p95)")
    for label, gen, hand_s, gsize, hsize in results:
        print(f"{label:52s} {gen['median']:8.2f} / {gen['p95']:8.2f}       {hand_s['median']:8.2f} / {hand_s['p95']:8.2f}"
              f"       {gen['median'] / hand_s['median']:.2f}×, {gen['p95'] / hand_s['p95']:.2f}×   ({gsize // 1024} KB / {hsize // 1024} KB)")
    return 0


def run(client, screens, args):
    out = []
    for label, url, hand_url, headers in screens:
        clock = time.thread_time if args.cpu else time.perf_counter
        gen, gsize, hand_s, hsize = measure_pair(client, url, hand_url, args.reps, headers, clock)
        print(f"\n{label}\n  generated     {url}\n    {fmt(gen)}  {gsize:,} bytes\n"
              f"  hand-written  {hand_url}\n    {fmt(hand_s)}  {hsize:,} bytes\n"
              f"  ratio (median) {gen['median'] / hand_s['median']:.2f}×   (p95) {gen['p95'] / hand_s['p95']:.2f}×", flush=True)
        if args.profile:
            print(profile(client, url, 30, headers))
        out.append((label, gen, hand_s, gsize, hsize))
    return out


if __name__ == "__main__":
    sys.exit(main())
