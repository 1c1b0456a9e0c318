"""Privacy, tried as an attacker would (issue 14, items 3 and 4), on both databases, over HTTP with
real tokens (Starlette's TestClient on `create_app` with a real database).

- No anonymous answer of any GET route — every route the app has, API and pages, found in
  `app.routes`, so a new route joins by existing — contains a natural person's full ID number,
  unmasked name, phone or address, whatever path values (drawn from the data's own keys) and
  query filters (including LIKE wildcards) it is given.
- Unknown and forbidden persons get the same answer (no existence oracle).
- The publicity list's name filter cannot recover an ID number digit by digit.
- A role × route table: every cell's status and whether the person's identity appears.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import BACKENDS, NOW, empty_postgresql, make_settings
from xinyong.accounts import service as accounts
from xinyong.accounts.models import User
from xinyong.accounts.service import create_user, open_session
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import SEED_FILE, define_item
from xinyong.common.clock import FixedClock
from xinyong.common.identifiers import region_codes
from xinyong.common.roles import SYSTEM, Role
from xinyong.consents.schemas import ConsentIn
from xinyong.consents.service import record_consent
from xinyong.context import Context, build_context
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_COMPANY, DEMO_PASSWORD, load_demo
from xinyong.flows import AFTER_PUSH
from xinyong.ingest.readers import read_json_records
from xinyong.ingest.service import ingest
from xinyong.law.rules import load_yaml
from xinyong.lists.court_debtors import sync_court_debtors
from xinyong.lists.models import ListEntry
from xinyong.records.models import CreditRecord
from xinyong.sharing.reads import clear_caches
from xinyong.subjects.models import Subject
from xinyong.subjects.schemas import LinkIn
from xinyong.subjects.service import add_link
from xinyong.web.app import create_app

TODAY = NOW.date()
REGIONS = region_codes("2301")
CONTACT_ITEM = "TEST-LX-001"  # an item with a person's phone and address (conditional)

# The people whose identity must not leak. P is the demo citizen (an account: `citizen`);
# P2 has the second citizen account; P3 has no account and is a company's legal representative.
P_KEY, P_NAME = DEMO_CITIZEN, "张示范（演示）"
P2_N, P3_N = 7_000_003, 7_000_005
P2_KEY, P2_NAME = synthetic_citizen_id(P2_N, REGIONS), "钱秘乙"
P3_KEY, P3_NAME = synthetic_citizen_id(P3_N, REGIONS), "欧阳秘丙"
COMPANY2 = synthetic_uscc(7_000_004, "230103")
PHONES = {P_KEY: "13911112222", P2_KEY: "13933334444", P3_KEY: "13955556666"}
STREETS = {P_KEY: "保密街一号", P2_KEY: "保密街二号", P3_KEY: "保密街三号"}
#: never on file: same region, birth date and sex as P, another sequence number
P_UNKNOWN = synthetic_citizen_id(7_000_001 + len(REGIONS) * 20_000 * 2, REGIONS)
assert P_UNKNOWN[:14] == P_KEY[:14] and P_UNKNOWN != P_KEY

ACCOUNTS = {  # the second account of each subject role, and a provider that never pushed P
    "citizen2": (Role.SUBJECT, P2_KEY, None),
    "company2": (Role.SUBJECT, COMPANY2, None),
    "provider2": (Role.PROVIDER, None, "HLJ-SCJG"),
}
ROLES = [
    "anonymous",
    "citizen",
    "citizen2",
    "company",
    "company2",
    "provider",
    "provider2",
    "agency",
    "bank",
    "staff",
    "admin",
]


@dataclass
class World:
    ctx: Context
    client: TestClient
    tokens: dict[str, dict[str, str]]
    #: every natural person on file: key -> name (the generated population included)
    persons: dict[str, str]
    #: values the data holds, for path parameters and filters
    values: list[str]
    ids: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.tokens[role]


def _contact_spec() -> CatalogItemSpec:
    raw = dict(next(i for i in load_yaml(SEED_FILE)["items"] if i["code"] == "HLJ-CF-001"))
    raw.update(
        code=CONTACT_ITEM,
        name="测试用联系信息",
        opening="conditional",
        sharing="conditional",
        public_by_law=False,
        providers=["HRB-SCJG", "HRB-ZJJ", "HLJ-STHJ"],
        fields=[
            *raw["fields"],
            {"name": "联系电话", "type": "string", "max_length": 20, "personal": True},
            {"name": "住址", "type": "string", "max_length": 200, "personal": True},
        ],
    )
    return CatalogItemSpec.model_validate(raw)


def _person_row(n: int, key: str, name: str) -> dict[str, Any]:
    return penalty_row(n, TODAY, person=True) | {"行政相对人名称": name, "证件号码": key}


def _push(ctx: Context, rows: list[dict[str, Any]], item: str, provider: str) -> None:
    receipt = ingest(
        ctx,
        actor=SYSTEM,
        provider_code=provider,
        item_code=item,
        rows=read_json_records(rows),
        source="api",
        after=AFTER_PUSH,
    )
    assert not receipt.rejected, receipt.rejected


def _populate(ctx: Context) -> None:
    load_demo(ctx, subjects=30, records=60)
    with ctx.sessions() as session, session.begin():
        define_item(session, ctx, actor=SYSTEM, spec=_contact_spec())
        for username, (role, subject, provider) in ACCOUNTS.items():
            create_user(
                session,
                ctx,
                actor=SYSTEM,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=username,
                subject_key=subject,
                provider_code=provider,
                synthetic=True,
            )
        for key in (P_KEY, P2_KEY, P3_KEY):  # HLJ 20: the persons' written consent
            record_consent(
                session,
                ctx,
                actor=SYSTEM,
                body=ConsentIn(
                    subject_key=key,
                    item_code=CONTACT_ITEM,
                    purpose="联系信息归集（测试）",
                    informed=True,
                    written=True,
                    adverse_consequences_told=True,
                    document="同意书（测试）",
                    valid_from=dt.date(2026, 1, 1),
                ),
            )
        add_link(
            session,
            ctx,
            actor=SYSTEM,
            organisation_key=DEMO_COMPANY,
            body=LinkIn(
                person_key=P3_KEY,
                person_name=P3_NAME,
                relation="legal_representative",
                valid_from=dt.date(2020, 1, 1),
                source="市场主体登记信息",
            ),
        )
    contact = [
        _person_row(300 + i, key, name)
        | {"联系电话": PHONES[key], "住址": f"黑龙江省哈尔滨市南岗区{STREETS[key]}"}
        for i, (key, name) in enumerate(((P_KEY, P_NAME), (P2_KEY, P2_NAME), (P3_KEY, P3_NAME)))
    ]
    _push(ctx, contact[:1], CONTACT_ITEM, "HRB-SCJG")  # P's: by the `provider` account's unit
    _push(ctx, contact[1:], CONTACT_ITEM, "HRB-ZJJ")
    # penalties (public by law: on the publicity list, desensitised) of P2, P3 and company2
    company2 = penalty_row(320, TODAY) | {
        "行政相对人名称": "哈尔滨第二示范有限公司（演示）",
        "统一社会信用代码": COMPANY2,
    }
    people = [_person_row(310, P2_KEY, P2_NAME), _person_row(311, P3_KEY, P3_NAME)]
    _push(ctx, [*people, company2], "HLJ-CF-001", "HLJ-STHJ")
    # P3 is a court debtor (失信被执行人): on the serious-dishonesty list (HLJ 28 ¶3)
    debtor = {
        "被执行人名称": P3_NAME,
        "被执行人类别": "自然人",
        "证件类型": "身份证",
        "证件号码": P3_KEY,
        "案号": "（2026）黑0103执1号",
        "执行法院": "哈尔滨市南岗区人民法院（演示）",
        "执行依据文号": "（2025）黑0103民初1号",
        "失信情形": "有履行能力而拒不履行生效法律文书确定的义务（演示）",
        "纳入日期": (TODAY - dt.timedelta(days=20)).isoformat(),
    }
    _push(ctx, [debtor], "HLJ-SX-001", "HLJ-GY")
    with ctx.sessions() as session, session.begin():
        sync_court_debtors(session, ctx, actor=SYSTEM)
    # a commendation of P: its record key is made of 表彰文号 and the person's name
    _push(
        ctx,
        [
            {
                "主体名称": P_NAME,
                "主体类别": "自然人",
                "证件类型": "身份证",
                "证件号码": P_KEY,
                "表彰名称": "优秀志愿者（演示）",
                "表彰文号": "哈志〔2026〕1号",
                "表彰机关": "哈尔滨市住房和城乡建设局（演示）",
                "表彰日期": (TODAY - dt.timedelta(days=10)).isoformat(),
            }
        ],
        "HLJ-BZ-001",
        "HRB-ZJJ",
    )


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[World]:
    """One populated platform per database, shared by the module's tests (they only read,
    apart from the audit entries of those reads, an objection and a report made here)."""
    folder = tmp_path_factory.mktemp(f"privacy-{request.param}")
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "xinyong.db")
        url = f"sqlite:///{folder / 'xinyong.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    clear_caches()
    ctx = build_context(make_settings(folder, url), clock=FixedClock(NOW))
    with pytest.MonkeyPatch.context() as patch:  # the demo's passwords, hashed cheaply here
        patch.setattr(accounts, "_hasher", PasswordHasher(1, 1024, 1), raising=False)
        _populate(ctx)
    with ctx.sessions() as session, session.begin():  # real bearer tokens, as a login gives
        tokens = {
            user.username: {
                "Authorization": f"Bearer {open_session(session, ctx, user, 'bearer')[0]}"
            }
            for user in session.scalars(select(User).where(User.username.in_(ROLES)))
        }
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        assert client.get("/api/me", headers=tokens["citizen"]).json()["subject_key"] == P_KEY
        with ctx.sessions() as session:
            persons = dict(
                session.execute(
                    select(Subject.subject_key, Subject.name).where(
                        Subject.kind == "natural_person"
                    )
                ).all()
            )
            keys = list(session.scalars(select(Subject.subject_key)))
            records = session.execute(
                select(
                    CreditRecord.id,
                    CreditRecord.subject_key,
                    CreditRecord.item_code,
                    CreditRecord.record_key,
                    CreditRecord.provider_code,
                ).where(CreditRecord.is_current.is_(True))
            ).all()
            entries = list(session.scalars(select(ListEntry.number)))
        penalty = next(r for r in records if r.subject_key == P_KEY and r.item_code == "HLJ-CF-001")
        # P objects to its penalty (a case concerning P) and issues its own report
        case = client.post(
            "/api/me/objections",
            json={"record_id": penalty.id, "request": "处罚信息与事实不符，请予更正。"},
            headers=tokens["citizen"],
        )
        assert case.status_code == 201, case.text
        report = client.post("/api/reports", json={"subject_key": P_KEY}, headers=tokens["citizen"])
        assert report.status_code == 201, report.text
        # P authorises the bank to query its contact information (HLJ 24)
        grant = client.post(
            "/api/me/authorisations",
            json={
                "grantee": "bank",
                "items": [CONTACT_ITEM],
                "purpose": "个人贷款审查",
                "expires_on": (TODAY + dt.timedelta(days=30)).isoformat(),
            },
            headers=tokens["citizen"],
        )
        assert grant.status_code == 201, grant.text
        values = sorted(
            {
                *keys,
                *persons.values(),
                *(r.record_key for r in records),
                *(r.item_code for r in records),
                *(r.provider_code for r in records),
                *entries,
                case.json()["number"],
                report.json()["number"],
                P_UNKNOWN,
                "red",
                "serious",
                "licences",
                "penalties",
                "1",
                "2026",
                "licensing",
            }
        )
        yield World(
            ctx,
            client,
            tokens,
            persons,
            values,
            ids={
                "penalty": penalty,
                "case": case.json()["number"],
                "report": report.json()["number"],
                "code": report.json()["verification_code"],
                "entries": entries,
            },
        )
    ctx.engine.dispose()
    if request.param == "postgresql":  # leave the session's database empty for the next tests
        empty_postgresql(url)
    clear_caches()


# ------------------------------------------------------------------------------------ leaks


def _body(response: Any) -> str:
    """The answer as text, JSON unescaped (a `\\u5f20` must not hide a name)."""
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        try:
            return json.dumps(response.json(), ensure_ascii=False)
        except ValueError:
            return str(response.text)
    if kind.startswith(("text/", "application/xml")) or not kind:
        return str(response.text)
    return ""  # a PDF or a static asset: no route serves a person's PDF without its code


def leaks(
    world: World, text_: str, *, persons: dict[str, str] | None = None, asked: str = ""
) -> list[str]:
    """The pieces of a natural person's identity that `text_` shows in full, other than what
    the request itself held (`asked`: an answer may echo what it was asked)."""
    found = []
    upper, asked = text_.upper(), asked.upper()
    for key, name in (persons if persons is not None else world.persons).items():
        if key.upper() in upper and key.upper() not in asked:
            found.append(f"ID {key}")
        # a generated two-character name may occur in other words; names of 3+ are distinctive
        bare = name.removesuffix("（演示）")
        if len(bare) >= 3 and bare in text_ and bare not in asked:
            found.append(f"name {name}")
        if key in PHONES and PHONES[key] in text_:
            found.append(f"phone of {key}")
        if key in STREETS and STREETS[key] in text_:
            found.append(f"address of {key}")
    return found


# ----------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class GetRoute:
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]


def _query_names(dependant: Any) -> list[str]:
    names = [q.name for q in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def get_routes(app: Any) -> list[GetRoute]:
    """Every GET route of the app: its own and those of the routers it includes."""
    found: dict[str, GetRoute] = {}

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # an included router
                for c in route.effective_route_contexts():
                    if "GET" not in (c.methods or ()):
                        continue
                    query = _query_names(c.dependant) if c.dependant else []
                    for extra in (c.openapi_extra or {}).get("parameters", []):
                        if extra.get("in") == "query":
                            query.append(extra["name"])
                    add(c.path, query)
            elif hasattr(route, "routes") and not hasattr(route, "methods"):  # a mount
                continue  # /static: files
            elif "GET" in (getattr(route, "methods", None) or ()):
                dependant = getattr(route, "dependant", None)
                add(route.path, _query_names(dependant) if dependant else [])

    def add(path: str, query: list[str]) -> None:
        params = tuple(re.findall(r"{(\w+)(?::\w+)?}", path))
        found[path] = GetRoute(path, params, tuple(dict.fromkeys(query)))

    walk(app.routes)
    return sorted(found.values(), key=lambda r: r.path)


def _url(route: GetRoute, values: dict[str, str]) -> str:
    path = route.path
    for name in route.path_params:
        path = re.sub(r"{" + name + r"(?::\w+)?}", quote(values[name], safe=""), path)
    return path


def _asked(url: str, params: dict[str, str]) -> str:
    return " ".join([unquote(url), *params.values()])


def _attacks(world: World) -> list[str]:
    """Filters an attacker tries: wildcards, ID prefixes padded with `_`, names."""
    return [
        *("%", "_", "%_%", P_NAME[:1] + "%", P3_NAME),
        *(P_KEY[:10] + "_" * 8, "%" + P_KEY[-4:], P_KEY[:17] + "_"),
    ]


def test_every_get_route_is_in_the_suite(world: World) -> None:
    """The route list is read from the app: a new route joins the suite by existing."""
    routes = get_routes(world.client.app)
    paths = {r.path for r in routes}
    assert {"/api/subjects/{key}/records", "/publicity/{which}", "/api/search"} <= paths
    assert len(routes) >= 50
    by_path = {r.path: r for r in routes}
    assert "purpose" in by_path["/api/subjects/{key}/records"].query_params  # DirectRoute's
    assert {"name", "since", "until", "page"} <= set(by_path["/publicity/{which}"].query_params)


def test_no_anonymous_answer_of_any_route_shows_a_person(world: World) -> None:
    """Every GET route, anonymously: P's key and P3's company's code in every path parameter,
    P's key and P's name in every query parameter; then each wildcard attack in each query
    parameter."""
    client = world.client

    def check(url: str, params: dict[str, str]) -> None:
        r = client.get(url, params=params)
        found = leaks(world, _body(r), asked=_asked(url, params))
        assert not found, (url, params, r.status_code, found)

    for route in get_routes(client.app):
        for value in (P_KEY, DEMO_COMPANY):  # a person; the company P3 answers for
            url = _url(route, dict.fromkeys(route.path_params, value))
            check(url, {})
            for filter_ in (P_KEY, P_NAME) if route.query_params else ():
                check(url, dict.fromkeys(route.query_params, filter_))
        which = "penalties" if route.path_params == ("which",) else P_KEY
        url = _url(route, dict.fromkeys(route.path_params, which))
        for name in route.query_params:
            for attack in _attacks(world):
                check(url, {name: attack})


@st.composite
def _requests(draw: st.DrawFn, world: World, routes: list[GetRoute]) -> tuple[str, dict[str, str]]:
    route = draw(st.sampled_from(routes))
    pool = st.one_of(
        st.sampled_from(world.values), st.sampled_from(_attacks(world)), st.text(max_size=20)
    )
    values = {name: draw(pool) for name in route.path_params}
    if any(not v or v in (".", "..") for v in values.values()):
        values = dict.fromkeys(route.path_params, P_KEY)
    params = draw(
        st.dictionaries(st.sampled_from(route.query_params), pool, max_size=4)
        if route.query_params
        else st.just({})
    )
    return _url(route, values), params


def test_random_anonymous_requests_show_no_person(world: World) -> None:
    """The property, with hypothesis: random GET routes, path values from the data's keys,
    random query filters; bounded examples."""
    routes = get_routes(world.client.app)

    @settings(max_examples=100, suppress_health_check=list(HealthCheck), database=None)
    @given(_requests(world, routes))
    def check(request: tuple[str, dict[str, str]]) -> None:
        url, params = request
        r = world.client.get(url, params=params)
        found = leaks(world, _body(r), asked=_asked(url, params))
        assert not found, (url, params, r.status_code, found)

    check()


def _same(a: Any, b: Any, key: str, other: str) -> bool:
    return a.status_code == b.status_code and _body(a).replace(key, "KEY") == _body(b).replace(
        other, "KEY"
    )


def test_unknown_and_forbidden_persons_get_the_same_answer(world: World) -> None:
    """No existence oracle: on every GET route, for the public, a person on file and a valid ID
    never on file (same region, birth date and sex) get the same status and body; and so on the
    records route for every account that may not read the person."""
    client = world.client
    for route in get_routes(client.app):
        if route.path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
            continue
        for params in ({}, dict.fromkeys(set(route.query_params) & {"q", "key", "name"}, "K")):
            if not route.path_params and not params:
                continue

            def ask(key: str, route: GetRoute = route, params: dict[str, str] = params) -> Any:
                url = _url(route, dict.fromkeys(route.path_params, key))
                return client.get(url, params={q: key for q in params})

            known, unknown = ask(P_KEY), ask(P_UNKNOWN)
            assert _same(known, unknown, P_KEY, P_UNKNOWN), (route.path, params)
    for role, person in (
        ("citizen2", P_KEY),
        ("company", P_KEY),
        ("company2", P_KEY),
        ("provider2", P_KEY),  # a unit that never provided anything about P
        ("bank", P2_KEY),  # P2 gave the bank no authorisation
    ):
        url = "/api/subjects/{}/records"
        known = client.get(url.format(person), headers=world.headers(role))
        unknown = client.get(url.format(P_UNKNOWN), headers=world.headers(role))
        assert known.status_code == 403 and _same(known, unknown, person, P_UNKNOWN), role


def test_the_publicity_filter_cannot_recover_an_id(world: World) -> None:
    """Item 3: guessing an ID digit by digit with `_` and `%` finds nothing; a person is not
    found by name or ID; an organisation is found by name and code; `%` is literal."""
    client = world.client

    def rows(name: str) -> int:
        r = client.get("/publicity/penalties", params={"name": name})
        assert r.status_code == 200
        return r.text.count('<td data-label="行政相对人">')  # one a row shown

    for key in (P_KEY, P2_KEY, P3_KEY):
        for k in range(0, 19, 3):
            assert rows(key[:k] + "_" * (18 - k)) == 0, (key, k)
        assert rows(key) == rows("%" + key[6:14] + "%") == 0
    for name in (P_NAME, P2_NAME, P3_NAME, "%", "_", "%%"):
        assert rows(name) == 0, name
    assert rows("") > 0  # the list itself shows persons, desensitised
    assert rows("第二示范") == rows(COMPANY2) == 1
    listing = client.get("/publicity/penalties").text
    assert P2_NAME[0] + "*" in listing and not leaks(world, listing)


def test_reads_of_a_person_are_audited_under_the_person(world: World) -> None:
    """Links, publicity and list reads that show a person (desensitised) are audited under the
    person, so they are on the person's own access log (HLJ 35)."""
    from xinyong.audit.models import AuditEvent

    client = world.client
    before = _count(world, AuditEvent, P3_KEY)
    links = client.get(f"/api/subjects/{DEMO_COMPANY}/links").json()
    assert [link["person_name"] for link in links] == ["欧***"]
    assert _count(world, AuditEvent, P3_KEY, "subjects:links:read") >= 1
    client.get("/publicity/penalties")
    assert _count(world, AuditEvent, P3_KEY, "sharing:publicity:read") >= 1
    listed = client.get("/api/lists/serious").json()
    mine = [e for e in listed if e["subject_name"] == P3_NAME[0] + "***"]
    assert len(mine) == 1 and mine[0]["subject_key"] == P3_KEY[:6] + "********" + P3_KEY[-4:]
    assert not leaks(world, client.get("/lists/serious").text)
    client.get(f"/api/list-entries/{mine[0]['number']}")
    assert _count(world, AuditEvent, P3_KEY, "lists:entry:read") >= 3  # API, page, decision
    after = _count(world, AuditEvent, P3_KEY)
    assert after >= before + 5


