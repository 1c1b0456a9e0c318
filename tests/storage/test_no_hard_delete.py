"""Nothing is hard-deleted anywhere in the platform: no DELETE in the source. Rows get states
or versions instead. (Migrations' downgrades may drop what they created.)

One exception, named here: the login throttle's counters (accounts/throttle.py) are not
information about anyone's credit but a window of recent failures; counts that fell out of every
window, or that a success or `xinyong accounts unlock` cleared, are deleted. Each failure itself
stays in the audit log, which nothing deletes."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "xinyong"
PATTERNS = [
    re.compile(p) for p in (r"\bdelete\(", r"\.delete\(", r"DELETE\s+FROM", r"\bTRUNCATE\b")
]


EXEMPT = {Path("accounts/throttle.py")}


def test_no_delete_statements_in_the_platform() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC) not in EXEMPT
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(p.search(line) for p in PATTERNS)
    ]
    assert offenders == []
