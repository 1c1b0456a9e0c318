"""Chinese pages of chapter 4: the public lists and their decisions, the staff desk
(recognise, publish measures, declare emergencies) and the agency's joint check."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.common.errors import DomainError
from xinyong.common.identifiers import looks_like_citizen_id
from xinyong.common.inputs import (
    MULTI_LINE,
    FormDate,
    FormName,
    Key,
    Line,
    Name,
    PageNumber,
    Text,
)
from xinyong.common.roles import Role
from xinyong.lists import emergencies, recognition
from xinyong.lists import measures as measure_service
from xinyong.lists.check import STATUS_LABELS, run_check
from xinyong.lists.schemas import (
    ENTITY_TYPE_LABELS,
    KIND_RULES,
    MEASURE_LIST_LABELS,
    TARGET_LABELS,
    TERM_UNIT_LABELS,
    EmergencyIn,
    MeasureIn,
    RecognitionIn,
)
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.errors import field_problems, validated
from xinyong.web.layout import templates

router = Router(include_in_schema=False)
STAFF_ROLES = (Role.STAFF, Role.ADMIN)


@router.get("/lists/{list_kind}", response_class=HTMLResponse)
def list_page(
    request: Request,
    list_kind: Key,
    ctx: ContextDep,
    actor: ActorDep,
    q: FormName = None,
    authority: FormName = None,
    category: Annotated[Key | None, BeforeValidator(lambda v: v or None)] = None,
    since: FormDate = None,
    until: FormDate = None,
    page: PageNumber = 1,
) -> Response:
    """A public list: search by an organisation's name or code, filters, pages with a total."""
    today = ctx.today()
    with ctx.sessions() as session:
        listed, total = recognition.list_page(
            session,
            list_kind,
            today,
            q=q,
            authority=authority,
            category=category,
            since=since,
            until=until,
            page=page,
        )
        entries = recognition.public_rows(session, listed, today)
    recognition.audit_persons_shown(ctx, actor, listed)
    categories = {
        str(c["code"]): str(c["name"])
        for c in ctx.rules.get("serious_dishonesty.conduct_categories", today).value
    }
    pages = max(1, -(-total // recognition.PAGE_SIZE))
    if looks_like_citizen_id(q):
        q = None  # searched, found nothing (persons are not searchable), and not echoed back
    filters = {
        k: str(v)
        for k, v in {
            "q": q,
            "authority": authority,
            "category": category,
            "since": since,
            "until": until,
        }.items()
        if v
    }
    return templates.TemplateResponse(
        request,
        "lists/lists.html",
        {
            "ctx": ctx,
            "actor": actor,
            "title": recognition.LIST_LABELS[list_kind],
            "list_kind": list_kind,
            "entries": entries,
            "total": total,
            "page": page,
            "pages": pages,
            "filters": filters,
            "query": urlencode(filters),
            "categories": categories if list_kind == "serious" else {},
        },
    )


@router.get("/lists/entries/{number}", response_class=HTMLResponse)
def entry_page(request: Request, number: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    """The written decision (认定决定书) with the measures that apply today."""
    today = ctx.today()
    with ctx.sessions() as session:
        shown = recognition.shown_entry(session, number, actor, today, ctx)
    return templates.TemplateResponse(
        request, "lists/list_entry.html", {"ctx": ctx, "actor": actor, "e": shown}
    )


#: Where a refusal belongs on the staff forms: the field it names (else above the form).
FIELD_OF_REFUSAL = {
    "lists.subject_name": "subject_name",
    "lists.conduct_category": "conduct_category",
    "lists.basis_type": "basis_type",
    "lists.term": "valid_until",
    "lists.prudent_recognition": "reviewed_by",
    "lists.reasons_required": "reasons",
    "measures.list_kind": "list_kind",
    "measures.outside_list": "kind",
    "measures.basis_required": "legal_basis",
    "measures.scenario": "scenarios",
    "measures.conduct_categories": "conduct_categories",
    "measures.targets": "targets",
    "measures.term_required": "term_amount",
    "measures.term_unit": "term_unit",
    "measures.duplicate": "code",
    "emergency.invalid": "ends_on",
}


class Refused:
    """A staff form sent back: which form, what was typed, and why (by field where known)."""

    def __init__(
        self, which: str, form: dict[str, Any], error: DomainError | ValidationError
    ) -> None:
        self.which, self.form = which, form
        if isinstance(error, ValidationError):
            self.fields = field_problems(error.errors())
            self.error = DomainError(code="form.invalid", message="表单填写有误，请按提示修改")
        else:
            self.error = error
            field = FIELD_OF_REFUSAL.get(error.code)
            if error.code.startswith("identifier."):
                field = "subject_key"
            self.fields = {field: error.message} if field else {}

    @classmethod
    def missing(cls, which: str, form: dict[str, Any], required: tuple[str, ...]) -> Refused | None:
        """The required fields left blank, each marked 必填; None when all are there."""
        blank = [k for k in required if not str(form.get(k) or "").strip()]
        if not blank:
            return None
        refused = cls(which, form, DomainError(code="form.missing", message="请填写必填项"))
        refused.fields = dict.fromkeys(blank, "必填")
        return refused


def _staff_page(
    request: Request,
    ctx: Any,
    actor: Any,
    *,
    error: DomainError | None = None,
    done: str = "",
    refused: Refused | None = None,
) -> Response:
    today = ctx.today()
    with ctx.sessions() as session:
        measures = [
            measure_service.describe_measure(m)
            for m in measure_service.list_measures(session, published_only=False, on=today)
        ]
    rules = ctx.rules
    kinds = {
        list_kind: [e for key in keys for e in rules.get(key, today).value]
        for list_kind, keys in KIND_RULES.items()
    }
    error = refused.error if refused else error
    return templates.TemplateResponse(
        request,
        "lists/staff_lists.html",
        {
            "ctx": ctx,
            "actor": actor,
            "error": error,
            "done": done,
            "measures": measures,
            "categories": rules.get("serious_dishonesty.conduct_categories", today).value,
            "bases": rules.get("serious_dishonesty.recognition_bases", today).value,
            "elements": rules.get("serious_dishonesty.decision_elements", today),
            "scenarios": rules.get("query.mandatory_scenarios", today).value,
            "kinds": kinds,
            "measure_lists": MEASURE_LIST_LABELS,
            "targets": TARGET_LABELS,
            "term_units": TERM_UNIT_LABELS,
            "entity_types": ENTITY_TYPE_LABELS,
            "which": refused.which if refused else "",
            "form": refused.form if refused else {},
            "fields": refused.fields if refused else {},
        },
        status_code=422 if error else 200,
    )


@router.get("/staff/lists", response_class=HTMLResponse)
def staff_desk(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role not in STAFF_ROLES:
        return RedirectResponse("/login", status_code=303)
    return _staff_page(request, ctx, actor)


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("/staff/lists/recognise", response_class=HTMLResponse)
def staff_recognise(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    subject_key: Annotated[Key, Form()] = "",
    authority: Annotated[Name, Form()] = "",
    subject_name: Annotated[Name, Form()] = "",
    entity_type: Annotated[Key, Form()] = "market",
    conduct_category: Annotated[Key, Form()] = "",
    basis_type: Annotated[Key, Form()] = "",
    basis_document: Annotated[Line, Form(max_length=300)] = "",
    reasons: Annotated[Text, Form()] = "",
    valid_until: Annotated[Key, Form()] = "",
    removal_conditions: Annotated[Text, Form()] = "",
    remedies: Annotated[Text, Form()] = "",
    reviewed_by: Annotated[Name, Form()] = "",
) -> Response:
    """The recognition form: a decision missing any element of HLJ 28 ¶2 is refused, and the
    form comes back with what was typed and the reason next to its field."""
    if actor.role not in STAFF_ROLES:
        return RedirectResponse("/login", status_code=303)
    form = {
        "subject_key": subject_key,
        "subject_name": subject_name,
        "entity_type": entity_type,
        "authority": authority,
        "conduct_category": conduct_category,
        "basis_type": basis_type,
        "basis_document": basis_document,
        "reasons": reasons,
        "valid_until": valid_until,
        "removal_conditions": removal_conditions,
        "remedies": remedies,
        "reviewed_by": reviewed_by,
    }
    blank = Refused.missing("recognise", form, ("subject_key", "authority"))
    if blank:
        return _staff_page(request, ctx, actor, refused=blank)
    try:
        body = RecognitionIn(
            subject_key=subject_key.strip(),
            subject_name=_blank(subject_name),
            entity_type=entity_type,
            authority=authority.strip(),
            conduct_category=_blank(conduct_category),
            basis_type=_blank(basis_type),
            basis_document=_blank(basis_document),
            reasons=_blank(reasons),
            valid_until=_blank(valid_until),
            removal_conditions=_blank(removal_conditions),
            remedies=_blank(remedies),
            reviewed_by=_blank(reviewed_by),
        )
        with ctx.sessions() as session, session.begin():
            entry = recognition.recognise(session, ctx, actor=actor, list_kind="serious", body=body)
            number = entry.number
    except (DomainError, ValidationError) as error:
        return _staff_page(request, ctx, actor, refused=Refused("recognise", form, error))
    return RedirectResponse(f"/lists/entries/{number}", status_code=303)


@router.post("/staff/measures", response_class=HTMLResponse)
def staff_define_measure(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    code: Annotated[Key, Form()] = "",
    list_kind: Annotated[Key, Form()] = "",
    kind: Annotated[Key, Form()] = "",
    name: Annotated[Line, Form(max_length=300)] = "",
    implementing_agency: Annotated[Name, Form()] = "",
    legal_basis: Annotated[Line, Form(max_length=500)] = "",
    scenarios: Annotated[list[Key] | None, Form()] = None,
    conduct_categories: Annotated[list[Key] | None, Form()] = None,
    targets: Annotated[list[Key] | None, Form()] = None,
    term_amount: Annotated[Key, Form()] = "",
    term_unit: Annotated[Key, Form()] = "",
) -> Response:
    """Define a measure; refused, the form comes back as typed with the reason by its field."""
    if actor.role not in STAFF_ROLES:
        return RedirectResponse("/login", status_code=303)
    form: dict[str, Any] = {
        "code": code,
        "list_kind": list_kind,
        "kind": kind,
        "name": name,
        "implementing_agency": implementing_agency,
        "legal_basis": legal_basis,
        "scenarios": scenarios or [],
        "conduct_categories": conduct_categories or [],
        "targets": targets or ["subject"],
        "term_amount": term_amount,
        "term_unit": term_unit,
    }
    required = ("code", "list_kind", "kind", "name", "implementing_agency")
    blank = Refused.missing("measure", form, required)
    if blank:
        return _staff_page(request, ctx, actor, refused=blank)
    try:
        body = MeasureIn(
            code=code.strip(),
            list_kind=list_kind,
            kind=kind,
            name=name.strip(),
            implementing_agency=implementing_agency.strip(),
            legal_basis=legal_basis,
            scenarios=form["scenarios"],
            conduct_categories=form["conduct_categories"],
            targets=form["targets"],
            term_amount=term_amount or None,
            term_unit=term_unit or None,
        )
        with ctx.sessions() as session, session.begin():
            measure_service.define_measure(session, ctx, actor=actor, body=body)
    except (DomainError, ValidationError) as error:
        return _staff_page(request, ctx, actor, refused=Refused("measure", form, error))
    return _staff_page(request, ctx, actor, done=f"措施{code}已录入（未公布，公布前不得实施）")


@router.post("/staff/measures/{code}/publish", response_class=HTMLResponse)
def staff_publish(request: Request, code: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role not in STAFF_ROLES:
        return RedirectResponse("/login", status_code=303)
    try:
        with ctx.sessions() as session, session.begin():
            measure_service.publish_measure(session, ctx, actor=actor, code=code)
    except DomainError as refused:
        return _staff_page(request, ctx, actor, error=refused)
    return _staff_page(request, ctx, actor, done=f"措施{code}已向社会公布")


@router.post("/staff/emergencies", response_class=HTMLResponse)
def staff_emergency(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    region: Annotated[Key, Form()] = "",
    name: Annotated[Line, Form(max_length=200)] = "",
    starts_on: Annotated[Key, Form()] = "",
    ends_on: Annotated[Key, Form()] = "",
) -> Response:
    if actor.role not in STAFF_ROLES:
        return RedirectResponse("/login", status_code=303)
    form = {"region": region, "name": name, "starts_on": starts_on, "ends_on": ends_on}
    blank = Refused.missing("emergency", form, tuple(form))
    if blank:
        return _staff_page(request, ctx, actor, refused=blank)
    try:
        body = EmergencyIn.model_validate({k: v.strip() for k, v in form.items()})
        with ctx.sessions() as session, session.begin():
            emergencies.declare_emergency(session, ctx, actor=actor, body=body)
    except (DomainError, ValidationError) as error:
        return _staff_page(request, ctx, actor, refused=Refused("emergency", form, error))
    return _staff_page(
        request,
        ctx,
        actor,
        done=f"已宣布{region}地区突发事件期间：{body.starts_on}至{body.ends_on}",
    )


def _agency_page(request: Request, ctx: Any, actor: Any, **extra: Any) -> Response:
    scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return templates.TemplateResponse(
        request,
        "lists/agency_check.html",
        {
            "ctx": ctx,
            "actor": actor,
            "scenarios": scenarios,
            "status_labels": STATUS_LABELS,
            **extra,
        },
        status_code=422 if extra.get("error") else 200,
    )


@router.get("/agency/check", response_class=HTMLResponse)
def agency_check_form(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role not in (Role.AGENCY, *STAFF_ROLES):
        return RedirectResponse("/login", status_code=303)
    return _agency_page(request, ctx, actor)


_KEYS = TypeAdapter(list[Key])


def _codes(text: str) -> list[str]:
    """Codes from pasted text or an uploaded CSV: the first cell of each line."""
    out = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].strip() and not row[0].strip().startswith("#"):
            out.append(row[0].strip().lstrip("\ufeff"))
    return [c for c in out if c not in ("主体代码", "统一社会信用代码", "代码")]


@router.post("/agency/check", response_class=HTMLResponse)
async def agency_check(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    scenario: Annotated[Key, Form()],
    codes: Annotated[str, Form(pattern=MULTI_LINE)] = "",  # how many: lists.check.MAX_SUBJECTS
    matter: Annotated[Line, Form(max_length=300)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if actor.role not in (Role.AGENCY, *STAFF_ROLES):
        return RedirectResponse("/login", status_code=303)
    text = codes
    if upload is not None and upload.filename:
        raw = await upload.read()
        text += "\n" + raw.decode("utf-8-sig", errors="replace")
    keys = _codes(text)

    def work() -> dict[str, Any]:
        with ctx.sessions() as session, session.begin():
            answer = run_check(
                session,
                ctx,
                actor=actor,
                scenario=scenario,
                subject_keys=keys,
                matter=matter or None,
            )
        return answer.as_dict()  # committed: the audit receipt is numbered at commit

    try:
        validated(_KEYS, keys, ("body", "codes"))  # an uploaded file's too (NUL, 128 KB lines)
        answer = await run_in_threadpool(work)
    except DomainError as refused:  # what was typed is kept
        return _agency_page(
            request, ctx, actor, error=refused, scenario=scenario, matter=matter, codes=codes
        )
    return _agency_page(request, ctx, actor, answer=answer, scenario=scenario, matter=matter)
