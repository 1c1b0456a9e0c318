"""Law packs: the regulations as dated, cited data (OpenFisca-style, stricter).

A pack is a folder under ``packs/``: ``pack.yaml`` names the instrument(s), every other YAML file
holds leaves. A leaf::

    objection.decide:
      description: 异议申请处理决定时限
      unit: working_day
      values:      {2022-07-01: 3}
      reference:   {2022-07-01: [{instrument: 黑龙江省社会信用条例, article: 39, paragraph: 2}]}

The loader refuses unknown keys, missing references, bad or unordered dates and duplicate keys,
naming the file and the key. A platform's rule set is the chain of packs that binds it; where two
packs set the same duration the shorter applies and both citations are reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xinyong.common.errors import Citation, DomainError

T = TypeVar("T")

PACKS_DIR = Path(__file__).parent / "packs"
PLATFORMS_FILE = Path(__file__).parent / "platforms.yaml"

DURATION_UNITS = frozenset({"working_day", "calendar_day", "month", "year"})
UNITS = DURATION_UNITS | frozenset(
    {"count", "ratio", "amount_cny", "boolean", "enum", "list", "date"}
)
UNIT_LABELS = {
    "working_day": "个工作日",
    "calendar_day": "日",
    "month": "个月",
    "year": "年",
    "count": "次",
    "ratio": "",
    "amount_cny": "元",
    "boolean": "",
    "enum": "",
    "list": "",
    "date": "",
}
COMBINES = frozenset({"shortest", "union", "override"})
LEAF_KEYS = frozenset(
    {"description", "unit", "values", "reference", "combine", "unverified", "note"}
)
REQUIRED_LEAF_KEYS = frozenset({"description", "unit", "values", "reference"})
REFERENCE_KEYS = frozenset({"instrument", "article", "paragraph", "item", "document"})
LIST_ENTRY_KEYS = frozenset({"code", "name", "item", "aliases"})
PACK_KEYS = frozenset({"id", "level", "name", "region", "instruments"})
INSTRUMENT_KEYS = frozenset({"name", "document", "in_force_from"})
PLATFORM_KEYS = frozenset({"name", "short", "aliases", "level", "parent", "packs"})


class PackError(ValueError):
    """A law pack is malformed. The message names the file and the key."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        where = f"{path}" + (f": {key}" if key else "")
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.key = key
        self.problem = problem


# --- strict YAML: duplicate keys are errors, dates stay dates --------------------------------


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for 2022-13-01
        raise PackError(path, None, f"invalid YAML: {exc}") from exc


# --- model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instrument:
    name: str
    document: str
    in_force_from: dt.date


@dataclass(frozen=True)
class Leaf:
    key: str
    pack: str
    description: str
    unit: str
    combine: str
    values: tuple[tuple[dt.date, Any], ...]
    references: dict[dt.date, tuple[Citation, ...]]
    unverified: bool
    note: str | None
    source: str

    def in_force(self, on: dt.date) -> tuple[dt.date, Any] | None:
        current = None
        for since, value in self.values:
            if since <= on:
                current = (since, value)
        return current


@dataclass(frozen=True)
class Pack:
    id: str
    level: str
    name: str
    region: str | None
    instruments: tuple[Instrument, ...]
    leaves: dict[str, Leaf]


@dataclass(frozen=True)
class Platform:
    code: str
    name: str
    short: str
    aliases: tuple[str, ...]
    level: str
    parent: str | None
    packs: tuple[str, ...]


@dataclass(frozen=True)
class Contribution:
    """One pack's say on a key, as of a date."""

    pack: str
    value: Any
    since: dt.date
    citations: tuple[Citation, ...]
    unverified: bool
    applied: bool


