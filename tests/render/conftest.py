"""Shared by the render tests: a sample official document (about three pages of text, two
attachments, the second long enough to run onto a second page), and ``built``: a county's
warehouse with its two summaries written."""
from __future__ import annotations

import pytest

from county_reports.render import summaries
from county_reports.render.model import (
    Attachment,
    Heading1Section,
    Heading2Section,
    Heading3,
    OfficialDocument,
)
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

TITLE = "某某县某某局2025年上半年工作总结\n及下半年工作计划"


def sample_document(**changes) -> OfficialDocument:
    towns = ["城关镇", "东岭镇", "西河镇", "南山乡", "北坪乡", "清水镇", "石桥乡", "柳林镇",
             "白沙乡", "高峰镇", "双河乡", "平安镇", "永丰乡", "新集镇", "龙泉乡", "长岗镇",
             "黄土乡", "金牛镇", "红星乡", "桃源镇", "青山乡", "沙坪镇", "凤凰乡", "杨柳镇",
             "马鞍乡", "大桥镇", "小河乡", "枫树镇", "竹园乡", "梅岭镇"]
    fields = dict(
        title=TITLE,
        opening=[
            "今年以来，我局在县委、县政府的坚强领导下，坚持稳中求进工作总基调，围绕年初确定的目标任务，"
            "统筹推进重点项目建设、基层服务保障和安全生产各项工作，上半年各项指标总体运行平稳，"
            "大部分指标完成时间过半、任务过半。现将有关情况总结如下。",
        ],
        sections=[
            Heading1Section(
                heading="一、主要工作成效",
                paragraphs=["上半年，全局共完成固定资产投资12,345.67万元，同比增长8.6%，完成年度目标的52.3%。"],
                subsections=[
                    Heading2Section(
                        heading="（一）重点项目建设稳步推进",
                        paragraphs=[
                            "坚持把项目建设作为推动发展的主抓手，实行一个项目、一名领导、一套班子、一抓到底的工作机制，"
                            "定期召开调度会议，协调解决征地拆迁、资金拨付等难点问题18个。",
                            Heading3("1.续建项目加快实施"),
                            "4个续建项目全部复工，累计完成投资6,210.00万元，其中2个项目主体工程已完工，"
                            "正在开展附属设施建设和竣工验收准备工作。",
                            Heading3("2.新建项目有序启动"),
                            "3个新建项目完成立项审批和初步设计，1个项目已完成招标并进场施工，"
                            "其余项目正在开展施工图设计审查，预计三季度全部开工。",
                        ],
                    ),
                    Heading2Section(
                        heading="（二）基层服务能力持续提升",
                        paragraphs=[
                            "围绕群众反映集中的办事难点，推行一窗受理、限时办结，上半年共受理各类事项3,456件，"
                            "按时办结率99.2%，群众满意度测评成绩位居全县前列。",
                            "加强基层站所规范化建设，完成5个乡镇站所标准化改造，配齐配强业务人员，"
                            "开展业务培训6期、培训人员320人次，基层工作人员业务能力明显提升。",
                        ],
                    ),
                    Heading2Section(
                        heading="（三）安全生产形势总体平稳",
                        paragraphs=[
                            "深入开展安全隐患排查整治行动，1—6月共检查生产经营单位236家次，发现隐患412处，"
                            "已整改405处，整改率98.3%，未发生较大及以上安全生产事故。",
                        ],
                    ),
                ],
            ),
            Heading1Section(
                heading="二、存在的主要问题",
                paragraphs=[
                    "一是资金保障压力较大，部分项目配套资金到位不及时，影响施工进度。"
                    "二是基层力量相对薄弱，个别乡镇站所人员老化，专业技术人员短缺。"
                    "三是安全监管任务繁重，监管对象点多面广，隐患整改质量有待进一步提高。",
                ],
            ),
            Heading1Section(
                heading="三、下半年工作计划",
                subsections=[
                    Heading2Section(
                        heading="（一）全力抓好项目建设",
                        paragraphs=["倒排工期、挂图作战，确保续建项目年底前全部完工，新建项目三季度全部开工，"
                                    "全年完成投资目标任务。"],
                    ),
                    Heading2Section(
                        heading="（二）持续优化基层服务",
                        paragraphs=["深化一窗受理改革，推动更多事项网上办、就近办，年内完成全部乡镇站所标准化改造。"],
                    ),
                    Heading2Section(
                        heading="（三）从严从实抓好安全生产",
                        paragraphs=["压紧压实安全生产责任，常态化开展隐患排查整治，确保全年安全生产形势持续稳定。"],
                    ),
                ],
            ),
        ],
        signature="某某县某某局",
        date_text="2025年7月5日",
        attachments=[
            Attachment(
                label="附件1",
                title="2025年1—6月主要指标完成情况表",
                columns=["指标名称", "单位", "1—6月", "同比增减", "年度目标", "完成进度"],
                rows=[
                    ["固定资产投资", "万元", "12,345.67", "8.6%", "23,600.00", "52.3%"],
                    ["新开工项目", "个", "1", "—", "3", "33.3%"],
                    ["受理服务事项", "件", "3,456", "12.1%", "6,000", "57.6%"],
                    ["隐患排查整改", "处", "405", "-2.4%", "—", "—"],
                ],
                notes=["注：1.同比增减按上年同期数计算。", "2.“—”表示无对应数据。"],
            ),
            Attachment(
                label="附件2",
                title="2025年1—6月各乡镇服务事项办理情况表",
                columns=["乡镇", "受理件数", "办结件数", "按时办结率", "备注"],
                rows=[[town, f"{100 + 7 * i:,}", f"{99 + 7 * i:,}", f"{(99 + 7 * i) / (100 + 7 * i):.1%}",
                       "已完成标准化改造" if i % 6 == 0 else ""] for i, town in enumerate(towns)],
                notes=["注：数据截至2025年6月30日。"],
            ),
        ],
    )
    fields.update(changes)
    return OfficialDocument(**fields)


@pytest.fixture(scope="session")
def make_sample():
    """The sample builder: ``make_sample(**changes)`` returns the sample with fields replaced.

    A fixture rather than an import: test modules never ``import conftest``, which would pick
    whichever conftest module pytest loaded last.
    """
    return sample_document


@pytest.fixture(scope="session")
def require_tool():
    """``require_tool("soffice", "libreoffice")``: the first of the tools on PATH; skipped locally
    when none is, a failure when ``CI=true`` (CI must install it)."""
    import os
    import shutil

    def find(*names: str) -> str:
        for name in names:
            found = shutil.which(name)
            if found:
                return found
        message = f"none of {', '.join(names)} on PATH (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    return find


# The demo's months with two reports missing: a county's warehouse, its annual 2024 and half-year
# 2025 summaries written once per test module that asks for them.
MISSING = {("TS03", "2025-03"), ("TS05", "2024-08")}


@pytest.fixture(scope="module")
def built(tmp_path_factory, catalog):
    """(warehouse, {kind: (plan, written)}, folder) of the two summaries."""
    root = tmp_path_factory.mktemp("summaries")
    warehouse = Warehouse(f"sqlite:///{root / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2025-06", skip=MISSING), "test")
    settings = summaries.load_settings()
    out = {}
    for kind, year in (("annual", 2024), ("half_year", 2025)):
        plan = summaries.plan(kind, year, settings)
        out[kind] = (plan, summaries.write_summary(warehouse, catalog, plan, root / kind))
    yield warehouse, out, root
    warehouse.close()
