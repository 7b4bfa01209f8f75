"""Safe XML: no DOCTYPE, no entities, no network, memory flat in the file's size.

A DOCTYPE (where entities are declared) can only come before the root element, so the
prolog is checked before any parser sees the file; the parser is then told not to load
a DTD or resolve entities either.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ..readers import FileProblem

PROLOG_BYTES = 1 << 20  # comments and processing instructions before the root, at most
ROOT_START = re.compile(rb"<[A-Za-z_]")


def check_prolog(path: Path, name: str) -> None:
    with path.open("rb") as f:
        head = f.read(PROLOG_BYTES)
    plain = head.replace(b"\x00", b"")  # so UTF-16 text is searched too
    start = ROOT_START.search(plain)
    prolog = plain if start is None else plain[:start.start()]
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise FileProblem(name, "XML with a DOCTYPE or ENTITY declaration is refused (entities can expand "
                                "without limit); CIN census returns do not need them", line=1)
    if start is None and len(head) == PROLOG_BYTES:
        raise FileProblem(name, f"XML with no root element in its first {PROLOG_BYTES >> 20} MB", line=1)


def iterparse(path: Path, name: str, **options):
    """lxml's iterparse with everything that could reach outside the file switched off."""
    check_prolog(path, name)
    return etree.iterparse(str(path), resolve_entities=False, load_dtd=False, no_network=True,
                           dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True, **options)


def syntax_problem(name: str, exc: etree.XMLSyntaxError) -> FileProblem:
    line, column = exc.position if exc.position else (None, None)
    message = str(exc.msg or exc).split(", line ")[0]
    where = f" at line {line}, column {column}" if line and column else ""
    return FileProblem(name, f"is not well-formed XML: {message}{where}", line=line)


def root_tag(path: Path, name: str) -> str:
    """The root element's local name (namespace dropped), reading no further than its start tag."""
    try:
        for _, element in iterparse(path, name, events=("start",)):
            return etree.QName(element).localname
    except etree.XMLSyntaxError as exc:
        raise syntax_problem(name, exc) from exc
    except LookupError as exc:  # an encoding the parser does not know
        raise FileProblem(name, f"is XML in an unknown encoding ({exc})", line=1) from exc
    raise FileProblem(name, "is empty", line=1)
