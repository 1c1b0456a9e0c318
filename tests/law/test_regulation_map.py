"""docs/regulation-map.md stays true to the tree: every rule key the packs hold appears in it, its
rows are sorted by article, and every file, symbol, rule key, audit tag and test it names exists.

The map's conventions, which `problems` reads:
- the first cell starts with the citation the row sorts by: instrument (HLJ, HRB, NDRC, then other
  sources), article, paragraph (`¶2`), item (`(1)`); a row covering several articles sorts by its
  first;
- a path is written in backticks; `docs/`, `tests/`, `migrations/` and `bench/` paths are from the
  repository root, every other path is relative to `src/xinyong/` (never `src/xinyong/...` or
  `xinyong/...`); `<...>` or `{...}` in a path is a placeholder (at least one file must match);
- in the code column, a backticked name outside parentheses after a `.py` path (up to the next path
  or `;`) is a symbol of that module: a top-level def, class or assignment, or `Class.member`;
  a backticked name inside parentheses after a `.py` path is a value (a state, a reason code, a
  flow) and must occur in that module's source; a backticked `source:subject:action` is an audit tag
  and must be an `AuditTag` value; routes (`/...`, `GET /...`) and commands (with spaces) are prose;
- in the rule-key column, a backticked dotted name is a rule key of the packs;
- in the tests column, `tests/x/test_y.py::test_z` (or `::Class::test_z`) names a test in that file,
  a bare `test_z` a test somewhere under tests/, and `story NAME in `tests/.../file.yaml`` a story
  that file holds.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from xinyong.audit.tags import AuditTag
from xinyong.law.rules import default_library

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "regulation-map.md"

#: Instruments in the order the map lists them; any other source comes after, by name.
INSTRUMENTS = ("HLJ", "HRB", "NDRC", "民法典")
#: First path segments that mean "from the repository root" rather than "from src/xinyong/".
REPO_DIRS = ("bench", "docs", "migrations", "tests")
HEADER = ("article", "what it says", "rule key(s)", "code", "tests", "status")

CITATION = re.compile(r"^\s*(?P<inst>[^\d¶,;(]*)\s*(?P<art>\d+)?\s*(?:¶\s*(?P<par>\d+))?")
ITEM = re.compile(r"^\s*\((?P<item>\d+)\)")
TAG = re.compile(r"^[a-z_-]+:[a-z_-]+:[a-z_-]+$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
FILE = re.compile(r"\.(py|ya?ml|md|sql|html|toml|txt|json|ini|mako)$")
TEST_REF = re.compile(r"^(?P<file>tests/[^:\s]+\.py)(?P<names>(?:::[A-Za-z_][A-Za-z0-9_]*)+)$")
PLACEHOLDER = re.compile(r"<[^>]*>|\{[^}]*\}")
STORY = re.compile(r"story\s+(?P<name>\S+)\s+in\s+`(?P<file>[^`]+)`")
# a code cell read as a stream of backticked tokens, parentheses and semicolons
CODE_PARTS = re.compile(r"`(?P<token>[^`]+)`|(?P<punct>[();])")


@dataclass(frozen=True)
class Row:
    line: int
    cells: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.cells[0]


@dataclass(frozen=True)
class Tree:
    """What the map is checked against: a repository root, the audit tags and the rule keys."""

    root: Path
    tags: frozenset[str]
    rule_keys: frozenset[str]
    _modules: dict[Path, ast.Module] = field(default_factory=dict, compare=False, repr=False)

    @property
    def package(self) -> Path:
        return self.root / "src" / "xinyong"

    def module(self, path: Path) -> ast.Module:
        if path not in self._modules:
            self._modules[path] = ast.parse(path.read_text(encoding="utf-8"))
        return self._modules[path]


def sort_key(label: str) -> tuple[int, str, int, int, int]:
    """HLJ before HRB before NDRC before other sources; then article, paragraph, item, numerically.
    A citation without a paragraph sorts before its paragraphs (HLJ 24 < HLJ 24 ¶1)."""
    match = CITATION.match(label)
    assert match is not None  # every part is optional
    inst = match["inst"].strip()
    rank = INSTRUMENTS.index(inst) if inst in INSTRUMENTS else len(INSTRUMENTS)
    item = ITEM.match(label[match.end() :])
    return (
        rank,
        "" if rank < len(INSTRUMENTS) else inst,
        int(match["art"] or 0),
        int(match["par"] or 0),
        int(item["item"]) if item else 0,
    )


def parse(text: str) -> list[Row]:
    """The rows of the map's table (the one whose header starts with `| article |`)."""
    rows: list[Row] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            if inside:
                break
            continue
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if not inside:
            inside = cells[:1] == ("article",)
            continue
        if set(line) <= set("|-: "):
            continue
        rows.append(Row(number, cells))
    return rows


