"""Spaced repetition with FSRS (package `fsrs` 6.x): the daily queue and the review log.

Public API (every function takes `now`, a timezone-aware datetime, so tests and
simulations can move time; callers pass `tutor.store.utcnow()`):

- `scheduler(db) -> fsrs.Scheduler` — the learner's scheduler: desired retention
  (setting `srs.desired_retention`, default 0.9), their optimised parameters
  (setting `srs.parameters`, written by `optimize`) and FSRS's own learning steps.
- `build_queue(db, now, *, lesson=None, new_limit=None) -> Queue` — today's queue:
  `Queue.due` (card ids, lowest retrievability first: Review cards due today and
  (re)learning cards due within the learn-ahead window) then `Queue.new` (cards
  never seen, up to the daily limit `srs.new_per_day`, default 10, minus the new
  cards already introduced today; taken in lesson order, interleaved round-robin
  over the first `NEW_LESSON_WINDOW` lessons that still have new cards).
  `Queue.ids` is both, in order.
- `record_review(db, card_id, rating, *, now, ...) -> ReviewResult` — applies FSRS,
  appends one row to the review log and updates the card, in ONE committed
  transaction; when it returns the review is on disk. `cram=True` logs the review
  without rescheduling the card.
- `suggest_rating(verdict, duration_ms, kind) -> Rating` — incorrect → Again,
  partial → Hard, correct → Good, correct and quick (under `QUICK_MS[kind]`) → Easy.
- `retrievability(stability, elapsed_days, parameters)` — FSRS's forgetting curve,
  vectorised with numpy (elapsed in whole days, as fsrs computes it).
- `card_retrievability(db, now, ids=None)` — {card id: R} for reviewed cards.
- `optimize(db, now) -> OptimizeResult` — fits the learner's own parameters with
  fsrs's Optimizer once there are `MIN_OPTIMIZE_REVIEWS` reviews spaced a day or
  more apart (cram reviews excluded); otherwise says how many more are needed.
- settings: `new_per_day(db)` / `set_new_per_day`, `desired_retention(db)` /
  `set_desired_retention` (0.70-0.99), `parameters(db)`, `has_fitted_parameters(db)`.
- `day_start(now)`, `local_day(now)` — the learner's day (local midnight), used by the
  daily limit, stats and streaks.

Ratings are `fsrs.Rating` (Again=1, Hard=2, Good=3, Easy=4); `parse_rating` accepts
1-4 or the names. Times in the database are ISO-8601 UTC text with microseconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import Card, Rating, ReviewLog, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from tutor.errors import TutorError
from tutor.store import get_setting, set_setting

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

DEFAULT_NEW_PER_DAY = 10
DEFAULT_RETENTION = 0.9
NEW_LESSON_WINDOW = 2  # new cards interleave across this many lessons at a time
LEARN_AHEAD = timedelta(minutes=20)  # learning cards due this soon count as due now
MIN_OPTIMIZE_REVIEWS = 512  # fsrs's optimizer returns the defaults below this
QUICK_MS = {"mcq": 6_000, "cloze": 8_000, "short": 20_000}  # "correct and quick" → Easy
RATING_NAMES = {
    Rating.Again: "Again",
    Rating.Hard: "Hard",
    Rating.Good: "Good",
    Rating.Easy: "Easy",
}
STATE_NAMES = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}

SETTING_NEW_PER_DAY = "srs.new_per_day"
SETTING_RETENTION = "srs.desired_retention"
SETTING_PARAMETERS = "srs.parameters"


class ReviewError(TutorError):
    """A review cannot be recorded (unknown or retired card, bad rating)."""


# --- time ---------------------------------------------------------------------------


def iso(dt: datetime) -> str:
    """The one text form of a time in the database: UTC, microseconds, '+00:00'."""
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_day(now: datetime) -> date:
    """The learner's calendar day (local time zone) at `now`."""
    return now.astimezone().date()


def midnight(day: date) -> datetime:
    """Local midnight at the start of `day`, as UTC (daylight saving time respected)."""
    return datetime(day.year, day.month, day.day).astimezone(UTC)


def day_start(now: datetime) -> datetime:
    """Local midnight that began the learner's day, as UTC."""
    return midnight(local_day(now))


def day_end(now: datetime) -> datetime:
    """Local midnight that ends the learner's day, as UTC."""
    return midnight(local_day(now) + timedelta(days=1))


def day_bounds(first: date, count: int) -> list[tuple[str, str]]:
    """[(start, end)] ISO UTC bounds of `count` local days from `first`."""
    edges = [iso(midnight(first + timedelta(days=i))) for i in range(count + 1)]
    return list(zip(edges, edges[1:], strict=False))


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return now.astimezone(UTC)