@dataclass(frozen=True)
class RuleAnswer:
    key: str
    platform: str
    on: dt.date
    description: str
    unit: str
    value: Any
    combine: str
    citations: tuple[Citation, ...]  # of the value that applies
    contributions: tuple[Contribution, ...]  # every pack that spoke, applied or not
    unverified: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.unit, self.unit)

    def summary(self) -> str:
        if self.unit in DURATION_UNITS or self.unit == "count":
            text = f"{self.value}{self.unit_label}"
        elif self.unit == "list":
            text = "、".join(str(e["name"]) for e in self.value)
        else:
            text = str(self.value)
        cites = "；".join(c.label() for c in self.citations)
        out = f"{self.description}：{text}（{cites}）"
        if self.unverified:
            out += "【未核实：条款出处未经核实】"
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "platform": self.platform,
            "on": self.on.isoformat(),
            "description": self.description,
            "unit": self.unit,
            "value": self.value,
            "combine": self.combine,
            "citations": [c.as_dict() for c in self.citations],
            "contributions": [
                {
                    "pack": c.pack,
                    "value": c.value,
                    "since": c.since.isoformat(),
                    "citations": [x.as_dict() for x in c.citations],
                    "unverified": c.unverified,
                    "applied": c.applied,
                }
                for c in self.contributions
            ],
            "unverified": self.unverified,
            "notes": list(self.notes),
            "summary": self.summary(),
        }


# --- loading ----------------------------------------------------------------------------------


def _as_date(path: Path, key: str, raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime) or not isinstance(raw, dt.date):
        raise PackError(path, key, f"{raw!r} is not a date (YYYY-MM-DD)")
    return raw


def _citation(path: Path, key: str, raw: Any, unverified: bool) -> Citation:
    if not isinstance(raw, dict):
        raise PackError(path, key, f"reference {raw!r} is not a mapping")
    unknown = set(raw) - REFERENCE_KEYS
    if unknown:
        raise PackError(path, key, f"unknown reference keys {sorted(unknown)}")
    if not raw.get("instrument"):
        raise PackError(path, key, "reference without instrument")
    if raw.get("article") is None and not unverified:
        raise PackError(path, key, "reference without article (mark the leaf unverified)")
    for part in ("article", "paragraph", "item"):
        if raw.get(part) is not None and not (isinstance(raw[part], int) and raw[part] > 0):
            raise PackError(path, key, f"reference {part} must be a positive integer")
    return Citation(
        instrument=str(raw["instrument"]),
        article=raw.get("article"),
        paragraph=raw.get("paragraph"),
        item=raw.get("item"),
        document=raw.get("document"),
    )


def _check_value(path: Path, key: str, unit: str, value: Any) -> None:
    ok: bool
    if unit in DURATION_UNITS or unit == "count":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif unit in ("ratio", "amount_cny"):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    elif unit == "boolean":
        ok = isinstance(value, bool)
    elif unit == "enum":
        ok = isinstance(value, str) and bool(value)
    elif unit == "date":
        ok = isinstance(value, dt.date)
    else:  # list
        ok = isinstance(value, list) and bool(value)
        if ok:
            codes: set[str] = set()
            for entry in value:
                if not isinstance(entry, dict) or set(entry) - LIST_ENTRY_KEYS:
                    raise PackError(
                        path, key, f"list entry {entry!r}: allowed keys code, name, item"
                    )
                if not entry.get("code") or not entry.get("name"):
                    raise PackError(path, key, f"list entry {entry!r} needs code and name")
                if entry["code"] in codes:
                    raise PackError(path, key, f"duplicate list code {entry['code']!r}")
                codes.add(entry["code"])
    if not ok:
        raise PackError(path, key, f"value {value!r} does not fit unit {unit}")


