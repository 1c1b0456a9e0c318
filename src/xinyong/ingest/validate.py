"""Row validation, compiled once per catalog item version so that each row runs only prebound
parsers (no per-row ORM objects, no per-row rule lookups).

A row is a mapping of the catalog's Chinese column names to values as a reader gives them:
strings from CSV or JSON, numbers and datetimes from Excel. A row either becomes a `ValidRow`
(canonical payload + hash) or a list of `Reason`s, each with a stable code and its citations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from xinyong.catalog.schemas import CITIZEN_ID_TYPE, SUBJECT_KINDS, CatalogItemSpec, FieldSpec
from xinyong.catalog.service import CollectionRules
from xinyong.common.errors import Citation
from xinyong.common.identifiers import HLJ19, check_citizen_id, check_uscc
from xinyong.ingest.readers import EXTRA_COLUMNS, RefusedValue
from xinyong.law.rules import RuleSet

#: Columns a spreadsheet often carries that hold no information (row numbers).
IGNORABLE_COLUMNS = frozenset({"序号", "行号"})
#: How a column without a header is named in the receipt's note.
BLANK_HEADER = "（无表头的列）"
EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
OTHER_ID_RE = re.compile(r"^[A-Za-z0-9()（）-]{5,40}$")


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    field: str | None = None
    citations: tuple[Citation, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "citations": [c.as_dict() for c in self.citations],
        }


@dataclass
class ValidRow:
    row_number: int
    record_key: str
    subject_key: str
    subject_kind: str
    subject_name: str
    id_type: str | None
    region_code: str | None
    payload_json: str
    payload_hash: str
    decided_on: dt.date | None
    restricted: tuple[str, ...]  # HLJ 20 ¶2 classes with a value, for a natural person
    needs_consent: bool  # natural person + information not public by law (HLJ 20 ¶1)
    raw: dict[str, Any] | None = None  # kept only where a consent check may still refuse it


@dataclass
class Rejected:
    row_number: int
    record_key: str | None
    raw: dict[str, Any]
    reasons: list[Reason] = field(default_factory=list)


class FieldError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel gives 1234.0 for a number typed as 1234
    return str(value).strip()


def _folded(text: str) -> str:
    """Full-width digits, letters and punctuation as their ASCII forms (１２，３ -> 12,3)."""
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # an Excel serial date
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise FieldError("ingest.bad_date", f"“{value}”不是有效日期")
    text = value if value.__class__ is str else _text(value)
    if not text.isascii():
        text = _folded(text).replace(" ", "")
    elif " " in text:  # a date with a time of day, as a spreadsheet may write it
        text = text.split(" ", 1)[0]
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise FieldError(
                "ingest.bad_date", f"“{text}”不是存在的日期（格式如2026-11-23）"
            ) from None
    m = _DATE_RE.match(text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    raise FieldError("ingest.bad_date", f"“{text}”不是存在的日期（格式如2026-11-23）")


#: What may follow an amount typed as text: the currency, in the field's own unit only.
_CURRENCY_PREFIXES = ("¥", "￥", "RMB", "人民币")


def parse_amount(value: Any, unit: str = "元") -> str:
    """An amount as a number or as text: thousands separators, full-width digits, a currency
    sign and the field's unit (元, or 万元 for a field named in 万元) are accepted; another unit
    is refused rather than silently scaled."""
    if isinstance(value, bool):
        raise FieldError("ingest.bad_amount", f"“{value}”不是金额")
    if isinstance(value, int | float):
        text = str(value)
    else:
        text = _folded(_text(value)).replace(",", "").replace(" ", "")
        for prefix in _CURRENCY_PREFIXES:
            text = text.removeprefix(prefix)
        if text.endswith("元"):
            written = "万元" if text.endswith("万元") else "元"
            if written != unit:
                raise FieldError(
                    "ingest.bad_amount", f"金额“{value}”的单位与字段不符（本字段以{unit}计）"
                )
            text = text.removesuffix(written)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError("ingest.bad_amount", f"“{value}”不是金额") from None
    if not number.is_finite() or number < 0:
        raise FieldError("ingest.bad_amount", f"金额“{value}”应为非负数")
    if number.as_tuple().exponent < -6:  # type: ignore[operator]
        raise FieldError("ingest.bad_amount", f"金额“{value}”小数位过多")
    out = format(number.normalize(), "f")
    return out if "." not in out else out.rstrip("0").rstrip(".")


def _parser(spec: FieldSpec, today: dt.date) -> Callable[[Any], Any]:
    name = spec.name
    if spec.type == "date":
        allow_future = spec.allow_future

        def date_(value: Any) -> str:
            day = parse_date(value)
            if day > today and not allow_future:
                raise FieldError("ingest.future_date", f"{name}“{day.isoformat()}”晚于今天")
            return day.isoformat()

        return date_
    if spec.type == "amount":
        unit = "万元" if "万元" in name else "元"
        return lambda value: parse_amount(value, unit)
    if spec.type == "integer":

        def integer(value: Any) -> str:
            text = _folded(_text(value)).replace(",", "")
            if not text.lstrip("-").isdigit():
                raise FieldError("ingest.bad_integer", f"{name}“{text}”不是整数")
            return str(int(text))

        return integer
    if spec.type == "enum":
        allowed = frozenset(spec.values or ())
        shown = "、".join(spec.values or ())

        def enum(value: Any) -> str:
            text = value if value.__class__ is str else _text(value)
            if text not in allowed:
                raise FieldError("ingest.bad_enum", f"{name}“{text}”不是可用取值（{shown}）")
            return text

        return enum
    limit = spec.max_length

    def string(value: Any) -> str:
        text = value if value.__class__ is str else _text(value)
        if limit is not None and len(text) > limit:
            raise FieldError("ingest.too_long", f"{name}超过{limit}个字符")
        return text

    return string


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowValidator:
    """Validates rows for one catalog item version, as of one day, under one rule set."""

    def __init__(
        self,
        spec: CatalogItemSpec,
        rules: RuleSet,
        today: dt.date,
        *,
        ignore_extra: bool = False,
    ) -> None:
        """`ignore_extra`: a file's columns the catalog item lacks (备注) are left out of the
        record, and named in `ignored`, instead of refusing the row; a forbidden column
        (HLJ 20 ¶3) still refuses it. A JSON push keeps refusing an unknown field: there a
        misspelt name would silently lose a value."""
        self.ignore_extra = ignore_extra
        #: the columns left out so far, in the order met (a dict as an ordered set)
        self.ignored: dict[str, None] = {}
        self.spec = spec
        self.today = today
        self.collection = CollectionRules.load(rules, today)
        excluded = rules.get("catalog.excluded_penalty_procedures", today)
        self.excluded_procedures = {e["name"] for e in excluded.value}
        self.excluded_citations = excluded.citations
        self.fields = [
            (f.name, f.required, _parser(f, today))
            for f in sorted(spec.fields, key=lambda f: f.name)
        ]
        self.known = frozenset(f.name for f in spec.fields)
        restricted_codes = self.collection.restricted_codes()
        self.restricted_fields = [
            (f.name, f.collection_class)
            for f in spec.fields
            if f.collection_class in restricted_codes
        ]
        self.roles = spec.roles
        self._forbidden_cache: dict[str, Reason | None] = {}

    def _forbidden(self, column: str) -> Reason | None:
        if column not in self._forbidden_cache:
            hit = self.collection.forbidden_class(column)
            self._forbidden_cache[column] = (
                None
                if hit is None
                else Reason(
                    "ingest.forbidden_field",
                    f"字段“{column}”属于不得采集的信息（{hit.name}）",
                    column,
                    self.collection.forbidden_rule.citations,
                )
            )
        return self._forbidden_cache[column]

    def validate(self, row_number: int, raw: Mapping[str, Any]) -> ValidRow | Rejected:
        reasons: list[Reason] = []
        payload: dict[str, Any] = {}
        known = self.known
        dropped: list[str] = []
        for column, value in raw.items():
            if value.__class__ is RefusedValue:  # over a reader's limit: the reader says which
                reasons.append(Reason(value.code, value.message, column))
                continue
            if column in known or _empty(value):
                continue
            forbidden = self._forbidden(column)
            if forbidden is not None:
                reasons.append(forbidden)
            elif column in IGNORABLE_COLUMNS:
                continue
            elif self.ignore_extra and column != EXTRA_COLUMNS:
                dropped.append(column)
                self.ignored[column or BLANK_HEADER] = None
            else:
                reasons.append(
                    Reason("ingest.unknown_field", f"目录项中没有字段“{column}”", column)
                )
        if dropped:  # kept out of the quarantined row too: a fix resubmits the catalog's fields
            raw = {k: v for k, v in raw.items() if k not in dropped}
        for name, required, parse in self.fields:  # in name order: the JSON is canonical as built
            value = raw.get(name)
            if value.__class__ is str:
                value = value.strip()  # parsers get text stripped once
            elif value.__class__ is RefusedValue:
                payload[name] = None
                continue
            if value is None or value == "":
                payload[name] = None
                if required:
                    reasons.append(Reason("ingest.required", f"缺少必填字段“{name}”", name))
                continue
            try:
                payload[name] = parse(value)
            except FieldError as exc:
                payload[name] = None
                reasons.append(Reason(exc.code, exc.message, name))
        roles = self.roles
        key_parts = [payload.get(k) for k in roles.record_key]
        record_key = "|".join(str(p) for p in key_parts) if all(key_parts) else None
        if roles.procedure is not None and payload.get(roles.procedure) in self.excluded_procedures:
            reasons.append(
                Reason(
                    "ingest.simplified_procedure",
                    f"适用{payload[roles.procedure]}作出的行政处罚信息不纳入公共信用信息目录",
                    roles.procedure,
                    self.excluded_citations,
                )
            )
        kind = SUBJECT_KINDS.get(payload.get(roles.subject_kind) or "")
        subject_key, id_type, region = self._identify(kind, payload, reasons)
        if reasons or kind is None or subject_key is None or record_key is None:
            return Rejected(row_number, record_key, dict(raw), reasons)
        restricted: tuple[str, ...] = ()
        needs_consent = kind == "natural_person" and not self.spec.public_by_law
        if kind == "natural_person":
            restricted = tuple(
                code for name, code in self.restricted_fields if payload.get(name) is not None
            )
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))  # keys already sorted
        decided = payload.get(roles.decision_date) if roles.decision_date else None
        return ValidRow(
            row_number=row_number,
            record_key=record_key,
            subject_key=subject_key,
            subject_kind=kind,
            subject_name=str(payload[roles.subject_name]),
            id_type=id_type,
            region_code=region,
            payload_json=body,
            payload_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
            decided_on=dt.date.fromisoformat(decided) if decided else None,
            restricted=restricted,
            needs_consent=needs_consent,
            raw=dict(raw) if (restricted or needs_consent) else None,
        )

    def _identify(
        self, kind: str | None, payload: dict[str, Any], reasons: list[Reason]
    ) -> tuple[str | None, str | None, str | None]:
        """The subject's key (HLJ 19): USCC for organisations and 个体工商户, citizen ID number
        (or another valid ID document) for natural persons."""
        roles = self.roles
        if kind is None:
            return None, None, None
        if kind != "natural_person":
            code = payload.get(roles.uscc) if roles.uscc else None
            if not code:
                reasons.append(
                    Reason(
                        "ingest.identifier_missing",
                        "法人、非法人组织和个体工商户须提供统一社会信用代码",
                        roles.uscc,
                        (HLJ19,),
                    )
                )
                return None, None, None
            check = check_uscc(code)
            if not check.valid:
                first = check.failures[0]
                reasons.append(
                    Reason(
                        f"identifier.uscc.{first.rule}",
                        "统一社会信用代码" + first.message.removeprefix("统一社会信用代码"),
                        roles.uscc,
                        (HLJ19,),
                    )
                )
                return None, None, None
            assert roles.uscc is not None
            payload[roles.uscc] = check.value
            return check.value, None, check.value[2:8]
        number = payload.get(roles.id_number) if roles.id_number else None
        id_type = (payload.get(roles.id_type) if roles.id_type else None) or CITIZEN_ID_TYPE
        if not number:
            reasons.append(
                Reason(
                    "ingest.identifier_missing", "自然人须提供证件号码", roles.id_number, (HLJ19,)
                )
            )
            return None, None, None
        if id_type == CITIZEN_ID_TYPE:
            check = check_citizen_id(number, self.today)
            if not check.valid:
                first = check.failures[0]
                reasons.append(
                    Reason(
                        f"identifier.citizen_id.{first.rule}",
                        "公民身份号码" + first.message.removeprefix("公民身份号码"),
                        roles.id_number,
                        (HLJ19,),
                    )
                )
                return None, None, None
            assert roles.id_number is not None
            payload[roles.id_number] = check.value
            return check.value, id_type, check.value[:6]
        if not OTHER_ID_RE.match(number):
            reasons.append(
                Reason(
                    "identifier.other_id.format",
                    f"{id_type}号码“{number}”格式不正确",
                    roles.id_number,
                    (HLJ19,),
                )
            )
            return None, None, None
        return f"{id_type}:{number.upper()}", id_type, None
