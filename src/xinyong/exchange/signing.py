"""This node's exchange key and the signatures on messages and receipts (Ed25519).

A message's signature covers its exact body bytes; it travels in the `X-Xinyong-Signature`
header (hex) with the sender's platform code in `X-Xinyong-Sender`. The private key is kept
outside the database (settings.exchange_signing_key or a file in the data folder)."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.audit.heads import load_public, private_from_hex, public_hex
from xinyong.config import Settings

SENDER_HEADER = "X-Xinyong-Sender"
SIGNATURE_HEADER = "X-Xinyong-Signature"


def private_key(settings: Settings) -> Ed25519PrivateKey:
    return private_from_hex(settings.resolved_exchange_key())


def public_key_hex(settings: Settings) -> str:
    """The public key to give this node's peers (64 hex characters)."""
    return public_hex(private_key(settings).public_key())


def sign(settings: Settings, body: bytes) -> str:
    return private_key(settings).sign(body).hex()


def valid_public_key(text: str) -> str:
    """`text` if it is an Ed25519 public key in hex, else ValueError."""
    text = text.strip().lower()
    if len(text) != 64:
        raise ValueError("公钥应为64位十六进制字符")
    try:
        load_public(text)
    except ValueError as exc:
        raise ValueError("公钥应为64位十六进制字符") from exc
    return text


def verify(public_key: str, body: bytes, signature: str) -> bool:
    try:
        load_public(public_key).verify(bytes.fromhex(signature), body)
    except (InvalidSignature, ValueError):
        return False
    return True