# --- ratings and the scheduler --------------------------------------------------------


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


def has_fitted_parameters(db: sqlite_utils.Database) -> bool:
    return parameters(db) != tuple(DEFAULT_PARAMETERS)


def scheduler(db: sqlite_utils.Database) -> Scheduler:
    """The learner's FSRS scheduler (their parameters and desired retention)."""
    return Scheduler(parameters=parameters(db), desired_retention=desired_retention(db))


def fsrs_id(card_id: str) -> int:
    """A stable positive 62-bit integer for fsrs.Card / ReviewLog from a card's text id."""
    return int.from_bytes(hashlib.blake2b(card_id.encode(), digest_size=8).digest(), "big") >> 2


def new_fsrs_card(card_id: str, now: datetime) -> Card:
    return Card(card_id=fsrs_id(card_id), due=_utc(now))


# --- retrievability -------------------------------------------------------------------


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


def _julian(dt: datetime) -> float:
    return dt.timestamp() / 86400.0 + 2440587.5


def card_retrievability(
    db: sqlite_utils.Database, now: datetime, ids: list[str] | None = None
) -> dict[str, float]:
    """{card id: retrievability now} for the given (or all active) cards; new cards → 0."""
    import numpy as np

    sql = "SELECT id, stability, julianday(last_review) FROM cards WHERE " + (
        "id IN (SELECT value FROM json_each(?))" if ids is not None else "status = 'active'"
    )
    rows = db.execute(sql, [json.dumps(ids)] if ids is not None else []).fetchall()
    if not rows:
        return {}
    stab = np.array([r[1] if r[1] is not None else np.nan for r in rows], dtype=np.float64)
    last = np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=np.float64)
    r = retrievability(stab, _julian(_utc(now)) - last, parameters(db))
    r = np.where(np.isnan(last), 0.0, r)
    return {row[0]: float(x) for row, x in zip(rows, r, strict=True)}


# --- the daily queue ---------------------------------------------------------------------


@dataclass
class Queue:
    due: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    new_introduced_today: int = 0
    new_limit: int = DEFAULT_NEW_PER_DAY

    @property
    def ids(self) -> list[str]:
        return self.due + self.new

    def __len__(self) -> int:
        return len(self.due) + len(self.new)


def new_introduced_today(db: sqlite_utils.Database, now: datetime) -> int:
    return db.execute(
        "SELECT count(*) FROM reviews WHERE state_before IS NULL AND cram = 0 "
        "AND reviewed_at >= ? AND reviewed_at < ?",
        [iso(day_start(now)), iso(day_end(now))],
    ).fetchone()[0]


def due_ids(db: sqlite_utils.Database, now: datetime, *, lesson: str | None = None) -> list[str]:
    """Reviewed cards due today, lowest retrievability (most overdue for its stability) first.

    Review cards count when due before the end of the learner's day; learning and
    relearning cards when due within `LEARN_AHEAD` (their steps are minutes long).
    Ordering by elapsed/stability descending is ordering by retrievability
    ascending, since the forgetting curve is monotonic in t/S.
    """
    now = _utc(now)
    args: list[object] = [
        _julian(now),
        iso(day_end(now)),
        int(State.Review),
        iso(now + LEARN_AHEAD),
    ]
    where = ""
    if lesson:
        where = " AND lesson_id = ?5"
        args.append(lesson)
    rows = db.execute(
        "SELECT id FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND due <= ?2 "
        "AND (state = ?3 OR due <= ?4)" + where + " "
        "ORDER BY (?1 - julianday(last_review)) / max(stability, 0.001) DESC, due, id",
        args,
    ).fetchall()
    return [r[0] for r in rows]


def new_ids(db: sqlite_utils.Database, limit: int, *, lesson: str | None = None) -> list[str]:
    """Up to `limit` never-seen cards: lesson order, round-robin over the first lessons."""
    if limit <= 0:
        return []
    if lesson:
        rows = db.execute(
            "SELECT id FROM cards INDEXED BY cards_new WHERE status = 'active' "
            "AND last_review IS NULL AND lesson_id = ? ORDER BY lesson_order, position LIMIT ?",
            [lesson, limit],
        ).fetchall()
        return [r[0] for r in rows]
    orders = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT lesson_order FROM cards INDEXED BY cards_new "
            "WHERE status = 'active' AND last_review IS NULL ORDER BY lesson_order LIMIT ?",
            [NEW_LESSON_WINDOW],
        )
    ]
    per_lesson = [
        [
            r[0]
            for r in db.execute(
                "SELECT id FROM cards INDEXED BY cards_new WHERE status = 'active' "
                "AND last_review IS NULL AND lesson_order = ? ORDER BY position LIMIT ?",
                [order, limit],
            )
        ]
        for order in orders
    ]
    out: list[str] = []
    i = 0
    while len(out) < limit and any(i < len(ids) for ids in per_lesson):
        for ids in per_lesson:
            if i < len(ids) and len(out) < limit:
                out.append(ids[i])
        i += 1
    return out


