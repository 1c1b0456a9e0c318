"""Chinese pages of credit information as a viewer may see it: the subject's own page (its
information, who accessed it, its authorisations and report), a subject's page, the 双公示
publicity lists, and an agency's query with its statutory purpose."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from xinyong.authorisations.service import (
    describe,
    grantee_names,
    hides_good_information,
    of_subject,
    possible_grantees,
)
from xinyong.catalog.service import list_items
from xinyong.commitments.filing import records_of_subject
from xinyong.commitments.pages import subject_types
from xinyong.common.errors import NotFound
from xinyong.common.identifiers import check_identifier, looks_like_citizen_id
from xinyong.common.inputs import FormDate, FormName, Key, Name, PageNumber, RecordKey, Text
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.evaluation.service import own_grade
from xinyong.lists.models import ListEntry
from xinyong.lists.recognition import (
    LIST_LABELS,
    audit_persons_shown,
    entry_in_force,
    entry_status,
    visible_to,
)
from xinyong.points.service import my_points
from xinyong.providers.service import unit_names
from xinyong.sharing.lists import PAGE as PUBLICITY_PAGE
from xinyong.sharing.lists import PUBLICITY_LISTS, publicity_list
from xinyong.sharing.schemas import Profile
from xinyong.sharing.service import access_log, profile, record_history
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import RecordView, Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def purpose_names(ctx: Context) -> dict[str, str]:
    """The statutory query scenarios (HLJ 44) by code, as a reader states them, to their names."""
    scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return {str(e["code"]): str(e["name"]) for e in scenarios}


@router.get("/me", response_class=HTMLResponse)
def my_page(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    error: Text | None = None,
    commitment_error: Text | None = None,
    points_error: Text | None = None,
) -> Response:
    """The subject's self-service page: its information, who accessed it, its authorisations,
    its good-information switch, its report."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    mine = profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    evaluation = own_grade(ctx, actor)
    with ctx.sessions() as session:
        accesses = access_log(session, actor, actor.subject_key, limit=50)
        rows = of_subject(session, actor.subject_key)
        names = grantee_names(session, rows)
        grants = [
            describe(a, ctx.today()) | {"grantee_name": names.get(a.grantee_username, "")}
            for a in rows
        ]
        grantable = [i for i in list_items(session) if i.opening == "conditional"]
        grantees = possible_grantees(session)
        hide_good = hides_good_information(session, actor.subject_key)
        units = unit_names(session, {r.provider_code for r in mine.records})
        commitments = records_of_subject(ctx, session, actor.subject_key, actor)
        person = looks_like_citizen_id(actor.subject_key)
        points = my_points(session, ctx, actor=actor) if person else None
    return templates.TemplateResponse(
        request,
        "sharing/me.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": mine,
            "accesses": accesses,
            # the subject's own reads apart from others' (the log a subject reads for others)
            "own_accesses": [e for e in accesses if e["who"] == actor.username],
            "others_accesses": [e for e in accesses if e["who"] != actor.username],
            "authorisations": grants,
            "grantable": grantable,
            "grantees": grantees,
            "hide_good": hide_good,
            "units": units,
            "purposes": purpose_names(ctx),
            "error": error,
            "commitments": commitments,
            "commitment_types": subject_types(),
            "commitment_error": commitment_error,
            "points": points,
            "points_error": points_error,
            "evaluation": evaluation,
        },
    )


