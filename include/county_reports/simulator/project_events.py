"""The simulated units' register of events (重要事项): documents, meetings, campaigns with their
counts, honours, proposals, petitions and inspections — a few a month, by kind of unit, each
kind in several wordings (the shapes of titles in real bureau summaries, never their passages).
Deterministic by (seed, unit, month); every date falls in the month, every count is whole and
not negative, closed never exceeds received.
"""
from __future__ import annotations

import calendar
import random
from datetime import date

from county_reports.core import periods
from county_reports.core.catalog import Catalog

_ABBR = {"township_station": "站", "road_centre": "公路", "service_centre": "运服", "enforcement_brigade": "交执",
         "water_centre": "水运", "quality_station": "质监"}
_DOC_TOPICS = {
    "township_station": ("农村公路“路长制”工作", "农村客运安全隐患排查整治", "冬春季农村道路交通安全百日攻坚"),
    "road_centre": ("公路安全生命防护工程", "汛期公路水毁抢修保通", "普通国省干线公路养护管理", "重点项目建设质量安全"),
    "service_centre": ("道路运输安全生产专项整治", "城乡客运一体化", "“两客一危”车辆动态监控", "驾培行业规范提升"),
    "enforcement_brigade": ("路警联合治超", "异地交叉执法", "出租汽车市场秩序整治", "执法领域突出问题专项整治"),
    "water_centre": ("水上交通安全隐患排查", "渡口渡船安全管理", "汛期水上交通安全"),
    "quality_station": ("在建工程质量安全监督抽查", "平安工地建设考核", "试验检测机构专项检查"),
}
_DOC_FORMS = ("关于印发《{county}{year}年{topic}实施方案》的通知", "关于开展{topic}的通知",
              "关于进一步加强{topic}工作的意见", "关于印发《{topic}工作方案》的通知")
_MEETING_TOPICS = ("重点项目建设推进", "安全生产形势分析", "全面从严治党工作", "农村公路建设质量",
                   "道路运输行业稳定")
_SEASONAL = {(4, 5, 6, 7, 8): "汛期安全防范部署", (11, 12, 1, 2): "冬季除雪保通准备", (1, 2): "春运工作部署"}
_CAMPAIGNS = {
    "enforcement_brigade": ("“百日攻坚”治超专项行动", "异地交叉执法行动", "打击非法营运专项整治行动",
                            "货车非法改装专项整治行动"),
    "service_centre": ("“两客一危”安全隐患大排查", "驾培市场秩序专项整治"),
    "water_centre": ("水上交通安全“打非治违”专项行动",),
    "road_centre": ("公路安全隐患排查整治专项行动",),
}
_PARTS = ("超限超载", "非法营运", "未按规定安装卫星定位装置", "驾驶员无证上岗", "车辆非法改装")
_HONOURS = (("全市交通运输系统安全生产工作先进单位", "市交通运输局", "city"),
            ("全省“四好农村路”示范乡镇", "省交通运输厅", "provincial"),
            ("全县平安建设先进集体", "县委、县政府", "county"),
            ("全市治超工作考核第一名", "市治超办", "city"))


def events_for(catalog: Catalog, seed: int, unit_code: str, period: str) -> list[dict]:
    unit = catalog.unit_by_code[unit_code]
    year, month = periods.parse(period)
    rng = random.Random(f"{seed}:{unit_code}:{period}:events")
    last = calendar.monthrange(year, month)[1]
    day = lambda: date(year, month, rng.randint(1, last)).isoformat()  # noqa: E731
    out = []
    if rng.random() < 0.45:
        topic = rng.choice(_DOC_TOPICS[unit.kind])
        title = rng.choice(_DOC_FORMS).format(county=catalog.bureau.county, year=year, topic=topic)
        number = f"{catalog.bureau.county[0]}{_ABBR[unit.kind]}发〔{year}〕{month * 2 + rng.randint(1, 9)}号"
        out.append({"kind": "document", "number": number, "title": title, "date": day()})
    if rng.random() < 0.4:
        meeting = rng.choice(("on_site", "promotion", "deployment", "training"))
        out.append({"kind": "meeting", "meeting": meeting, "date": day(), "topic": rng.choice(_topics(month))})
    if unit.kind in _CAMPAIGNS and rng.random() < (0.7 if unit.kind == "enforcement_brigade" else 0.25):
        out.append(_campaign(rng, unit.kind, year, month, last))
    if unit.kind == "service_centre":
        received = rng.randint(12, 60)
        out.append({"kind": "petition", "channel": "hotline", "received": received,
                    "closed": received - rng.choice((0, 0, 0, 1, 2))})
        if month in (5, 6, 7):
            got = rng.randint(2, 6)
            out.append({"kind": "proposal", "subkind": rng.choice(("npc", "cppcc")), "received": got, "closed": got})
    if unit.kind == "quality_station" and rng.random() < 0.5:
        issues = rng.randint(4, 30)
        out.append({"kind": "inspection", "source": "supervision", "issues": issues,
                    "rectified": issues - rng.randint(0, 3)})
    if rng.random() < 0.05:
        title, body, level = rng.choice(_HONOURS)
        out.append({"kind": "honour", "title": title, "body": body, "level": level, "date": day()})
    return out


def _topics(month: int) -> tuple[str, ...]:
    return _MEETING_TOPICS + tuple(topic for months, topic in _SEASONAL.items() if month in months)


def _campaign(rng: random.Random, kind: str, year: int, month: int, last: int) -> dict:
    start = rng.randint(1, max(1, last - 10))
    found = rng.randint(8, 80)
    parts, left = [], found
    for part in rng.sample(_PARTS, 2):
        count = rng.randint(0, left)
        left -= count
        parts.append({"name": part, "count": count})
    counts = {"deployed": rng.randint(60, 600), "vehicles": rng.randint(300, 4000), "found": found}
    return {"kind": "campaign", "name": rng.choice(_CAMPAIGNS[kind]),
            "start": date(year, month, start).isoformat(),
            "end": date(year, month, rng.randint(start, last)).isoformat(), "counts": counts, "of_which": parts}
