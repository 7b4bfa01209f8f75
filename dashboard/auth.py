"""Sign-in: who is using the dashboard, through the partnership's identity provider (Streamlit's
OpenID Connect support, st.login), or local mode when none is configured.

Local mode (no [auth] in .streamlit/secrets.toml) is for one person at their own machine: the
dashboard serves only on the loopback address and refuses anything else, and that person is an
admin for every partnership. With sign-in configured, the access file (pipelines/access.py) decides
each person's role and partnerships; anyone it does not name sees nothing but a way to sign out.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipelines import access, audit_trail
from pipelines.access import Principal
from pipelines.config import Settings

SIGNED_IN = "auth_recorded"  # session flag: the sign-in is written to the audit trail once


def configured() -> bool:
    """Sign-in is configured when secrets hold an [auth] section."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # Streamlit's error for a missing secrets file is one
        return False


def providers() -> list[str | None]:
    """Named providers ([auth.microsoft], [auth.google]) or None for a single unnamed one."""
    named = [name for name, value in st.secrets["auth"].items() if hasattr(value, "items")]
    return named or [None]


def serving_address() -> str | None:
    return st.get_option("server.address")


@st.cache_data(show_spinner=False, max_entries=4)
def _policy(path: str, modified: float) -> access.Policy:
    return access.load_policy(Path(path))


def principal(cfg: Settings) -> Principal:
    """The person using this session, or stop the page: local mode off loopback, not signed in, or not
    granted anything."""
    if not configured():
        if not access.loopback(serving_address()):
            st.error(f"Local mode (no sign-in configured) serves only this machine, but the dashboard is listening "
                     f"on {serving_address() or 'every address'}. Configure sign-in (docs/access.md) or serve on "
                     "127.0.0.1.", icon=":material/lock:")
            st.stop()
        return access.LOCAL
    if not st.user.is_logged_in:
        sign_in_page()
        st.stop()
    path = cfg.access_path or Path("access.toml")
    try:
        policy = _policy(str(path), path.stat().st_mtime_ns if path.exists() else 0.0)
    except ValueError as exc:
        st.error(f"Sign-in works, but the access file is not usable, so nobody is let in: {exc}")
        st.stop()
    email = st.user.get("email")
    groups = tuple(str(g) for g in (st.user.get("groups") or []))
    who = policy.principal(email, groups)
    if who is None:
        if not st.session_state.get(SIGNED_IN):
            audit_trail.record(cfg.audit_db, str(email or "unknown"), "none", "refused", what="sign_in",
                               why="not in the access file")
            st.session_state[SIGNED_IN] = True
        st.warning(f"Signed in as {email}, but the access file grants you nothing here. Ask your partnership's "
                   "administrator to add you.", icon=":material/lock:")
        st.button("Sign out", on_click=st.logout, key="auth_out_denied")
        st.stop()
    if not st.session_state.get(SIGNED_IN):  # once per sign-in: a reload opens a new session, not a new sign-in
        signed = {"partnerships": "every" if who.partnerships is None else ", ".join(sorted(who.partnerships)),
                  "token_issued": st.user.get("iat")}
        if signed["token_issued"] is None or not audit_trail.recorded(cfg.audit_db, who.user, "sign_in", **signed):
            audit_trail.record(cfg.audit_db, who.user, who.role, "sign_in", **signed)
        st.session_state[SIGNED_IN] = True
    return who


def sign_in_page() -> None:
    st.title("Partnership metrics")
    st.markdown("Sign in with your organisation's account to see your partnership's figures.")
    for provider in providers():
        name = {"microsoft": "Microsoft", "google": "Google"}.get(provider or "", (provider or "").title())
        st.button(f"Sign in with {name}" if provider else "Sign in", type="primary", key=f"auth_in_{provider}",
                  on_click=st.login, args=(provider,) if provider else ())


def sidebar_identity(who: Principal) -> None:
    with st.sidebar:
        if who is access.LOCAL:
            st.caption("**Local mode: no sign-in.** Serving this machine only (127.0.0.1).")
            return
        scope = "every partnership" if who.partnerships is None else ", ".join(sorted(who.partnerships))
        st.caption(f"Signed in as **{who.user}** ({who.role}): {scope}.")
        st.button("Sign out", on_click=st.logout, key="auth_out")
