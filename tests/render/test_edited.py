"""render/review: an edited draft checked against the generated one (issue 21 part 2's engine).

The drafts are really rendered from a seeded SQLite warehouse (``summaries.write_summary``); the
edited documents are made here the way a clerk's Word would leave them, by editing the rendered
.docx with python-docx: a paragraph added, a figure changed (in the text and in the 附件 table), a
heading restyled. The traceable lookup is a real one over the warehouse's county figures.
"""
from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from county_reports.render import summaries
from county_reports.aggregate import county_figures
from county_reports.render import layout
from county_reports.render.review.edited import EditedRefused, restore_layout, review_edited
from county_reports.render.review.paragraphs import paragraphs
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

ADDED = "6月18日，县委主要领导到我局调研指导，听取上半年工作汇报，新增安排养护资金312.5万元。"
HOSTILE = "<script>alert(1)</script> **加粗** [链接](http://x) & 备注"


@pytest.fixture(scope="module")
def drafts(tmp_path_factory, catalog):
    root = tmp_path_factory.mktemp("edited")
    warehouse = Warehouse(f"sqlite:///{root / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2025-06"), "test")
    settings = summaries.load_settings()
    out = {}
    for kind, year in (("half_year", 2025), ("annual", 2024)):
        plan = summaries.plan(kind, year, settings)
        files = summaries.write_summary(warehouse, catalog, plan, root / kind)
        out[kind] = (Path(files["docx"]).read_bytes(), json.loads(Path(files["sidecar"]).read_text("utf-8")))
    span = summaries.plan("half_year", 2025, settings).span
    values = warehouse.current_values(list(span.periods) + list(span.same_span_last_year().periods))
    out["county"] = county_figures(catalog, values, span)
    yield out
    warehouse.close()


def _document(raw: bytes):
    return docx.Document(io.BytesIO(raw))


def _bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _index(document, predicate) -> int:
    return next(p.index for p in paragraphs(document) if predicate(p))


def _replace_in_runs(paragraph, old: str, new: str) -> None:
    for run in paragraph.runs:
        if old in run.text:
            run.text = run.text.replace(old, new, 1)
            return
    raise AssertionError(f"{old!r} not in one run of {paragraph.text[:40]!r}")


def clerk_edit(raw: bytes, sidecar: dict) -> tuple[bytes, dict]:
    """The draft as a clerk leaves it: the total investment changed in the text and a figure of
    the 附件 table changed, a paragraph added after the first heading's first paragraph, and
    the first heading restyled (宋体 18 pt, what Word's font box does)."""
    document = _document(raw)
    total = next(f for f in sidecar["figures"] if f["indicator"] == "INV_TOTAL" and f["measure"] == "value"
                 and f["where"].startswith("theme"))
    body = document.paragraphs
    heading = next(p for p in body if p.style.name == layout.STYLE_HEADING1)
    first = next(p for p in body if total["text"] in p.text and body.index(p) > body.index(heading))
    _replace_in_runs(first, total["text"], "2.35亿元")
    added = body[body.index(first) + 1].insert_paragraph_before(ADDED, style=first.style)
    for run in heading.runs:
        run.font.size = Pt(18)
        run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    cell = document.tables[0].rows[2].cells[3].paragraphs[0]  # 交通建设完成投资合计, 1—6月
    old_cell = cell.text
    _replace_in_runs(cell, old_cell, "99999")
    edited = _bytes(document)
    again = _document(edited)
    where = {"first": _index(again, lambda p: p.text == first.text),
             "added": _index(again, lambda p: p.text == ADDED),
             "heading": _index(again, lambda p: p.text == heading.text),
             "cell": _index(again, lambda p: p.where == "table" and p.text == "99999"),
             "old_total": total["text"], "old_cell": old_cell, "added_text": added.text}
    return edited, where


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_the_draft_itself_has_nothing_to_confirm_and_nothing_broken(drafts, kind):
    raw, sidecar = drafts[kind]
    review = review_edited(raw, sidecar, raw)
    assert review.unchanged and review.figures == [] and review.layout == []
    assert review.sha256 == review.draft_sha256
    assert "没有改动" in review.diff_html() and "没有改动" in review.diff_markdown()


