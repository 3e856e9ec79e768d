"""A unit's month with one of every ledger and event fault, made by hand from the simulator's clean
payload (so everything else in it is right): what the HTTP, Excel and offline tests send."""
from __future__ import annotations

import copy

UNIT, PERIOD, BEFORE = "RC01", "2025-09", "2025-08"

# rule → a fragment of its Chinese message (ledger.yaml messages) the unit must read
EXPECTED = {
    "PROJECT_UNKNOWN": "不在2025年重点项目登记中",
    "PROJECT_NOT_OWNED": "不由本单位报送",
    "PROJECT_CAUSE": "须填写原因类别",
    "PROJECT_MILESTONE": "晚于报送月份",
    "PROJECT_CUMULATIVE": "累计数不应减少",
    "PROJECT_OVER_INDICATOR": "超过本单位同期报送的",
    "EVENT_DOCUMENT": "未填写文号",
    "EVENT_DATE": "不在报送月份内",
    "EVENT_CLOSURE": "办结率不能超过100%",
    "EVENT_COUNT": "数量不能为负数",
}


def clean(sim, unit: str = UNIT, period: str = PERIOD) -> dict:
    """The simulator's payload as it serves it, ledger and events included."""
    body = sim.generator.payload(unit, period)
    body.update(sim.projects.keys_for(body, unit, period))
    return body


def faulty(sim) -> dict:
    """RC01 2025-09 with one fault per rule, each in a row of its own."""
    body = copy.deepcopy(clean(sim))
    rows = {r["code"]: r for r in body["projects"]}
    invested = body["values"]["INV_TOTAL"]
    rows["QH2024-01"].pop("cause")                                    # delayed without a cause
    rows["QH2024-01"].pop("cause_text")
    rows["QH2024-02"]["milestones"] = [{"name": "路面完工", "date": "2025-10-02"}]   # after the month
    rows["QH2025-02"]["total_investment"] = 1.0                       # falls below August's
    over = rows["QH2025-01"]                                          # otherwise right: counted
    over["month_investment"] += invested
    over["year_investment"] += invested
    over["total_investment"] += invested
    body["projects"] += [{"code": "NOPE-99", "month_investment": 1.0, "year_investment": 1.0,
                          "total_investment": 1.0, "status": "normal"},
                         {"code": "QH2024-04", "month_investment": 1.0, "year_investment": 1.0,
                          "total_investment": 1.0, "status": "normal"}]     # WC01's
    body["events"] = [
        {"kind": "document", "title": "关于开展公路安全隐患排查的通知", "date": "2025-09-03"},
        {"kind": "meeting", "meeting": "on_site", "date": "2025-07-14", "topic": "安全生产形势分析"},
        {"kind": "petition", "channel": "hotline", "received": 3, "closed": 5},
        {"kind": "campaign", "name": "治超百日行动", "start": "2025-09-01", "end": "2025-09-30",
         "counts": {"deployed": -4}},
    ]
    return body


def fill_template(catalog, body: dict, path) -> None:
    """The unit's template for ``body``'s month filled with ``body`` as a clerk would (openpyxl
    here, Excel in real life): figures, each project's row, extra codes in the empty rows, events."""
    from openpyxl import load_workbook

    from county_reports.collect import template
    from county_reports.collect.template_projects import EVENT_FIELDS, PROJECT_FIELDS, SORT, TITLE

    template.write_template(catalog, body["unit"], body["period"], path)
    wb = load_workbook(path)
    ws = wb["指标"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for code, value in body["values"].items():
        ws.cell(rows[code], 5, value)
    ws = wb["重点项目"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    free = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is None]
    for item in body.get("projects", ()):
        row = rows.get(item["code"]) or free.pop(0)
        flat = {**item, **({"milestone": item["milestones"][0]["name"],
                            "milestone_date": item["milestones"][0]["date"]} if item.get("milestones") else {})}
        for col, field in enumerate(PROJECT_FIELDS, start=1):
            if field in flat and field not in ("name", "note", "milestones"):
                ws.cell(row, col, flat[field])
    ws, counts = wb["重要事项"], list(catalog_counts())
    for row, event in enumerate(body.get("events", ()), start=2):
        kind = event["kind"]
        names = {"title": TITLE.get(kind), "sort": SORT.get(kind), "date": "start" if kind == "campaign" else "date",
                 "received": "issues" if kind == "inspection" else "received",
                 "closed": "rectified" if kind == "inspection" else "closed"}
        for col, field in enumerate(EVENT_FIELDS, start=1):
            value = event.get(names.get(field) or field)
            if value is not None:
                ws.cell(row, col, value)
        for col, code in enumerate(counts, start=len(EVENT_FIELDS) + 1):
            if code in event.get("counts", {}):
                ws.cell(row, col, event["counts"][code])
    wb.save(path)


def catalog_counts():
    from county_reports.core.projects.vocabulary import load_vocabulary

    return load_vocabulary().counts
