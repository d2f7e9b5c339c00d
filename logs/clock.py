"""Many times written by one named format of the active language, fast (issue 20).

``formats.date_format`` costs ~14 times ``strftime``: it looks the format up and translates the weekday
and month names again for every value. The log lists (50 rows) and the door board (hundreds of cards)
write one format many times, so :class:`RowClock` splits the format once into its characters: those of
the day (weekday, day, month, year) are formatted by Django once per distinct day, the hour and minute
with integer formatting, anything else (``P``, a zone...) by Django each time. The text is exactly
``date_format``'s (tests/logs/test_log_languages.py compares them).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import dateformat, formats, translation

# Days remembered per clock before it starts afresh: a long-running process sees ever new days.
MAX_DAYS = 4096


class RowClock:
    """One named format of the language active when it is made, for many times (see the module)."""

    OF_THE_TIME = {"H": ("hour", "{:02d}"), "i": ("minute", "{:02d}"), "s": ("second", "{:02d}"), "G": ("hour", "{:d}")}
    OF_THE_DAY = set("dDjlNSwzWmMnbEFtyYLo")

    def __init__(self, named: str):
        self.pieces: list[tuple[str, str]] = []  # ("day" | "time" | "other" | "text", piece)
        escaped = False
        for char in str(formats.get_format(named)):
            if escaped or not char.isalpha() and char != "\\":
                self.pieces.append(("text", char))  # "\\h": a literal h (the Quebec "14 h 21")
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                kind = "time" if char in self.OF_THE_TIME else "day" if char in self.OF_THE_DAY else "other"
                self.pieces.append((kind, char))
        self.days: dict = {}

    def __call__(self, local: datetime) -> str:
        day = self.days.get(local.date())
        if day is None:
            day = self.days[local.date()] = {c: dateformat.format(local, c) for k, c in self.pieces if k == "day"}
        out = []
        for kind, piece in self.pieces:
            if kind == "text":
                out.append(piece)
            elif kind == "day":
                out.append(day[piece])
            elif kind == "time":
                field, spelled = self.OF_THE_TIME[piece]
                out.append(spelled.format(getattr(local, field)))
            else:
                out.append(dateformat.format(local, piece))
        return "".join(out)


_CLOCKS: dict[tuple[str | None, str], RowClock] = {}


def clock_for(named: str) -> RowClock:
    """The :class:`RowClock` of ``named`` in the active language, shared by every request in it."""
    key = (translation.get_language(), named)
    clock = _CLOCKS.get(key)
    if clock is None or len(clock.days) > MAX_DAYS:
        clock = _CLOCKS[key] = RowClock(named)
    return clock
