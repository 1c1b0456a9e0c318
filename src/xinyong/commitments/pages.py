"""The commitments' pages: the public list of matters (HRB 17), the staff page that keeps it, the
agency's filing page (HLJ 45), a subject's voluntary commitment from /me (HRB 15 ¶2), and the
published commitments with search and paging (HLJ 50)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.commitments import filing, matters, verification
from xinyong.commitments.schemas import (
    CURE_DAYS_NOTE,
    DATASET_NOTE,
    MATTER_KINDS,
    PUBLICITY,
    SUBJECT_TYPES,
    TYPE_SOURCES,
    TYPES,
    UNVERIFIED_TYPE,
    CommitmentIn,
    MatterIn,
    VoluntaryIn,
)
from xinyong.common.errors import DomainError
from xinyong.common.inputs import Key, Name, PageNumber, Text
from xinyong.common.roles import Role
from xinyong.web.deps import ActorDep, AgencyDep, ContextDep, Router, StaffDep, SubjectDep
from xinyong.web.forms import form_problem, form_values
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _problem(exc: Exception) -> str:
    return form_problem(exc, MatterIn, CommitmentIn, VoluntaryIn)


PER_PAGE = 20
AGENCY_TYPES = [t for t in TYPES if t not in ("voluntary",)]


@router.get("/commitments/matters", response_class=HTMLResponse)
def matters_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    """The matters that accept a commitment, in force (HRB 17), for everyone."""
    with ctx.sessions() as session:
        rows = [matters.describe(m) for m in matters.listing(session)]
    return templates.TemplateResponse(
        request,
        "commitments/matters.html",
        {"ctx": ctx, "actor": actor, "matters": rows, "cure_note": CURE_DAYS_NOTE},
    )


@router.get("/staff/commitment-matters", response_class=HTMLResponse)
def staff_matters_page(
    request: Request, ctx: ContextDep, actor: StaffDep, error: Text | None = None
) -> Response:
    with ctx.sessions() as session:
        rows = [matters.describe(m) for m in matters.listing(session, in_force_only=False)]
    return templates.TemplateResponse(
        request,
        "commitments/staff_matters.html",
        {
            "ctx": ctx,
            "actor": actor,
            "matters": rows,
            "kinds": MATTER_KINDS,
            "cure_note": CURE_DAYS_NOTE,
            "error": error,
        },
    )


@router.post("/staff/commitment-matters")
async def staff_save_matter(request: Request, ctx: ContextDep, actor: StaffDep) -> Response:
    """Create a matter, or change it (a new version) when its code exists."""
    values = form_values(await request.form())
    try:
        body = MatterIn(**values)

        def write() -> None:
            with ctx.sessions() as session, session.begin():
                if matters.current(session, body.code):
                    matters.change(session, ctx, actor=actor, code=body.code, body=body)
                else:
                    matters.create(session, ctx, actor=actor, body=body)

        await run_in_threadpool(write)
    except (DomainError, ValidationError) as exc:
        return RedirectResponse(
            f"/staff/commitment-matters?error={quote(_problem(exc))}", status_code=303
        )
    return RedirectResponse("/staff/commitment-matters", status_code=303)


@router.post("/staff/commitment-matters/{code}/retire")
async def staff_retire_matter(
    code: Key, request: Request, ctx: ContextDep, actor: StaffDep
) -> Response:
    basis = str((await request.form()).get("basis", "")).strip()

    def write() -> None:
        with ctx.sessions() as session, session.begin():
            matters.retire(session, ctx, actor=actor, code=code, basis=basis)

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        return RedirectResponse(
            f"/staff/commitment-matters?error={quote(_problem(exc))}", status_code=303
        )
    return RedirectResponse("/staff/commitment-matters", status_code=303)


@router.get("/agency/commitments", response_class=HTMLResponse)
def agency_commitments_page(
    request: Request,
    ctx: ContextDep,
    actor: AgencyDep,
    error: Text | None = None,
    filed: Key | None = None,
) -> Response:
    """An agency files a commitment made before it (HLJ 45)."""
    with ctx.sessions() as session:
        rows = [matters.describe(m) for m in matters.listing(session)]
    return templates.TemplateResponse(
        request,
        "commitments/agency.html",
        {
            "ctx": ctx,
            "actor": actor,
            "matters": rows,
            "types": [(t, TYPES[t], TYPE_SOURCES[t]) for t in AGENCY_TYPES],
            "publicity": PUBLICITY,
            "unverified": UNVERIFIED_TYPE,
            "dataset_note": DATASET_NOTE,
            "error": error,
            "filed": filed,
            "today": ctx.today().isoformat(),
        },
    )


@router.post("/agency/commitments")
async def agency_file(request: Request, ctx: ContextDep, actor: AgencyDep) -> Response:
    values = form_values(await request.form())
    try:
        body = CommitmentIn(**values)

        def write() -> str:
            with ctx.sessions() as session, session.begin():
                return filing.file(session, ctx, actor=actor, body=body, via="page").number

        number = await run_in_threadpool(write)
    except (DomainError, ValidationError) as exc:
        return RedirectResponse(
            f"/agency/commitments?error={quote(_problem(exc))}", status_code=303
        )
    return RedirectResponse(f"/agency/commitments?filed={number}", status_code=303)


@router.post("/me/commitments")
async def my_commitment(request: Request, ctx: ContextDep, actor: SubjectDep) -> Response:
    """A subject's voluntary commitment, from its own page (HRB 15 ¶2)."""
    values = form_values(await request.form())
    try:
        body = VoluntaryIn(**{k: v for k, v in values.items() if v is not None})

        def write() -> None:
            with ctx.sessions() as session, session.begin():
                filing.file_own(session, ctx, actor=actor, body=body)

        await run_in_threadpool(write)
    except (DomainError, ValidationError) as exc:
        return RedirectResponse(
            f"/me?commitment_error={quote(_problem(exc))}#commitments", status_code=303
        )
    return RedirectResponse("/me#commitments", status_code=303)


