"""The real clock (flows take a Clock so tests can use a fake one); one implementation, in adapters.common."""
from __future__ import annotations

from adapters.common import SystemClock

__all__ = ["SystemClock"]
