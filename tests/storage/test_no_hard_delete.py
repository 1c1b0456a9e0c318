"""Nothing is hard-deleted anywhere in the platform: no DELETE in the source. Rows get states
or versions instead. (Migrations' downgrades may drop what they created.)"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "xinyong"
PATTERNS = [
    re.compile(p) for p in (r"\bdelete\(", r"\.delete\(", r"DELETE\s+FROM", r"\bTRUNCATE\b")
]


def test_no_delete_statements_in_the_platform() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(p.search(line) for p in PATTERNS)
    ]
    assert offenders == []