def test_a_changed_figure_is_listed_with_its_sentence_and_blocks_until_confirmed(drafts):
    raw, sidecar = drafts["half_year"]
    edited, where = clerk_edit(raw, sidecar)
    review = review_edited(raw, sidecar, edited)
    changed = [f for f in review.figures if f.old is not None]
    assert [(f.paragraph, f.old, f.new) for f in changed] == [
        (where["first"], where["old_total"], "2.35亿元"), (where["cell"], where["old_cell"], "99999")]
    text_change = changed[0]
    assert text_change.sentence.startswith("上半年，全县完成交通建设投资2.35亿元")
    assert text_change.sentence.endswith("。") and len(text_change.sentence) < 200
    assert text_change.traced["indicator"] == "INV_TOTAL" and text_change.who == "county"
    added = {f.new: f for f in review.figures if f.paragraph == where["added"]}
    assert set(added) == {"6", "18", "312.5万元"}
    assert added["312.5万元"].kind == "figure" and added["6"].kind == "date" and added["18"].kind == "date"
    assert all(f.old is None for f in added.values())
    # nothing traceable was given: every listed figure waits for the admin, one by one
    assert review.to_confirm == review.figures and len(review.figures) == 5
    labels = review.confirmation_labels()
    # A choice of the approval form is one line: the sentence is quoted up to label_sentence_chars (40).
    assert len(text_change.sentence) > 40
    assert labels[0] == f"第{where['first'] + 1}段：“{where['old_total']}”改为“2.35亿元”（{text_change.sentence[:39]}…）"
    assert f"第{where['added'] + 1}段：新增“312.5万元”（{ADDED[:39]}…）" in labels
    assert [f["label"] for f in review.as_dict()["figures"]] == labels     # what the approval gate reads
    # the unchanged figures of the edited paragraph are not listed
    assert not any(f.new in ("5.1%", "37.0%") for f in review.figures)


def test_a_figure_traceable_in_the_warehouse_needs_no_confirmation(drafts):
    raw, sidecar = drafts["half_year"]
    county = drafts["county"]
    total = float(county.loc[county["code"] == "INV_TOTAL", "value"].iloc[0])
    assert not any(abs(float(v) - 312.5) < 0.01 for v in county["value"].dropna())  # the added figure is new
    asked = []

    def traceable(value, who, span):
        asked.append((value, who, span))
        return who == "county" and any(abs(value - float(v)) < 0.005 for v in county["value"].dropna())

    document = _document(raw)
    paragraph = next(p for p in document.paragraphs if "2.15亿元" in p.text and p.style.name == layout.STYLE_BODY)
    _replace_in_runs(paragraph, "2.15亿元", f"{total:.2f}万元")   # the same figure, written in 万元
    review = review_edited(raw, sidecar, _bytes(document), traceable=traceable)
    assert [(f.new, f.traceable, f.needs_confirmation) for f in review.figures] == [
        (f"{total:.2f}万元", True, False)]
    assert asked == [(pytest.approx(total), "county", ("2025-01", "2025-06"))]
    assert review.to_confirm == []
    edited, _ = clerk_edit(raw, sidecar)
    review = review_edited(raw, sidecar, edited, traceable=traceable)
    assert {f.new for f in review.to_confirm} == {"2.35亿元", "99999", "6", "18", "312.5万元"}
    assert all(who == "county" for _, who, _ in asked) and not any(v in (6, 18) for v, _, _ in asked[1:])


def test_the_added_paragraph_is_in_the_diff_and_the_edited_paragraphs_are_recorded(drafts):
    raw, sidecar = drafts["half_year"]
    edited, where = clerk_edit(raw, sidecar)
    review = review_edited(raw, sidecar, edited)
    ops = {(item.op, item.new) for item in review.diff if item.op != "equal"}
    assert ops == {("changed", where["first"]), ("added", where["added"]), ("changed", where["cell"])}
    changed = next(i for i in review.diff if i.new == where["first"])
    assert ("delete", where["old_total"].replace("亿元", "")) in changed.pieces
    assert ("insert", "2.35") in changed.pieces
    assert review.edited_paragraphs == sorted([where["first"], where["added"], where["cell"]])
    assert review.removed_paragraphs == []
    html = review.diff_html()
    assert f'<span class="diff-label">新增 第{where["added"] + 1}段</span> <ins>{ADDED}</ins>' in html
    assert "<del>2.15</del><ins>2.35</ins>" in html
    markdown = review.diff_markdown()
    assert f"**{ADDED}**" in markdown and "~~2.15~~**2.35**" in markdown
    record = review.sidecar_record("张三 (admin)")
    assert record["edited_by"] == "张三 (admin)" and record["edited_paragraphs"] == review.edited_paragraphs
    assert record["sha256"] == review.sha256 != record["draft_sha256"]
    json.dumps(record, ensure_ascii=False)  # the sidecar is JSON


