"""Session tokens: what a login cookie holds, signed so that only this class's server can have made it.

    v1.<payload>.<signature>    payload: base64url of the JSON {"name", "issued", "expires", "id"}
                                signature: base64url of HMAC-SHA256(secret, "v1." + payload)

The payload has the roster name, the times the login was issued and expires (whole seconds since the
epoch) and the random id of its record (rnnkit/runs/sessions.py); never the personal code. `read_token`
checks the signature (`hmac.compare_digest`) before anything in the token is decoded, and refuses every
malformed token: too long, a wrong version, characters outside base64url, a payload that is not exactly
these four keys with these types.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any, Mapping

VERSION = "v1"
MAX_TOKEN_LENGTH = 2048  # a longer cookie is not ours: refused unread
PAYLOAD_KEYS = {"name", "issued", "expires", "id"}
SESSION_ID = re.compile(r"[0-9a-f]{32}")
_PART = re.compile(r"[A-Za-z0-9_-]{1,2000}")


def sign(payload: Mapping[str, Any], secret: bytes) -> str:
    body = _encode(json.dumps(dict(payload), separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{VERSION}.{body}.{_signature(body, secret)}"


def read_token(token: object, secret: bytes) -> dict[str, Any] | None:
    """The payload of a well-formed token whose signature is right for `secret`; None for anything else.
    Nothing in the token is decoded before its signature has been checked."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not all(_PART.fullmatch(part) for part in parts[1:]):
        return None
    if not hmac.compare_digest(_signature(parts[1], secret), parts[2]):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return payload if _valid_payload(payload) else None


def _valid_payload(payload: object) -> bool:
    if not isinstance(payload, dict) or set(payload) != PAYLOAD_KEYS:
        return False
    name, issued, expires = payload["name"], payload["issued"], payload["expires"]
    return (isinstance(name, str) and 0 < len(name) <= 256 and is_whole(issued) and is_whole(expires)
            and 0 < issued < expires and isinstance(payload["id"], str) and bool(SESSION_ID.fullmatch(payload["id"])))


def _signature(body: str, secret: bytes) -> str:
    return _encode(hmac.new(secret, f"{VERSION}.{body}".encode("ascii"), hashlib.sha256).digest())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
