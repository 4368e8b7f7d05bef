"""What the `kasuhara` command says, in the user's language (flows/locales/*/cli.json).

The language comes from KASUHARA_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG). Japanese
is the default where the locale names no language (unset, C, POSIX); another language that
we have no catalog for gets English.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from flows.i18n import Translator

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def cli_locale(env: Mapping[str, str]) -> str:
    """Pick ja or en for the command line from KASUHARA_LANG or the POSIX locale."""
    chosen = (env.get("KASUHARA_LANG") or "").strip()
    if not chosen:
        chosen = next((env[name] for name in LOCALE_VARIABLES if env.get(name)), "")
    language = chosen.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if language in ("", "c", "posix"):
        return "ja"
    return language if language in ("ja", "en") else "en"


class Console:
    """Print catalog messages to stdout (results) and stderr (problems)."""

    def __init__(self, locale: str, out: TextIO | None = None, err: TextIO | None = None):
        self.locale = locale
        self.t = Translator(locale)
        self._out = out
        self._err = err

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout  # looked up late: tests swap sys.stdout per test

    @property
    def err(self) -> TextIO:
        return self._err or sys.stderr

    def say(self, key: str, **fields: object) -> None:
        print(self.t(f"cli.{key}", **fields), file=self.out)

    def problem(self, key: str, **fields: object) -> None:
        print(self.t(f"cli.{key}", **fields), file=self.err)

    def text(self, key: str, **fields: object) -> str:
        return self.t(f"cli.{key}", **fields)
