"""FSRS scheduling (package `fsrs` 6.x): ratings, the learner's scheduler and settings,
the forgetting curve, recording a review, and fitting the learner's own parameters.

- `scheduler(db)`: desired retention (setting `srs.desired_retention`, default 0.9),
  the learner's fitted parameters (setting `srs.parameters`, written by `optimize`)
  and FSRS's own learning steps.
- `record_review(db, card_id, rating, *, now, ...) -> ReviewResult`: applies FSRS,
  appends one row to the review log and updates the card, in ONE committed
  transaction (`tutor.store.reviews.record`); `cram=True` logs the review without
  rescheduling the card.
- `leech_lapses(db)`: the lapse count that tags a card a leech and suspends it
  (setting `srs.leech_lapses`, default 8, 0 = off); `record_review` applies it in
  the review's own transaction and says so in `ReviewResult.leech`.
- `suggest_rating(verdict, duration_ms, kind)`: incorrect → Again, partial → Hard,
  correct → Good, correct and quick (under `QUICK_MS[kind]`) → Easy.
- `retrievability(stability, elapsed_days, parameters)`: the one copy of FSRS's
  forgetting curve in the tutor, vectorised with numpy (elapsed in whole days, as
  fsrs computes it); `card_retrievability(db, now, ids)` applies it to cards.
- `optimize(db)`: fits the learner's parameters with fsrs's Optimizer once there
  are `MIN_OPTIMIZE_REVIEWS` reviews spaced a day or more apart.

Ratings are `fsrs.Rating` (Again=1, Hard=2, Good=3, Easy=4); `parse_rating` accepts
1-4 or the names. Every function takes `now`, a timezone-aware datetime.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import Card, Rating, ReviewLog, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from tutor.store import cards as card_rows
from tutor.store import get_setting, set_setting
from tutor.store import reviews as review_log
from tutor.store.reviews import ReviewError
from tutor.study.clock import iso, julian, parse_iso, utc

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

__all__ = ["ReviewError"]

DEFAULT_NEW_PER_DAY = 10
DEFAULT_RETENTION = 0.9
MIN_OPTIMIZE_REVIEWS = 512  # fsrs's optimizer returns the defaults below this
QUICK_MS = {"mcq": 6_000, "cloze": 8_000, "short": 20_000}  # "correct and quick" → Easy
RATING_NAMES = {
    Rating.Again: "Again",
    Rating.Hard: "Hard",
    Rating.Good: "Good",
    Rating.Easy: "Easy",
}

SETTING_NEW_PER_DAY = "srs.new_per_day"
SETTING_RETENTION = "srs.desired_retention"
SETTING_PARAMETERS = "srs.parameters"
SETTING_LEECH_LAPSES = "srs.leech_lapses"
DEFAULT_LEECH_LAPSES = 8  # Anki's default: the eighth lapse tags a card a leech


def parse_rating(value: object) -> Rating:
    """1-4, a Rating, or a name ('again', 'hard', 'good', 'easy', or a/h/g/e)."""
    if isinstance(value, Rating):
        return value
    text = str(value).strip().lower()
    names = {"again": 1, "a": 1, "hard": 2, "h": 2, "good": 3, "g": 3, "easy": 4, "e": 4}
    if text in names:
        return Rating(names[text])
    if text in ("1", "2", "3", "4"):
        return Rating(int(text))
    raise ReviewError(f"rating {value!r} is not one of 1-4 or again/hard/good/easy")


def suggest_rating(verdict: str, duration_ms: int | None, kind: str = "short") -> Rating:
    """What the grade suggests: incorrect → Again, partial → Hard, correct → Good or Easy."""
    if verdict == "incorrect":
        return Rating.Again
    if verdict == "partial":
        return Rating.Hard
    quick = QUICK_MS.get(kind, QUICK_MS["short"])
    if duration_ms is not None and 0 < duration_ms <= quick:
        return Rating.Easy
    return Rating.Good


def parameters(db: sqlite_utils.Database) -> tuple[float, ...]:
    saved = get_setting(db, SETTING_PARAMETERS)
    if isinstance(saved, list) and len(saved) == len(DEFAULT_PARAMETERS):
        return tuple(float(x) for x in saved)
    return tuple(DEFAULT_PARAMETERS)


def desired_retention(db: sqlite_utils.Database) -> float:
    value = get_setting(db, SETTING_RETENTION, DEFAULT_RETENTION)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return DEFAULT_RETENTION
    return value if 0.7 <= value <= 0.99 else DEFAULT_RETENTION


def new_per_day(db: sqlite_utils.Database) -> int:
    value = get_setting(db, SETTING_NEW_PER_DAY, DEFAULT_NEW_PER_DAY)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_NEW_PER_DAY


def set_new_per_day(db: sqlite_utils.Database, value: int) -> None:
    if not 0 <= int(value) <= 1000:
        raise ReviewError(f"new cards per day must be 0 to 1000, not {value}")
    set_setting(db, SETTING_NEW_PER_DAY, int(value))


def set_desired_retention(db: sqlite_utils.Database, value: float) -> None:
    if not 0.7 <= float(value) <= 0.99:
        raise ReviewError(f"desired retention must be between 0.70 and 0.99, not {value}")
    set_setting(db, SETTING_RETENTION, float(value))


def leech_lapses(db: sqlite_utils.Database) -> int:
    """Lapses that make a card a leech (setting `srs.leech_lapses`; 0 turns leeches off)."""
    value = get_setting(db, SETTING_LEECH_LAPSES, DEFAULT_LEECH_LAPSES)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_LEECH_LAPSES


def set_leech_lapses(db: sqlite_utils.Database, value: int) -> None:
    if not 0 <= int(value) <= 100:
        raise ReviewError(f"leech lapses must be 0 (off) to 100, not {value}")
    set_setting(db, SETTING_LEECH_LAPSES, int(value))


def has_fitted_parameters(db: sqlite_utils.Database) -> bool:
    return parameters(db) != tuple(DEFAULT_PARAMETERS)


def scheduler(db: sqlite_utils.Database) -> Scheduler:
    """The learner's FSRS scheduler (their parameters and desired retention)."""
    return Scheduler(parameters=parameters(db), desired_retention=desired_retention(db))


