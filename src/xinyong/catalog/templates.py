"""A filling-in template per catalog item (HLJ 18: the catalog is published, so is its template):
an .xlsx whose first sheet has the item's Chinese field names as its header in catalog order
(frozen, required ones marked by colour), a drop-down list for every enumerated field, a date
check for every date field, identifiers kept as text, and a sheet 说明 that tells, for each field,
whether it is required, its format and the article or catalog entry it rests on.

A template filled in and uploaded ingests as it is: its header is the catalog's names exactly, and
the sheets after the first are not read."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog.schemas import CatalogItemSpec, FieldSpec
from xinyong.catalog.service import get_item, spec_of
from xinyong.common.errors import Citation

HLJ = "黑龙江省社会信用条例"
HLJ18 = Citation(instrument=HLJ, article=18)
HLJ18_3 = Citation(instrument=HLJ, article=18, paragraph=3)
HLJ19 = Citation(instrument=HLJ, article=19)
HLJ20_2 = Citation(instrument=HLJ, article=20, paragraph=2)
HLJ23_4 = Citation(instrument=HLJ, article=23, paragraph=4)

#: Rows of the data sheet that carry the checks and formats (a template, not a database).
TEMPLATE_ROWS = 5000
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_LABELS = {
    "string": "文本",
    "text": "长文本",
    "date": "日期",
    "amount": "金额",
    "integer": "整数",
    "enum": "选项",
}
_HEADER_FILL = "DDEBF7"
_REQUIRED_FILL = "FCE4D6"


def field_format(spec: FieldSpec) -> str:
    """How a field is written, in a provider's words."""
    if spec.type == "date":
        tail = "可以晚于今天" if spec.allow_future else "不得晚于上传当日"
        return "日期：Excel日期，或文字如2026-05-10、2026/5/10、2026年5月10日、2026.5.10；" + tail
    if spec.type == "amount":
        unit = "万元" if "万元" in spec.name else "元"
        return f"金额（单位：{unit}）：非负数，可带千位分隔符或“{unit}”字样，如1,200.50"
    if spec.type == "integer":
        return "整数"
    if spec.type == "enum":
        return "从下拉列表选择：" + "、".join(spec.values or ())
    limit = f"，不超过{spec.max_length}个字符" if spec.max_length else ""
    return f"{TYPE_LABELS[spec.type]}{limit}"


def field_basis(item: CatalogItemSpec, spec: FieldSpec, version: int) -> str:
    """Why the field is there and what the law says of it."""
    roles = item.roles
    parts = [f"公共信用信息目录“{item.code} {item.name}”第{version}版（{HLJ18.label()}）"]
    if spec.name == roles.uscc:
        parts.append(
            f"法人、非法人组织和个体工商户以统一社会信用代码为标识，须填写（{HLJ19.label()}）"
        )
    if spec.name == roles.id_number:
        parts.append(f"自然人以公民身份号码或其他有效证件号码为标识，须填写（{HLJ19.label()}）")
    if spec.name == roles.subject_kind:
        parts.append("决定以何种标识识别信用主体")
    if spec.name in roles.record_key:
        parts.append("记录的标识：以同一文号再次上传即更新该记录，不会重复")
    if spec.name == roles.procedure:
        parts.append(f"适用简易程序作出的行政处罚不纳入目录（{HLJ18_3.label()}）")
    if spec.personal:
        parts.append(f"自然人的个人信息，依法使用（{HLJ23_4.label()}）")
    if spec.collection_class:
        parts.append(f"采集自然人该项信息须取得本人书面同意（{HLJ20_2.label()}）")
    return "；".join(parts)


