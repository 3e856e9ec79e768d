"""附件2 of a county summary with key projects: 重点项目推进情况表 (wording.yaml ``projects.attachment``).

One row per project with ledger rows in the span, the figures as ``aggregate.projects`` read
them from the warehouse, each traced in the sidecar (where ``附件2``). The indicators table
becomes 附件1, the way the city's 附件2 (``render.by_county``) is added: the layout numbers the
attachment list when there are two.
"""
from __future__ import annotations

import dataclasses

from county_reports.render import appendix, number_style
from county_reports.render.model import Attachment

_ALIGN = ("center", "left", "center", "left", "right", "right", "right", "right", "left", "left", "left")


def projects_attachment(catalog, wording: dict, inputs, trace: list[dict], attachments: list) -> list:
    cfg = wording["projects"]["attachment"]
    fields = appendix.span_fields(catalog, inputs.span, inputs.report_date)
    where = cfg["label"]
    statuses = wording["projects"]["troubled"]
    rows = []
    for number, p in enumerate(inputs.projects, 1):
        def traced(text, measure, value, p=p):
            trace.append({"text": text, "where": where, "indicator": None, "measure": measure, "value": value,
                          "span": [inputs.span.first, inputs.span.last], "aggregation": None, "project": p.code})
            return text

        unit = catalog.unit_by_code.get(p.unit)
        remark = p.cause if p.status in statuses else ""
        rows.append([str(number), p.name, p.nature, p.scale,
                     traced(number_style.fmt_number(p.total_investment, 2), "project_total", p.total_investment),
                     traced(number_style.fmt_number(p.plan, 2), "project_plan", p.plan),
                     traced(number_style.fmt_number(p.done, 2), "project_done", p.done),
                     traced(number_style.fmt_pct(p.share, 1), "project_share_pct", p.share),
                     p.progress, unit.name if unit else p.unit, remark])
    first = dataclasses.replace(attachments[0], label=cfg["first_label"])
    table = Attachment(cfg["label"], appendix.fill(cfg["title"], **fields),
                       [appendix.fill(c, **fields) for c in cfg["columns"]], rows, column_align=_ALIGN)
    return [first, *attachments[1:], table]