def _leaf(pack_id: str, path: Path, key: str, raw: Any, earliest: dt.date) -> Leaf:
    if not isinstance(raw, dict):
        raise PackError(path, key, "a leaf must be a mapping")
    unknown = set(raw) - LEAF_KEYS
    if unknown:
        raise PackError(path, key, f"unknown keys {sorted(unknown)}")
    missing = REQUIRED_LEAF_KEYS - set(raw)
    if missing:
        raise PackError(path, key, f"missing keys {sorted(missing)}")
    unit = raw["unit"]
    if unit not in UNITS:
        raise PackError(path, key, f"unit {unit!r} not one of {sorted(UNITS)}")
    combine = raw.get("combine", "shortest" if unit in DURATION_UNITS else "override")
    if combine not in COMBINES:
        raise PackError(path, key, f"combine {combine!r} not one of {sorted(COMBINES)}")
    if combine == "shortest" and unit not in DURATION_UNITS:
        raise PackError(path, key, "combine 'shortest' applies to durations only")
    if combine == "union" and unit != "list":
        raise PackError(path, key, "combine 'union' applies to lists only")
    unverified = raw.get("unverified", False)
    if not isinstance(unverified, bool):
        raise PackError(path, key, "unverified must be true or false")
    if not isinstance(raw["description"], str) or not raw["description"].strip():
        raise PackError(path, key, "description must be a non-empty string")
    values_raw, refs_raw = raw["values"], raw["reference"]
    if not isinstance(values_raw, dict) or not values_raw:
        raise PackError(path, key, "values must be a non-empty mapping of date: value")
    if not isinstance(refs_raw, dict):
        raise PackError(path, key, "reference must be a mapping of date: [citations]")
    values: list[tuple[dt.date, Any]] = []
    previous: dt.date | None = None
    for raw_date, value in values_raw.items():
        since = _as_date(path, key, raw_date)
        if previous is not None and since <= previous:
            raise PackError(path, key, f"dates out of order: {since} after {previous}")
        if since < earliest:
            raise PackError(path, key, f"{since} is before the instrument is in force ({earliest})")
        previous = since
        _check_value(path, key, unit, value)
        values.append((since, value))
    references: dict[dt.date, tuple[Citation, ...]] = {}
    for raw_date, cites in refs_raw.items():
        since = _as_date(path, key, raw_date)
        if since not in dict(values):
            raise PackError(path, key, f"reference for {since}, which has no value")
        if not isinstance(cites, list) or not cites:
            raise PackError(path, key, f"reference for {since} must be a non-empty list")
        references[since] = tuple(_citation(path, key, c, unverified) for c in cites)
    for since, _ in values:
        if since not in references:
            raise PackError(path, key, f"value from {since} has no reference")
    note = raw.get("note")
    return Leaf(
        key=key,
        pack=pack_id,
        description=raw["description"].strip(),
        unit=unit,
        combine=combine,
        values=tuple(values),
        references=references,
        unverified=unverified,
        note=str(note) if note else None,
        source=str(path),
    )


def load_pack(folder: Path) -> Pack:
    meta_path = folder / "pack.yaml"
    if not meta_path.exists():
        raise PackError(folder, None, "no pack.yaml")
    meta = load_yaml(meta_path)
    if not isinstance(meta, dict):
        raise PackError(meta_path, None, "pack.yaml must be a mapping")
    unknown = set(meta) - PACK_KEYS
    if unknown:
        raise PackError(meta_path, None, f"unknown keys {sorted(unknown)}")
    if meta.get("id") != folder.name:
        raise PackError(meta_path, "id", f"id must equal the folder name {folder.name!r}")
    instruments: list[Instrument] = []
    for raw in meta.get("instruments") or []:
        if not isinstance(raw, dict) or set(raw) - INSTRUMENT_KEYS or "name" not in raw:
            raise PackError(meta_path, "instruments", f"bad instrument {raw!r}")
        instruments.append(
            Instrument(
                name=raw["name"],
                document=str(raw.get("document", "")),
                in_force_from=_as_date(meta_path, "instruments", raw.get("in_force_from")),
            )
        )
    if not instruments:
        raise PackError(meta_path, "instruments", "a pack names at least one instrument")
    earliest = min(i.in_force_from for i in instruments)
    names = {i.name for i in instruments}
    leaves: dict[str, Leaf] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "pack.yaml":
            continue
        data = load_yaml(path)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise PackError(path, None, "a pack file must be a mapping of key: leaf")
        for key, raw in data.items():
            if not isinstance(key, str) or not key:
                raise PackError(path, str(key), "keys must be non-empty strings")
            if key in leaves:
                raise PackError(path, key, f"duplicate key, also in {leaves[key].source}")
            leaf = _leaf(folder.name, path, key, raw, earliest)
            for cites in leaf.references.values():
                for c in cites:
                    if c.instrument not in names:
                        raise PackError(path, key, f"instrument {c.instrument!r} not in pack.yaml")
            leaves[key] = leaf
    return Pack(
        id=folder.name,
        level=str(meta.get("level", "")),
        name=str(meta.get("name", folder.name)),
        region=meta.get("region"),
        instruments=tuple(instruments),
        leaves=leaves,
    )


