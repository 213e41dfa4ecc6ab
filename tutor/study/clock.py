"""Time for studying: the one text form of a time in the database, and the learner's day.

Why a module of its own: the daily limit, the streak and the forecast all turn on
"the learner's day" (local midnight to local midnight, daylight saving time
included), so its time zone is set in one place. It is the machine's local zone
unless `set_zone` (or `TUTOR_TZ`, an IANA name) says otherwise; tests pin it so
they do not depend on the machine they run on.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo

_zone: tzinfo | None = None


def set_zone(zone: tzinfo | str | None) -> None:
    """Use `zone` (a tzinfo or an IANA name) for the learner's day; None: the machine's."""
    global _zone
    if isinstance(zone, str):
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(zone)
    _zone = zone


def zone() -> tzinfo | None:
    if _zone is None and os.environ.get("TUTOR_TZ"):
        set_zone(os.environ["TUTOR_TZ"])
    return _zone


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return now.astimezone(UTC)


def iso(dt: datetime) -> str:
    """The one text form of a time in the database: UTC, microseconds, '+00:00'."""
    return utc(dt).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def julian(dt: datetime) -> float:
    """SQLite's julianday() of a time, for ordering by elapsed time in SQL."""
    return dt.timestamp() / 86400.0 + 2440587.5


def local_day(now: datetime) -> date:
    """The learner's calendar day at `now`."""
    return now.astimezone(zone()).date()


def midnight(day: date) -> datetime:
    """Midnight at the start of the learner's `day`, as UTC (daylight saving time respected)."""
    z = zone()
    if z is None:
        return datetime(day.year, day.month, day.day).astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=z).astimezone(UTC)


def day_start(now: datetime) -> datetime:
    """Midnight that began the learner's day, as UTC."""
    return midnight(local_day(now))


def day_end(now: datetime) -> datetime:
    """Midnight that ends the learner's day, as UTC."""
    return midnight(local_day(now) + timedelta(days=1))


def day_bounds(first: date, count: int) -> list[tuple[str, str]]:
    """[(start, end)] ISO UTC bounds of `count` of the learner's days from `first`."""
    edges = [iso(midnight(first + timedelta(days=i))) for i in range(count + 1)]
    return list(zip(edges, edges[1:], strict=False))


def describe_wait(seconds: float) -> str:
    """'now', 'in 10 min', 'in 3 h', 'tomorrow', 'in 12 days': when a card comes back."""
    if seconds <= 0:
        return "now"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"in {round(seconds / 3600)} h"
    days = round(seconds / 86400)
    return "tomorrow" if days <= 1 else f"in {days} days"
