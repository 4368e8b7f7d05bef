"""Chat commands, parsed once for every platform (`/kasuhara report`, `報告`, `sos 2F`…)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CommandKind(str, Enum):
    REPORT = "report"
    SOS = "sos"
    HELP = "help"
    CONSULT = "consult"
    BIND = "bind"
    UNKNOWN = "unknown"
    EMPTY = "empty"


_WORDS = {
    "report": CommandKind.REPORT,
    "報告": CommandKind.REPORT,
    "sos": CommandKind.SOS,
    "ｓｏｓ": CommandKind.SOS,
    "help": CommandKind.HELP,
    "ヘルプ": CommandKind.HELP,
    "consult": CommandKind.CONSULT,
    "相談": CommandKind.CONSULT,
    "bind": CommandKind.BIND,
}


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    argument: str = ""
    text: str = ""


def parse_command(text: str | None) -> Command:
    """Split the first word off and map it (case- and width-insensitive) to a command."""
    raw = (text or "").replace("\u3000", " ").strip()
    if not raw:
        return Command(CommandKind.EMPTY)
    head, *rest = raw.split(maxsplit=1)  # any whitespace: "相談\n本文" is a consultation
    kind = _WORDS.get(head.lower(), CommandKind.UNKNOWN)
    return Command(kind, rest[0].strip() if rest else "", raw)
