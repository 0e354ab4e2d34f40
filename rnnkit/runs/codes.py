"""Personal codes: scrypt hashes (standard library) compared in constant time, and what makes a code
too weak. The roster (rnnkit.runs.access) stores only these hashes; `python -m rnnkit.runs.access
hash-code` makes one."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # interactive-login cost (RFC 7914's recommendation)
SCRYPT_MAX_MEMORY = 32 * 1024 * 1024  # what hashlib.scrypt may use by default: 128 * r * n bytes must fit
MIN_CODE_LENGTH = 6
COMMON_CODES = {"123456", "1234567", "12345678", "password", "qwerty", "abcdef", "abc123", "111111", "letmein"}
HASH_FORMAT = re.compile(r"scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([0-9a-f]{32,128})\$([0-9a-f]{128})")


def code_strength_problem(code: str) -> str | None:
    """Why a personal code is too weak, or None."""
    if len(code) < MIN_CODE_LENGTH:
        return f"use a code of at least {MIN_CODE_LENGTH} characters"
    if len(set(code)) < 3 or code.casefold() in COMMON_CODES:
        return "this code is too easy to guess: mix at least three different characters, not a common code"
    return None


def hash_code(code: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def hash_problem(stored: object) -> str | None:
    """Why `stored` is not a code hash this roster accepts (hash-code's format, at least its cost), or None."""
    match = HASH_FORMAT.fullmatch(stored) if isinstance(stored, str) else None
    if match is None:
        return "code_hash is not a hash made by `python -m rnnkit.runs.access hash-code` (scrypt$N$r$p$salt$digest)"
    n, r, p = (int(group) for group in match.groups()[:3])
    if n < SCRYPT["n"] or n & (n - 1) or r < SCRYPT["r"] or not 1 <= p <= 16 or 128 * r * n > SCRYPT_MAX_MEMORY:
        return (f"code_hash has a cost outside N {SCRYPT['n']}..{SCRYPT_MAX_MEMORY // 1024}, r >= 8, p 1..16: "
                "make it again with hash-code")
    return None


def verify_code(code: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(code.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)
