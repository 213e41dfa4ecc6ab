"""FSRS scheduling: suggested ratings, committed reviews, the daily queue, cram, optimizer."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fsrs import Card, Rating, Scheduler, State
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards, upsert
from tutor.course import load_course
from tutor.store import reviews
from tutor.store.cards import get_card
from tutor.study import clock, queue, schedule

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    return store.connect()


def make_cards(db, n: int, *, lessons: int = 1, now: datetime = NOW) -> list[str]:
    """n synthetic active cards spread over `lessons` lessons (no course needed)."""
    rows = []
    for i in range(n):
        lesson = i % lessons
        rows.append(
            {
                "id": f"c{i:05d}",
                "origin": "course",
                "source": "authored",
                "kind": "short",
                "lesson_id": f"lesson-{lesson}",
                "lesson_title": f"Lesson {lesson}",
                "lesson_order": lesson,
                "position": i,
                "section_id": None,
                "question": f"Question {i}?",
                "answer": f"Answer {i}",
                "accept": "[]",
                "choices": "[]",
                "explanation": "",
                "chunk_id": None,
                "source_heading": None,
                "source_path": None,
                "source_line": None,
                "source_text": None,
            }
        )
    upsert(db, rows, "course", now)
    return [r["id"] for r in rows]


@pytest.mark.parametrize(
    ("verdict", "ms", "kind", "rating"),
    [
        ("incorrect", 1000, "short", Rating.Again),
        ("partial", 1000, "short", Rating.Hard),
        ("correct", 60_000, "short", Rating.Good),
        ("correct", 3_000, "short", Rating.Easy),
        ("correct", 3_000, "mcq", Rating.Easy),
        ("correct", 12_000, "mcq", Rating.Good),
        ("correct", 0, "cloze", Rating.Good),  # unknown duration (piped) is never "quick"
        ("correct", None, "cloze", Rating.Good),
    ],
)
def test_grade_suggests_rating(verdict, ms, kind, rating):
    assert schedule.suggest_rating(verdict, ms, kind) == rating


def test_parse_rating():
    assert schedule.parse_rating("again") == Rating.Again
    assert schedule.parse_rating(" 4 ") == Rating.Easy
    assert schedule.parse_rating("h") == Rating.Hard
    with pytest.raises(schedule.ReviewError):
        schedule.parse_rating("7")


def test_review_is_committed_and_logged(db, tmp_path):
    (card_id,) = make_cards(db, 1)
    result = schedule.record_review(
        db,
        card_id,
        Rating.Good,
        now=NOW,
        duration_ms=4200,
        answer="my answer",
        verdict="correct",
        score=0.93,
        suggested=Rating.Easy,
    )
    # another connection sees it at once: the review is on disk, not in a transaction
    other = sqlite3.connect(tmp_path / "home" / "tutor.db")
    row = other.execute(
        "SELECT card_id, rating, suggested, reviewed_at, duration_ms, answer, verdict, score, "
        "state_before, cram FROM reviews"
    ).fetchone()
    assert row == (
        card_id,
        3,
        4,
        "2026-03-02T12:00:00.000000+00:00",
        4200,
        "my answer",
        "correct",
        0.93,
        None,
        0,
    )
    card = get_card(db, card_id)
    assert card.last_review == clock.iso(NOW)
    assert card.due == clock.iso(result.due)
    assert card.state == State.Learning  # the first learning step, as FSRS does it
    assert result.due - NOW == timedelta(minutes=10)


def test_again_sends_a_card_through_fsrs_learning_steps(db):
    (card_id,) = make_cards(db, 1)
    result = schedule.record_review(db, card_id, Rating.Again, now=NOW)
    assert result.state == State.Learning and result.due - NOW == timedelta(minutes=1)
    result = schedule.record_review(db, card_id, Rating.Good, now=result.due)
    assert result.state == State.Learning and result.due - NOW > timedelta(minutes=10)
    result = schedule.record_review(db, card_id, Rating.Good, now=result.due)
    assert result.state == State.Review and result.interval >= timedelta(days=1)
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 3


def test_cram_logs_without_rescheduling(db):
    (card_id,) = make_cards(db, 1)
    schedule.record_review(db, card_id, Rating.Good, now=NOW)
    before = get_card(db, card_id)
    schedule.record_review(db, card_id, Rating.Again, now=NOW + timedelta(hours=1), cram=True)
    after = get_card(db, card_id)
    assert (after.due, after.stability, after.state) == (before.due, before.stability, before.state)
    assert db.execute("SELECT cram FROM reviews ORDER BY id").fetchall() == [(0,), (1,)]


def test_unknown_or_retired_card_is_a_clear_error(db):
    (card_id,) = make_cards(db, 1)
    with pytest.raises(schedule.ReviewError, match="no card"):
        schedule.record_review(db, "nope", 3, now=NOW)
    db.execute("UPDATE cards SET status = 'retired' WHERE id = ?", [card_id])
    with pytest.raises(schedule.ReviewError, match="retired"):
        schedule.record_review(db, card_id, 3, now=NOW)


def _make_reviewed(db, card_id, *, stability: float, days_ago: float, due_in_days: float):
    last = NOW - timedelta(days=days_ago)
    card = Card(
        card_id=schedule.fsrs_id(card_id),
        state=State.Review,
        step=None,
        stability=stability,
        difficulty=5.0,
        due=NOW + timedelta(days=due_in_days),
        last_review=last,
    )
    import json

    db.execute(
        "UPDATE cards SET state = 2, step = NULL, stability = ?, difficulty = 5, due = ?, "
        "last_review = ?, fsrs = ? WHERE id = ?",
        [stability, clock.iso(card.due), clock.iso(last), json.dumps(card.to_dict()), card_id],
    )


def test_queue_due_first_lowest_retrievability_then_new_up_to_the_limit(db):
    ids = make_cards(db, 40, lessons=4)
    # three due cards with different retrievability, one not due yet
    _make_reviewed(db, ids[0], stability=10, days_ago=12, due_in_days=-2)  # R ≈ 0.88
    _make_reviewed(db, ids[1], stability=2, days_ago=6, due_in_days=-4)  # R ≈ 0.75
    _make_reviewed(db, ids[2], stability=30, days_ago=31, due_in_days=0)  # R ≈ 0.90 (today)
    _make_reviewed(db, ids[3], stability=30, days_ago=1, due_in_days=29)
    q = queue.build_queue(db, NOW)
    r = schedule.card_retrievability(db, NOW, q.due)
    assert q.due == [ids[1], ids[0], ids[2]]
    assert r[ids[1]] < r[ids[0]] < r[ids[2]]
    # new cards: default limit 10, lesson order, interleaved across the first lessons
    assert len(q.new) == schedule.DEFAULT_NEW_PER_DAY
    lessons = [get_card(db, i).lesson_id for i in q.new]
    assert lessons[:4] == ["lesson-0", "lesson-1", "lesson-0", "lesson-1"]
    assert set(lessons) == {"lesson-0", "lesson-1"}
    lesson0 = [i for i in q.new if get_card(db, i).lesson_id == "lesson-0"]
    assert lesson0 == sorted(lesson0)  # in lesson order
    assert q.ids == q.due + q.new

    # the daily limit is a setting, and new cards introduced today count against it
    store.set_setting(db, schedule.SETTING_NEW_PER_DAY, 3)
    schedule.record_review(db, q.new[0], Rating.Good, now=NOW)
    assert len(queue.build_queue(db, NOW).new) == 2
    assert len(queue.build_queue(db, NOW + timedelta(days=1)).new) == 3
    # one lesson only
    only = queue.build_queue(db, NOW, lesson="lesson-3")
    assert {get_card(db, i).lesson_id for i in only.ids} == {"lesson-3"}


def test_desired_retention_setting_changes_intervals(db):
    a, b = make_cards(db, 2)
    store.set_setting(db, schedule.SETTING_RETENTION, 0.9)
    schedule.record_review(db, a, Rating.Good, now=NOW)
    ra = schedule.record_review(db, a, Rating.Good, now=NOW + timedelta(minutes=10))
    store.set_setting(db, schedule.SETTING_RETENTION, 0.97)
    schedule.record_review(db, b, Rating.Good, now=NOW)
    rb = schedule.record_review(db, b, Rating.Good, now=NOW + timedelta(minutes=10))
    assert schedule.desired_retention(db) == 0.97
    assert rb.interval < ra.interval


def test_vectorised_retrievability_matches_fsrs():
    scheduler = Scheduler()
    stability = np.array([0.5, 3.0, 10.0, 100.0])
    elapsed = np.array([0.0, 2.5, 30.0, 400.0])
    ours = schedule.retrievability(stability, elapsed)
    for s, t, r in zip(stability, elapsed, ours, strict=True):
        card = Card(
            state=State.Review,
            stability=float(s),
            difficulty=5.0,
            last_review=NOW,
            due=NOW,
        )
        assert r == pytest.approx(
            scheduler.get_card_retrievability(card, NOW + timedelta(days=float(t)))
        )


def test_optimizer_says_how_many_more_reviews_it_needs(db):
    (card_id,) = make_cards(db, 1)
    for day in range(3):
        schedule.record_review(db, card_id, Rating.Good, now=NOW + timedelta(days=day * 2))
    result = schedule.optimize(db)
    assert not result.enough
    assert result.spaced_reviews == 2
    assert result.needed == schedule.MIN_OPTIMIZE_REVIEWS - 2
    assert result.parameters == schedule.parameters(db)


def test_optimizer_fits_parameters_from_a_simulated_history(db):
    """A learner who remembers far better than FSRS's defaults expect: parameters move."""
    rng = random.Random(7)
    ids = make_cards(db, 120)
    sched = schedule.scheduler(db)
    for n, card_id in enumerate(ids):
        now = NOW + timedelta(minutes=n)
        for _ in range(7):
            card = get_card(db, card_id)
            recalled = card.last_review is None or rng.random() < 0.97
            rating = Rating.Good if recalled else Rating.Again
            if recalled and rng.random() < 0.2:
                rating = Rating.Easy
            result = schedule.record_review(db, card_id, rating, now=now, sched=sched)
            now = max(result.due, now + timedelta(minutes=1))
    assert reviews.spaced_review_count(db) >= schedule.MIN_OPTIMIZE_REVIEWS
    result = schedule.optimize(db)
    assert result.enough and result.changed
    assert result.parameters != tuple(schedule.DEFAULT_PARAMETERS)
    assert schedule.parameters(db) == result.parameters  # saved, and the scheduler uses them
    assert schedule.scheduler(db).parameters == result.parameters