def _count(world: World, model: Any, key: str, action: str | None = None) -> int:
    from sqlalchemy import func

    query = select(func.count()).select_from(model).where(model.subject_key == key)
    if action:
        query = query.where(model.action == action)
    with world.ctx.sessions() as session:
        return int(session.scalar(query) or 0)


# --------------------------------------------------------------------- role × route table

#: Each route that concerns the person P (the `citizen` account's subject): the status every
#: role gets, and whether P's full ID number or name appears ("+") or not ("-"). A company
#: (`company`) has P3 as its legal representative. `provider` (HRB-SCJG) pushed P's records;
#: `provider2` (HLJ-SCJG) never did; `bank` holds P's authorisation for one item. On pages, a
#: signed-in citizen's own name is in the header: "+" for P's own account. What the request
#: itself held (a filter's ID, a name searched for) does not count as shown. The agency reads
#: with its purpose (HLJ 44); its page /subjects/{key} has none (422), /agency/query has.
#: A report is a bearer document: whoever holds its number and verification code (printed on
#: it, given by the person to whom they choose) sees it as issued; without the code, no one.
MATRIX = """
case              anon  cit   cit2  org   org2  prov  prov2  agency  bank  staff  admin
records           403-  200+  403-  403-  403-  200+  403-   200+    200-  200+   200+
subject_page      403-  200+  403-  403-  403-  200+  403-   422-    200-  200+   200+
records_unknown   403-  403-  403-  403-  403-  403-  403-   404-    403-  404-   404-
links             200-  200-  200-  200+  200-  200-  200-   200+    200-  200+   200+
me_records        401-  200+  200-  200-  200-  403-  403-   403-    403-  403-   403-
me_accesses       401-  200+  200-  200-  200-  403-  403-   403-    403-  403-   403-
me_authorisation  401-  200-  200-  200-  200-  403-  403-   403-    403-  403-   403-
my_history        401-  200+  404-  404-  404-  403-  403-   403-    403-  403-   403-
record_history    401-  403-  403-  403-  403-  200+  403-   403-    403-  200+   200+
report            403-  201+  403-  403-  403-  403-  403-   403-    403-  201+   201+
case              401-  200+  404-  404-  404-  404-  404-   403-    403-  200+   200+
my_cases          401-  200+  200-  200-  200-  403-  403-   403-    403-  403-   403-
staff_cases       401-  403-  403-  403-  403-  403-  403-   403-    403-  200+   200+
publicity_name    200-  200-  200-  200-  200-  200-  200-   200-    200-  200-   200-
publicity_id      200-  200+  200-  200-  200-  200-  200-   200-    200-  200-   200-
publicity_list    200-  200+  200-  200-  200-  200-  200-   200-    200-  200-   200-
search_id         403-  200+  403-  403-  403-  403-  403-   200+    403-  200+   200+
search_name       200-  200-  200-  200-  200-  200-  200-   200-    200-  200-   200-
search_page       200-  200+  200-  200-  200-  200-  200-   200+    200-  200+   200+
agency_query      303-  303-  303-  303-  303-  303-  303-   200+    303-  303-   303-
me_page           303-  200+  200-  200-  200-  303-  303-   303-    303-  303-   303-
report_bad_code   404-  404-  404-  404-  404-  404-  404-   404-    404-  404-   404-
report_by_code    200+  200+  200+  200+  200+  200+  200+   200+    200+  200+   200+
"""


