"""The concurrency part of the reliability suite: a real server on loopback, on each database,
under a bounded soak of mixed reads and writes (bench/soak.py drives it).

What must hold whatever the load: no 5xx but 503 with Retry-After; no deadlock (a poller asks
/api/health throughout and every poll is answered, within HEALTH_SECONDS); no client left
without an answer; every write its client was told succeeded is in the database and none it
was told failed; no ingestion batch left `processing`; the audit log verifies from its first
entry; the server stops on SIGTERM.

XINYONG_SOAK_CLIENTS and XINYONG_SOAK_SECONDS size the soak (100 clients, 8 s by default: both
databases in well under a minute of CI time)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from bench.soak import Platform, check_writes, prepare, soak

from tests.conftest import BACKENDS, PG_ENV

CLIENTS = int(os.environ.get("XINYONG_SOAK_CLIENTS", "100"))
SECONDS = float(os.environ.get("XINYONG_SOAK_SECONDS", "8"))
HEALTH_SECONDS = float(os.environ.get("XINYONG_SOAK_HEALTH_SECONDS", "10"))


def _platform(backend: str) -> Platform:
    server = None
    if backend == "postgresql":
        server = os.environ.get(PG_ENV)
        if not server:
            pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set (.ci/run sets it)")
    return Platform(server)


@pytest.fixture(params=BACKENDS)
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    served = _platform(request.param)
    try:
        served.start()
        yield served
    finally:
        served.cleanup()


def test_soak_of_mixed_reads_and_writes(platform: Platform) -> None:
    setup = prepare(platform)
    result = soak(
        platform, setup, clients=CLIENTS, seconds=SECONDS, timeout=60, health_timeout=HEALTH_SECONDS
    )
    statuses = result.statuses()
    assert sum(n for s, n in statuses.items() if 200 <= s < 300) >= 20  # it did serve
    failed = [o for o in result.outcomes if o.status >= 500 and o.status != 503]
    assert not failed, failed[:5]
    refused = [o for o in result.outcomes if o.status == 503]
    assert all(o.retry_after for o in refused), refused[:5]
    unexpected = [o for o in result.outcomes if 400 <= o.status < 500]
    assert not unexpected, unexpected[:5]
    unanswered = [o for o in result.outcomes if o.status == 0]
    assert not unanswered, unanswered[:5]

    # no deadlock: the health poller was answered throughout
    assert len(result.health) >= SECONDS // (0.5 + HEALTH_SECONDS)
    assert all(o.status == 200 for o in result.health), result.health
    assert max(o.seconds for o in result.health) < HEALTH_SECONDS

    writes = check_writes(platform, result)
    assert writes.acknowledged >= 5
    assert not writes.acknowledged_missing, writes.acknowledged_missing[:5]
    assert not writes.refused_present, writes.refused_present[:5]
    assert writes.unknown == 0

    left = platform.query("SELECT count(*) FROM ingest_batches WHERE state = 'processing'")
    assert left[0][0] == 0
    assert "审计日志完整" in platform.cli("audit", "verify", "--full")
    assert platform.stop(), "the server did not stop on SIGTERM"
