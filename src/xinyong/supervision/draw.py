"""The 双随机 draw as a pure function: given the revealed seed and the inputs published before the
draw, it always gives the same objects and inspectors, so anyone can re-run it.

The algorithm, as the public page states it:
1. Each class (违法失信、风险较高, then 信用风险一般, then 信用较好、风险较低) draws
   ceil(members × ratio) objects, ratio in per mille: the members with the smallest
   SHA-256(seed + "\\n" + "对象" + "\\n" + token) (lowercase hex, compared as text).
2. The drawn objects, in that order, each get `inspectors_per_object` inspectors: among the
   inspectors with no conflict with the object, those with the fewest assignments so far, ties
   broken by the smallest SHA-256(seed + "\\n" + "检查人员" + "\\n" + token + "\\n" + code).
Texts are UTF-8; the inputs and result are canonical JSON (sorted keys, no spaces). The same
steps in Chinese, shown on the public page: `schemas.ALGORITHM`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from xinyong.supervision.classes import ORDER


class Shortfall(Exception):
    """Too few inspectors without a conflict for an object."""

    def __init__(self, token: str, available: int) -> None:
        super().__init__(token, available)
        self.token = token
        self.available = available


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rank(seed: str, *parts: str) -> str:
    return digest("\n".join((seed, *parts)))


def quota(members: int, per_mille: int) -> int:
    """ceil(members × per_mille / 1000), in integers."""
    return (members * per_mille + 999) // 1000


def run(seed: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The draw's result: {"objects": [{"token", "class", "inspectors": [code, ...]}, ...]}."""
    ratios: dict[str, int] = inputs["ratios"]
    per_object: int = inputs["inspectors_per_object"]
    drawn: list[tuple[str, str]] = []
    for cls in ORDER:
        members = sorted(
            (o["token"] for o in inputs["objects"] if o["class"] == cls),
            key=lambda token: rank(seed, "对象", token),
        )
        drawn += [(token, cls) for token in members[: quota(len(members), ratios[cls])]]
    barred: dict[str, set[str]] = {}
    for c in inputs["conflicts"]:
        barred.setdefault(c["object"], set()).add(c["inspector"])
    load = {i["code"]: 0 for i in inputs["inspectors"]}
    objects = []
    for token, cls in drawn:
        free = [code for code in load if code not in barred.get(token, set())]
        if len(free) < per_object:
            raise Shortfall(token, len(free))
        free.sort(key=lambda code: (load[code], rank(seed, "检查人员", token, code)))
        chosen = free[:per_object]
        for code in chosen:
            load[code] += 1
        objects.append({"token": token, "class": cls, "inspectors": chosen})
    return {"objects": objects}