def _cases(world: World) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """case -> (method, url, options) for the table's rows."""
    penalty = world.ids["penalty"]
    return {
        "records": ("GET", f"/api/subjects/{P_KEY}/records?purpose=licensing", {}),
        "subject_page": ("GET", f"/subjects/{P_KEY}", {}),
        "records_unknown": ("GET", f"/api/subjects/{P_UNKNOWN}/records?purpose=licensing", {}),
        "links": ("GET", f"/api/subjects/{DEMO_COMPANY}/links", {}),
        "me_records": ("GET", "/api/me/records", {}),
        "me_accesses": ("GET", "/api/me/accesses", {}),
        "me_authorisation": ("GET", "/api/me/authorisations", {}),
        "my_history": (
            "GET",
            f"/api/me/records/HLJ-CF-001/{quote(penalty.record_key, safe='')}/history"
            f"?provider={penalty.provider_code}",
            {},
        ),
        "record_history": (
            "GET",
            f"/api/records/HLJ-CF-001/{quote(penalty.record_key, safe='')}/history"
            f"?provider={penalty.provider_code}",
            {},
        ),
        "report": (
            "POST",
            "/api/reports",
            {"json": {"subject_key": P_KEY, "purpose": "licensing"}},
        ),
        "case": ("GET", f"/api/cases/{world.ids['case']}", {}),
        "my_cases": ("GET", "/api/me/cases", {}),
        "staff_cases": ("GET", "/api/cases", {}),
        "publicity_name": ("GET", "/publicity/penalties", {"params": {"name": P_NAME}}),
        "publicity_id": ("GET", "/publicity/penalties", {"params": {"name": P_KEY}}),
        "publicity_list": ("GET", "/publicity/penalties", {}),
        "search_id": ("GET", "/api/search", {"params": {"q": P_KEY}}),
        "search_name": ("GET", "/api/search", {"params": {"q": P_NAME[:3]}}),
        "search_page": ("GET", "/search", {"params": {"q": P_KEY}}),
        "agency_query": (  # a POST: the read is logged in the person's access log
            "POST",
            "/agency/query",
            {"data": {"key": P_KEY, "purpose": "licensing"}},
        ),
        "me_page": ("GET", "/me", {}),
        "report_bad_code": (
            "GET",
            f"/api/reports/{world.ids['report']}/pdf",
            {"params": {"code": "WRONG123"}},
        ),
        "report_by_code": (
            "GET",
            f"/reports/{world.ids['report']}",
            {"params": {"code": world.ids["code"]}},
        ),
    }


