"""Synthetic demo data, streamed in batches (bounded memory), every row marked synthetic.

Identifiers are valid in form: USCCs with correct organisation-code and check characters,
citizen ID numbers with real Heilongjiang (23xxxx) county codes and correct check digits.
The same seed gives the same data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.identifiers import (
    USCC_ALPHABET,
    region_codes,
    ric_check_character,
    uscc_check_character,
)
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.records import store
from xinyong.search.service import refresh_index
from xinyong.subjects.models import Subject

CITIES = [
    "哈尔滨",
    "齐齐哈尔",
    "牡丹江",
    "佳木斯",
    "大庆",
    "鸡西",
    "双鸭山",
    "伊春",
    "七台河",
    "鹤岗",
    "黑河",
    "绥化",
    "龙江",
]
WORDS = [
    "北方",
    "冰城",
    "松花江",
    "黑土",
    "雪原",
    "兴安",
    "龙腾",
    "远航",
    "宏达",
    "鑫源",
    "华信",
    "恒通",
    "瑞丰",
    "金穗",
    "博远",
    "天成",
]
TRADES = [
    "科技",
    "农业",
    "建筑工程",
    "商贸",
    "食品",
    "物流",
    "医药",
    "能源",
    "木业",
    "乳业",
    "装备制造",
    "旅游",
]
FORMS = ["有限公司", "股份有限公司", "有限责任公司"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞鑫波斌宇浩"
    "凯健俊帆帅旭宁龙林欣"
)
PROVIDERS = [
    "黑龙江省市场监督管理局",
    "哈尔滨市市场监督管理局",
    "国家税务总局黑龙江省税务局",
    "黑龙江省高级人民法院",
    "哈尔滨市住房和城乡建设局",
    "黑龙江省生态环境厅",
    "大庆市应急管理局",
]
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code


def org_check_character(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def synthetic_uscc(n: int, region: str, category: str = "1") -> str:
    digits = ""
    for _ in range(8):
        n, r = divmod(n, 31)
        digits = USCC_ALPHABET[r] + digits
    body = "9" + category + region + digits + org_check_character(digits)
    return body + uscc_check_character(body)


def synthetic_citizen_id(n: int, regions: tuple[str, ...]) -> str:
    region = regions[n % len(regions)]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=(n // len(regions)) % 20000)
    seq = (n // (len(regions) * 20000)) % 1000
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric_check_character(body)


@dataclass
class Counts:
    subjects: int = 0
    records: int = 0


def _subject_rows(
    rng: random.Random, n: int, index: int, base: int, today: dt.date, now: dt.datetime
) -> dict[str, Any]:
    regions = region_codes("23")
    if rng.random() < 0.2:
        key = synthetic_citizen_id(base + index, regions)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        kind, region = "natural_person", key[:6]
    else:
        region = regions[index % len(regions)]
        category = "2" if rng.random() < 0.1 else "1"
        key = synthetic_uscc(base + index, region, category)
        stem = rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(TRADES)
        kind = "individual_business" if category == "2" else "legal_person"
        name = stem + ("经营部" if category == "2" else rng.choice(FORMS))
    return {
        "subject_key": key,
        "kind": kind,
        "name": name,
        "region_code": region,
        "state": "active",
        "synthetic": True,
        "created_at": now,
    }


#: (item code of the seed catalog, nature, severity, category, title)
DEMO_ITEMS = [
    ("HLJ-DJ-001", "registration", None, "registration", "市场主体登记信息"),
    ("HLJ-BZ-001", "good", None, "commendation", "表彰奖励信息"),
    ("HLJ-CF-001", "dishonesty", "general", "administrative", "行政处罚信息"),
    ("HLJ-SX-001", "dishonesty", "serious", "refusal_to_perform", "失信被执行人信息"),
    ("HLJ-XK-001", "registration", None, "administrative", "行政许可信息"),
    ("HLJ-CN-001", "registration", None, "commitment", "信用承诺及履行信息"),
]
DEMO_PROVIDER = "HLJ-SCJG"


#: Generated records are decided within this many days before today.
HISTORY_DAYS = 1500


def _record_row(
    rng: random.Random,
    subject_key: str,
    n: int,
    seed: int,
    today: dt.date,
    now: dt.datetime,
    history: int = HISTORY_DAYS,
) -> dict[str, Any]:
    item, nature, severity, category, title = rng.choice(DEMO_ITEMS)
    decided = today - dt.timedelta(days=rng.randint(1, history))
    payload = json.dumps(
        {"synthetic": True, "文书号": f"演示〔{decided.year}〕{rng.randint(1, 9999)}号"},
        ensure_ascii=False,
    )
    key = f"DEMO-{seed}-{n}"
    return {
        "subject_key": subject_key,
        "provider_code": DEMO_PROVIDER,
        "item_code": item,
        "item_version": 1,
        "record_key": key,
        "version": 1,
        "is_current": True,
        "category": category,
        "nature": nature,
        "severity": severity,
        "title": f"（演示数据）{title}（{key}）",
        "decided_on": decided,
        "payload_json": payload,
        "payload_hash": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        "state": "active",
        "change": "new",
        "valid_from": decided,
        "recorded_at": now,
        "synthetic": True,
    }


def stream(
    seed: int,
    subjects: int,
    records: int,
    today: dt.date,
    now: dt.datetime,
    history: int = HISTORY_DAYS,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Yields each subject with its records; records are spread evenly over subjects, decided
    within the last `history` days."""
    rng = random.Random(seed)
    base = (seed % 800) * 1_000_000_000
    per, extra = divmod(records, subjects) if subjects else (0, 0)
    n = 0
    for i in range(subjects):
        subject = _subject_rows(rng, subjects, i, base, today, now)
        count = per + (1 if i < extra else 0)
        rows = []
        for _ in range(count):
            rows.append(_record_row(rng, subject["subject_key"], n, seed, today, now, history))
            n += 1
        yield subject, rows


