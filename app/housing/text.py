"""French wording shared by housing messages, labels and documents."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from app.formatting import date_fr


@lru_cache(maxsize=4096)  # Babel is slow and a pass of the alert rules formats ~20,000 days
def day_fr(day: date | None, style: str = "long") -> str:
    """'1er mars 2026' (long) or '1er mars 2026' abbreviated ('1er oct. 2026', medium)."""
    if day is None:
        return ""
    text = date_fr(day, "d MMM y" if style == "medium" else "d MMMM y")
    return "1er" + text[1:] if day.day == 1 else text