def build_template(item: CatalogItemSpec, version: int, notice: str | None = None) -> bytes:
    """The .xlsx of one catalog item version, as bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    data: Any = book.active
    data.title = "数据"
    values_sheet: Any = None
    last = TEMPLATE_ROWS + 1
    for index, spec in enumerate(item.fields, start=1):
        column = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=spec.name)
        cell.font = Font(bold=True, color="C00000" if spec.required else "000000")
        cell.fill = PatternFill("solid", fgColor=_REQUIRED_FILL if spec.required else _HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        note = ("必填。" if spec.required else "选填。") + field_format(spec)
        cell.comment = Comment(note, "信用平台")
        width = max(10, min(40, len(spec.name) * 2 + 2))
        data.column_dimensions[column].width = width
        cells = f"{column}2:{column}{last}"
        if spec.type == "enum" and spec.values:
            if values_sheet is None:
                values_sheet = book.create_sheet("取值")
                values_sheet.sheet_state = "hidden"
            at = index  # one column of the hidden sheet per field: stable references
            for row, value in enumerate(spec.values, start=1):
                values_sheet.cell(row=row, column=at, value=value)
            ref = get_column_letter(at)
            check = DataValidation(
                type="list",
                formula1=f"取值!${ref}$1:${ref}${len(spec.values)}",
                allow_blank=not spec.required,
                showErrorMessage=True,
                errorTitle="取值不在列表中",
                error=f"{spec.name}应为：{'、'.join(spec.values)}",
            )
        elif spec.type == "date":
            check = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1950,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",  # a date typed as text (2026年5月10日) is accepted too
                errorTitle="日期",
                error="应为日期，如2026-05-10",
            )
            data.column_dimensions[column].number_format = "yyyy-mm-dd"
        elif spec.type == "amount":
            check = DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle="金额",
                error="应为非负数",
            )
        else:
            check = None
            if spec.type in ("string", "text"):  # codes and ID numbers stay text (no 1.2E+17)
                data.column_dimensions[column].number_format = "@"
        if check is not None:
            data.add_data_validation(check)
            check.add(cells)
    data.freeze_panes = "A2"
    data.row_dimensions[1].height = 32
    _instructions(book.create_sheet("说明", 1), item, version, notice)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _instructions(sheet: Any, item: CatalogItemSpec, version: int, notice: str | None) -> None:
    from openpyxl.styles import Alignment, Font

    lines = [
        f"{item.name}（目录项{item.code}，第{version}版）填报说明",
        f"依据：{HLJ18.label()}公布的公共信用信息目录。信息事项：{item.conduct}。"
        f"数据来源：{item.data_source}。",
        "填写：在“数据”工作表第1行表头之下逐行填写，每行一条记录；表头文字不要改动，"
        "列的顺序可以调整；表头上方可以保留一两行标题；空行跳过；目录项中没有的列"
        "（如自加的“备注”“序号”）不归集，回执中会列明。",
        "上传：信息提供单位在门户上传本文件（.xlsx），或另存为.xls、CSV后上传；"
        "有错误的行进入待更正区，逐行说明原因，可在原处更正。",
    ]
    if notice:
        lines.append(notice)
    for row, text in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        sheet.row_dimensions[row].height = 20 if row == 1 else 48
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    top = len(lines) + 2
    for column, title in enumerate(["序号", "字段", "是否必填", "格式", "依据与说明"], start=1):
        sheet.cell(row=top, column=column, value=title).font = Font(bold=True)
    for number, spec in enumerate(item.fields, start=1):
        row = top + number
        sheet.cell(row=row, column=1, value=number)
        sheet.cell(row=row, column=2, value=spec.name)
        sheet.cell(row=row, column=3, value="必填" if spec.required else "选填")
        sheet.cell(row=row, column=4, value=field_format(spec))
        sheet.cell(row=row, column=5, value=field_basis(item, spec, version))
        for column in (4, 5):
            sheet.cell(row=row, column=column).alignment = Alignment(wrap_text=True)
    for letter, width in zip("ABCDE", (6, 28, 10, 48, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = sheet.cell(row=top + 1, column=1)


def template_for(session: Session, code: str) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the current version of catalog item `code`."""
    item = get_item(session, code)
    notice = f"未核实：{item.note or '该目录项的出处未经核实'}" if item.unverified else None
    body = build_template(spec_of(item), item.version, notice)
    return f"{item.code}-{item.name}-模板-第{item.version}版.xlsx", body