@router.get("/me/records/{item_code}/{record_key}", response_class=HTMLResponse)
def my_record_history_page(
    request: Request,
    item_code: Key,
    record_key: RecordKey,
    provider: Key,
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """One item of my information: its source unit and every change (HLJ 35, HRB 35)."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    history = record_history(
        ctx, actor=actor, provider_code=provider, item_code=item_code, record_key=record_key
    )
    return templates.TemplateResponse(
        request, "sharing/record_history.html", {"ctx": ctx, "actor": actor, "history": history}
    )


#: The sections of a subject's page, as users of 信用中国 know them, in their order.
SECTIONS = (
    ("basic", "基本信息"),
    ("licence", "行政许可"),
    ("penalty", "行政处罚"),
    ("incentive", "守信激励"),
    ("serious", "严重失信"),
    ("commitment", "信用承诺"),
    ("evaluation", "信用评价"),
    ("other", "其他"),
)
#: The one table from the catalog's categories (HLJ 18, catalog.categories) to those sections.
#: Two rules stand above it: a serious dishonesty record is under 严重失信 whatever its category,
#: and an administrative record of dishonesty is a penalty (行政处罚), any other a licence.
CATEGORY_SECTIONS = {
    "registration": "basic",
    "administrative": "licence",
    "commendation": "incentive",
    "commitment": "commitment",
    "public_utility": "other",
    "judicial": "other",
    "refusal_to_pay": "other",
    "refusal_to_perform": "other",
    "falsification": "other",
    "other_provincial": "other",
}
#: A list entry's section: the red list is an incentive, the serious list serious dishonesty.
LIST_SECTIONS = {"red": "incentive", "serious": "serious"}
KIND_LABELS = {"legal_person": "法人和非法人组织", "natural_person": "自然人"}
SUBJECT_STATE_LABELS = {
    "active": "存续",
    "deregistered": "注销",
    "revoked": "吊销",
    "closed": "注销",
}


def section_of(view: RecordView) -> str:
    if view.severity == "serious":
        return "serious"
    if view.category == "administrative" and view.nature == "dishonesty":
        return "penalty"
    return CATEGORY_SECTIONS.get(view.category, "other")


def _registration(
    ctx: Context, key: str, header: dict[str, Any], views: list[RecordView]
) -> dict[str, Any]:
    """The subject's registration facts: type and region from its code (GB 32100), status, and
    the legal representative as the records the engine showed this viewer carry it."""
    check = check_identifier(key, ctx.today())
    facts: dict[str, Any] = {
        "kind": KIND_LABELS.get(str(header.get("kind")), "—"),
        "category": check.info.get("category") if check.kind == "uscc" else None,
        "authority": check.info.get("authority") if check.kind == "uscc" else None,
        "region": check.info.get("region") if check.kind == "uscc" else None,
        "representative": None,
    }
    for view in sorted(views, key=lambda v: (v.category != "registration", v.decided_on is None)):
        if view.fields.get("法定代表人"):
            facts["representative"] = view.fields["法定代表人"]
            break
    return facts


def _entries(ctx: Context, actor: Actor, key: str) -> tuple[list[ListEntry], str | None]:
    """The subject's list entries this viewer may see, newest first, and its registered state."""
    today = ctx.today()
    with ctx.sessions() as session:
        entries = [
            e
            for e in session.scalars(
                select(ListEntry)
                .where(ListEntry.subject_key == key)
                .order_by(ListEntry.decided_on.desc(), ListEntry.id.desc())
            )
            if visible_to(e, actor, today)
        ]
        state = session.scalar(select(Subject.state).where(Subject.subject_key == key))
    return entries, state


def _page_context(
    ctx: Context,
    actor: Actor,
    key: str,
    shown: Profile,
    entries: list[ListEntry],
    state: str | None,
) -> dict[str, Any]:
    """What the subject page shows besides the profile: facts, list status, sections."""
    today = ctx.today()
    if entries:
        audit_persons_shown(ctx, actor, entries)
    sections: dict[str, list[Any]] = {code: [] for code, _ in SECTIONS}
    for view in shown.records:
        sections[section_of(view)].append(view)
    listings: dict[str, list[dict[str, Any]]] = {code: [] for code, _ in SECTIONS}
    for e in entries:
        listings[LIST_SECTIONS.get(e.list_kind, "other")].append(
            {
                "number": e.number,
                "list_label": LIST_LABELS.get(e.list_kind, "名单"),
                "list_kind": e.list_kind,
                "authority": e.authority,
                "decided_on": e.decided_on,
                "valid_until": e.valid_until,
                "status": entry_status(e, today),
                "in_force": entry_in_force(e, today),
            }
        )
    on_list = {
        kind: [x for x in listings[section] if x["list_kind"] == kind and x["in_force"]]
        for kind, section in LIST_SECTIONS.items()
    }
    return {
        "facts": _registration(ctx, key, shown.subject, shown.records),
        "state_label": SUBJECT_STATE_LABELS.get(state or "", "—"),
        "sections": [(code, label, sections[code], listings[code]) for code, label in SECTIONS],
        "on_list": on_list,
    }


def _commitments(ctx: Context, actor: Actor, key: str) -> list[dict[str, Any]]:
    """The subject's commitments this viewer may see (HLJ 50), for its 信用承诺 section."""
    with ctx.sessions() as session:
        return records_of_subject(ctx, session, key, actor)


@router.get("/subjects/{key}", response_class=HTMLResponse)
def subject_page(request: Request, key: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    """A subject's page: its registration facts, its red- and serious-list status with links to
    the decisions, and its records by section with counts, as this viewer may see them. A
    subject on a list has a page even when the platform holds no record of it."""
    key = key.strip().upper()
    entries, state = _entries(ctx, actor, key)
    try:
        shown = profile(ctx, viewer=Viewer(actor=actor), subject_key=key)
    except NotFound:
        if not entries:
            raise
        shown = Profile(
            subject={
                "subject_key": key,
                "name": entries[0].subject_name,
                "kind": entries[0].subject_kind,
                "region": None,
                "as_of": ctx.today().isoformat(),
            }
        )
    return templates.TemplateResponse(
        request,
        "sharing/subject.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": shown,
            "receipt": None,
            "commitments": _commitments(ctx, actor, key),
            **_page_context(ctx, actor, key, shown, entries, state),
        },
    )


@router.get("/publicity/{which}", response_class=HTMLResponse)
def publicity_page(
    request: Request,
    which: Key,
    ctx: ContextDep,
    actor: ActorDep,
    name: FormName = None,
    since: FormDate = None,
    until: FormDate = None,
    page: PageNumber = 1,
) -> Response:
    """双公示: the 行政许可 and 行政处罚 publicity lists."""
    if which not in PUBLICITY_LISTS:
        raise NotFound("publicity.unknown_list", "没有这个公示栏目")
    item, title = PUBLICITY_LISTS[which]
    with ctx.sessions() as session:
        found = publicity_list(
            session,
            ctx,
            item,
            actor=actor,
            name=name,
            since=since,
            until=until,
            page=page,
        )
    return templates.TemplateResponse(
        request,
        "sharing/publicity.html",
        {
            "ctx": ctx,
            "actor": actor,
            "title": title,
            "rows": found["rows"],
            "total": found["total"],
            "page": page,
            "pages": max(1, -(-found["total"] // PUBLICITY_PAGE)),
            "query": urlencode(
                {
                    k: str(v)
                    for k, v in {"name": name, "since": since, "until": until}.items()
                    if v and not looks_like_citizen_id(str(v))
                }
            ),
            "name": None if looks_like_citizen_id(name) else name,  # not echoed
            "since": since,
            "until": until,
        },
    )


@router.get("/agency", response_class=HTMLResponse)
def agency_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    purposes = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return templates.TemplateResponse(
        request, "sharing/agency.html", {"ctx": ctx, "actor": actor, "purposes": purposes}
    )


@router.post("/agency/query", response_class=HTMLResponse)
def agency_query(
    request: Request,
    key: Annotated[Key, Form()],
    purpose: Annotated[Name, Form()],
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """An agency's query with its statutory purpose; the answer shows the audit receipt. A POST
    with the form's CSRF token: the read is logged in the subject's access log in the agency's
    name, which no link another site shows may trigger."""
    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    shown = profile(ctx, viewer=Viewer(actor=actor, purpose=purpose), subject_key=key)
    entries, state = _entries(ctx, actor, key.strip().upper())
    return templates.TemplateResponse(
        request,
        "sharing/subject.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": shown,
            "receipt": shown.audit_id,
            "purpose": purpose_names(ctx).get(purpose, purpose),
            **_page_context(ctx, actor, key.strip().upper(), shown, entries, state),
        },
    )
