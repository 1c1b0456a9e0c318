"""Issue 16: no developer strings on any page. Every page reachable from the home page (and a
few starting points) is crawled over HTTP as the public and as each demo account, and its
visible text may hold no audit tag, rule key, English state, role code, scenario code or
English word (usernames shown in place of names are English words)."""

from __future__ import annotations

import re

import pytest

from tests.web.crawl import ACCOUNTS, crawl, logged_in
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists.demo import DEMO_LISTED

AUDIT_TAG = re.compile(r"\b[a-z_]+:[a-z_]+:[a-z_]+\b")
RULE_KEY = re.compile(r"\b[a-z]+\.[a-z_]+\b")
STATES = {"active", "running", "met", "pending", "overdue", "paused", "closed", "open", "draft"}
ROLES = {"public", "subject", "staff", "admin", "provider", "agency", "organisation"}
SCENARIOS = {"procurement", "licensing", "awards", "funding"}
ENGLISH = re.compile(r"\b[A-Za-z]*[a-z][A-Za-z]{2,}\b")
#: words a Chinese page may carry: formats, the platform's own name in its addresses
ALLOWED = {"api", "pdf", "csv", "xlsx", "xls", "json", "docs", "redoc", "excel", "http", "https"}
ALLOWED |= {"xinyong", "www", "com", "org", "gov", "sha", "key", "bearer", "openapi", "utf"}
STARTS = ("/", "/me/reports", f"/subjects/{DEMO_COMPANY}", f"/subjects/{DEMO_LISTED}")


def developer_strings(text: str) -> set[str]:
    found = set(AUDIT_TAG.findall(text)) | set(RULE_KEY.findall(text))
    words = {w for w in ENGLISH.findall(text)}
    found |= {w for w in words if w.lower() in STATES | ROLES | SCENARIOS}
    found |= {w for w in words if w.lower() not in ALLOWED}
    # an English word inside a tag or a key is reported as the tag or key
    inside = {w for hit in found if not hit.isalpha() for w in re.split(r"[:._]", hit)}
    return {w for w in found if not (w.isalpha() and w in inside)}


def test_the_check_catches_what_it_is_for() -> None:
    assert developer_strings("审计 sharing:profile:read") == {"sharing:profile:read"}
    assert "objection.mark" in developer_strings("objection.mark：1")
    assert developer_strings("状态 active 角色 staff 用途 procurement 查询人 company") == {
        "active",
        "staff",
        "procurement",
        "company",
    }
    assert developer_strings("下载PDF、CSV和Excel；接口文档 /docs") == set()


@pytest.mark.parametrize("account", [None, *ACCOUNTS])
def test_no_developer_strings_on_any_page(server: str, account: str | None) -> None:
    client = logged_in(server, account)
    problems = []
    pages = 0
    for page in crawl(client, STARTS, limit=70):
        pages += 1
        assert page.status < 500, f"{page.path}: HTTP {page.status}"
        if "json" in page.content_type:
            problems.append(f"{page.path}: a page answered raw JSON")
        odd = developer_strings(page.text)
        if odd:
            problems.append(f"{page.path}: {', '.join(sorted(odd))}")
    assert pages > 5
    assert not problems, f"as {account or 'the public'}:\n" + "\n".join(problems)
