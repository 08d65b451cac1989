"""Realistic generated data for benchmarks and the demo.

Every function draws only from the ``random.Random`` it is given (and the ``today`` passed in),
so the same seed always gives the same data. Values have the Python types of
``core.fieldtypes`` (``Decimal`` money, ``date`` dates) and pass its parsers; ID numbers and
unified social credit codes have correct check characters.

``person(rng, today, *, region=None, gender=None)`` — an individual:

==================  ==========  =============================================================
key                 type        value
==================  ==========  =============================================================
name                text        Chinese name, common surname + one or two given characters
gender              choice      ``male`` | ``female``
birth_date          date        age 20-65 at ``today``
id_number           id_number   18 characters; its region code is ``region``, its birth date
                                ``birth_date``, its 17th digit odd for men, even for women
mobile              phone       mainland mobile number (11 digits, real carrier prefixes)
education           choice      ``junior_high`` | ``high_school`` | ``technical_secondary`` | ``college``
                                | ``bachelor`` | ``master`` | ``doctorate``
marital_status      choice      ``single`` | ``married`` | ``divorced`` | ``widowed``
region              region      6-digit GB/T 2260 district code (see :data:`REGIONS`)
address             text        full address in that district, e.g. "浙江省杭州市西湖区文三路88号"
==================  ==========  =============================================================

``enterprise(rng, today, *, region=None, industry=None)`` — a company:

====================  ==========  ===========================================================
key                   type        value
====================  ==========  ===========================================================
name                  text        e.g. "杭州恒信机械制造有限公司" (city + brand + trade + suffix)
uscc                  uscc        ``91`` + region code + organisation code (GB 11714) + check
company_type          choice      ``private`` | ``soe`` | ``llc`` | ``foreign``
legal_rep             text        the legal representative's name
legal_rep_id_number   id_number   the legal representative's ID number
registered_capital    money       whole ten-thousands of yuan, 500,000 - 100,000,000
established_on        date        1993-01-01 .. one year before ``today``
industry              industry    GB/T 4754-2017 division code, e.g. ``C34`` (see :data:`INDUSTRIES`)
region                region      6-digit GB/T 2260 district code (see :data:`REGIONS`)
address               text        registered address in that district
phone                 phone       landline with the city's area code, e.g. "0571-86021234"
employees             integer     5 - 3000
annual_revenue        money       roughly proportional to ``employees``, to the cent
====================  ==========  ===========================================================

``bank(rng)`` — a cooperating bank branch (合作银行):

====================  ==========  ===========================================================
key                   type        value
====================  ==========  ===========================================================
name                  text        e.g. "中国工商银行杭州西湖支行"
bank                  choice      head office code: ``icbc`` | ``abc`` | ``boc`` | ``ccb`` |
                                  ``bocom`` | ``psbc`` | ``cmb`` | ``cib`` | ``spdb`` | ``citic``
region                region      district of the branch
uscc                  uscc        the branch's code (``91`` + region + organisation code)
contact               text        the account manager's name
contact_mobile        phone       their mobile
credit_line           money       credit line granted to the guarantee company (授信额度)
risk_share            percent     share of the loss the bank bears, percent points (0-30)
deposit_ratio         percent     deposit the guarantee company places, percent points (0-20)
account_number        text        19-digit settlement account number
====================  ==========  ===========================================================

``financial_statements(rng, today, *, revenue, health=None, region=None)`` — the rows of an
enterprise's ``financial_statements`` table (seed/standard/entities/enterprise_customer.yaml): three
annual statements (``period_type`` ``year``, 31 December of the three years before the latest
period's year, audited 70 % of the time) and the latest period (the last month end before
``today``, never a 31 December: ``month``, ``quarter`` or ``half_year``, the income figures year to
date), oldest first. ``revenue`` is the last full year's revenue (e.g. ``annual_revenue``).

====================  ==========  ===========================================================
key                   type        value
====================  ==========  ===========================================================
period                date        the period end
period_type           choice      ``year`` | ``half_year`` | ``quarter`` | ``month``
audited               boolean     annual statements 70 %, interim never
auditor               text        a (made-up) local accounting firm, when audited
total_assets          money       revenue / asset turnover (0.5-2.0)
current_assets        money       ≤ total_assets
inventory             money       inventory + accounts_receivable ≤ current_assets
accounts_receivable   money
total_liabilities     money       total_assets × debt ratio
current_liabilities   money       ≤ total_liabilities
net_assets            money       exactly total_assets - total_liabilities
revenue               money       a growth path ending at ``revenue`` in the last full year
net_profit            money       revenue × margin (negative for distressed companies)
interest_expense      money       interest on 40-70 % of the liabilities at 4-7 %
operating_cash_flow   money       net profit × 0.4-1.5 plus depreciation (may be negative)
====================  ==========  ===========================================================

``health`` (drawn when not given; :data:`HEALTH` and its weights) shapes the figures:

===========  ======  ===============  ================  ==================  ==========================
health       share   debt ratio       net margin        current ratio       revenue growth a year
===========  ======  ===============  ================  ==================  ==========================
sound        70 %    30-60 %          3-12 %            1.2-2.2             +8 % ± 8
weak         20 %    60-75 %, rising  0-3 %             0.9-1.4             0 % ± 8
distressed   10 %    75-95 %, rising  -15 % to -2 %     0.5-1.0             -12 % ± 8
===========  ======  ===============  ================  ==================  ==========================

so a scorecard's debt-ratio and loss vetoes and the warnings about deteriorating ratios have
companies to find.

Code lists these codes come from: :data:`REGIONS`, :data:`INDUSTRIES`, :data:`EDUCATION`,
:data:`MARITAL_STATUS`, :data:`COMPANY_TYPES`, :data:`BANKS`.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from core.checksums import make_id_number, make_uscc, org_code_check_char

__all__ = [
    "REGIONS", "INDUSTRIES", "EDUCATION", "MARITAL_STATUS", "COMPANY_TYPES", "BANKS",
    "SURNAMES", "HEALTH", "person", "enterprise", "bank", "financial_statements", "chinese_name",
    "mobile_number",
]

# GB/T 2260 district code -> (province, city, district, short city name, area code)
REGIONS: dict[str, tuple[str, str, str, str, str]] = {
    "110105": ("北京市", "", "朝阳区", "北京", "010"),
    "110108": ("北京市", "", "海淀区", "北京", "010"),
    "310104": ("上海市", "", "徐汇区", "上海", "021"),
    "310115": ("上海市", "", "浦东新区", "上海", "021"),
    "500103": ("重庆市", "", "渝中区", "重庆", "023"),
    "330102": ("浙江省", "杭州市", "上城区", "杭州", "0571"),
    "330106": ("浙江省", "杭州市", "西湖区", "杭州", "0571"),
    "330203": ("浙江省", "宁波市", "海曙区", "宁波", "0574"),
    "320106": ("江苏省", "南京市", "鼓楼区", "南京", "025"),
    "320505": ("江苏省", "苏州市", "虎丘区", "苏州", "0512"),
    "440106": ("广东省", "广州市", "天河区", "广州", "020"),
    "440305": ("广东省", "深圳市", "南山区", "深圳", "0755"),
    "370102": ("山东省", "济南市", "历下区", "济南", "0531"),
    "350102": ("福建省", "福州市", "鼓楼区", "福州", "0591"),
    "420106": ("湖北省", "武汉市", "武昌区", "武汉", "027"),
    "430104": ("湖南省", "长沙市", "岳麓区", "长沙", "0731"),
    "410105": ("河南省", "郑州市", "金水区", "郑州", "0371"),
    "510107": ("四川省", "成都市", "武侯区", "成都", "028"),
    "610113": ("陕西省", "西安市", "雁塔区", "西安", "029"),
    "340104": ("安徽省", "合肥市", "蜀山区", "合肥", "0551"),
}

# GB/T 4754-2017 division code -> (division name, trade words used in company names)
INDUSTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "A01": ("农业", ("农业科技", "种植", "生态农业")),
    "A03": ("畜牧业", ("畜牧", "养殖")),
    "C13": ("农副食品加工业", ("粮油", "农副产品加工")),
    "C14": ("食品制造业", ("食品",)),
    "C17": ("纺织业", ("纺织", "丝绸")),
    "C18": ("纺织服装、服饰业", ("服饰", "服装")),
    "C26": ("化学原料和化学制品制造业", ("化工",)),
    "C29": ("橡胶和塑料制品业", ("塑业", "橡塑制品")),
    "C33": ("金属制品业", ("五金", "金属制品")),
    "C34": ("通用设备制造业", ("机械制造", "机械", "泵阀")),
    "C35": ("专用设备制造业", ("专用设备", "智能装备")),
    "C36": ("汽车制造业", ("汽车零部件", "汽配")),
    "C38": ("电气机械和器材制造业", ("电气", "电器", "电机")),
    "C39": ("计算机、通信和其他电子设备制造业", ("电子", "光电", "通信设备")),
    "E47": ("房屋建筑业", ("建设", "建筑工程")),
    "E48": ("土木工程建筑业", ("路桥", "市政工程")),
    "F51": ("批发业", ("贸易", "商贸", "进出口")),
    "F52": ("零售业", ("商业", "超市")),
    "G54": ("道路运输业", ("物流", "运输")),
    "H62": ("餐饮业", ("餐饮", "餐饮管理")),
    "I65": ("软件和信息技术服务业", ("信息技术", "软件", "网络科技")),
    "L72": ("商务服务业", ("企业管理咨询", "商务咨询")),
    "M75": ("科技推广和应用服务业", ("科技", "新材料科技")),
}

# codes as in the standard pack's code lists (seed/standard/codelists)
EDUCATION = ("junior_high", "high_school", "technical_secondary", "college", "bachelor", "master", "doctorate")
_EDUCATION_WEIGHTS = (12, 18, 12, 22, 28, 7, 1)
MARITAL_STATUS = ("single", "married", "divorced", "widowed")
COMPANY_TYPES = ("private", "soe", "llc", "foreign")
_COMPANY_TYPE_WEIGHTS = (85, 8, 3, 4)

# head-office code -> (full name, name used in branch names)
BANKS: dict[str, tuple[str, str]] = {
    "icbc": ("中国工商银行股份有限公司", "中国工商银行"),
    "abc": ("中国农业银行股份有限公司", "中国农业银行"),
    "boc": ("中国银行股份有限公司", "中国银行"),
    "ccb": ("中国建设银行股份有限公司", "中国建设银行"),
    "bocom": ("交通银行股份有限公司", "交通银行"),
    "psbc": ("中国邮政储蓄银行股份有限公司", "中国邮政储蓄银行"),
    "cmb": ("招商银行股份有限公司", "招商银行"),
    "cib": ("兴业银行股份有限公司", "兴业银行"),
    "spdb": ("上海浦东发展银行股份有限公司", "上海浦东发展银行"),
    "citic": ("中信银行股份有限公司", "中信银行"),
}

# the most common surnames, weighted roughly by frequency (per mille of the population)
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 33), ("黄", 24),
    ("赵", 23), ("吴", 21), ("周", 21), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("高", 11), ("林", 11), ("罗", 11), ("郑", 10),
    ("梁", 10), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 6), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("方", 3), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("欧阳", 1), ("司马", 1),
)
_SURNAME_LIST = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)

_GIVEN_MALE = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
_GIVEN_FEMALE = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵"

_BRAND_WORDS = ("恒信", "华泰", "鑫源", "宏达", "金盛", "永安", "瑞丰", "天成", "通达", "新华",
                "隆昌", "盛世", "润发", "中联", "汇丰", "博远", "嘉禾", "东方", "正泰", "富华",
                "德兴", "广源", "海纳", "日升", "万隆", "兴业", "和信", "凯达", "众诚", "景泰",
                "远航", "华宇", "长江", "明珠", "同创", "启航", "安泰", "国信", "锦程", "宏图")
_COMPANY_SUFFIXES = (("有限公司", 80), ("有限责任公司", 12), ("股份有限公司", 8))

_STREETS = ("人民路", "解放路", "中山路", "建设路", "和平路", "文化路", "新华路", "青年路",
            "胜利路", "长江路", "黄河路", "滨江大道", "科技园路", "工业园路", "学院路", "光明路",
            "迎宾大道", "环城北路", "朝阳路", "幸福路", "发展大道", "创业路", "兴业街", "财富大道")

# mobile number prefixes in real use (China Mobile, Unicom, Telecom, Broadnet)
_MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
                    "150", "151", "152", "153", "155", "156", "157", "158", "159",
                    "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
                    "184", "185", "186", "187", "188", "189", "191", "193", "198", "199")

# financial health of a company -> weight (see financial_statements)
HEALTH: dict[str, int] = {"sound": 70, "weak": 20, "distressed": 10}

_BANK_CODES = tuple(BANKS)
_BANK_WEIGHTS = (16, 14, 12, 14, 8, 8, 8, 7, 6, 7)
_REGION_CODES = tuple(REGIONS)
_INDUSTRY_CODES = tuple(INDUSTRIES)


# ------------------------------------------------------------------------------ pieces

def chinese_name(rng: random.Random, gender: str) -> str:
    """A name: a common surname and one (30 %) or two (70 %) given-name characters."""
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    pool = _GIVEN_MALE if gender == "male" else _GIVEN_FEMALE
    count = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(pool) for _ in range(count))


def mobile_number(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def _landline(rng: random.Random, region: str) -> str:
    area = REGIONS[region][4]
    return f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** 7):07d}"


def _address(rng: random.Random, region: str) -> str:
    province, city, district, _, _ = REGIONS[region]
    return f"{province}{city}{district}{rng.choice(_STREETS)}{rng.randint(1, 999)}号"


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:                      # 29 February
        return day.replace(year=day.year - years, day=28)


def _uscc(rng: random.Random, region: str) -> str:
    org_body = f"{rng.randrange(10 ** 8):08d}"
    org = org_body + org_code_check_char(org_body)
    return make_uscc("91" + region + org)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------ records

def person(rng: random.Random, today: date, *, region: str | None = None,
           gender: str | None = None) -> dict:
    """A person; see the module docstring for the keys."""
    gender = gender or rng.choice(("male", "female"))
    region = region or rng.choice(_REGION_CODES)
    if region not in REGIONS:
        raise ValueError(f"unknown region code {region!r}; choose one of REGIONS")
    earliest = _years_before(today, 65) + timedelta(days=1)
    birth = _random_date(rng, earliest, _years_before(today, 20))
    id_number = make_id_number(region, birth, rng.randrange(1000), gender=gender)
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if age < 25:
        marital = rng.choices(MARITAL_STATUS, (80, 19, 1, 0))[0]
    else:
        marital = rng.choices(MARITAL_STATUS, (10, 78, 9, 3))[0]
    return {
        "name": chinese_name(rng, gender),
        "gender": gender,
        "birth_date": birth,
        "id_number": id_number,
        "mobile": mobile_number(rng),
        "education": rng.choices(EDUCATION, _EDUCATION_WEIGHTS)[0],
        "marital_status": marital,
        "region": region,
        "address": _address(rng, region),
    }


def enterprise(rng: random.Random, today: date, *, region: str | None = None,
               industry: str | None = None) -> dict:
    """A company; see the module docstring for the keys."""
    region = region or rng.choice(_REGION_CODES)
    industry = industry or rng.choice(_INDUSTRY_CODES)
    if region not in REGIONS:
        raise ValueError(f"unknown region code {region!r}; choose one of REGIONS")
    if industry not in INDUSTRIES:
        raise ValueError(f"unknown industry code {industry!r}; choose one of INDUSTRIES")
    city = REGIONS[region][3]
    trade = rng.choice(INDUSTRIES[industry][1])
    suffix = rng.choices([s for s, _ in _COMPANY_SUFFIXES], [w for _, w in _COMPANY_SUFFIXES])[0]
    name = f"{city}{rng.choice(_BRAND_WORDS)}{trade}{suffix}"

    rep = person(rng, today, region=region)
    capital_wan = rng.choice((50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 3000, 5000,
                              10000))
    employees = min(3000, max(5, int(rng.lognormvariate(3.8, 1.0))))
    revenue_per_head = Decimal(rng.randint(200_000, 900_000))        # yuan a year per employee
    revenue = _money(revenue_per_head * employees * Decimal(rng.randint(7_000, 13_000)) / 10_000)
    return {
        "name": name,
        "uscc": _uscc(rng, region),
        "company_type": rng.choices(COMPANY_TYPES, _COMPANY_TYPE_WEIGHTS)[0],
        "legal_rep": rep["name"],
        "legal_rep_id_number": rep["id_number"],
        "registered_capital": _money(Decimal(capital_wan) * 10_000),
        "established_on": _random_date(rng, date(1993, 1, 1), _years_before(today, 1)),
        "industry": industry,
        "region": region,
        "address": _address(rng, region),
        "phone": _landline(rng, region),
        "employees": employees,
        "annual_revenue": revenue,
    }


def bank(rng: random.Random, *, region: str | None = None, code: str | None = None) -> dict:
    """A cooperating bank branch; see the module docstring for the keys."""
    region = region or rng.choice(_REGION_CODES)
    code = code or rng.choices(_BANK_CODES, _BANK_WEIGHTS)[0]
    if region not in REGIONS or code not in BANKS:
        raise ValueError(f"unknown region {region!r} or bank {code!r}")
    _, _, district, short, _ = REGIONS[region]
    if district.endswith("新区"):
        district = district[:-2]
    elif district.endswith("区") and len(district) == 3:
        district = district[:-1]
    branch = f"{short}{district}支行"
    gender = rng.choice(("male", "female"))
    return {
        "name": f"{BANKS[code][1]}{branch}",
        "bank": code,
        "region": region,
        "uscc": _uscc(rng, region),
        "contact": chinese_name(rng, gender),
        "contact_mobile": mobile_number(rng),
        "credit_line": _money(Decimal(rng.choice((5_000, 10_000, 20_000, 30_000, 50_000, 100_000)))
                              * 10_000),
        "risk_share": Decimal(rng.choice((0, 0, 10, 20, 20, 30))).quantize(Decimal("0.01")),
        "deposit_ratio": Decimal(rng.choice((0, 5, 10, 10, 15, 20))).quantize(Decimal("0.01")),
        "account_number": str(rng.randint(1, 9)) + f"{rng.randrange(10 ** 18):018d}",
    }


# health -> (latest debt ratio range %, rise a year back, net margin range %, current ratio range,
#            mean revenue growth %)
_PROFILES = {
    "sound": ((30, 60), 0, (3, 12), (1.2, 2.2), 8),
    "weak": ((60, 75), 2, (0, 3), (0.9, 1.4), 0),
    "distressed": ((75, 95), 4, (-15, -2), (0.5, 1.0), -12),
}
_PERIOD_TYPES = {3: "quarter", 6: "half_year", 9: "quarter"}


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _latest_period(today: date) -> date:
    """The last month end before today that is not a 31 December (annual reports come later)."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1) - timedelta(days=1) if end.month == 12 else end


