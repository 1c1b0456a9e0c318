"""A crawler of the platform's pages as a browser account sees them, for the page checks
(language, no raw JSON): every same-site link from the home page and a few starting points,
at most a few pages per path shape (/lists/entries/{n}), the visible text of each."""

from __future__ import annotations

import html.parser
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from xinyong.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

SKIP = ("/static/", "/logout", "/openapi.json", "/docs", "/redoc", "/api/")
ID_SEGMENT = re.compile(r"(?<=/)[^/?]*\d[^/?]*")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCOUNTS = [a.username for a in DEMO_ACCOUNTS]


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


@dataclass
class Visited:
    path: str
    status: int
    content_type: str
    text: str  # the visible text, whitespace collapsed


class Browser:
    """A cookie-keeping HTTP client, as a browser without scripts is."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str, str]:
        """Status, content type, body and the path landed on (after redirects)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Accept": "text/html"}
        )
        try:
            with self.opener.open(request, timeout=30) as r:
                text = r.read().decode("utf-8", "replace")
                landed = urllib.parse.urlsplit(r.geturl()).path
                return r.status, r.headers.get("content-type", ""), text, landed
        except urllib.error.HTTPError as e:
            return (
                e.code,
                e.headers.get("content-type", ""),
                e.read().decode("utf-8", "replace"),
                path,
            )

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str, str]:
        return self.get(path, data)

    def token(self, path: str) -> str:
        found = TOKEN.search(self.get(path)[2])
        assert found, f"no CSRF token on {path}"
        return found.group(1)


def logged_in(base: str, username: str | None) -> Browser:
    browser = Browser(base)
    if username is None:
        return browser
    token = browser.token("/login")
    status, _, _, landed = browser.post(
        "/login", {"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert status == 200 and not landed.startswith("/login"), username
    return browser


def crawl(
    client: Browser, starts: Iterable[str] = ("/",), limit: int = 60, per_shape: int = 2
) -> Iterator[Visited]:
    seen: set[str] = set()
    shapes: dict[str, int] = defaultdict(int)
    queue = deque(starts)
    visited = 0
    while queue and visited < limit:
        path = queue.popleft()
        shape = ID_SEGMENT.sub("{id}", path.split("?")[0])
        if path in seen or shapes[shape] >= per_shape:
            continue
        seen.add(path)
        shapes[shape] += 1
        status, ctype, body, _ = client.get(path)
        visited += 1
        if "html" not in ctype:
            yield Visited(path, status, ctype, "")
            continue
        page = _Page()
        page.feed(body)
        yield Visited(path, status, ctype, " ".join(" ".join(page.text).split()))
        own = urllib.parse.urlsplit(client.base).netloc
        for href in page.links:
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(client.base + path, href))
            if parts.netloc and parts.netloc != own:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target and not target.startswith(SKIP) and target not in seen:
                queue.append(target)
