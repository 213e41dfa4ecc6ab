"""The facade (`tutor.services.Tutor`): every workflow the CLI and the TUI use, end to end,
on the real model, the real FAISS index and a real SQLite file."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from test_cards import write_course

from tutor.cli import cli
from tutor.errors import TutorError
from tutor.services import Tutor

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def course_dir(tmp_path):
    return write_course(tmp_path / "course")


def test_nothing_is_opened_until_it_is_used(tmp_path):
    tutor = Tutor(tmp_path / "no-such-course", tmp_path / "tutor.db")
    assert not (tmp_path / "tutor.db").exists()
    assert not tutor.model_loaded
    with pytest.raises(TutorError, match="no-such-course: no such folder"):
        tutor.course  # noqa: B018


def test_sync_session_review_and_stats(course_dir, tmp_path):
    tutor = Tutor(course_dir, tmp_path / "tutor.db", clock=lambda: NOW)
    assert tutor.cards_need_sync()
    (report,) = tutor.sync_cards()
    assert report.added == tutor.card_count() > 0
    assert not tutor.cards_need_sync()
    assert tutor.sync_cards()[0].skipped

    session = tutor.session("quiz", lesson="vision", limit=2)
    card = session.next_card()
    assert card is not None and card.lesson_id == "vision"
    session.submit(card.answer, 5_000)  # the reference itself is always right
    result = session.rate()
    assert result.card_id == card.id and result.due > NOW

    figures = tutor.stats()
    assert figures.reviews_today == 1 and figures.cards_active == tutor.card_count()
    assert tutor.next_due() == result.due
    assert tutor.review_history(7)[-1] == (NOW.date().isoformat(), 1)


def test_a_lesson_without_cards_is_one_line(course_dir, tmp_path):
    tutor = Tutor(course_dir, tmp_path / "tutor.db")
    tutor.sync_cards()
    with pytest.raises(TutorError, match="no lesson 'nope' with cards"):
        tutor.session("quiz", lesson="nope")


def test_a_section_quiz_takes_only_that_sections_cards(course_dir, tmp_path):
    tutor = Tutor(course_dir, tmp_path / "tutor.db")
    tutor.sync_cards()
    section = next(c.section_id for c in tutor.cards(lesson="vision") if c.section_id)
    session = tutor.session("quiz", lesson="vision", section=section, limit=50)
    assert session.remaining > 0
    assert {c.section_id for c in session.cards()} == {section}


def test_another_course_never_retires_the_bundled_cards(course_dir, tmp_path):
    """Regression: every course folder synced under the origin "course", so
    `tutor quiz --course DIR` retired every bundled card."""
    db = tmp_path / "tutor.db"
    bundled = Tutor(db_path=db)
    bundled.sync_cards(notes=False)
    before = bundled.card_count()
    other = Tutor(course_dir, db)
    (report,) = other.sync_cards()
    assert report.origin.startswith("course:") and report.retired == 0
    assert report.added > 0
    again = Tutor(db_path=db)
    assert again.sync_cards(notes=False)[0].skipped  # nothing of the bundled course changed
    assert again.card_count() == before + report.added


def test_quiz_on_a_missing_course_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["quiz", "--course", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "nope: no such folder" in result.output
    assert "Traceback" not in result.output


def test_ask_and_grade_through_the_facade():
    tutor = Tutor()
    answer = tutor.ask("what does dropout do during training?")
    assert answer.in_scope and answer.sources
    assert any(s.lesson_id == "regularization" for s in answer.sources)
    right = tutor.grade(
        "What does dropout do during training?",
        "It randomly sets a fraction of the activations to zero at each training step.",
        "randomly sets some activations to 0 each step",
    )
    wrong = tutor.grade(
        "What does dropout do during training?",
        "It randomly sets a fraction of the activations to zero at each training step.",
        "it makes the learning rate smaller",
    )
    # the facade's wiring; the grader's own figures are bench/bench_grader.py's, and
    # this wrong answer's 3-way verdict ("partial") is a known miss in test_grade.py
    assert right.verdict == "correct" and not wrong.correct
    assert right.score > wrong.score


def test_the_model_is_shared_by_threads_and_loaded_once():
    tutor = Tutor()
    loaded = []

    def ask() -> None:
        loaded.append(id(tutor.answerer()))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(loaded)) == 1 and tutor.model_loaded


def test_grade_batch_answers_the_good_lines_and_names_the_bad_one():
    good = {"question": "q", "reference": "the sky is blue", "answer": "blue sky"}
    lines = [json.dumps(good), "{not json", json.dumps({"question": "q"}), b"\xff\xfe"]
    stdin = b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)
    result = CliRunner().invoke(cli, ["grade", "--json", "-"], input=stdin)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    assert "verdict" in rows[0]
    assert rows[1]["line"] == 2 and "not valid JSON" in rows[1]["error"]
    assert "error" in rows[2] and rows[2]["line"] == 3  # no reference, no answer
    assert rows[3]["line"] == 4 and "not UTF-8" in rows[3]["error"]


def test_json_is_one_object_everywhere(course_dir):
    runner = CliRunner()
    for args in (["stats", "--json"], ["schedule", "--json"], ["doctor", "--json"]):
        result = runner.invoke(cli, args)
        assert result.exit_code in (0, 1), result.output
        assert isinstance(json.loads(result.stdout), dict), args
    listing = json.loads(runner.invoke(cli, ["demo", "--list", "--json"]).stdout)
    assert {d["name"] for d in listing["demos"]} >= {"cnn", "rnn", "attention"}


def test_chat_history_through_the_facade(tmp_path):
    chats = Tutor(db_path=tmp_path / "tutor.db").chats
    session = chats.new()
    chats.add(session.id, "user", "what is dropout?")
    chats.add(session.id, "tutor", "It zeroes activations.", [{"lesson_id": "regularization"}])
    assert chats.latest().id == session.id
    assert chats.session(session.id).title == "what is dropout?"
    assert [m.role for m in chats.messages(session.id)] == ["user", "tutor"]


def test_reading_place_survives_a_restart(tmp_path):
    db = tmp_path / "tutor.db"
    Tutor(db_path=db).record_place("regularization", "how-does-dropout-work")
    place = Tutor(db_path=db).last_place()
    assert (place.lesson_id, place.section_id) == ("regularization", "how-does-dropout-work")


def test_clock_zone_sets_the_learners_day():
    """The learner's day follows the zone set, not the machine's."""
    from tutor.study import clock

    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    try:
        clock.set_zone("Asia/Tokyo")  # UTC+9: already 3 March there
        assert clock.local_day(late).isoformat() == "2026-03-03"
        clock.set_zone("America/New_York")
        assert clock.local_day(late).isoformat() == "2026-03-02"
        # the spring-forward day in New York is 23 hours long
        start = clock.midnight(datetime(2026, 3, 8).date())
        end = clock.midnight(datetime(2026, 3, 9).date())
        assert end - start == timedelta(hours=23)
    finally:
        clock.set_zone("UTC")  # what conftest pins for every test


def test_invalid_utf8_is_one_line_and_the_batch_goes_on():
    runner = CliRunner()
    bad = b"\xff\xfe bad".decode("utf-8", "surrogateescape")
    for args in (["ask", bad], ["grade", "-r", "x", "-a", bad]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1 and "not valid UTF-8" in result.output, args
        assert "Traceback" not in result.output
    stdin = b"\xff\xfe bad\nwhat does dropout do?\n"
    result = runner.invoke(cli, ["ask", "--json", "-"], input=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "not valid UTF-8" in rows[0]["error"] and rows[1]["in_scope"]


def test_the_app_needs_a_terminal():
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 1 and "needs a terminal" in result.output


def test_export_never_overwrites_without_force(tmp_path):
    target = tmp_path / "precious.csv"
    target.write_text("keep me")
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--csv", str(target)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_text() == "keep me"
    assert runner.invoke(cli, ["export", "--csv", str(target), "--force"]).exit_code == 0
    assert target.read_text().startswith("id,")


def test_anki_export_leaves_nothing_in_the_temp_dir(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = CliRunner().invoke(cli, ["export", "--anki", str(tmp_path / "deck.apkg")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "deck.apkg").stat().st_size > 10_000
    assert list(scratch.iterdir()) == []


ESCAPES = "\x1b]0;pwned\x07 and \x1b[2J"


def test_escape_sequences_in_notes_and_cards_never_reach_the_terminal(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "owls.md").write_text(
        f"# Owls\n\nBarn owls hunt voles by sound alone {ESCAPES} in the dark.\n"
    )
    deck = tmp_path / "deck.csv"
    deck.write_text(f"front,back\nWhat do barn owls hunt{ESCAPES}?,voles\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(notes)]).exit_code == 0
    assert runner.invoke(cli, ["import", "--csv", str(deck)]).exit_code == 0
    answer = runner.invoke(cli, ["ask", "how do barn owls hunt voles?"])
    assert answer.exit_code == 0 and "owls" in answer.output.lower()
    card = next(c for c in Tutor().cards() if c.origin == "csv")
    for text in (answer.output, card.question):
        assert "\x1b" not in text and "\x07" not in text
        assert "␛" in text  # made visible, not silently dropped
    quiz = runner.invoke(cli, ["quiz", "-n", "50"], input="/quit\n")
    assert "\x1b" not in quiz.output


def test_a_first_sync_of_the_bundled_course_needs_no_model(tmp_path):
    """The bundled index carries the key-term vectors, so new cards (and their
    multiple-choice distractors) appear before any model is loaded."""
    import subprocess
    import sys

    code = (
        "import sys; from tutor.services import Tutor;"
        f"t = Tutor(db_path={str(tmp_path / 'tutor.db')!r}); (r,) = t.sync_cards(notes=False);"
        "assert r.added > 500, r;"
        "assert any(c.source == 'gen-mcq' for c in t.cards());"
        "sys.exit(1 if 'onnxruntime' in sys.modules or 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=300).returncode == 0


def test_the_glossary_has_every_key_term_once_and_finds_a_typo():
    entries = Tutor().glossary()
    names = [e.term.casefold() for e in entries]
    assert len(names) == len(set(names)) > 150
    assert all(e.section_id for e in entries)  # each points at the section that teaches it
    adam = Tutor().glossary("ADAM")
    assert [e.term for e in adam] == ["Adam"] and adam[0].lesson_id == "optimizers"
    result = CliRunner().invoke(cli, ["glossary", "overfiting", "--json"])
    found = json.loads(result.stdout)["entries"]
    assert found and found[0]["term"] == "overfitting"
    assert CliRunner().invoke(cli, ["glossary", "zzzzqx"]).exit_code == 1
