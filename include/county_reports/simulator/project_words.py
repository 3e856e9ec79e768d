"""How the simulated units word their ledger: causes of delay, 形象进度, made-up projects' names.

Written in the register of county ledgers (a cause names the place, the count and the step that
is missing; progress names the structural parts and their share), each in several wordings so no
two units read alike. The simulator plays the units, so its Chinese lives here, not in config.
"""
from __future__ import annotations

import random

from county_reports.core.catalog import Catalog, Unit
from county_reports.core.projects.register import Project, ProjectYear

START, MID, END = "开工", "主体工程完工", "交工验收"

CAUSES = {"stalled": ("land", "approval", "funding"),
          "delayed": ("land", "design_change", "construction", "weather", "obstruction")}

_CAUSE_TEXTS = {
    "land": ("{place}段尚有{n}户房屋拆迁未完成，征地补偿协议未签订",
             "{place}境内{acres}亩集体土地征收补偿未谈妥，{n}户拆迁户诉求较高",
             "K{k}+{m:03d}处{n}户房屋拆迁受阻，施工作业面无法展开"),
    "approval": ("项目用地预审未获批复，涉及{acres}亩林地使用手续仍在省林业部门审批",
                 "用地组卷报批未完成，{acres}亩建设用地指标尚未落实",
                 "环境影响评价报告未获批复，项目暂停施工"),
    "funding": ("县级配套资金到位不足，拖欠施工单位工程款，施工单位已撤场",
                "上级补助资金未下达，县级配套缺口较大，暂停施工",
                "专项债券资金未按期发行，项目资金链紧张，停工待资"),
    "design_change": ("{place}段地质条件与设计不符，需变更路基处治方案，变更设计正在审查",
                      "K{k}+{m:03d}处涵洞位置调整，设计变更尚未批复"),
    "construction": ("施工单位人员、机械投入不足，路面工程进度滞后",
                     "施工组织不力，关键工序衔接不紧，桥梁下部结构施工滞后"),
    "weather": ("{month}月持续降雨{days}天，路基土方无法施工",
                "汛期强降雨导致{place}段边坡塌方，清方处治影响工期"),
    "obstruction": ("{place}段群众以补偿标准为由阻工{days}天",
                    "沿线个别群众因排水问题阻挠施工，经{place}协调后复工"),
}

_PROGRESS = {
    "trunk_road": ("路基完成{a}%，桥涵完成{b}%，路面完成{c}%", "完成路基土石方{a}%，桥梁下部结构完成{b}%",
                   "路基工程完成{a}%，涵洞完成{b}%"),
    "rural_road": ("完成路基{a}%，路面铺筑{c}%", "路基成型{a}%，水泥混凝土路面完成{c}%"),
    "dangerous_bridge": ("桩基完成{a}%，下部结构完成{b}%", "完成桩基{a}%，梁板预制{b}%"),
    "ferry_bridge": ("桩基完成{a}%，承台墩身完成{b}%", "主桥下部结构完成{a}%，上部结构完成{c}%"),
    "hub": ("主体结构完成{a}%，装饰装修完成{c}%", "站房主体完成{a}%，附属工程完成{b}%"),
    "maintenance": ("完成铣刨摊铺{a}%，标线完成{c}%", "大中修完成{a}%"),
    "overload_site": ("检测车道完成{a}%，站房完成{b}%",),
    "waterway": ("码头水工结构完成{a}%", "港池疏浚完成{a}%，堆场完成{b}%"),
}
_PRELIMINARY = ("工程可行性研究报告编制完成，正在报批", "完成地形测量和地质勘察，初步设计编制中",
                "项目建议书已批复，工可报告编制中")


def cause_text(rng: random.Random, cause: str, project: Project, catalog: Catalog) -> str:
    places = [catalog.unit_by_code[t].name[:3] for t in project.townships if t in catalog.unit_by_code]
    place = rng.choice(places) if places else catalog.bureau.county
    text = rng.choice(_CAUSE_TEXTS[cause])
    return text.format(place=place, n=rng.randint(2, 9), acres=rng.randint(8, 60), k=rng.randint(1, 18),
                       m=rng.randint(0, 999), month=rng.randint(5, 8), days=rng.randint(9, 26))


def progress(rng: random.Random, project: Project, plan: ProjectYear, done: float) -> str:
    # a unit keeps its own way of writing a project's progress from month to month
    form = random.Random(project.code)
    if plan.nature == "preliminary":
        return form.choice(_PRELIMINARY)
    done = max(0.0, min(1.0, done))
    a = min(100, round(done * 130))
    b, c = min(100, round(done * 100)), min(100, round(max(0.0, done - 0.3) * 140))
    return form.choice(_PROGRESS.get(project.category, ("工程完成{a}%",))).format(a=a, b=b, c=c)


_ROUTES = ("X0{n:02d}线{a}至{b}段改建工程", "S2{n:02d}线{a}至{b}段改扩建工程", "Y{n:03d}线{a}至{b}段提质改造工程")


def made_up_project(rng: random.Random, unit: Unit, catalog: Catalog) -> tuple[str, str, str]:
    """(category, name, scale) of a made-up project of ``unit``."""
    place = unit.name.replace(unit.kind_name, "") or catalog.bureau.county
    if unit.kind == "road_centre":
        a, b = rng.sample(("城关", "石桥", "河口", "龙泉", "青山", "柳林", "白沙", "双河", "新华", "马坪"), 2)
        name = rng.choice(_ROUTES).format(n=rng.randint(1, 99), a=a, b=b)
        return "trunk_road", name, f"全长{rng.randint(60, 260) / 10}公里"
    if unit.kind == "water_centre":
        return ("ferry_bridge", f"{place}{rng.choice(('渡口', '渡'))}撤渡建桥工程",
                f"大桥1座，全长{rng.randint(180, 520)}米")
    if unit.kind == "service_centre":
        return "hub", f"{place}客运站改造提升工程", f"站房{rng.randint(2, 8) * 1000}平方米"
    return "rural_road", f"{place[:3]}农村公路提档升级工程", f"提档升级{rng.randint(50, 250) / 10}公里"