def generate(
    ctx: Context,
    *,
    subjects: int,
    records: int,
    seed: int,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    since: dt.date | None = None,
) -> Counts:
    """Insert synthetic subjects and records, committing every `batch` subjects. Records are
    decided within the last HISTORY_DAYS days, and not before `since` (given: the day the rules
    that read them came into force, so that a demo loaded on any date can list them)."""
    counts = Counts()
    now, today = ctx.clock.now(), ctx.today()
    history = HISTORY_DAYS if since is None else max(1, min(HISTORY_DAYS, (today - since).days))
    pending_s: list[dict[str, Any]] = []
    pending_r: list[dict[str, Any]] = []

    def flush() -> None:
        if not pending_s:
            return
        with ctx.sessions() as session, session.begin():
            _insert_ignoring_existing(session, pending_s)
            # Core executemany: the ORM's bulk path is ~3x slower here
            store.append_synthetic(session, pending_r)
            ctx.log(
                session,
                actor=SYSTEM,
                action=AuditTag.DEMO_DATA_GENERATE,
                detail={
                    "seed": seed,
                    "subjects": len(pending_s),
                    "records": len(pending_r),
                    "synthetic": True,
                },
            )
        counts.subjects += len(pending_s)
        counts.records += len(pending_r)
        if progress:
            progress(len(pending_s))
        pending_s.clear()
        pending_r.clear()

    for subject, recs in stream(seed, subjects, records, today, now, history):
        pending_s.append(subject)
        pending_r.extend(recs)
        if len(pending_s) >= batch:
            flush()
    flush()
    with ctx.sessions() as session, session.begin():
        refresh_index(session)
    return counts


def _insert_ignoring_existing(session: Session, rows: list[dict[str, Any]]) -> None:
    """The same seed twice adds nothing: subjects whose key exists are skipped."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.connection().execute(dialect.insert(table_of(Subject)).on_conflict_do_nothing(), rows)