def build_queue(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    new_limit: int | None = None,
) -> Queue:
    """Today's queue: due cards first, then new cards up to what is left of the daily limit."""
    limit = new_per_day(db) if new_limit is None else new_limit
    introduced = new_introduced_today(db, now)
    due = due_ids(db, now, lesson=lesson)
    new = new_ids(db, max(0, limit - introduced), lesson=lesson)
    return Queue(due=due, new=new, new_introduced_today=introduced, new_limit=limit)


# --- recording a review ----------------------------------------------------------------


@dataclass(frozen=True)
class ReviewResult:
    review_id: int
    card_id: str
    rating: Rating
    reviewed_at: datetime
    due: datetime  # next due (unchanged for a cram review)
    state: State
    cram: bool

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
) -> ReviewResult:
    """Apply one review and commit it (review log row + card state) before returning."""
    rating = parse_rating(rating)
    now = _utc(now)
    sched = sched or scheduler(db)
    if duration_ms is not None:
        duration_ms = max(0, int(duration_ms))
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT fsrs, last_review, status FROM cards WHERE id = ?", [card_id]
        ).fetchone()
        if row is None:
            raise ReviewError(f"no card {card_id!r}")
        if row[2] != "active" and not cram:
            raise ReviewError(f"card {card_id!r} is retired")
        card = Card.from_dict(json.loads(row[0]))
        state_before = None if row[1] is None else int(card.state)
        if not cram:
            card, _ = sched.review_card(card, rating, now, duration_ms)
        cur = conn.execute(
            "INSERT INTO reviews (card_id, rating, suggested, reviewed_at, duration_ms, answer, "
            "verdict, score, state_before, cram) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                card_id,
                int(rating),
                int(suggested) if suggested is not None else None,
                iso(now),
                duration_ms,
                answer,
                verdict,
                score,
                state_before,
                int(cram),
            ],
        )
        review_id = cur.lastrowid
        if not cram:
            conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                "last_review = ?, fsrs = ? WHERE id = ?",
                [
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    iso(card.due),
                    iso(card.last_review) if card.last_review else None,
                    json.dumps(card.to_dict()),
                    card_id,
                ],
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return ReviewResult(
        review_id=review_id,
        card_id=card_id,
        rating=rating,
        reviewed_at=now,
        due=card.due,
        state=card.state,
        cram=cram,
    )


# --- the optimizer ---------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeResult:
    spaced_reviews: int  # reviews a day or more after the card's previous one
    needed: int  # how many more such reviews the optimizer needs (0 when enough)
    parameters: tuple[float, ...]
    changed: bool

    @property
    def enough(self) -> bool:
        return self.needed == 0


def spaced_review_count(db: sqlite_utils.Database) -> int:
    """Reviews at least one whole day after the same card's previous (non-cram) review."""
    return db.execute(
        """
        SELECT count(*) FROM (
            SELECT julianday(reviewed_at)
                 - julianday(lag(reviewed_at) OVER (PARTITION BY card_id ORDER BY reviewed_at))
                   AS gap
            FROM reviews WHERE cram = 0
        ) WHERE gap >= 1
        """
    ).fetchone()[0]


def review_logs(db: sqlite_utils.Database) -> list[ReviewLog]:
    """The non-cram review log as fsrs ReviewLogs (for the optimizer)."""
    return [
        ReviewLog(
            card_id=fsrs_id(card_id),
            rating=Rating(rating),
            review_datetime=parse_iso(at),
            review_duration=duration,
        )
        for card_id, rating, at, duration in db.execute(
            "SELECT card_id, rating, reviewed_at, duration_ms FROM reviews WHERE cram = 0 "
            "ORDER BY id"
        )
    ]


def optimize(
    db: sqlite_utils.Database, *, save: bool = True, verbose: bool = False
) -> OptimizeResult:
    """Fit the learner's FSRS parameters from their review log (slow: imports torch)."""
    count = spaced_review_count(db)
    current = parameters(db)
    if count < MIN_OPTIMIZE_REVIEWS:
        return OptimizeResult(count, MIN_OPTIMIZE_REVIEWS - count, current, False)
    from fsrs.optimizer import Optimizer

    fitted = tuple(float(x) for x in Optimizer(review_logs(db)).compute_optimal_parameters(verbose))
    changed = any(abs(a - b) > 1e-9 for a, b in zip(fitted, current, strict=True))
    if save:
        set_setting(db, SETTING_PARAMETERS, list(fitted))
    return OptimizeResult(count, 0, fitted, changed)