#: MATRIX's column names
COLUMNS = {
    "anon": "anonymous",
    "cit": "citizen",
    "cit2": "citizen2",
    "org": "company",
    "org2": "company2",
    "prov": "provider",
    "prov2": "provider2",
    "agency": "agency",
    "bank": "bank",
    "staff": "staff",
    "admin": "admin",
}


def _matrix() -> dict[tuple[str, str], tuple[int, bool]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = [COLUMNS[name] for name in lines[0][1:]], lines[1:]
    table = {}
    for row in rows:
        for role, cell in zip(header, row[1:], strict=True):
            table[(row[0], role)] = (int(cell[:-1]), cell[-1] == "+")
    return table


def test_the_role_route_matrix(world: World) -> None:
    """Every cell of MATRIX asserted: status, and whether P's full ID number or name appears.
    No cell may show anyone else's identity (P2, P3 or the generated persons) unless the role
    is entitled to it: staff and agencies, or P3's company for its own legal representative."""
    table = _matrix()
    cases = _cases(world)
    assert {case for case, _ in table} == set(cases)
    assert {role for _, role in table} == set(ROLES)
    p_only = {P_KEY: P_NAME}
    own = {"citizen": P_KEY, "citizen2": P2_KEY}
    wrong = []
    for (case, role), (status, shows) in sorted(table.items()):
        method, url, options = cases[case]
        r = world.client.request(
            method, url, headers=world.headers(role), follow_redirects=False, **options
        )
        body = _body(r)
        concerned = {P3_KEY: P3_NAME} if case == "links" else p_only
        asked = _asked(
            url,
            {**options.get("params", {}), **options.get("json", {}), **options.get("data", {})},
        )
        shown = bool(leaks(world, body, persons=concerned, asked=asked))
        if (r.status_code, shown) != (status, shows):
            wrong.append(f"{case} × {role}: {r.status_code}{'+' if shown else '-'}")
        others = {k: v for k, v in world.persons.items() if k not in (*concerned, own.get(role))}
        if role not in ("staff", "admin", "agency") and not (case == "links" and role == "company"):
            found = leaks(world, body, persons=others)
            assert not found, (case, role, found)
    assert not wrong, "cells that differ from MATRIX:\n" + "\n".join(wrong)