def financial_statements(rng: random.Random, today: date, *, revenue: Decimal, health: str | None = None,
                         region: str | None = None) -> list[dict]:
    """Three annual statements and the latest period, oldest first; see the module docstring."""
    health = health or rng.choices(tuple(HEALTH), tuple(HEALTH.values()))[0]
    if health not in _PROFILES:
        raise ValueError(f"unknown health {health!r}; choose one of {', '.join(HEALTH)}")
    if revenue <= 0:
        raise ValueError("revenue must be positive")
    (dr_lo, dr_hi), rise, (m_lo, m_hi), (cr_lo, cr_hi), growth = _PROFILES[health]
    latest = _latest_period(today)
    region = region or rng.choice(_REGION_CODES)
    auditor = f"{REGIONS[region][3]}{rng.choice(_BRAND_WORDS)}会计师事务所有限公司"
    turnover = rng.uniform(0.5, 2.0)
    debt_ratio = rng.uniform(dr_lo, dr_hi)

    # revenue path, from the last full year backwards
    revenues, r = [], Decimal(revenue)
    for _ in range(3):
        revenues.append(r)
        r = r / Decimal(str(1 + max(-0.5, rng.gauss(growth, 8) / 100)))
    revenues.reverse()
    interim_growth = Decimal(str(1 + max(-0.5, rng.gauss(growth, 8) / 100)))
    months = latest.month
    periods = [(date(latest.year - 3 + i, 12, 31), "year", rev, 12) for i, rev in enumerate(revenues)]
    periods.append((latest, _PERIOD_TYPES.get(months, "month"),
                    revenues[-1] * interim_growth * months / 12, months))

    rows = []
    for back, (period, kind, rev, months) in zip((3, 2, 1, 0), periods):
        annual_rev = rev * 12 / months
        total_assets = _money(annual_rev / Decimal(str(turnover * rng.uniform(0.93, 1.07))))
        ratio = min(97.0, max(5.0, debt_ratio + rise * (1 - back) + rng.uniform(-2, 2))) / 100
        liabilities = _money(total_assets * Decimal(str(ratio)))
        current_liabilities = _money(liabilities * Decimal(str(rng.uniform(0.5, 0.9))))
        current_assets = min(_money(current_liabilities * Decimal(str(rng.uniform(cr_lo, cr_hi)))),
                             _money(total_assets * Decimal("0.9")))
        inventory = _money(current_assets * Decimal(str(rng.uniform(0.1, 0.4))))
        receivable = _money(current_assets * Decimal(str(rng.uniform(0.15, 0.45))))
        margin = rng.uniform(m_lo, m_hi) / 100
        net_profit = _money(rev * Decimal(str(margin)))
        interest = _money(liabilities * Decimal(str(rng.uniform(0.4, 0.7) * rng.uniform(0.04, 0.07)))
                          * months / 12)
        depreciation = total_assets * Decimal(str(rng.uniform(0.01, 0.04))) * months / 12
        cash_flow = _money(net_profit * Decimal(str(rng.uniform(0.4, 1.5))) + depreciation)
        audited = kind == "year" and rng.random() < 0.7
        row = {
            "period": period, "period_type": kind, "audited": audited,
            "total_assets": total_assets, "current_assets": current_assets, "inventory": inventory,
            "accounts_receivable": receivable, "total_liabilities": liabilities,
            "current_liabilities": current_liabilities, "net_assets": total_assets - liabilities,
            "revenue": _money(rev), "net_profit": net_profit, "interest_expense": interest,
            "operating_cash_flow": cash_flow,
        }
        if audited:
            row["auditor"] = auditor
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ counter-guarantees

