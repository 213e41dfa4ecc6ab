"""The Session loop (shared by CLI and TUI) and the `tutor quiz|review|stats` commands."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from fsrs import Rating
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards
from tutor.cli import cli
from tutor.cli.terminal import format_stats, run_plain
from tutor.course import load_course
from tutor.store.cards import get_card, list_cards
from tutor.study import clock as clock_days
from tutor.study import schedule
from tutor.study.schedule import RATING_NAMES
from tutor.study.session import AnswerError, Session, SessionError, check_answer
from tutor.study.stats import compute_stats

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def course_dir(tmp_path):
    return write_course(tmp_path / "course")


@pytest.fixture
def db(home, course_dir):
    db = store.connect()
    sync_cards(db, load_course(course_dir), now=T0)
    return db


def _answer_for(card) -> str:
    return card.answer if card.kind != "short" else "I have no idea"


def test_session_protocol_records_each_review_before_the_next_card(db):
    clock = Clock()
    session = Session(db, "quiz", lesson="vision", limit=3, clock=clock)
    assert session.remaining == 3
    card = session.next_card()
    assert card.lesson_id == "vision"
    with pytest.raises(SessionError):
        session.rate()  # nothing submitted yet
    sub = session.submit(card.answer, 3000)
    assert sub.grade.verdict == "correct"
    assert sub.suggested == Rating.Easy  # correct and quick
    with pytest.raises(SessionError):
        session.next_card()  # must rate first
    result = session.rate(Rating.Good)  # the learner overrides the suggestion
    assert result.rating == Rating.Good
    row = db.execute("SELECT rating, suggested, verdict, duration_ms FROM reviews").fetchone()
    assert row == (3, 4, "correct", 3000)
    card = session.next_card()
    wrong = session.submit("definitely wrong", 5000)
    assert wrong.grade.verdict != "correct"
    assert session.rate().rating == wrong.suggested  # None = the suggested rating
    summary = session.summary()
    assert summary.reviewed == 2 and summary.correct == 1 and summary.remaining == 1
    assert summary.ratings == {"Good": 1, RATING_NAMES[wrong.suggested]: 1}


def test_mcq_answer_by_letter(db):
    session = Session(db, "quiz", ids=["gen-mcq:vision:kernel"])
    card = session.next_card()
    letter = "abcd"[card.choices.index("kernel")]
    assert session.submit(letter, 4000).grade.correct


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("x" * 6000, "too long"),
        (b"\xff\xfe\xfa not text", "not valid UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
        ("bell\x07", "control characters"),
    ],
)
def test_bad_answers_get_a_clear_message_and_the_card_is_skipped(db, answer, message):
    session = Session(db, "quiz", lesson="vision", limit=2)
    first = session.next_card()
    with pytest.raises(AnswerError, match=message) as info:
        session.submit(answer)
    assert "\n" not in str(info.value)
    session.skip()
    second = session.next_card()
    assert second is not None and second.id != first.id
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    assert session.summary().skipped == 1


def test_check_answer_accepts_ordinary_text():
    assert check_answer("  a feature map\n") == "a feature map"
    assert check_answer("naïve — ünïcödé 😀".encode()) == "naïve — ünïcödé 😀"


def test_a_lapsed_card_comes_back_in_the_same_review_session(db):
    clock = Clock()
    store.set_setting(db, schedule.SETTING_NEW_PER_DAY, 2)
    session = Session(db, "review", clock=clock)
    first = session.next_card()
    session.submit("wrong wrong wrong", 2000)
    session.rate(Rating.Again)  # learning step: back in a minute
    second = session.next_card()
    assert second.id != first.id
    session.submit(_answer_for(second), 2000)
    session.rate(Rating.Good)
    clock.advance(minutes=2)
    again = session.next_card()
    assert again.id == first.id
    session.submit(first.answer, 2000)
    session.rate(Rating.Good)
    shown = [r[0] for r in db.execute("SELECT card_id FROM reviews ORDER BY id")]
    assert shown == [first.id, second.id, first.id]


def test_review_shows_due_cards_first(db):
    clock = Clock()
    session = Session(db, "quiz", ids=["vision-output-size"], clock=clock)
    session.next_card()
    session.submit("28", 2000)
    session.rate(Rating.Good)
    session = Session(db, "quiz", ids=["vision-output-size"], clock=clock)
    session.next_card()
    session.submit("28", 2000)
    session.rate(Rating.Good)  # graduates to Review with an interval of days
    due = datetime.fromisoformat(get_card(db, "vision-output-size").due)
    clock.now = due + timedelta(hours=1)
    review = Session(db, "review", clock=clock)
    assert review.next_card().id == "vision-output-size"


def test_cram_reviews_without_rescheduling(db):
    clock = Clock()
    session = Session(db, "quiz", lesson="basics", limit=2, cram=True, clock=clock)
    before = {c.id: (c.due, c.state, c.last_review) for c in session.cards()}
    while (card := session.next_card()) is not None:
        session.submit(_answer_for(card), 2000)
        session.rate()
    after = {i: get_card(db, i) for i in before}
    assert {i: (c.due, c.state, c.last_review) for i, c in after.items()} == before
    assert db.execute("SELECT count(*), sum(cram) FROM reviews").fetchone() == (2, 2)


def test_run_plain_with_piped_answers_and_rating_override(db):
    session = Session(db, "quiz", ids=["vision-output-size", "vision-feature-map", "basics-relu"])
    relu = get_card(db, "basics-relu")
    letter = "abcd"[relu.choices.index(relu.answer)].encode()  # choices are shuffled per card
    stdin = io.BytesIO(b"28\nrate: 2\n\xff\xfe\n" + letter + b"\n")
    out: list[str] = []
    summary = run_plain(session, stdin, out.append, interactive=False)
    text = "\n".join(out)
    assert "Recorded: Hard" in text  # the override
    assert "not valid UTF-8" in text
    assert summary.reviewed == 2 and summary.skipped == 1
    rows = db.execute("SELECT card_id, rating, verdict FROM reviews ORDER BY id").fetchall()
    assert rows == [("vision-output-size", 2, "correct"), ("basics-relu", 3, "correct")]


def test_run_plain_stops_at_end_of_input_without_recording_the_unanswered(db):
    session = Session(db, "quiz", ids=["vision-output-size", "basics-relu"])
    summary = run_plain(session, io.BytesIO(b"28\n"), lambda _: None, interactive=False)
    assert summary.reviewed == 1 and summary.remaining == 1 and summary.skipped == 0


def test_cli_quiz_and_review_from_stdin(home, course_dir):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["quiz", "--course", str(course_dir), "--lesson", "vision", "-n", "2"],
        input="nonsense answer\nrate: good\n/skip\n",
    )
    assert result.exit_code == 0, result.output
    assert "Recorded: Good" in result.output and "Skipped." in result.output
    result = runner.invoke(cli, ["review", "--course", str(course_dir), "-n", "1"], input="")
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["quiz", "--course", str(course_dir), "--lesson", "nope"])
    assert result.exit_code != 0 and "no lesson 'nope'" in result.output


def test_stats_after_some_days_of_reviews(db):
    from tutor.study.goal import set_daily_goal

    set_daily_goal(db, 3)  # the streak counts days with 3 reviews: each day below has 3
    clock = Clock()
    for _day in range(3):
        session = Session(db, "review", clock=clock)
        for _ in range(3):
            card = session.next_card()
            session.submit(_answer_for(card), 20_000)
            session.rate()
        clock.advance(days=1)
    now = clock.now
    stats = compute_stats(db, now)
    assert stats.streak_days == 3  # nothing yet today: the streak runs to yesterday
    days = dict(stats.reviews_per_day)
    assert len(days) == 30 and sum(days.values()) == 9
    assert stats.time_30d_ms == 9 * 20_000 and stats.reviews_total == 9
    assert stats.new_introduced_today == 0 and stats.new_today == 10
    assert len(stats.forecast) == 30
    # every reviewed card falls due on one of the 30 days shown, or after them
    end = clock_days.midnight(clock_days.local_day(now) + timedelta(days=30))
    reviewed = [c for c in list_cards(db) if c.last_review]
    due_in_window = sum(clock_days.parse_iso(c.due) < end for c in reviewed)
    assert sum(n for _, n in stats.forecast) == due_in_window > 0
    by_lesson = {ls.lesson_id: ls for ls in stats.lessons}
    assert set(by_lesson) == {"basics", "vision"}
    assert all(0.0 <= ls.mastery <= 1.0 for ls in by_lesson.values())
    distinct = db.execute("SELECT count(DISTINCT card_id) FROM reviews").fetchone()[0]
    assert sum(ls.seen for ls in by_lesson.values()) == distinct
    assert "Mastery by lesson" in format_stats(stats)
    json.dumps(stats.to_dict())


def test_stats_retention_counts_only_review_state_cards(db):
    clock = Clock()
    ids = ["vision-output-size", "basics-relu"]
    for card_id in ids:  # graduate both to Review
        for _ in range(2):
            schedule.record_review(db, card_id, Rating.Good, now=clock())
            clock.advance(minutes=15)
    clock.advance(days=5)
    schedule.record_review(db, ids[0], Rating.Good, now=clock())
    schedule.record_review(db, ids[1], Rating.Again, now=clock())
    stats = compute_stats(db, clock())
    assert stats.retention_reviews == 2 and stats.retention == 0.5


def test_stats_json_cli_does_not_import_torch(home, db):
    code = (
        "import sys\n"
        "from tutor.cli import cli\n"
        "try:\n"
        "    cli(['stats', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    data = json.loads(out[: out.rindex("HEAVY")])
    assert data["cards_active"] > 0 and "forecast" in data and "lessons" in data
    assert out.strip().endswith("HEAVY []")
