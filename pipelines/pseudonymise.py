"""Keyed pseudonyms for child identifiers (HMAC-SHA256).

The key lives in its own file (mode 0600), never in the database, so the same
child links across agencies while the raw identifier never reaches storage.
Privacy fails closed: a database that already holds children refuses to load
with a missing or different key rather than silently breaking linkage.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import polars as pl

KEY_BYTES = 32


class KeyProblem(Exception):
    pass


def load_key(path: Path, create: bool) -> bytes:
    """Read the key; create it (0600) only when `create` says no data depends on one yet."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyProblem(f"pseudonymisation key {path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii", errors="replace").strip())
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise KeyProblem(f"pseudonymisation key {path} is not a {KEY_BYTES}-byte hex key")
        return key
    if not create:
        raise KeyProblem(
            f"pseudonymisation key {path} is missing, but the database already holds pseudonymised children. "
            "Restore the key file (or set PM_KEY_FILE to it): a new key would stop records linking.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES))
    return load_key(path, create=False)


def fingerprint(key: bytes) -> str:
    """Identifies the key without revealing it, so the database can check it is the same one."""
    return hmac.new(key, b"partnership-metrics key fingerprint", hashlib.sha256).hexdigest()[:16]


class Pseudonymiser:
    """HMAC-SHA256 truncated to a signed 64-bit integer: joins and counts on millions of
    children stay fast, and at 10 million children the chance of any two sharing a key is
    about 3 in a million. Each distinct identifier is hashed once per load (a child appears
    in many rows and many batches), then mapped back onto the rows."""

    def __init__(self, key: bytes):
        # HMAC (RFC 2104) with the padded-key states hashed once: copying them per value is about
        # three times faster than hmac.digest, which matters for millions of identifiers.
        padded = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._seen: dict[str, int] = {}

    def _hash(self, value: str) -> int:
        inner = self._inner.copy()
        inner.update(value.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return int.from_bytes(outer.digest()[:8], "big", signed=True)

    def __call__(self, ids: pl.Series) -> pl.Series:
        distinct = ids.unique().drop_nulls()
        seen, hashed = self._seen, []
        for value in distinct.to_list():
            code = seen.get(value)
            if code is None:
                code = seen[value] = self._hash(value)
            hashed.append(code)
        position = ids.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True), default=None)
        return pl.Series(hashed, dtype=pl.Int64).gather(position).alias(ids.name)

