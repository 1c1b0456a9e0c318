"""The report as a PDF with the Chinese glyphs embedded (ReportLab + a TrueType subset of
WenQuanYi Zen Hei from Debian's fonts-wqy-zenhei: measured here at ~0.14 s for 3 pages)."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from xinyong.common.errors import DomainError
from xinyong.reports.service import ordered_fields

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT = "WQYZenHei"


@lru_cache(maxsize=1)
def _font() -> str:
    if not FONT_FILE.exists():
        raise DomainError(
            code="reports.font_missing",
            message="缺少中文字体（Debian软件包 fonts-wqy-zenhei），无法生成PDF",
            status=503,
        )
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT


def _escape(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(content: dict[str, Any], number: str, code: str, digest: str) -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1)
    heading = ParagraphStyle("heading", fontName=font, fontSize=13, leading=18, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    subject = content["subject"]
    story: list[Any] = [
        Paragraph(_escape(content["title"]), title),
        Spacer(1, 4 * mm),
        Paragraph(f"报告编号：{number}　验证码：{code}", body),
        Paragraph(
            f"信用主体：{_escape(subject['name'])}（{_escape(subject['subject_key'])}）", body
        ),
        Paragraph(f"出具平台：{_escape(content['platform'])}", body),
        Paragraph(
            f"生成时间：{_escape(content['generated_at'])}　数据截至：{_escape(content['as_of'])}",
            body,
        ),
        Paragraph(
            f"查询人：{_escape(content['requested_by'])}"
            + (f"　用途：{_escape(content['purpose'])}" if content.get("purpose") else ""),
            body,
        ),
        Paragraph(f"内容摘要（SHA-256）：{digest}", small),
    ]
    for section in content["sections"]:
        story.append(Paragraph(_escape(section["name"]), heading))
        if not section["records"]:
            story.append(Paragraph("暂无", body))
            continue
        for record in section["records"]:
            rows = [[Paragraph("信息类别", body), Paragraph(_escape(record["item_name"]), body)]]
            rows += [
                [Paragraph(_escape(name), body), Paragraph(_escape(value), body)]
                for name, value in ordered_fields(record)
            ]
            if record.get("publicity_ends_on"):
                rows.append(
                    [Paragraph("公示截止", body), Paragraph(record["publicity_ends_on"], body)]
                )
            rows.append(
                [
                    Paragraph("依据", body),
                    Paragraph(_escape("；".join(record["citations"]) or record["basis"]), body),
                ]
            )
            table = Table(rows, colWidths=[42 * mm, 128 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [table, Spacer(1, 3 * mm)]
    for note in content.get("notes", []):
        story.append(Paragraph(f"注：{_escape(note)}", small))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph("凭报告编号和验证码可在本平台核验报告真伪与内容（/reports/verify）。", small)
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title="公共信用信息报告", leftMargin=18 * mm, rightMargin=18 * mm
    ).build(story)
    return buffer.getvalue()
