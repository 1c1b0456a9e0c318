"""Proofs a second party can check with the public key alone (`xinyong audit prove`,
`xinyong audit check-proof`): that one entry, with every field shown, is in the log a signed
tree head describes (inclusion), and that an earlier signed head describes a prefix of a later
one (consistency), as RFC 9162 §2.1.3-2.1.4 define them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from xinyong.audit import merkle
from xinyong.audit.heads import TreeHead, read_heads
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import _stamp, entry_hash, entry_leaf

if TYPE_CHECKING:
    from xinyong.context import Context

_FIELDS = (
    "id",
    "occurred_at",
    "action",
    "actor_id",
    "actor_username",
    "actor_role",
    "purpose",
    "legal_basis",
    "object_type",
    "object_id",
    "subject_key",
    "personal_read",
    "detail_json",
    "prev_hash",
)


def _heads(ctx: Context) -> dict[int, TreeHead]:
    path = ctx.audit.heads_file
    found: dict[int, TreeHead] = {}
    if path is not None:
        for line in read_heads(path):
            if line.head is not None:
                found.setdefault(line.head.size, line.head)
    return found


def _leaves_for(session: Session, ctx: Context, head: TreeHead) -> list[bytes]:
    leaves = ctx.audit.leaves(session, head.size)
    if len(leaves) != head.size or merkle.root_of(leaves).hex() != head.root:
        raise ValueError(
            f"数据库中的日志与{head.time}签名的树头（{head.size}条）不符，"
            "请运行 xinyong audit verify 查明"
        )
    return leaves


def inclusion_of(session: Session, ctx: Context, entry_id: int) -> dict[str, Any]:
    """Entry `entry_id`, its audit path, and the newest signed head (one is signed now if no
    head covers the entry yet)."""
    event = session.get(AuditEvent, entry_id)
    if event is None:
        raise ValueError(f"没有第{entry_id}条审计条目")
    heads = _heads(ctx)
    newest = heads[max(heads)] if heads else None
    if newest is None or newest.size < entry_id:
        newest = ctx.audit.sign_head(session, ctx.clock)
        if newest is None or newest.size < entry_id:
            raise ValueError("无法签署覆盖该条目的树头（未配置签名密钥或树头文件）")
    leaves = _leaves_for(session, ctx, newest)
    entry = {name: getattr(event, name) for name in _FIELDS}
    entry["occurred_at"] = _stamp(event.occurred_at)
    entry["personal_read"] = bool(event.personal_read)
    return {
        "kind": "inclusion",
        "entry": entry,
        "entry_hash": event.hash,
        "leaf_index": entry_id - 1,
        "head": dataclasses.asdict(newest),
        "path": [h.hex() for h in merkle.inclusion_proof(entry_id - 1, leaves)],
    }


def consistency_of(session: Session, ctx: Context, old_size: int, new_size: int) -> dict[str, Any]:
    """That the signed head of `old_size` entries describes a prefix of the one of `new_size`."""
    heads = _heads(ctx)
    if old_size not in heads or new_size not in heads:
        raise ValueError(f"树头文件中没有{old_size}条或{new_size}条的签名树头")
    if not 0 < old_size <= new_size:
        raise ValueError("旧树头的条数须大于0且不大于新树头")
    leaves = _leaves_for(session, ctx, heads[new_size])
    return {
        "kind": "consistency",
        "old": dataclasses.asdict(heads[old_size]),
        "new": dataclasses.asdict(heads[new_size]),
        "path": [h.hex() for h in merkle.consistency_proof(old_size, leaves)],
    }


def check_proof(proof: dict[str, Any], public: Ed25519PublicKey) -> str | None:
    """None if `proof` holds, else what fails (in Chinese). Needs no database."""
    try:
        path = [bytes.fromhex(h) for h in proof["path"]]
        if proof["kind"] == "inclusion":
            head = TreeHead.from_dict(proof["head"])
            if not head.verify(public):
                return "树头签名无效"
            fields = dict(proof["entry"])
            fields["occurred_at"] = dt.datetime.fromisoformat(fields["occurred_at"])
            computed = entry_hash(SimpleNamespace(**fields))
            if computed != proof["entry_hash"]:
                return "条目内容与其哈希不符：条目被改动"
            index = int(proof["leaf_index"])
            if index != int(fields["id"]) - 1:
                return "条目编号与叶子位置不符"
            leaf = entry_leaf(computed)
            if not merkle.verify_inclusion(index, head.size, leaf, path, bytes.fromhex(head.root)):
                return "包含证明不成立：该条目不在签名树头所述的日志中"
            return None
        if proof["kind"] == "consistency":
            old, new = TreeHead.from_dict(proof["old"]), TreeHead.from_dict(proof["new"])
            if not (old.verify(public) and new.verify(public)):
                return "树头签名无效"
            roots = bytes.fromhex(old.root), bytes.fromhex(new.root)
            if not merkle.verify_consistency(old.size, new.size, *roots, path):
                return "一致性证明不成立：新树头所述的日志不是旧日志的延续"
            return None
    except (KeyError, TypeError, ValueError) as exc:
        return f"证明格式错误：{exc}"
    return "未知的证明类型"