COLLATERAL_TYPES = ("residential", "commercial", "industrial", "land", "equipment", "vehicle")
_COLLATERAL_WEIGHTS = (40, 20, 18, 8, 9, 5)
PLEDGE_TYPES = ("deposit_receipt", "equity", "receivable", "listed_shares", "warehouse_receipt")
_PLEDGE_WEIGHTS = (20, 30, 30, 10, 10)
_APPRAISERS = ("中联资产评估集团有限公司", "北京中企华资产评估有限责任公司", "坤元资产评估有限公司",
               "银信资产评估有限公司", "天源资产评估有限公司")
_PROVINCE_SHORT = {"上海市": "沪", "北京市": "京", "四川省": "川", "安徽省": "皖", "山东省": "鲁", "广东省": "粤",
                   "江苏省": "苏", "河南省": "豫", "浙江省": "浙", "湖北省": "鄂", "湖南省": "湘", "福建省": "闽",
                   "重庆市": "渝", "陕西省": "陕"}
_GOODS = {"residential": "住宅", "commercial": "商铺", "industrial": "厂房", "land": "地块",
          "equipment": "生产设备一批", "vehicle": "货运车辆"}


def counter_guarantees(rng: random.Random, today: date, amount: Decimal, *, provider: str, kinds,
                       caps: dict[str, Decimal], region: str | None = None, coverage: float | None = None,
                       signed_on: date | None = None) -> list[dict]:
    """1-3 counter-guarantees (the ``counter_guarantee`` entity's values) for a guarantee of
    `amount`, of the `kinds` allowed (codes of counter_guarantee_kind). The mortgages and pledges
    are appraised so that their secured value (recognised value x `caps` [collateral or pledge
    type code -> loan-to-value cap in %]) sums to about `coverage` x `amount`; `coverage` is drawn
    around 1.2 (lognormal, about a quarter of projects below 1) when not given. Sureties (a person
    or a company, net worth given) and credit count nothing towards coverage."""
    region = region or rng.choice(_REGION_CODES)
    signed_on = signed_on or today
    if coverage is None:
        coverage = rng.lognormvariate(0.18, 0.3)
    secured_kinds = [k for k in ("mortgage", "pledge") if k in kinds]
    n = rng.choices((1, 2, 3), (45, 40, 15))[0]
    plan = [rng.choices(secured_kinds, (75, 25)[:len(secured_kinds)])[0]] if secured_kinds else []
    others = [k for k in ("surety", "mortgage", "pledge") if k in kinds]
    while len(plan) < n and others:
        plan.append(rng.choices(others, (70, 20, 10)[:len(others)])[0])
    if not plan:
        plan = ["credit"] if "credit" in kinds else list(kinds)[:1]
    valued = [i for i, k in enumerate(plan) if k in ("mortgage", "pledge")]
    weights = [rng.uniform(0.5, 1.5) for _ in valued]
    target = {i: amount * Decimal(str(round(coverage, 4))) * Decimal(str(w / sum(weights)))
              for i, w in zip(valued, weights)}
    out = []
    for i, kind in enumerate(plan):
        item: dict = {"kind": kind, "status": "effective", "signed_on": signed_on}
        if kind in ("mortgage", "pledge"):
            if kind == "mortgage":
                sub = rng.choices(COLLATERAL_TYPES, _COLLATERAL_WEIGHTS)[0]
                item.update(collateral_type=sub, provider=provider,
                            location=f"{_address(rng, region)}{_GOODS[sub]}",
                            property_cert_no=f"{_PROVINCE_SHORT.get(REGIONS[region][0], REGIONS[region][0][0])}({today.year - rng.randint(1, 12)})"
                                             f"不动产权第{rng.randint(1, 9_999_999):07d}号",
                            priority=1)
                if sub in ("residential", "commercial", "industrial"):
                    item["area"] = Decimal(rng.randint(60, 3000))
            else:
                sub = rng.choices(PLEDGE_TYPES, _PLEDGE_WEIGHTS)[0]
                item.update(pledge_type=sub, provider=provider, pledge_issuer=enterprise(rng, today)["name"],
                            pledge_cert_no=f"ZY{rng.randrange(10 ** 10):010d}")
            cap = Decimal(str(caps.get(sub, 50)))
            value = (target[i] * 100 / cap).quantize(Decimal("1")) if cap else amount
            elsewhere = Decimal(0)
            if kind == "mortgage" and rng.random() < 0.12:        # a second-rank mortgage
                elsewhere = (value * Decimal(str(rng.uniform(0.2, 0.6)))).quantize(Decimal("1"))
                item["priority"] = 2
            registered = rng.random() < 0.9
            item.update(appraiser=rng.choice(_APPRAISERS), appraised_value=_money(value + elsewhere),
                        appraisal_date=signed_on - timedelta(days=rng.randint(5, 40)),
                        pledged_elsewhere=_money(elsewhere),
                        registration_status="registered" if registered else "unregistered",
                        registration_no=f"DJ{signed_on:%Y%m%d}{rng.randrange(10 ** 5):05d}" if registered else None)
        elif kind == "surety":
            if rng.random() < 0.7:
                p = person(rng, today, region=region)
                item.update(provider=p["name"], guarantor_type="person", guarantor_id_number=p["id_number"],
                            guarantor_relation=rng.choice(("actual_controller", "legal_rep", "spouse", "shareholder")),
                            net_worth=_money(Decimal(rng.randint(50, 2000) * 10_000)))
            else:
                c = enterprise(rng, today, region=region)
                item.update(provider=c["name"], guarantor_type="company", guarantor_uscc=c["uscc"],
                            guarantor_relation=rng.choice(("affiliate", "third_party")),
                            net_worth=_money(Decimal(rng.randint(500, 20000) * 10_000)))
        elif kind == "credit":
            item["remarks"] = "客户资信良好、经营稳定，经审保会同意采用信用方式"
        else:
            item["provider"] = provider
        out.append({k: v for k, v in item.items() if v is not None})
    return out
