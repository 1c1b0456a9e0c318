"""The relations a natural person has to an organisation that HLJ 33 names: one code per
relation, the law pack's (`serious_dishonesty.related_persons`), so a link registered here is
the link the listing reads. `directly_responsible`, the code this API used before, is accepted
as an alias and stored as `responsible_person`."""

from __future__ import annotations

from functools import cache

from xinyong.law.rules import list_labels

RELATIONS_RULE = "serious_dishonesty.related_persons"

#: Former codes and short names people type, mapped to the pack's code.
RELATION_ALIASES = {
    "directly_responsible": "responsible_person",
    "直接责任人": "responsible_person",
    "负责人": "principal",
}


@cache
def relation_labels() -> dict[str, str]:
    """Code -> Chinese name, as the law pack names them (HLJ 33)."""
    return list_labels(RELATIONS_RULE)