@router.get("/commitments", response_class=HTMLResponse)
def published_page(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    q: Name | None = None,
    page: PageNumber = 1,
) -> Response:
    """The published commitments (HLJ 50), with search and paging; a natural person masked."""
    with ctx.sessions() as session:
        found = filing.published(session, q=q, page=page, per_page=PER_PAGE)
        names = filing.matter_names(session, found.rows)
        rows = [filing.describe(r, actor, names) for r in found.rows]
    filing.audit_persons(ctx, actor, found.rows)
    pages = max(1, -(-found.total // PER_PAGE))
    return templates.TemplateResponse(
        request,
        "commitments/published.html",
        {
            "ctx": ctx,
            "actor": actor,
            "rows": rows,
            "q": q or "",
            "total": found.total,
            "page": page,
            "pages": pages,
            "query": urlencode({"q": q}) if q else "",
            "dataset_note": DATASET_NOTE,
            "unverified": UNVERIFIED_TYPE,
        },
    )


def subject_types() -> list[tuple[str, str, str | None]]:
    """The types a subject may choose on its own page, voluntary first."""
    ordered = sorted(SUBJECT_TYPES, key=lambda t: (t != "voluntary", t))
    return [(t, TYPES[t], TYPE_SOURCES[t]) for t in ordered]


# ---------------------------------------------------------------- verification (cverify)


@router.get("/staff/commitments", response_class=HTMLResponse)
def staff_commitments(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    """The verification queue (HLJ 46), soonest due first, each row with its article."""
    if actor.role not in (Role.STAFF, Role.ADMIN):
        return RedirectResponse("/login", status_code=303)
    with ctx.sessions() as session:
        queue = verification.queue_view(session, ctx, actor=actor)
    return templates.TemplateResponse(
        request,
        "commitments/staff_verification.html",
        {"ctx": ctx, "actor": actor, "queue": queue},
    )