def test_a_removed_paragraph_a_moved_sentence_and_a_figure_in_the_header(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    body = [p for p in document.paragraphs if p.style.name == layout.STYLE_BODY and "。" in p.text]
    removed_text = body[3].text
    removed = _index(document, lambda p: p.text == removed_text)
    body[3]._p.getparent().remove(body[3]._p)
    moved = body[1].text.split("。")[0] + "。"            # a whole sentence, figures and all
    _replace_in_runs(body[1], moved, "")
    body[2].add_run(moved)
    document.sections[0].header.is_linked_to_previous = False
    document.sections[0].header.paragraphs[0].text = "内部资料：预计全年投资4.2亿元"
    review = review_edited(raw, sidecar, _bytes(document))
    assert review.removed_paragraphs == [removed]
    assert [(f.new, f.where) for f in review.figures] == [("4.2亿元", "header1.xml")]
    assert any(item.op == "changed" and moved in item.new_text for item in review.diff)


def test_a_figure_in_a_footnote_is_listed(drafts):
    """python-docx reads footnotes as a plain part: the figure there is found all the same."""
    raw, sidecar = drafts["half_year"]
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    notes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{w}">'
             '<w:footnote w:id="1"><w:p><w:r><w:t>注：全年预计完成投资5.6亿元。</w:t></w:r></w:p></w:footnote>'
             '</w:footnotes>').encode()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        types, rels = z.read("[Content_Types].xml"), z.read("word/_rels/document.xml.rels")
    types = types.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                          b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
    rels = rels.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                        b'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
    edited = _zip_with(raw, {"[Content_Types].xml": types, "word/_rels/document.xml.rels": rels,
                             "word/footnotes.xml": notes})
    review = review_edited(raw, sidecar, edited)
    assert [(f.new, f.where, f.old) for f in review.figures] == [("5.6亿元", "footnotes.xml", None)]


def test_styles_renumbered_by_word_are_matched_by_name(drafts):
    """Word and WPS may save a style under another id (公文正文 → a3): the check and the restore
    go by the style's name, and the restore rewrites what it copies to the edited ids."""
    raw, sidecar = drafts["half_year"]
    edited, where = clerk_edit(raw, sidecar)
    renamed = {}
    with zipfile.ZipFile(io.BytesIO(edited)) as z:
        styles, main = z.read("word/styles.xml").decode(), z.read("word/document.xml").decode()
    for number, name in enumerate((layout.STYLE_BODY, layout.STYLE_HEADING1, layout.STYLE_TITLE)):
        old_id = _document(raw).styles[name].style_id
        renamed[old_id] = f"a{number + 3}"
    for old_id, new_id in renamed.items():
        styles = styles.replace(f'w:styleId="{old_id}"', f'w:styleId="{new_id}"')
        for tag in ("basedOn", "next", "link"):
            styles = styles.replace(f'<w:{tag} w:val="{old_id}"/>', f'<w:{tag} w:val="{new_id}"/>')
        main = main.replace(f'<w:pStyle w:val="{old_id}"/>', f'<w:pStyle w:val="{new_id}"/>')
    assert 'w:styleId="a3"' in styles and '<w:pStyle w:val="a4"/>' in main
    word_saved = _zip_with(edited, {"word/styles.xml": styles.encode(), "word/document.xml": main.encode()})
    review = review_edited(raw, sidecar, word_saved)
    assert {(b.paragraph, b.what) for b in review.layout} == {(where["heading"], "字体"), (where["heading"], "字号")}
    restored = restore_layout(raw, sidecar, word_saved)
    assert review_edited(raw, sidecar, restored).layout == []
    document = _document(restored)
    assert document.paragraphs[where["added"]].style.name == layout.STYLE_BODY
    assert document.paragraphs[where["heading"]].style.style_id == "a4"