def problems(text: str, tree: Tree) -> list[str]:
    """Everything wrong with the map `text` against `tree`, one precise message each."""
    rows = parse(text)
    found: list[str] = []
    if not rows:
        return ["no table with a header starting `| article |`"]
    for before, after in pairwise(rows):
        if sort_key(after.label) < sort_key(before.label):
            found.append(
                f"row {after.label!r} (line {after.line}) sorts before row {before.label!r}"
            )
    for row in rows:
        if len(row.cells) != len(HEADER):
            found.append(f"row {row.label!r}: {len(row.cells)} cells, expected {len(HEADER)}")
            continue
        _, _, keys, code, tests, _ = row.cells
        found += [f"row {row.label!r}: {p}" for p in _check_keys(keys, tree)]
        found += [f"row {row.label!r}: {p}" for p in _check_code(code, tree)]
        found += [f"row {row.label!r}: {p}" for p in _check_tests(tests, tree)]
    return found


def _kind(token: str) -> str:
    if " " in token or token.startswith("/"):
        return "prose"  # a route, a command, a phrase
    if TAG.match(token):
        return "tag"
    if "/" in token or FILE.search(token):
        return "path"
    if NAME.match(token):
        return "name"
    return "prose"


def _resolve(token: str, tree: Tree) -> tuple[Path | None, str | None]:
    """The file a path token names, or why it names none."""
    first = token.split("/", 1)[0]
    if first in ("src", "xinyong"):
        return None, f"{token} should be written relative to src/xinyong/"
    base = tree.root if first in REPO_DIRS else tree.package
    shown = token if first in REPO_DIRS else f"src/xinyong/{token}"
    if PLACEHOLDER.search(token):
        pattern = PLACEHOLDER.sub("*", token)
        matches = sorted(base.glob(pattern))
        if not matches:
            return None, f"{token}: no file matches {shown}"
        return matches[0], None
    path = base / token
    if not path.exists():
        return None, f"{token}: no such file {shown}"
    return path, None


def _check_keys(cell: str, tree: Tree) -> Iterable[str]:
    for token in re.findall(r"`([^`]+)`", cell):
        kind = _kind(token)
        if kind == "path":
            _, problem = _resolve(token, tree)
            if problem:
                yield problem
        elif kind == "name" and "." in token and token not in tree.rule_keys:
            yield f"rule key {token} is in no pack"


def _check_code(cell: str, tree: Tree) -> Iterable[str]:
    module: Path | None = None  # the .py file names refer to
    missing = False  # the last path named no file (already reported): skip its names
    shown = ""
    depth = 0
    for part in CODE_PARTS.finditer(cell):
        punct, token = part["punct"], part["token"]
        if punct == "(":
            depth += 1
            continue
        if punct == ")":
            depth = max(depth - 1, 0)
            continue
        if punct == ";":  # ends the module's names, unless inside a parenthesis
            if depth == 0:
                module, missing = None, False
            continue
        kind = _kind(token)
        if kind == "path":
            path, problem = _resolve(token, tree)
            if problem:
                yield problem
            module = path if path is not None and path.suffix == ".py" else None
            missing, shown = path is None, token
        elif kind == "tag":
            if token not in tree.tags:
                yield f"audit tag {token} is not an AuditTag value"
        elif kind == "name" and missing:
            continue
        elif kind == "name" and depth == 0:
            if module is None:
                yield f"`{token}` follows no module: write `path/module.py` `{token}`"
            elif not _defines(tree.module(module), token.split(".")):
                yield f"{shown} has no symbol {token}"
        elif kind == "name" and module is not None:
            source = module.read_text(encoding="utf-8")
            if not re.search(rf"(?<!\w){re.escape(token)}(?!\w)", source):
                yield f"{shown} never mentions {token}"


def _defines(node: ast.Module | ast.ClassDef, names: list[str]) -> bool:
    """`names[0]` is defined at the top of `node` (def, class, assignment), and so on inward."""
    head, rest = names[0], names[1:]
    for stmt in _top(node.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if stmt.name == head:
                if not rest:
                    return True
                return isinstance(stmt, ast.ClassDef) and _defines(stmt, rest)
        elif not rest and isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(e, ast.Name) and e.id == head for e in elts):
                    return True
    return False


