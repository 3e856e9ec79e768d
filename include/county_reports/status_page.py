"""The admins' reporting status page: units × months, who reported on time, late, was
rejected or is missing; the reporting rate per month; links to validation reports and documents.

Plain HTML built from the warehouse's completeness query, so the Airflow plugin that serves it
stays a thin wrapper (and this module is tested without a web server).
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from county_reports import periods as months
from county_reports.catalog import Catalog

CELLS = {"on_time": ("✓", "按时", "#e6f4ea"), "late": ("迟", "逾期", "#fff4d6"),
         "rejected": ("退", "退回", "#fde2e1"), "missing": ("缺", "未报", "#eeeeee")}


def latest_period(warehouse, fallback: str) -> str:
    return warehouse.latest_period() or fallback     # one max() query, not every stored version


def documents(data_dir: Path) -> list[tuple[str, str]]:
    """(year/file name, relative link) of every rendered document, newest year first."""
    root = Path(data_dir) / "reports"
    found = sorted(root.glob("*/*.docx"), key=lambda p: (p.parent.name, p.name), reverse=True)
    return [(f"{p.parent.name}/{p.name}", f"documents/{p.parent.name}/{p.name}") for p in found]


def render(catalog: Catalog, completeness, rates, period_list: list[str], *,
           validation_reports: set[str], document_links: list[tuple[str, str]]) -> str:
    status = {(r.unit, r.period): r.status for r in completeness.itertuples(index=False)}
    rate_by = {r.period: r for r in rates.itertuples(index=False)}
    head = "".join(f"<th>{_month_link(p, validation_reports)}</th>" for p in period_list)
    rows = []
    for unit in catalog.units:
        cells = []
        for p in period_list:
            s = status.get((unit.code, p))
            if s is None:
                cells.append('<td class="off"></td>')
            else:
                mark, label, colour = CELLS.get(s, ("?", s, "#fff"))
                cells.append(f'<td style="background:{colour}" title="{escape(label)}">{mark}</td>')
        rows.append(f"<tr><th class='unit'>{escape(unit.name)}<small> {unit.code}</small></th>{''.join(cells)}</tr>")
    rate_cells = "".join(
        f"<td>{_pct(rate_by[p].rate) if p in rate_by else ''}</td>" for p in period_list)
    legend = " ".join(f'<span style="background:{c}">{m} {label}</span>' for m, label, c in CELLS.values())
    docs = "".join(f'<li><a href="{escape(href)}">{escape(name)}</a></li>' for name, href in document_links) \
        or "<li>尚未生成</li>"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(catalog.bureau.name)} 月报报送情况</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:center;font-size:14px}}
th.unit{{text-align:left;white-space:nowrap}} td.off{{background:#fafafa}} small{{color:#888}}
.legend span{{padding:2px 6px;margin-right:6px}}</style></head><body>
<h1>{escape(catalog.bureau.name)} · 月报报送情况</h1>
<p class="legend">{legend}（空白：该月不需报送）</p>
<table><tr><th>单位 \\ 月份</th>{head}</tr>{''.join(rows)}
<tr><th class="unit">报送率</th>{rate_cells}</tr></table>
<p>点击月份查看该月的数据校验报告。</p>
<h2>工作总结文档</h2><ul>{docs}</ul></body></html>"""


def window(last: str, count: int) -> list[str]:
    return months.span(months.shift(last, -(count - 1)), last)


def _month_link(period: str, reports: set[str]) -> str:
    label = escape(period)
    return f'<a href="validation/{label}">{label}</a>' if period in reports else label


def _pct(rate) -> str:
    return "" if rate is None or rate != rate else f"{rate * 100:.0f}%"
