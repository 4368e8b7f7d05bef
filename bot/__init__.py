"""kasuhara's composition root. Importing it on an older Python stops with one clear line."""
from __future__ import annotations

import sys

MINIMUM_PYTHON = (3, 11)


def python_too_old(version: tuple = tuple(sys.version_info)) -> str | None:
    """The message for an interpreter older than MINIMUM_PYTHON, else None."""
    if tuple(version[:2]) >= MINIMUM_PYTHON:
        return None
    found = ".".join(str(part) for part in version[:3])
    return (f"kasuhara needs Python 3.11 or newer; this is Python {found}. Fix: install python3.11 (or newer), "
            f"then create the virtual environment with it: python3.11 -m venv .venv / "
            f"kasuhara には Python 3.11 以上が必要です（この Python は {found}）。")


if python_too_old():
    sys.exit(python_too_old())