def _top(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements at this level, looking into `if`/`try` blocks (e.g. `if TYPE_CHECKING:`)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _top(stmt.body + stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top(stmt.body + stmt.orelse + stmt.finalbody)
        else:
            yield stmt


def _check_tests(cell: str, tree: Tree) -> Iterable[str]:
    outside = re.sub(r"`[^`]*`", "", cell)
    if "::" in outside:
        yield "a test reference outside backticks: write `tests/x/test_y.py::test_z`"
    for token in re.findall(r"`([^`]+)`", cell):
        ref = TEST_REF.match(token)
        if ref:
            path, problem = _resolve(ref["file"], tree)
            names = ref["names"].lstrip(":")
            if path is None:
                yield problem or f"{ref['file']}: no such file"
            elif not _defines(tree.module(path), names.split("::")):
                yield f"{ref['file']} has no test {names}"
        elif _kind(token) == "path":
            _, problem = _resolve(token, tree)
            if problem:
                yield problem
        elif NAME.match(token) and token.startswith("test_"):
            if token not in _test_names(tree.root / "tests"):
                yield f"no test named {token} under tests/"
        else:
            yield f"`{token}` is neither a test file, a test nor `file.py::test`"
    for story in STORY.finditer(cell):
        path, problem = _resolve(story["file"], tree)
        if path is not None and story["name"] not in path.read_text(encoding="utf-8"):
            yield f"{story['file']} has no story {story['name']}"


@cache
def _test_names(tests: Path) -> frozenset[str]:
    """The tests pytest collects by name: top-level functions and methods of top-level classes."""
    names: set[str] = set()
    for path in tests.rglob("test_*.py"):
        for stmt in _top(ast.parse(path.read_text(encoding="utf-8")).body):
            inner = _top(stmt.body) if isinstance(stmt, ast.ClassDef) else [stmt]
            names |= {
                s.name for s in inner if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return frozenset(names)


def real_tree() -> Tree:
    keys = {key for pack in default_library().packs.values() for key in pack.leaves}
    return Tree(ROOT, frozenset(t.value for t in AuditTag), frozenset(keys))


def test_every_rule_key_is_in_the_regulation_map() -> None:
    text = MAP.read_text(encoding="utf-8")
    missing = sorted(k for k in real_tree().rule_keys if f"`{k}`" not in text)
    assert missing == []


def test_the_map_is_sorted_and_names_only_what_exists() -> None:
    found = problems(MAP.read_text(encoding="utf-8"), real_tree())
    assert not found, "docs/regulation-map.md:\n" + "\n".join(found)


# --- the checker itself, on a tiny fake tree -------------------------------------------------


@pytest.fixture
def fake(tmp_path: Path) -> Tree:
    (tmp_path / "src" / "xinyong" / "lists").mkdir(parents=True)
    (tmp_path / "src" / "xinyong" / "lists" / "service.py").write_text(
        "X = 1\n\n\ndef recognise():\n    return 'exempted'\n\n\n"
        "class Entry:\n    number: int\n\n    def end(self):\n        pass\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "lists").mkdir(parents=True)
    (tmp_path / "tests" / "lists" / "test_lists.py").write_text(
        "def test_listed():\n    pass\n\n\n"
        "class TestEnd:\n    def test_ends(self):\n        pass\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "stories.yaml").write_text("- story: 一次修复\n", encoding="utf-8")
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "versions" / "0001_init.py").write_text("", encoding="utf-8")
    return Tree(tmp_path, frozenset({"lists:entry:add"}), frozenset({"lists.term"}))


def table(*rows: str) -> str:
    head = "| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n"
    return "# Map\n\n" + head + "".join(r + "\n" for r in rows)


GOOD = (
    "| HLJ 6 | a | `lists.term` | `lists/service.py` `recognise`, `X`, `Entry.end` (state "
    "`exempted`); `migrations/versions/0001_init.py`, audited `lists:entry:add`, `GET /api/x`"
    " | `tests/lists/test_lists.py::test_listed`, `test_ends`, "
    "`tests/lists/test_lists.py::TestEnd::test_ends`, story 一次修复 in `tests/stories.yaml`"
    " | applied |",
    "| HLJ 18 ¶1-2 | b | — | `lists/service.py` `Entry.number` | — | applied |",
    "| HLJ 21 ¶2 | c | — | — | — | data |",
    "| HLJ 21 ¶2 (1), HLJ 24 | c | — | — | — | data |",
    "| HLJ 100 | d | — | — | — | data |",
    "| HRB 7 | e | — | — | — | data |",
    "| NDRC 36 | f | — | — | — | data |",
    "| 民法典 201-203 | g | — | — | — | data |",
    "| State Council notices | h | — | — | — | data |",
)


def test_a_correct_fake_map_has_no_problems(fake: Tree) -> None:
    assert problems(table(*GOOD), fake) == []


def test_articles_sort_by_instrument_then_number() -> None:
    labels = ["HRB 7", "HLJ 100", "HLJ 21 ¶2", "NDRC 36", "HLJ 6", "HLJ 18 ¶1-2", "HLJ 21"]
    assert sorted(labels, key=sort_key) == [
        "HLJ 6",
        "HLJ 18 ¶1-2",
        "HLJ 21",
        "HLJ 21 ¶2",
        "HLJ 100",
        "HRB 7",
        "NDRC 36",
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "| HLJ 33 | x | — | `lists/service.py` `_related_persons` | — | applied |",
            "row 'HLJ 33': lists/service.py has no symbol _related_persons",
        ),
        (
            "| HLJ 33 | x | — | `lists/gone.py` `recognise` | — | applied |",
            "row 'HLJ 33': lists/gone.py: no such file src/xinyong/lists/gone.py",
        ),
        (
            "| HLJ 33 | x | — | `src/xinyong/lists/service.py` | — | applied |",
            "row 'HLJ 33': src/xinyong/lists/service.py should be written relative to src/xinyong/",
        ),
        (
            "| HLJ 33 | x | — | `lists/service.py` `Entry.start` | — | applied |",
            "row 'HLJ 33': lists/service.py has no symbol Entry.start",
        ),
        (
            "| HLJ 33 | x | — | `lists/service.py` (state `removed`) | — | applied |",
            "row 'HLJ 33': lists/service.py never mentions removed",
        ),
        (
            "| HLJ 33 | x | — | `Profile.audit_id` | — | applied |",
            "row 'HLJ 33': `Profile.audit_id` follows no module: write `path/module.py` "
            "`Profile.audit_id`",
        ),
        (
            "| HLJ 33 | x | — | `migrations/versions/0002_gone.py` | — | applied |",
            "row 'HLJ 33': migrations/versions/0002_gone.py: no such file "
            "migrations/versions/0002_gone.py",
        ),
        (
            "| HLJ 33 | x | — | audited `lists:entry:remove` | — | applied |",
            "row 'HLJ 33': audit tag lists:entry:remove is not an AuditTag value",
        ),
        (
            "| HLJ 33 | x | `lists.gone` | — | — | applied |",
            "row 'HLJ 33': rule key lists.gone is in no pack",
        ),
        (
            "| HLJ 33 | x | — | — | `tests/lists/test_lists.py::test_gone` | applied |",
            "row 'HLJ 33': tests/lists/test_lists.py has no test test_gone",
        ),
        (
            "| HLJ 33 | x | — | — | `tests/lists/test_gone.py::test_listed` | applied |",
            "row 'HLJ 33': tests/lists/test_gone.py: no such file tests/lists/test_gone.py",
        ),
        (
            "| HLJ 33 | x | — | — | `test_never_written` | applied |",
            "row 'HLJ 33': no test named test_never_written under tests/",
        ),
        (
            "| HLJ 33 | x | — | — | `tests/lists/test_lists.py`::test_listed | applied |",
            "row 'HLJ 33': a test reference outside backticks: write `tests/x/test_y.py::test_z`",
        ),
        (
            "| HLJ 33 | x | — | — | story 两次修复 in `tests/stories.yaml` | applied |",
            "row 'HLJ 33': tests/stories.yaml has no story 两次修复",
        ),
    ],
)
def test_the_checker_reports_each_kind_of_drift(fake: Tree, row: str, expected: str) -> None:
    assert problems(table(row), fake) == [expected]


def test_the_checker_reports_unsorted_rows(fake: Tree) -> None:
    rows = [GOOD[4], GOOD[2]]  # HLJ 100 before HLJ 21 ¶2
    assert problems(table(*rows), fake) == ["row 'HLJ 21 ¶2' (line 6) sorts before row 'HLJ 100'"]