def test_an_added_heading_typed_as_body_text_is_recognised_by_its_numbering(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    problems = next(p for p in document.paragraphs
                    if p.style.name == layout.STYLE_HEADING1 and p.text.startswith("二、"))
    body_style = document.styles[layout.STYLE_BODY]
    problems.insert_paragraph_before("四、其他工作", style=body_style)
    problems.insert_paragraph_before("3.5亿元专项债券资金已全部到位。", style=body_style)
    edited = _bytes(document)
    heading = _index(_document(edited), lambda p: p.text == "四、其他工作")
    review = review_edited(raw, sidecar, edited)
    assert [(b.paragraph, b.what, b.expected, b.found) for b in review.layout] == [
        (heading, "段落样式", layout.STYLE_HEADING1, layout.STYLE_BODY),
        (heading, "字体", layout.HEITI, layout.FANGSONG)]
    assert [f.new for f in review.figures] == ["3.5亿元"]   # a figure, not the ordinal "3."
    restored = _document(restore_layout(raw, sidecar, edited))
    assert restored.paragraphs[heading].style.name == layout.STYLE_HEADING1
    assert restored.paragraphs[heading + 1].style.name == layout.STYLE_BODY


def test_a_moved_signature_is_listed_and_restored(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    date = next(p for p in document.paragraphs if p.style.name == layout.STYLE_DATE)
    date.paragraph_format.right_indent = None
    date._p.pPr.ind.attrib.clear()
    edited = _bytes(document)
    breaks = review_edited(raw, sidecar, edited).layout
    assert [(b.what, b.found) for b in breaks] == [("成文日期", "0字符")]
    assert review_edited(raw, sidecar, restore_layout(raw, sidecar, edited)).layout == []


def test_the_diff_escapes_the_clerks_text(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    document.paragraphs[4].insert_paragraph_before(HOSTILE, style=document.paragraphs[4].style)
    review = review_edited(raw, sidecar, _bytes(document))
    html = review.diff_html()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&amp; 备注" in html
    markdown = review.diff_markdown()
    assert "\\<script\\>" in markdown and "\\*\\*加粗\\*\\*" in markdown and "\\[链接\\]" in markdown


def test_the_restyled_heading_is_listed_and_restore_puts_the_layout_back_words_unchanged(drafts):
    raw, sidecar = drafts["half_year"]
    edited, where = clerk_edit(raw, sidecar)
    review = review_edited(raw, sidecar, edited)
    heading_breaks = {(b.what, b.expected, b.found) for b in review.layout if b.paragraph == where["heading"]}
    assert heading_breaks == {("字体", layout.HEITI, "宋体"), ("字号", "16磅", "18磅")}
    assert [b for b in review.layout if b.paragraph != where["heading"]] == []

    restored = restore_layout(raw, sidecar, edited)
    assert [p.text for p in paragraphs(_document(restored))] == [p.text for p in paragraphs(_document(edited))]
    again = review_edited(raw, sidecar, restored)
    assert again.layout == []
    assert [(f.paragraph, f.old, f.new) for f in again.figures] == [
        (f.paragraph, f.old, f.new) for f in review.figures]
    heading = _document(restored).paragraphs[where["heading"]]
    assert heading.style.name == layout.STYLE_HEADING1
    assert all(r._r.rPr is None or r._r.rPr.rFonts is None for r in heading.runs)


def test_a_broken_page_is_listed_and_restored(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    section = document.sections[0]
    section.left_margin = section.right_margin = docx.shared.Mm(20)
    section.page_width, section.page_height = docx.shared.Mm(216), docx.shared.Mm(279)  # US Letter
    document.settings.odd_and_even_pages_header_footer = False
    document.sections[0].even_page_footer.is_linked_to_previous = True    # the even pages' number gone
    body = next(p for p in document.paragraphs if p.style.name == layout.STYLE_BODY and p.text)
    body.paragraph_format.line_spacing = 1.5
    signature = next(p for p in document.paragraphs if p.style.name == layout.STYLE_SIGNATURE)
    signature.style = document.styles["Normal"]
    edited = _bytes(document)
    found = {b.what for b in review_edited(raw, sidecar, edited).layout}
    assert {"纸张大小", "页边距（左）", "页边距（右）", "奇偶页不同的页码", "页码（偶数页）", "行距", "段落样式"} <= found
    assert "页码（奇数页）" not in found
    assert "页边距（上）" not in found
    restored = restore_layout(raw, sidecar, edited)
    assert review_edited(raw, sidecar, restored).layout == []
    section = _document(restored).sections[0]
    assert (round(section.page_width.mm), round(section.left_margin.mm)) == (210, 28)
    assert "PAGE" in section.even_page_footer._element.xml


def test_a_document_of_another_year_kind_or_report_is_refused(drafts):
    raw, sidecar = drafts["half_year"]
    annual_raw, annual_sidecar = drafts["annual"]
    with pytest.raises(EditedRefused, match=r"年份不符.*2024年.*2025年"):
        review_edited(raw, sidecar, annual_raw)
    other_kind = dict(sidecar, kind="annual", title=sidecar["title"].replace("上半年工作总结及下半年工作计划",
                                                                             "工作总结及2026年工作打算"))
    with pytest.raises(EditedRefused, match="报告种类不符：上传的是半年工作总结") as refused:
        review_edited(raw, other_kind, raw)
    assert "年度工作总结" in refused.value.reason
    document = _document(raw)
    _replace_in_runs(document.paragraphs[0], "工作总结", "工作要点")
    with pytest.raises(EditedRefused, match="不是本报告"):
        review_edited(raw, sidecar, _bytes(document))
    with pytest.raises(EditedRefused, match="不是本报告"):
        restore_layout(raw, sidecar, _bytes(document))


def _zip_with(raw: bytes, extra: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in drop and info.filename not in extra:
                dst.writestr(info.filename, src.read(info.filename))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("case, message", [
    ("empty", "文件是空的"),
    ("truncated", "不是有效的 .docx"),
    ("text", "不是有效的 .docx"),
    ("ole", "另存为"),
    ("macro", r"含有宏或控件（部件“word/vbaProject.bin”）"),
    ("macro_type", "含有宏或控件"),
    ("bomb", "压缩比"),
    ("no_document", "缺少正文部件"),
    ("doctype", "DOCTYPE"),
    ("climbing", "不安全"),
    ("not_word", "无法作为 Word 文档打开"),
])
def test_a_broken_or_dangerous_file_is_refused_with_a_clear_message(drafts, case, message):
    raw, sidecar = drafts["half_year"]
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        types = z.read("[Content_Types].xml")
        main = z.read("word/document.xml")
    files = {
        "empty": b"",
        "truncated": raw[: len(raw) // 2],
        "text": "这不是文档".encode() * 100,
        "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000,
        "macro": _zip_with(raw, {"word/vbaProject.bin": b"\0" * 512}),
        "macro_type": _zip_with(raw, {"[Content_Types].xml": types.replace(
            b"document.main+xml", b"document.macroEnabled.main+xml")}),
        "bomb": _zip_with(raw, {"word/media/image1.png": b"\0" * (20 * 1024 * 1024)}),
        "no_document": _zip_with(raw, {}, drop=("word/document.xml",)),
        "doctype": _zip_with(raw, {"word/document.xml": main.replace(
            b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaa">]>', 1)}),
        "climbing": _zip_with(raw, {"../../etc/passwd": b"x"}),
        "not_word": _zip_with(raw, {"[Content_Types].xml": b"<Types/>"}),
    }
    with pytest.raises(EditedRefused, match=message) as refused:
        review_edited(raw, sidecar, files[case])
    assert "Traceback" not in refused.value.reason and re.search(r"[\u4e00-\u9fff]", refused.value.reason)


def test_an_oversized_file_and_too_many_parts_are_refused_by_the_configured_limits(drafts, tmp_path):
    from config_copy import edit_yaml, one_file

    raw, sidecar = drafts["half_year"]
    config = one_file(tmp_path, "edited.yaml")
    edit_yaml(config / "edited.yaml", lambda d: d["limits"].update(max_bytes=len(raw) - 1))
    with pytest.raises(EditedRefused, match=f"文件大小为{len(raw)}字节，超过上限{len(raw) - 1}字节"):
        review_edited(raw, sidecar, raw, config_dir=config)
    edit_yaml(config / "edited.yaml", lambda d: d["limits"].update(max_bytes=10**8, max_members=5))
    with pytest.raises(EditedRefused, match="个部件，超过上限5个"):
        review_edited(raw, sidecar, raw, config_dir=config)
    edit_yaml(config / "edited.yaml", lambda d: d["limits"].update(max_members=200, max_uncompressed_bytes=1000))
    with pytest.raises(EditedRefused, match="解压后共"):
        review_edited(raw, sidecar, raw, config_dir=config)
    edit_yaml(config / "edited.yaml",
              lambda d: d["limits"].update(max_uncompressed_bytes=10**8, max_paragraphs=10))
    with pytest.raises(EditedRefused, match="文档有10\\+个段落，超过上限10个"):
        review_edited(raw, sidecar, raw, config_dir=config)
    edit_yaml(config / "edited.yaml", lambda d: d["limits"].update(max_paragraphs=5000, max_text_chars=1000))
    with pytest.raises(EditedRefused, match="字，超过上限1000字"):
        review_edited(raw, sidecar, raw, config_dir=config)


def test_unaccepted_tracked_changes_are_refused(drafts):
    raw, sidecar = drafts["half_year"]
    document = _document(raw)
    paragraph = next(p for p in document.paragraphs if p.text and p.style.name == layout.STYLE_BODY)
    run = paragraph.runs[0]._r
    deleted = copy.deepcopy(run)
    for t in deleted.iter(qn("w:t")):
        t.tag = qn("w:delText")
    wrapper = docx.oxml.OxmlElement("w:del")
    wrapper.set(qn("w:id"), "1")
    wrapper.set(qn("w:author"), "clerk")
    wrapper.append(deleted)
    run.addnext(wrapper)
    with pytest.raises(EditedRefused, match="1处未处理的修订"):
        review_edited(raw, sidecar, _bytes(document))


def test_edited_yaml_is_checked_on_load(tmp_path):
    from config_copy import edit_yaml, one_file
    from county_reports.core.config import ConfigError
    from county_reports.render.review.settings import load_settings

    config = one_file(tmp_path, "edited.yaml")
    edit_yaml(config / "edited.yaml", lambda d: d["messages"].update(too_large="{size} > {limt}"))
    with pytest.raises(ConfigError, match=r"edited.yaml: messages.too_large: unknown placeholder \{limt\}"):
        load_settings(config)
    (tmp_path / "b").mkdir()
    other = one_file(tmp_path / "b", "edited.yaml")
    edit_yaml(other / "edited.yaml", lambda d: d["limits"].pop("max_ratio"))
    with pytest.raises(ConfigError, match="edited.yaml: limits.max_ratio: missing"):
        load_settings(other)
    third = tmp_path / "c"
    third.mkdir()
    one_file(third, "edited.yaml")
    edit_yaml(third / "edited.yaml", lambda d: d["headings"].update(heading2="（[一二"))
    with pytest.raises(ConfigError, match="edited.yaml: headings.heading2: not a valid regular expression"):
        load_settings(third)


def test_the_restored_document_opens_in_libreoffice_with_its_pages_and_words(drafts, tmp_path, require_tool):
    soffice = require_tool("soffice", "libreoffice")
    pdftotext = require_tool("pdftotext")
    raw, sidecar = drafts["half_year"]
    edited, _ = clerk_edit(raw, sidecar)
    (tmp_path / "draft.docx").write_bytes(raw)
    (tmp_path / "restored.docx").write_bytes(restore_layout(raw, sidecar, edited))
    profile = tmp_path / "lo-profile"
    done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(tmp_path / "draft.docx"),
                           str(tmp_path / "restored.docx")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and (tmp_path / "restored.pdf").exists(), done.stdout + done.stderr
    texts = {name: subprocess.run([pdftotext, str(tmp_path / f"{name}.pdf"), "-"], capture_output=True,
                                  text=True, check=True, timeout=60).stdout for name in ("draft", "restored")}
    pages = {name: text.count("\f") for name, text in texts.items()}
    assert pages["restored"] > 1 and pages["draft"] <= pages["restored"] <= pages["draft"] + 1, pages
    flat = re.sub(r"\s+", "", texts["restored"])
    assert re.sub(r"\s+", "", sidecar["title"]) in flat and re.sub(r"\s+", "", ADDED) in flat
    assert "2.35亿元" in flat and "—1—" in flat and "—2—" in flat
