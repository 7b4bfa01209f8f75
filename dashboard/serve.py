"""`python -m dashboard.serve [streamlit options]`: start the dashboard, refusing to listen beyond this
machine unless sign-in is configured (local mode has no sign-in, so it must stay on 127.0.0.1).

`make run` uses it. The app makes the same check when it runs (dashboard/auth.py), so starting
Streamlit some other way is refused too, only later.
"""
from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from pipelines.access import loopback

REPO = Path(__file__).resolve().parent.parent


def option(args: list[str], name: str) -> str | None:
    """The last value given for --name (as `--name value` or `--name=value`)."""
    found = None
    for n, arg in enumerate(args):
        if arg == f"--{name}" and n + 1 < len(args):
            found = args[n + 1]
        elif arg.startswith(f"--{name}="):
            found = arg.split("=", 1)[1]
    return found


def sign_in_configured(args: list[str]) -> bool:
    """An [auth] section in any secrets file Streamlit will read (its defaults, or --secrets.files)."""
    given = option(args, "secrets.files")
    files = [Path(given)] if given else [Path.home() / ".streamlit" / "secrets.toml",
                                         Path.cwd() / ".streamlit" / "secrets.toml"]
    for path in files:
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def main(args: list[str]) -> int:
    address = option(args, "server.address") or "127.0.0.1"  # .streamlit/config.toml's default
    if not loopback(address) and not sign_in_configured(args):
        print(f"Refusing to serve on {address}: local mode has no sign-in, so it serves this machine only "
              "(127.0.0.1). Configure sign-in first (docs/access.md).", file=sys.stderr)
        return 2
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"), *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