def load_platforms(path: Path, packs: dict[str, Pack]) -> dict[str, Platform]:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise PackError(path, None, "platforms must be a mapping")
    platforms: dict[str, Platform] = {}
    for code, raw in data.items():
        code = str(code)
        if not isinstance(raw, dict) or set(raw) - PLATFORM_KEYS:
            raise PackError(path, code, "unknown or malformed platform keys")
        chain = tuple(raw.get("packs") or [])
        for pack_id in chain:
            if pack_id not in packs:
                raise PackError(path, code, f"unknown pack {pack_id!r}")
        platforms[code] = Platform(
            code=code,
            name=raw["name"],
            short=str(raw.get("short", raw["name"])),
            aliases=tuple(raw.get("aliases") or []),
            level=raw.get("level", ""),
            parent=str(raw["parent"]) if raw.get("parent") else None,
            packs=chain,
        )
    return platforms


@dataclass(frozen=True)
class LawLibrary:
    packs: dict[str, Pack]
    platforms: dict[str, Platform]

    def platform(self, name: str) -> Platform:
        wanted = name.strip().lower()
        for p in self.platforms.values():
            if wanted == p.code or wanted in p.aliases:
                return p
        raise DomainError(
            code="law.unknown_platform",
            message=f"未知的信用平台“{name}”，可选：{', '.join(self.platforms)}",
            status=404,
        )

    def ruleset(self, platform: str) -> RuleSet:
        p = self.platform(platform)
        chain = tuple(self.packs[i] for i in p.packs)
        keys: dict[str, Leaf] = {}
        for pack in chain:
            for key, leaf in pack.leaves.items():
                other = keys.get(key)
                if other and (other.unit != leaf.unit or other.combine != leaf.combine):
                    raise PackError(
                        leaf.source,
                        key,
                        f"unit/combine {leaf.unit}/{leaf.combine} differ from "
                        f"{other.unit}/{other.combine} in {other.source}",
                    )
                keys[key] = leaf
        return RuleSet(platform=p, chain=chain)


def load_library(packs_dir: Path = PACKS_DIR, platforms_file: Path = PLATFORMS_FILE) -> LawLibrary:
    packs = {}
    for folder in sorted(p for p in packs_dir.iterdir() if p.is_dir()):
        pack = load_pack(folder)
        packs[pack.id] = pack
    library = LawLibrary(packs=packs, platforms=load_platforms(platforms_file, packs))
    for code in library.platforms:
        library.ruleset(code)  # validates unit/combine agreement along each chain
    return library


@lru_cache(maxsize=1)
def default_library() -> LawLibrary:
    return load_library()


def list_labels(*keys: str) -> dict[str, str]:
    """Code -> Chinese name of the list-valued rules `keys`, over every pack and date (later
    ones win): for request schemas that accept a name for its code (common/choices.py). Which
    codes apply on a date, and where, is still the service's question (`RuleSet.codes`)."""
    labels: dict[str, str] = {}
    for pack in default_library().packs.values():
        for key in keys:
            leaf = pack.leaves.get(key)
            for _since, value in leaf.values if leaf else ():
                for element in value or ():
                    labels[str(element["code"])] = str(element["name"])
    return labels


def list_aliases(*keys: str) -> dict[str, str]:
    """The `aliases` the packs give list elements (工资 for 收入), alias -> code."""
    aliases: dict[str, str] = {}
    for pack in default_library().packs.values():
        for key in keys:
            leaf = pack.leaves.get(key)
            for _since, value in leaf.values if leaf else ():
                for element in value or ():
                    for alias in element.get("aliases", ()) or ():
                        aliases[str(alias)] = str(element["code"])
    return aliases


