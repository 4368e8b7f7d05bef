"""Who runs a CLI command, for the audit trail of exports."""
from __future__ import annotations

import getpass


def operator() -> str:
    """The OS account running the command, as an audit actor ("cli:<account>")."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"
