"""Who may see what: roles, partnerships and the rule every data fetch applies.

One small TOML file (docs/access.md) maps people, by e-mail or by the identity provider's group,
to a role and the partnerships they may see. Roles nest: each may do everything the one before it
may. The same `authorise` check runs where the dashboard fetches data, not only where a page draws
a control, so a page that forgets a check still gets nothing it should not.

Reviews carry their partnership. Case-system extracts (children, episodes, disclosures, referrals)
do not: they are the `home` partnership's own, so only people granted `home` (or every partnership)
see practice figures and the database-wide data-quality tables.
"""
from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("board", "analyst", "loader", "admin")
# The least role for each action; a role may do its own and every lesser role's.
ACTIONS = {
    "view": "board",             # the protected release: suppressed figures, the board pack
    "exact_counts": "analyst",   # the internal-use switch, free filters, exact-count exports
    "load": "loader",            # uploads
    "code": "loader",            # the review coding form
    "track": "loader",           # recommendation tracker changes
    "purge": "admin",
    "settings": "admin",
    "audit": "admin",            # read and export the audit trail
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Denied(PermissionError):
    """Refused: the message says what, and which role may."""


EVERYWHERE = object()  # `may(action)` with no partnership: may they do it in any partnership of theirs?


@dataclass(frozen=True)
class Principal:
    """A signed-in person as the dashboard sees them (hashable: it is part of every cached fetch's key).

    A role holds in the partnerships its grant names: someone who is an analyst for A and board for B
    sees exact counts for A only. `role` is their highest anywhere (what navigation offers); `grants`
    says where each role holds ((None, role): every partnership). No grants: `role` in `partnerships`."""
    user: str
    role: str
    partnerships: frozenset[str] | None  # None: every partnership
    case_data: bool  # may see the case-system extracts' figures (granted the home partnership)
    grants: tuple[tuple[str | None, str], ...] = ()
    home: str | None = None

    def role_in(self, partnership: str | None) -> str | None:
        """Their role for one partnership, or for every partnership at once (None); None when they have none."""
        if not self.grants:
            return self.role if self.sees(partnership) else None
        roles = [r for p, r in self.grants if p is None or (partnership is not None and p == partnership)]
        return max(roles, key=ROLES.index) if roles else None

    def may(self, action: str, partnership=EVERYWHERE) -> bool:
        role = self.role if partnership is EVERYWHERE else self.role_in(partnership)
        return role is not None and ROLES.index(role) >= ROLES.index(ACTIONS[action])

    def may_home(self, action: str) -> bool:
        """Database-wide actions (loads, the tracker, data quality, the audit trail) need the role for the
        home partnership, whose case-system data the database holds (or for every partnership)."""
        return self.case_data and self.may(action, self.home)

    def require(self, action: str, partnership=EVERYWHERE) -> None:
        if not self.may(action, partnership):
            where = "" if partnership is EVERYWHERE else (f" for {partnership}" if partnership else
                                                            " for every partnership at once")
            raise Denied(f"{self.user} may not {action.replace('_', ' ')}{where}: "
                         f"that needs the {ACTIONS[action]} role there")

    def sees(self, partnership: str | None) -> bool:
        """None is every partnership at once: only for someone granted every partnership."""
        return self.partnerships is None or (partnership is not None and partnership in self.partnerships)


LOCAL = Principal("local user", "admin", None, True)  # local mode: the person at this machine


@dataclass(frozen=True)
class Grant:
    role: str
    partnerships: frozenset[str] | None
    emails: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    grants: tuple[Grant, ...]
    home: str | None = None  # whose case-system data this database holds
    source: str = ""

    def principal(self, email: str | None, groups: tuple[str, ...] = ()) -> Principal | None:
        """The person's grants (each role in its own partnerships), their highest role and all their
        partnerships; None when no grant names them (no access at all)."""
        email = (email or "").strip().lower()
        matching = [g for g in self.grants if email in g.emails or set(groups) & g.groups]
        if not email or not matching:
            return None
        role = max((g.role for g in matching), key=ROLES.index)
        every = any(g.partnerships is None for g in matching)
        partnerships = None if every else frozenset().union(*(g.partnerships for g in matching))
        case_data = every or (self.home is not None and self.home in partnerships)
        grants = tuple(sorted({(p, g.role) for g in matching for p in (g.partnerships or [None])},
                              key=lambda pr: (pr[0] or "", pr[1])))
        return Principal(email, role, partnerships, case_data, grants, self.home)


def load_policy(path: Path) -> Policy:
    """The access file, checked whole: any mistake names the file and the grant, and grants nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no access file; copy access.example.toml and name who may sign in") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None
    home = raw.get("home")
    if home is not None and not isinstance(home, str):
        raise ValueError(f"{path}: home must be a partnership's name")
    grants = []
    for n, entry in enumerate(raw.get("grant", []), start=1):
        where = f"{path}: grant {n}"
        unknown = set(entry) - {"role", "partnerships", "emails", "groups"}
        if unknown:
            raise ValueError(f"{where}: unknown setting {', '.join(sorted(unknown))}")
        if entry.get("role") not in ROLES:
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, not {entry.get('role')!r}")
        emails, groups = entry.get("emails", []), entry.get("groups", [])
        if not isinstance(emails, list) or not isinstance(groups, list) or not (emails or groups):
            raise ValueError(f"{where}: list the emails or groups it grants to")
        bad = [e for e in emails if not isinstance(e, str) or not EMAIL.match(e)]
        if bad:
            raise ValueError(f"{where}: not an e-mail address: {bad[0]!r}")
        partnerships = entry.get("partnerships")
        if not isinstance(partnerships, list) or not partnerships or not all(isinstance(p, str) for p in partnerships):
            raise ValueError(f'{where}: partnerships must list names, or ["*"] for every partnership')
        grants.append(Grant(entry["role"], None if "*" in partnerships else frozenset(partnerships),
                            frozenset(e.lower() for e in emails), frozenset(map(str, groups))))
    if not grants:
        raise ValueError(f"{path}: no [[grant]]: nobody could sign in")
    return Policy(tuple(grants), home, str(path))


def reads_case_data(indicator) -> bool:
    """Every fact but the reviews' comes from the case-system extracts."""
    return indicator.fact.name != "fct_review"


def authorise(who: Principal, partnership: str | None, show_small: bool = False, case_data: bool = False,
              action: str = "view") -> None:
    """Raise Denied unless `who` may fetch this: the partnership (None, every partnership at once, only for
    someone granted them all), their role there for the action and for exact counts, and case-system data."""
    if not who.sees(partnership):
        raise Denied(f"{who.user} may not see " + (f"partnership {partnership!r}" if partnership
                                                    else "every partnership at once: choose one of yours"))
    who.require(action, partnership)
    if show_small:
        who.require("exact_counts", partnership)
    if case_data and not who.case_data:
        raise Denied(f"{who.user} may not see the case-system extracts: they are the home partnership's")


def authorise_home(who: Principal, show_small: bool = False, action: str = "view") -> None:
    """For what is database-wide rather than per partnership (load history, data quality, the tracker):
    a grant covering the home partnership, and the role there for the action and for exact counts."""
    if not who.case_data:
        raise Denied(f"{who.user} may not see the whole database's records: they are the home partnership's")
    who.require(action, who.home)
    if show_small:
        who.require("exact_counts", who.home)


def loopback(address: str | None) -> bool:
    """Local mode serves this machine only. Unset means every address (Streamlit's own default)."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