def test_sync_then_queue_over_a_real_course(db, tmp_path):
    sync_cards(db, load_course(write_course(tmp_path / "course")))
    q = queue.build_queue(db, NOW)
    assert q.due == [] and len(q.new) == 10
    first = [get_card(db, i) for i in q.new[:2]]
    assert [c.lesson_id for c in first] == ["basics", "vision"]


def test_cli_optimize_says_how_many_more_reviews_are_needed(db):
    from click.testing import CliRunner

    from tutor.cli import cli

    (card_id,) = make_cards(db, 1)
    schedule.record_review(db, card_id, Rating.Good, now=NOW)
    result = CliRunner().invoke(cli, ["optimize"])
    assert result.exit_code == 0, result.output
    assert f"needs {schedule.MIN_OPTIMIZE_REVIEWS} more" in result.output


def test_cli_schedule_shows_and_changes_the_settings(db):
    from click.testing import CliRunner

    from tutor.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["schedule", "--new-per-day", "15", "--retention", "0.85"])
    assert result.exit_code == 0, result.output
    assert "New cards per day: 15" in result.output and "Desired retention: 0.85" in result.output
    assert schedule.new_per_day(db) == 15 and schedule.desired_retention(db) == 0.85
    result = runner.invoke(cli, ["schedule", "--retention", "1.5"])
    assert result.exit_code != 0 and "between 0.70 and 0.99" in result.output
