"""Keyed pseudonyms for child identifiers (HMAC-SHA256).

The key lives in its own file (mode 0600), never in the database, so the same
child links across agencies while the raw identifier never reaches storage.
Privacy fails closed: a database that already holds children refuses to load
with a missing or different key rather than silently breaking linkage.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb
import pyarrow as pa

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


FUNCTION = "pseudonym"  # the SQL function a loader's connection gains (register)


def register(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Give `con` the SQL function pseudonym(VARCHAR) -> BIGINT: HMAC-SHA256 (RFC 2104) truncated to a
    signed 64-bit integer, so joins and counts on millions of children stay fast (at 10 million children
    the chance of any two sharing a key is about 3 in a million). A vectorised (Arrow) function: the key
    lives only in this closure, never in SQL text, logs or query plans. The padded-key states are hashed
    once and copied per value, three times faster than hmac.digest and than SHA-256 in SQL, and each
    identifier is hashed once per load (the function lives as long as the load's connection). The loader
    calls it once per distinct identifier and joins the result back."""
    padded = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    seen: dict[str, int] = {}  # a child recurs in every slice of a big file: hashed once per load

    def one(value: str) -> int:
        code = seen.get(value)
        if code is None:
            i = inner.copy()
            i.update(value.encode("utf-8"))
            o = outer.copy()
            o.update(i.digest())
            code = seen[value] = int.from_bytes(o.digest()[:8], "big", signed=True)
        return code

    def pseudonym(ids: pa.Array) -> pa.Array:
        return pa.array([None if v is None else one(v) for v in ids.to_pylist()], pa.int64())

    with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
        con.remove_function(FUNCTION)  # a connection re-registered with another key
    con.create_function(FUNCTION, pseudonym, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("BIGINT"),
                        type="arrow", null_handling="special", side_effects=False)
