"""Study tools (issue 15): backups, undo, suspend/bury/flag, leeches, the card browser and
edits, the daily goal. Real SQLite files, the real course sync, the CLI through click."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from fsrs import Rating, State
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards
from tutor.cli import cli
from tutor.course import load_course
from tutor.services import Tutor
from tutor.store import backup as backups
from tutor.store.cards import get_card
from tutor.study import clock, queue, schedule
from tutor.study.session import Session
from tutor.study.stats import compute_stats
from tutor.study.undo import UndoError, undo_last_review

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MODEL_FREE = ["vision-output-size", "vision-feature-map", "basics-relu"]  # mcq / cloze


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def course_dir(tmp_path):
    return write_course(tmp_path / "course")


@pytest.fixture
def tutor(course_dir, tutor_home):
    t = Tutor(course_dir, tutor_home / "tutor.db", clock=Clock())
    t.sync_cards()
    yield t
    t.close()


def card_row(db, card_id: str) -> tuple:
    return db.execute(
        "SELECT state, step, stability, difficulty, due, last_review, fsrs, lapses, leech, "
        "suspended FROM cards WHERE id = ?",
        [card_id],
    ).fetchone()


def graduate(db, card_id: str, at: datetime) -> None:
    """Into the Review state (two Good reviews ten minutes apart)."""
    schedule.record_review(db, card_id, Rating.Good, now=at)
    schedule.record_review(db, card_id, Rating.Good, now=at + timedelta(minutes=10))


# ------------------------------------------------------------------------- backups


def test_a_restored_backup_has_every_review(tutor):
    db, now = tutor.db, tutor.clock()
    for i, card_id in enumerate(MODEL_FREE * 3):
        schedule.record_review(
            db, card_id, 1 + i % 4, now=now + timedelta(minutes=i), answer=str(i)
        )
    before = db.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    cards_before = db.execute("SELECT * FROM cards ORDER BY id").fetchall()
    made = tutor.backup()
    assert made.path.parent == tutor.db_path.parent / "backups" and made.reason == "manual"

    # the learner's data is then lost: later reviews, and the cards' state with them
    schedule.record_review(db, MODEL_FREE[0], 4, now=now + timedelta(hours=1))
    db.execute("DELETE FROM reviews WHERE id <= 3")

    report = tutor.restore(made.path.name)  # a name from the list works as well as a path
    assert report.reviews == len(before) and report.safety_backup is not None
    assert db.execute("SELECT * FROM reviews ORDER BY id").fetchall() == before
    assert db.execute("SELECT * FROM cards ORDER BY id").fetchall() == cards_before
    assert store.integrity(db) == "ok"
    fresh = store.connect(tutor.db_path)  # and from a new connection
    assert fresh.execute("SELECT * FROM reviews ORDER BY id").fetchall() == before
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # the data it replaced was kept: the restore itself can be taken back
    safety = sqlite3.connect(report.safety_backup)
    assert safety.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(before) + 1 - 3


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(tutor, tmp_path):
    db = tutor.db
    schedule.record_review(db, MODEL_FREE[0], 3, now=tutor.clock())
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(tutor.backup().path.read_bytes()[:8192] + b"\0garbage" * 4000)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    for bad, said in (
        (damaged, "damaged"),
        (foreign, "not a tutor database"),
        (text, "not a"),
        (tmp_path / "missing.db", "no such backup"),
    ):
        with pytest.raises(backups.BackupError, match=said):
            tutor.restore(bad)
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", "--restore", str(foreign)])
    assert result.exit_code == 1 and "not a tutor database" in result.output
    assert "Traceback" not in result.output


def test_daily_backup_on_first_use_only_with_data_and_once_a_day(tmp_path):
    path = tmp_path / "home" / "tutor.db"
    store.connect(path).conn.close()
    assert backups.list_backups(path) == []  # a brand-new file has nothing to keep
    store.connect(path).conn.close()  # the second open finds data (the schema) to keep
    made = backups.list_backups(path)
    assert [b.reason for b in made] == ["daily"]
    store.connect(path).conn.close()
    assert backups.list_backups(path) == made  # at most once a day


def test_backups_keep_the_newest_n(tmp_path):
    path = tmp_path / "tutor.db"
    db = store.connect(path)
    store.set_setting(db, backups.SETTING_KEEP, 3)
    for i in range(5):
        backups.make_backup(db.conn, path, now=T0 + timedelta(days=i))
    kept = backups.list_backups(path)
    assert [b.made_at.day for b in kept] == [6, 5, 4]  # newest first, the two oldest gone


def test_a_migration_backs_up_the_old_schema_first(tmp_path):
    from tutor.store.db import MIGRATIONS, sqlite_utils

    path = tmp_path / "tutor.db"
    old = sqlite_utils.Database(path)  # an older tutor's file: schema v3, one review in it
    for migration in MIGRATIONS[:3]:
        migration(old)
    old.execute("INSERT INTO reviews (card_id, rating, reviewed_at) VALUES ('x', 3, '2026-01-01')")
    old.execute("PRAGMA user_version = 3")
    old.conn.commit()
    old.conn.close()
    db = store.connect(path, backup=False)
    assert store.schema_version(db) == store.SCHEMA_VERSION
    (made,) = backups.list_backups(path)
    assert made.reason == f"before-v{store.SCHEMA_VERSION}-from-v3"
    saved = sqlite3.connect(made.path)
    assert saved.execute("PRAGMA user_version").fetchone()[0] == 3
    assert saved.execute("SELECT card_id FROM reviews").fetchall() == [("x",)]


def test_cli_backup_makes_lists_and_restores(tutor_home):
    runner = CliRunner()
    store.connect().conn.close()
    result = runner.invoke(cli, ["backup", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["made"]["reason"] == "manual"
    assert data["made"]["name"] in [b["name"] for b in data["backups"]]
    listed = json.loads(runner.invoke(cli, ["backup", "--list", "--json"]).output)
    assert listed["made"] is None and listed["backups"] == data["backups"]
    result = runner.invoke(cli, ["backup", "--restore", data["made"]["name"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["safety_backup"]
    result = runner.invoke(cli, ["backup", "--keep", "0"])
    assert result.exit_code == 1 and "1 to" in result.output


# ---------------------------------------------------------------------------- undo


def test_undo_puts_the_fsrs_state_back_and_keeps_an_append_only_record(tutor):
    db, now = tutor.db, tutor.clock()
    card_id = "vision-output-size"
    graduate(db, card_id, now - timedelta(days=30))
    before = card_row(db, card_id)
    stats_before = compute_stats(db, now)
    result = schedule.record_review(db, card_id, Rating.Again, now=now, answer="32")
    assert result.lapses == 1 and card_row(db, card_id) != before

    undone = tutor.undo()
    assert undone.card_id == card_id and undone.rating == Rating.Again
    assert card_row(db, card_id) == before  # state, stability, due, lapses: all as they were
    row = db.execute(
        "SELECT answer, undone_at FROM reviews WHERE id = ?", [result.review_id]
    ).fetchone()
    assert row[0] == "32" and row[1] is not None  # the review is kept, marked undone
    record = db.execute("SELECT review_id, card_id, fsrs_after FROM review_undos").fetchall()
    assert record[0][:2] == (result.review_id, card_id) and record[0][2] is not None
    stats = compute_stats(db, now)
    assert stats.reviews_today == stats_before.reviews_today
    assert stats.reviews_total == stats_before.reviews_total
    assert stats.due_today == stats_before.due_today
    with pytest.raises(UndoError, match="nothing to undo"):
        tutor.undo()  # the Good reviews were a month ago: not today's


def test_undo_works_after_a_restart_and_walks_back_through_the_day(tutor, course_dir):
    db, now = tutor.db, tutor.clock()
    states = []
    for i, card_id in enumerate(MODEL_FREE):
        states.append(card_row(db, card_id))
        schedule.record_review(db, card_id, Rating.Good, now=now + timedelta(minutes=i))
    tutor.close()
    later = Tutor(course_dir, tutor.db_path, clock=lambda: now + timedelta(hours=2))
    try:
        for card_id, state in reversed(list(zip(MODEL_FREE, states, strict=True))):
            assert later.undo().card_id == card_id  # newest first
            assert card_row(later.db, card_id) == state
        with pytest.raises(UndoError):
            later.undo()
        assert compute_stats(later.db, later.clock()).reviews_today == 0
    finally:
        later.close()


def test_undo_only_takes_back_todays_reviews_in_the_learners_time_zone(tutor):
    clock.set_zone("America/New_York")  # 15:00 UTC is 10:00 there; the day began 05:00 UTC
    db = tutor.db
    schedule.record_review(db, MODEL_FREE[0], 3, now=T0.replace(hour=4))  # yesterday there
    with pytest.raises(UndoError):
        undo_last_review(db, T0)
    schedule.record_review(db, MODEL_FREE[1], 3, now=T0.replace(hour=6))
    assert undo_last_review(db, T0).card_id == MODEL_FREE[1]


def test_undo_of_a_cram_review_moves_nothing(tutor):
    db = tutor.db
    before = card_row(db, MODEL_FREE[0])
    schedule.record_review(db, MODEL_FREE[0], 1, now=tutor.clock(), cram=True)
    result = tutor.undo()
    assert result.cram and result.due is None and card_row(db, MODEL_FREE[0]) == before


def test_session_undo_shows_the_card_again_and_fixes_the_summary(tutor):
    session = tutor.session("quiz", lesson="vision", limit=2, ids=MODEL_FREE[:2])
    card = session.next_card()
    session.submit(card.answer, 20_000)
    session.rate()
    second = session.next_card()
    assert session.summary().reviewed == 1
    result = session.undo()
    assert result.card_id == card.id
    assert session.summary().reviewed == 0 and not session.summary().ratings
    assert session.next_card().id == card.id  # asked again at once
    assert session.peek_ids() == [second.id]  # the card that was on screen comes after


# -------------------------------------------------------------- suspend, bury, flag


def _all_queues(db, now) -> set[str]:
    return (
        set(queue.build_queue(db, now, new_limit=1000).ids)
        | set(queue.quiz_ids(db, now, limit=1000))
        | set(queue.cram_ids(db, now))
    )


def test_suspended_and_buried_cards_are_never_scheduled(tutor):
    db, now = tutor.db, tutor.clock()
    due_card, new_card = "vision-output-size", "basics-relu"
    graduate(db, due_card, now - timedelta(days=60))
    assert {due_card, new_card} <= _all_queues(db, now)
    stats = compute_stats(db, now)
    assert tutor.suspend([due_card]) == 1 and tutor.suspend([due_card]) == 0
    assert tutor.bury([new_card]) == 1
    queued = _all_queues(db, now)
    assert due_card not in queued and new_card not in queued
    after = compute_stats(db, now)
    assert after.due_today == stats.due_today - 1
    assert (after.cards_suspended, after.cards_buried) == (1, 1)
    from tutor.cli.terminal import format_stats

    assert "Set aside: 1 suspended, 1 buried until tomorrow" in format_stats(after)
    # a session that had them queued passes over them
    assert Session(db, "quiz", ids=[due_card, new_card], clock=tutor.clock).next_card() is None
    with pytest.raises(schedule.ReviewError, match="suspended"):
        schedule.record_review(db, due_card, 3, now=now)
    # buried until tomorrow; suspended until unsuspended
    tomorrow = now + timedelta(days=1)
    queued = _all_queues(db, tomorrow)
    assert new_card in queued and due_card not in queued
    tutor.suspend([due_card], on=False)
    assert due_card in _all_queues(db, tomorrow)


def test_bury_lasts_until_the_learners_next_midnight(tutor):
    clock.set_zone("Asia/Tokyo")  # 15:00 UTC is 00:00 the next day in Tokyo
    tutor.clock = lambda: T0 - timedelta(minutes=1)  # 23:59 there
    tutor.bury(["basics-relu"])
    assert get_card(tutor.db, "basics-relu").buried_until == "2026-03-02T15:00:00.000000+00:00"
    assert "basics-relu" not in _all_queues(tutor.db, T0 - timedelta(seconds=1))
    assert "basics-relu" in _all_queues(tutor.db, T0)


def test_flags_are_listed_and_counted(tutor):
    assert tutor.flag(["basics-relu", "vision-feature-map"]) == 2
    page = tutor.browse(flagged=True)
    assert {c.id for c in page.cards} == {"basics-relu", "vision-feature-map"} and page.total == 2
    assert compute_stats(tutor.db, tutor.clock()).cards_flagged == 2
    assert "basics-relu" in _all_queues(tutor.db, tutor.clock())  # a flag schedules as usual
    tutor.flag(["basics-relu"], on=False)
    assert tutor.browse(flagged=True).total == 1
    with pytest.raises(Exception, match="no card 'nope'"):
        tutor.flag(["nope"])


# --------------------------------------------------------------------------- leeches


def test_the_eighth_lapse_makes_a_leech_suspended_and_told_once(tutor):
    db, now = tutor.db, tutor.clock()
    card_id = "vision-output-size"
    graduate(db, card_id, now - timedelta(days=400))
    told = []
    at = now - timedelta(days=300)
    for _ in range(8):
        result = schedule.record_review(db, card_id, Rating.Again, now=at)
        told.append(result.leech)
        if result.leech:
            break
        at += timedelta(minutes=10)
        schedule.record_review(db, card_id, Rating.Good, now=at)  # relearnt
        while get_card(db, card_id).state != State.Review:
            at += timedelta(days=1)
            schedule.record_review(db, card_id, Rating.Good, now=at)
        at += timedelta(days=20)
    assert told == [False] * 7 + [True]
    card = get_card(db, card_id)
    assert card.leech and card.suspended and card.lapses == 8
    notice = tutor.leech_notice(card_id, result.lapses)
    assert "8 times" in notice and "Convolutional networks › Stride and padding" in notice
    assert "02-vision.md:" in notice
    assert compute_stats(db, now).cards_leeches == 1
    assert card_id not in _all_queues(db, now)


def test_leech_threshold_is_a_setting_and_undo_takes_the_tag_back(tutor):
    db = tutor.db
    tutor.schedule(leech_lapses=1)
    card_id = "vision-feature-map"
    graduate(db, card_id, tutor.clock() - timedelta(days=30))
    result = schedule.record_review(db, card_id, Rating.Again, now=tutor.clock())
    assert result.leech and get_card(db, card_id).suspended
    assert tutor.undo().unleeched
    card = get_card(db, card_id)
    assert not card.leech and not card.suspended and card.lapses == 0
    tutor.schedule(leech_lapses=0)  # off
    result = schedule.record_review(db, card_id, Rating.Again, now=tutor.clock())
    assert not result.leech and get_card(db, card_id).lapses == 1


# ------------------------------------------------------------------- browse and edit


def test_browse_filters_search_and_shows_state_and_last_answers(tutor):
    db, now = tutor.db, tutor.clock()
    graduate(db, "vision-output-size", now - timedelta(days=60))
    schedule.record_review(db, "vision-feature-map", 1, now=now, answer="a heat map")
    everything = tutor.browse(limit=None)
    assert everything.total == len(everything.cards) == tutor.card_count()
    page = tutor.browse(search="KERNEL slid")  # every word, any case
    assert page.total >= 1 and all("kernel" in c.question.lower() or c.id for c in page.cards)
    assert tutor.browse(search="100%_no_such").total == 0  # LIKE wildcards are literal
    due = tutor.browse(due=True)
    assert "vision-output-size" in {c.id for c in due.cards}
    assert set(c.id for c in due.cards) >= set(queue.due_ids(db, now))
    vision = tutor.browse(lesson="vision", limit=None)
    assert {c.lesson_id for c in vision.cards} == {"vision"}
    row = next(c for c in vision.cards if c.id == "vision-feature-map")
    assert vision.answers["vision-feature-map"] == [(None, "a heat map")]
    data = row.to_dict(clock.iso(now), vision.answers[row.id])
    assert data["state"] == "learning" and data["last_answers"][0]["answer"] == "a heat map"
    assert tutor.browse(limit=2, offset=1).cards == everything.cards[1:3]
    with pytest.raises(Exception, match="no lesson 'nope'"):
        tutor.browse(lesson="nope")


def test_the_trigram_path_and_the_index_scan_find_the_same_cards(tutor, monkeypatch):
    from tutor.store import browse as browsing

    tutor.edit_card("basics-relu", question="What is relu(-3)? (an edited zebra question)")
    queries = ["kernel", "FEATURE map", "zebra", "relu", "28", "is a", "grid of", "nothing-here",
               "relu(-3)?", "[b]", "*", "100%"]  # fmt: skip
    fast = {q: [c.id for c in tutor.browse(search=q, limit=None).cards] for q in queries}
    monkeypatch.setattr(browsing, "RARE", 0)  # every search now takes the full index scan
    slow = {q: [c.id for c in tutor.browse(search=q, limit=None).cards] for q in queries}
    assert fast == slow
    assert fast["zebra"] == ["basics-relu"] and fast["kernel"] and not fast["nothing-here"]
    assert fast["relu(-3)?"] == ["basics-relu"]  # GLOB's wildcards are taken literally
    assert not fast["*"] and not fast["100%"]


def test_an_edit_is_the_learners_override_and_survives_a_course_resync(tutor, course_dir):
    db = tutor.db
    card = tutor.edit_card(
        "vision-feature-map",
        question="Sliding one kernel over the input gives a {{...}}.",
        accept=["activation map", "kernel echo"],
    )
    assert card.edited and card.question.startswith("Sliding one kernel")
    assert card.answer == "feature map" and card.accept == ["activation map", "kernel echo"]
    # the teacher rewrites the item; the learner's wording still wins, the rest follows
    quiz = course_dir / "02-vision.quiz.yaml"
    quiz.write_text(quiz.read_text().replace("is a {{feature map}}", "is called a {{feature map}}"))
    report = sync_cards(db, load_course(course_dir))
    assert report.updated >= 1
    card = tutor.card("vision-feature-map")
    assert card.question.startswith("Sliding one kernel") and card.edited
    assert (
        db.execute("SELECT question FROM cards WHERE id = 'vision-feature-map'")
        .fetchone()[0]
        .endswith("is called a _____.")
    )  # the course's own text is kept underneath
    assert tutor.browse(search="echo").total == 1  # search sees the edit
    # a session grades against the edit
    session = tutor.session("quiz", ids=["vision-feature-map"])
    session.next_card()
    assert session.submit("kernel echo", 20_000).grade.verdict == "correct"
    session.rate()
    card = tutor.revert_card("vision-feature-map")
    assert not card.edited and card.question.endswith("is called a _____.")


def test_edits_are_checked(tutor):
    with pytest.raises(Exception, match="reference: a multiple-choice answer must be one of"):
        tutor.edit_card("basics-relu", answer="zero")
    with pytest.raises(Exception, match="question: must not be empty"):
        tutor.edit_card("basics-relu", question="  ")
    with pytest.raises(Exception, match="nothing to change"):
        tutor.edit_card("basics-relu")
    with pytest.raises(Exception, match="control characters"):
        tutor.edit_card("basics-relu", question="What\x1b[2J?")
    assert tutor.edit_card("basics-relu", answer="3").answer == "3"  # one of its choices


def test_card_history_keeps_undone_reviews_marked(tutor):
    db, now = tutor.db, tutor.clock()
    schedule.record_review(db, "basics-relu", 3, now=now, answer="0", verdict="correct")
    schedule.record_review(db, "basics-relu", 1, now=now + timedelta(minutes=1), answer="3")
    tutor.undo()
    history = tutor.card_history("basics-relu")
    assert [(h.rating, h.answer, h.undone_at is not None) for h in history] == [
        (3, "0", False),
        (1, "3", True),
    ]


# ------------------------------------------------------------------------------ CLI


def test_cli_cards_card_and_undo(course_dir, tutor_home, monkeypatch):
    monkeypatch.setattr("tutor.paths.content_dir", lambda: course_dir)  # the small course
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout  # progress ("Updating cards…") goes to stderr

    listing = json.loads(run("cards", "--json", "--lesson", "vision"))
    assert listing["total"] == listing["shown"] > 0
    assert {c["lesson_id"] for c in listing["cards"]} == {"vision"}
    assert {"state", "due", "stability", "difficulty", "lapses", "last_answers"} <= set(
        listing["cards"][0]
    )
    out = json.loads(run("card", "basics-relu", "vision-feature-map", "--suspend", "--flag",
                         "--json"))  # fmt: skip
    assert out["changed"] == {"suspended": 2, "flagged": 2}
    assert all(c["suspended"] and c["flagged"] for c in out["cards"])
    assert json.loads(run("cards", "--suspended", "--json"))["total"] == 2
    text = run("cards", "--flagged")
    assert "basics-relu" in text and "SF" in text
    out = json.loads(run("card", "basics-relu", "--question", "ReLU(-3) = ?", "--json"))
    assert out["cards"][0]["question"] == "ReLU(-3) = ?" and out["cards"][0]["edited"]
    assert "ReLU(-3) = ?" in run("card", "basics-relu")
    run("card", "basics-relu", "--unsuspend", "--revert")
    assert not json.loads(run("card", "basics-relu", "--json"))["cards"][0]["edited"]

    result = runner.invoke(cli, ["undo"])
    assert result.exit_code == 1 and "nothing to undo" in result.output
    db = store.connect()
    schedule.record_review(db, "basics-relu", 3, now=store.utcnow(), answer="0")
    out = json.loads(run("undo", "--json"))
    assert out["card_id"] == "basics-relu" and out["rating"] == 3
    result = runner.invoke(cli, ["undo"])  # nothing left: one line, no traceback
    assert result.exit_code == 1 and result.stderr.count("\n") == 1

    for bad, said in (
        (["card", "nope"], "no card 'nope'"),
        (["card", "a", "b", "--question", "x"], "one card at a time"),
        (["cards", "--lesson", "nope"], "no lesson 'nope'"),
        (["schedule", "--daily-goal", "0"], "daily goal must be"),
        (["card", "basics-relu", "--reference", "zero"], "must be one of its choices"),
    ):
        result = runner.invoke(cli, bad)
        assert result.exit_code != 0 and said in result.output, result.output
        assert "Traceback" not in result.output


def test_cli_piped_review_can_undo(course_dir, tutor_home):
    runner = CliRunner()
    db = store.connect()
    sync_cards(db, load_course(course_dir))
    result = runner.invoke(
        cli,
        ["quiz", "--course", str(course_dir), "--lesson", "vision", "-n", "2"],
        input="28\nrate: 1\n/undo\n28\nrate: 4\n/quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "Undone: Again" in result.output
    rows = db.execute("SELECT rating, undone_at IS NOT NULL FROM reviews ORDER BY id").fetchall()
    assert rows == [(1, 1), (4, 0)]


# -------------------------------------------------------------------------- the goal


def test_the_streak_counts_days_the_daily_goal_was_met(tutor):
    db = tutor.db
    tutor.schedule(daily_goal=2)
    day = T0 - timedelta(days=4)
    for reviews in (2, 1, 3, 2):  # the second day falls short
        for i in range(reviews):
            schedule.record_review(db, MODEL_FREE[i], 3, now=day + timedelta(minutes=i), cram=True)
        day += timedelta(days=1)
    stats = compute_stats(db, T0)
    assert stats.daily_goal == 2 and stats.streak_days == 2 and not stats.goal_met_today
    schedule.record_review(db, MODEL_FREE[0], 3, now=T0, cram=True)
    assert compute_stats(db, T0).streak_days == 2  # one of two today: still open
    schedule.record_review(db, MODEL_FREE[1], 3, now=T0, cram=True)
    stats = compute_stats(db, T0)
    assert stats.streak_days == 3 and stats.goal_met_today
    tutor.undo()  # an undone review does not count
    assert compute_stats(db, T0).streak_days == 2
    assert tutor.schedule().to_dict()["daily_goal"] == 2
