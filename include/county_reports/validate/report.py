"""A readable HTML report of one period's validation, in place of GX Data Docs.

One self-contained page: the verdict counts, every expectation of the suite (frame, check,
importance, parameters, rows evaluated, failures), and the issues of every rejected or warned
unit with the message the unit was sent.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path

from county_reports.catalog import Catalog
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Verdict
from county_reports.validate.suite import CheckResult

_STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0} .ok{color:#17702a} .bad{color:#b00020} .warn{color:#a05a00}
td.n{text-align:right} .small{color:#666;font-size:12px}
"""
_STATUS = {ACCEPTED: ("接受", "ok"), ACCEPTED_WITH_WARNINGS: ("接受（待核实）", "warn"),
           REJECTED: ("退回", "bad")}


def render(period: str, results: list[CheckResult], verdicts: list[Verdict], catalog: Catalog,
           engine: str = "gx") -> str:
    counts = Counter(v.status for v in verdicts)
    out = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
           f"<title>{escape(period)} 报表校验结果</title><style>{_STYLE}</style></head><body>",
           f"<h1>{escape(catalog.bureau.name)} {escape(period)} 报表校验结果</h1>",
           f"<p class='small'>生成于 {datetime.now().isoformat(timespec='seconds')}，"
           f"校验引擎：{'Great Expectations' if engine == 'gx' else 'pandas'}</p>",
           "<table><tr><th>报送</th><th>接受</th><th>接受（待核实）</th><th>退回</th></tr>",
           f"<tr><td class='n'>{len(verdicts)}</td><td class='n'>{counts[ACCEPTED]}</td>"
           f"<td class='n'>{counts[ACCEPTED_WITH_WARNINGS]}</td><td class='n'>{counts[REJECTED]}</td></tr>"
           "</table>", "<h2>校验规则（期望）</h2>",
           "<table><tr><th>#</th><th>数据表</th><th>规则</th><th>重要性</th><th>说明</th><th>期望</th>"
           "<th>参数</th><th>结果</th><th>检查行数</th><th>不符合行数</th></tr>"]
    for n, r in enumerate(results, 1):
        s = r.spec
        result = "<span class='ok'>通过</span>" if r.success else \
            f"<span class='{'bad' if s.importance == 'error' else 'warn'}'>未通过</span>"
        out.append(f"<tr><td class='n'>{n}</td><td>{escape(s.frame)}</td><td>{escape(s.check)}</td>"
                   f"<td>{'错误' if s.importance == 'error' else '警告'}</td><td>{escape(s.description)}</td>"
                   f"<td><code>{escape(s.expectation)}</code></td><td class='small'>{escape(s.summary())}</td>"
                   f"<td>{result}</td><td class='n'>{r.evaluated}</td><td class='n'>{len(r.rows)}</td></tr>")
    out.append("</table><h2>各单位问题</h2>")
    flagged = [v for v in verdicts if v.issues]
    if not flagged:
        out.append("<p class='ok'>所有报送均通过校验。</p>")
    else:
        out.append("<table><tr><th>单位</th><th>结果</th><th>重要性</th><th>规则</th><th>指标</th>"
                   "<th>填报值</th><th>反馈内容</th></tr>")
        for v in sorted(flagged, key=lambda v: (v.status != REJECTED, v.unit)):
            unit = catalog.unit_by_code.get(v.unit)
            label, css = _STATUS[v.status]
            for k, issue in enumerate(v.issues):
                lead = (f"<td rowspan='{len(v.issues)}'>{escape(v.unit)}<br>"
                        f"{escape(unit.name if unit else '')}</td><td rowspan='{len(v.issues)}' "
                        f"class='{css}'>{label}</td>") if k == 0 else ""
                out.append(f"<tr>{lead}<td>{'错误' if issue.importance == 'error' else '警告'}</td>"
                           f"<td>{escape(issue.rule)}</td><td>{escape(issue.indicator or '')}</td>"
                           f"<td>{escape((issue.value or '')[:60])}</td><td>{escape(issue.message)}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def write(path: Path, period: str, results: list[CheckResult], verdicts: list[Verdict],
          catalog: Catalog, engine: str = "gx") -> Path:
    """Write atomically (temp file, then rename) so a reader never sees half a page."""
    from county_reports import atomic

    return atomic.write_text(path, render(period, results, verdicts, catalog, engine))