@dataclass(frozen=True)
class RuleSet:
    """The rules binding one platform, asked for as of a date. Answers are immutable and depend
    only on (key, date), so each is computed once per rule set."""

    platform: Platform
    chain: tuple[Pack, ...]
    _answers: dict[tuple[str, dt.date], RuleAnswer] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    _derived: dict[tuple[Any, ...], Any] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def derived(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """A value computed from these rules alone (a publicity window for a severity and a
        decision date, say), kept with them: like the answers, it cannot change."""
        try:
            value: T = self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
        return value

    def rule_keys(self) -> list[str]:
        return sorted({k for pack in self.chain for k in pack.leaves})

    def leaves(self, key: str) -> list[Leaf]:
        return [pack.leaves[key] for pack in self.chain if key in pack.leaves]

    def get(self, key: str, on: dt.date) -> RuleAnswer:
        answer = self._answers.get((key, on))
        if answer is None:
            answer = self._answers[(key, on)] = self._compute(key, on)
        return answer

    def _compute(self, key: str, on: dt.date) -> RuleAnswer:
        leaves = self.leaves(key)
        if not leaves:
            raise DomainError(
                code="law.unknown_key",
                message=f"法规数据中没有“{key}”这一规则",
                details={"key": key, "platform": self.platform.code},
                status=404,
            )
        spoken: list[tuple[Leaf, dt.date, Any]] = []
        for leaf in leaves:
            current = leaf.in_force(on)
            if current is not None:
                spoken.append((leaf, current[0], current[1]))
        if not spoken:
            first = min(leaf.values[0][0] for leaf in leaves)
            raise DomainError(
                code="law.not_in_force",
                message=f"{on.isoformat()}时“{key}”尚无施行中的规定（最早自{first.isoformat()}起）",
                details={"key": key, "on": on.isoformat(), "earliest": first.isoformat()},
                status=404,
            )
        template = spoken[-1][0]
        notes: list[str] = []
        if template.combine == "shortest":
            best = min(v for _, _, v in spoken)
            applied_idx = {i for i, (_, _, v) in enumerate(spoken) if v == best}
            value: Any = best
            for i, (leaf, _, v) in enumerate(spoken):
                if i not in applied_idx:
                    cites = "；".join(c.label() for c in leaf.references[spoken[i][1]])
                    notes.append(
                        f"{cites}规定{v}{UNIT_LABELS[leaf.unit]}，较短的{best}"
                        f"{UNIT_LABELS[leaf.unit]}适用（从严保护信用主体）"
                    )
        elif template.combine == "union":
            applied_idx = set(range(len(spoken)))
            value = [dict(e, pack=leaf.pack) for leaf, _, v in spoken for e in v]
        else:  # override: the most specific pack that speaks; packs that agree apply too
            value = spoken[-1][2]
            applied_idx = {i for i, (_, _, v) in enumerate(spoken) if v == value}
            for i, (leaf, since, v) in enumerate(spoken):
                if i not in applied_idx:
                    cites = "；".join(c.label() for c in leaf.references[since])
                    notes.append(f"{cites}的规定（{v}）被更具体的规定取代")
        contributions = tuple(
            Contribution(
                pack=leaf.pack,
                value=v,
                since=since,
                citations=leaf.references[since],
                unverified=leaf.unverified,
                applied=i in applied_idx,
            )
            for i, (leaf, since, v) in enumerate(spoken)
        )
        applied = [c for c in contributions if c.applied]
        citations = tuple(c for contribution in applied for c in contribution.citations)
        unverified = any(c.unverified for c in applied)
        for leaf, _, _ in spoken:
            if leaf.note and any(c.applied and c.pack == leaf.pack for c in contributions):
                notes.append(leaf.note)
        described_by = spoken[min(applied_idx)][0]
        return RuleAnswer(
            key=key,
            platform=self.platform.code,
            on=on,
            description=described_by.description,
            unit=template.unit,
            value=value,
            combine=template.combine,
            citations=citations,
            contributions=contributions,
            unverified=unverified,
            notes=tuple(notes),
        )

    def value(self, key: str, on: dt.date) -> Any:
        return self.get(key, on).value

    def codes(self, key: str, on: dt.date) -> list[str]:
        """The codes of a list-valued rule."""
        return [str(e["code"]) for e in self.get(key, on).value]