def fsrs_id(card_id: str) -> int:
    """A stable positive 62-bit integer for fsrs.Card / ReviewLog from a card's text id."""
    return int.from_bytes(hashlib.blake2b(card_id.encode(), digest_size=8).digest(), "big") >> 2


def new_fsrs_card(card_id: str, now: datetime) -> Card:
    return Card(card_id=fsrs_id(card_id), due=utc(now))


def new_card_state(card_id: str, now: datetime) -> dict:
    """The scheduling columns of a card never reviewed (for `store.cards.upsert_rows`)."""
    card = new_fsrs_card(card_id, now)
    return {
        "fsrs_id": card.card_id,
        "state": int(card.state),
        "step": card.step,
        "due": iso(card.due),
        "fsrs": json.dumps(card.to_dict()),
    }


def retrievability(
    stability: np.ndarray, elapsed_days: np.ndarray, params: tuple[float, ...] | None = None
) -> np.ndarray:
    """FSRS forgetting curve R = (1 + F·t/S)^-w20, vectorised; NaN stability → 0."""
    import numpy as np

    decay = -(params or DEFAULT_PARAMETERS)[20]
    factor = 0.9 ** (1 / decay) - 1
    s = np.asarray(stability, dtype=np.float64)
    t = np.maximum(np.floor(np.asarray(elapsed_days, dtype=np.float64)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (1 + factor * t / s) ** decay
    return np.where(np.isfinite(r) & (s > 0), r, 0.0)


def card_retrievability(
    db: sqlite_utils.Database, now: datetime, ids: list[str] | None = None
) -> dict[str, float]:
    """{card id: retrievability now} for the given (or all active) cards; new cards → 0."""
    return {card_id: r for card_id, _lesson, r in memory(db, now, ids)}


def memory(
    db: sqlite_utils.Database, now: datetime, ids: list[str] | None = None
) -> list[tuple[str, str, float]]:
    """(card id, lesson id, retrievability now) for the given (or all active) cards."""
    import numpy as np

    rows = card_rows.memory_rows(db, ids)
    if not rows:
        return []
    stab = np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=np.float64)
    last = np.array([r[3] if r[3] is not None else np.nan for r in rows], dtype=np.float64)
    r = retrievability(stab, julian(utc(now)) - last, parameters(db))
    r = np.where(np.isnan(last), 0.0, r)
    return [(row[0], row[1], float(x)) for row, x in zip(rows, r, strict=True)]


@dataclass(frozen=True)
class ReviewResult:
    review_id: int
    card_id: str
    rating: Rating
    reviewed_at: datetime
    due: datetime  # next due (unchanged for a cram review)
    state: State
    cram: bool
    leech: bool = False  # this review made the card a leech: it is tagged and suspended now
    lapses: int = 0

    @property
    def interval(self) -> timedelta:
        return self.due - self.reviewed_at


def record_review(
    db: sqlite_utils.Database,
    card_id: str,
    rating: Rating | int | str,
    *,
    now: datetime,
    duration_ms: int | None = None,
    answer: str | None = None,
    verdict: str | None = None,
    score: float | None = None,
    suggested: Rating | int | None = None,
    cram: bool = False,
    sched: Scheduler | None = None,
    leech_at: int | None = None,
) -> ReviewResult:
    """Apply one review and commit it (review log row + card state) before returning.

    `leech_at`: the lapse count that makes a leech (default: the setting; 0 = off).
    """
    rating = parse_rating(rating)
    if leech_at is None:
        leech_at = leech_lapses(db)
    now = utc(now)
    sched = sched or scheduler(db)
    if duration_ms is not None:
        duration_ms = max(0, int(duration_ms))

    def reschedule(card: Card) -> Card:
        return sched.review_card(card, rating, now, duration_ms)[0]

    recorded = review_log.record(
        db,
        card_id,
        rating=int(rating),
        at=iso(now),
        reschedule=None if cram else reschedule,
        suggested=int(suggested) if suggested is not None else None,
        duration_ms=duration_ms,
        answer=answer,
        verdict=verdict,
        score=score,
        leech_lapses=leech_at or None,
    )
    card = recorded.card
    return ReviewResult(
        review_id=recorded.review_id,
        card_id=card_id,
        rating=rating,
        reviewed_at=now,
        due=card.due,
        state=card.state,
        cram=cram,
        leech=recorded.leech,
        lapses=recorded.lapses,
    )


@dataclass(frozen=True)
class OptimizeResult:
    spaced_reviews: int  # reviews a day or more after the card's previous one
    needed: int  # how many more such reviews the optimizer needs (0 when enough)
    parameters: tuple[float, ...]
    changed: bool

    @property
    def enough(self) -> bool:
        return self.needed == 0


def review_logs(db: sqlite_utils.Database) -> list[ReviewLog]:
    """The non-cram review log as fsrs ReviewLogs (for the optimizer)."""
    return [
        ReviewLog(
            card_id=fsrs_id(card_id),
            rating=Rating(rating),
            review_datetime=parse_iso(at),
            review_duration=duration,
        )
        for card_id, rating, at, duration in review_log.log_rows(db)
    ]


def optimize(
    db: sqlite_utils.Database, *, save: bool = True, verbose: bool = False
) -> OptimizeResult:
    """Fit the learner's FSRS parameters from their review log (slow: imports torch)."""
    count = review_log.spaced_review_count(db)
    current = parameters(db)
    if count < MIN_OPTIMIZE_REVIEWS:
        return OptimizeResult(count, MIN_OPTIMIZE_REVIEWS - count, current, False)
    from fsrs.optimizer import Optimizer

    fitted = tuple(float(x) for x in Optimizer(review_logs(db)).compute_optimal_parameters(verbose))
    changed = any(abs(a - b) > 1e-9 for a, b in zip(fitted, current, strict=True))
    if save:
        set_setting(db, SETTING_PARAMETERS, list(fitted))
    return OptimizeResult(count, 0, fitted, changed)
