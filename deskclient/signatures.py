"""Signing and verifying the desk's webhook deliveries.

Every delivery carries a header

    Desk-Signature: t=1764561600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

where `t` is the Unix time of signing and each `v1` is the hex HMAC-SHA256, keyed with an
endpoint's secret, of `t`, a full stop and the raw request body. While a secret is being rotated
the header carries one `v1` per live secret, so a receiver holding either secret verifies it.
The timestamp is signed too, so a captured delivery cannot be replayed outside the tolerance.
"""

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "Desk-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The header is missing or malformed, no signature matches, or the timestamp is too old."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Iterable[str], *, timestamp: int | None = None) -> str:
    """The Desk-Signature value for `body`: one v1 signature for each of `secrets`."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    signatures = [f"{SCHEME}={_digest(secret, signed_at, body)}" for secret in secrets]
    if not signatures:
        raise ValueError("at least one secret is needed to sign")
    return ",".join([f"t={signed_at}", *signatures])


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> int:
    """Check a delivery; return its signing time, or raise SignatureError saying why not.

    `body` must be the raw bytes received, before any JSON parsing. `tolerance` is how many
    seconds old (or ahead) the signature may be; 0 or less turns the age check off.
    """
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError(f"{SIGNATURE_HEADER} header is missing its t= or {SCHEME}= part")
    current = time.time() if now is None else now
    if tolerance > 0 and abs(current - timestamp) > tolerance:
        raise SignatureError(f"signature timestamp is more than {tolerance}s from now")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("no signature matches the secret")
    return timestamp
