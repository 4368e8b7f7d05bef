"""Repeat customers: normalise what identifies a customer, so two spellings of it match.

Only the normalised form is matched (through a keyed digest, in storage); the text as
written is sealed for HR. A text with nothing left after normalising (spaces, punctuation)
is ignored for matching, and the reporter is told so.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

MEASURES = ("warning_letter", "ban", "police_report", "other")
_JP_COUNTRY_CODE = re.compile(r"^\s*(?:\+|00)\s*81[\s\-()]*(?:\(0\))?[\s\-]*")


def normalize_identifier(text: str) -> str:
    """Fold width and case, drop spaces, punctuation and symbols; +81 phone numbers become 0….

    "+81 90-1234-5678", "090 1234 5678" and "０９０－１２３４－５６７８" all give "09012345678".
    """
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = _JP_COUNTRY_CODE.sub("0", folded, count=1) if _JP_COUNTRY_CODE.match(folded) else folded
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


@dataclass(frozen=True)
class EarlierCase:
    incident_id: int
    case_no: str
    created_at: datetime


@dataclass(frozen=True)
class Measure:
    kind: str  # one of MEASURES
    at: datetime
    by: str = ""


@dataclass(frozen=True)
class CustomerMatch:
    """What a new report learned about its customer: earlier cases in the window, measures taken."""

    earlier: tuple[EarlierCase, ...] = ()
    measures: tuple[Measure, ...] = ()

    @property
    def repeat(self) -> bool:
        return bool(self.earlier)
