"""Anki and CSV export, CSV import of a teacher's own cards with row-level errors."""

from __future__ import annotations

import csv
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner
from fsrs import Rating
from test_cards import write_course

from tutor import store
from tutor.cards import exchange
from tutor.cards.sync import sync_cards
from tutor.cli import cli
from tutor.course import load_course
from tutor.store.cards import get_card, list_cards
from tutor.study import schedule


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    db = store.connect()
    sync_cards(db, load_course(write_course(tmp_path / "course")))
    return db


def _export_args(tmp_path, *args):
    return ["export", *args, "--course", str(tmp_path / "course")]


def test_export_csv_has_every_card_and_its_schedule(db, tmp_path):
    schedule.record_review(db, "basics-relu", Rating.Good, now=store.utcnow())
    path = tmp_path / "cards.csv"
    n = exchange.export_csv(db, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == len(list_cards(db))
    relu = next(r for r in rows if r["id"] == "basics-relu")
    # a cell a spreadsheet would read as a formula gets a leading apostrophe
    # choices as the card shows them; one a spreadsheet would read as a formula gets a "'"
    card = next(c for c in list_cards(db) if c.id == "basics-relu")
    shown = " | ".join(card.choices)
    assert relu["choices"] == ("'" + shown if shown.startswith("-") else shown)
    assert relu["answer"] == "0"
    assert relu["reviews"] == "1" and relu["last_review"]
    assert relu["source_ref"].startswith("01-basics.md:")


def test_export_anki_one_deck_per_lesson(db, tmp_path):
    path = tmp_path / "cards.apkg"
    n = exchange.export_anki(db, path)
    assert n == len(list_cards(db))
    with zipfile.ZipFile(path) as z:
        (tmp_path / "col.anki2").write_bytes(z.read("collection.anki2"))
    col = sqlite3.connect(tmp_path / "col.anki2")
    assert col.execute("SELECT count(*) FROM notes").fetchone()[0] == n
    decks = col.execute("SELECT decks FROM col").fetchone()[0]
    assert "Tutor::Neural network basics" in decks and "Tutor::Convolutional networks" in decks
    fronts = [r[0] for r in col.execute("SELECT flds FROM notes")]
    assert any("<ol type='a'><li>" in f and "<li>-3</li>" in f for f in fronts)


GOOD_AND_BAD = """\
front,back,lesson,kind,accept,choices,explanation
What does GPU stand for?,Graphics processing unit,Hardware,,graphics processor,,Chips.
The {{transformer}} architecture uses self-attention.,,Models,,,,
Which is a framework?,PyTorch,Hardware,mcq,,PyTorch|Linux|Excel,
,missing front,Hardware,,,,
No answer here,,Hardware,,,,
Which one?,Rust,Hardware,mcq,,Go|Java,
What is a tensor?,A multi-dimensional array,Hardware,essay,,,
What does GPU stand for?,duplicate,Hardware,,,,
Two blanks {{a}} and {{b}},,Models,,,,
"""


def test_import_csv_imports_good_rows_and_names_bad_ones(db, tmp_path):
    path = tmp_path / "teacher.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    report = exchange.import_csv(db, path)
    assert report.added == 3
    messages = {e.line: e.message for e in report.errors}
    assert set(messages) == {5, 6, 7, 8, 9, 10}
    assert "'front'" in messages[5]
    assert "'back'" in messages[6]
    assert "not one of the choices" in messages[7]
    assert "kind" in messages[8]
    assert "line 2" in messages[9]
    assert "exactly one" in messages[10]
    assert str(report.errors[0]).startswith("teacher.csv:5: ")

    gpu = get_card(db, exchange.card_id_for("What does GPU stand for?"))
    assert gpu.id.startswith("csv:") and gpu.kind == "short"
    assert gpu.accept == ["graphics processor"] and gpu.lesson_title == "Hardware"
    cloze = next(c for c in list_cards(db, origin="csv") if c.kind == "cloze")
    assert cloze.question == "The _____ architecture uses self-attention."
    assert cloze.answer == "transformer"

    # importing again changes nothing; an edited answer updates the same card
    assert exchange.import_csv(db, path).unchanged == 3
    path.write_text(GOOD_AND_BAD.replace("PyTorch,Hardware", "PyTorch,Frameworks"))
    again = exchange.import_csv(db, path)
    assert again.updated == 1 and again.added == 0
    # a course sync never retires imported cards
    assert len(list_cards(db, origin="csv")) == 3


def test_import_rejects_unreadable_files_in_one_line(db, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("front,back\ncafé,ok\n".encode("latin-1"))
    with pytest.raises(exchange.ExchangeError, match=r"latin.csv:2: not valid UTF-8"):
        exchange.import_csv(db, latin)
    headerless = tmp_path / "nohead.csv"
    headerless.write_text("a,b\nc,d\n")
    with pytest.raises(exchange.ExchangeError, match="needs 'front' and 'back'"):
        exchange.import_csv(db, headerless)
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(exchange.ExchangeError, match="binary"):
        exchange.import_csv(db, binary)


def test_cli_export_and_import(db, tmp_path):
    runner = CliRunner()
    csv_path = tmp_path / "teacher.csv"
    csv_path.write_text(GOOD_AND_BAD)
    result = runner.invoke(cli, ["import", "--csv", str(csv_path)])
    assert result.exit_code == 0
    assert "Imported: 3 new" in result.output
    assert "teacher.csv:7: answer 'Rust' is not one of the choices" in result.output
    out = tmp_path / "out.apkg"
    result = runner.invoke(
        cli, _export_args(tmp_path, "--anki", str(out), "--csv", str(tmp_path / "o.csv"))
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "o.csv").exists()
    result = runner.invoke(cli, ["import", "--csv", str(tmp_path / "missing.csv")])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_csv_export_never_writes_a_live_formula_and_imports_back_as_it_was(db, tmp_path):
    deck = tmp_path / "deck.csv"
    deck.write_text(
        'front,back\n"=HYPERLINK(""http://x"",""click"")",@SUM(A1)\n+1 or -1?,-1\n',
        encoding="utf-8",
    )
    exchange.import_csv(db, deck)
    out = tmp_path / "out.csv"
    exchange.export_csv(db, out)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["source"] == "csv"]
    assert rows and all(not r["question"].startswith(("=", "+", "-", "@")) for r in rows)
    assert any(r["question"] == '\'=HYPERLINK("http://x","click")' for r in rows)
    before = {c.question for c in list_cards(db) if c.origin == "csv"}
    exchange.import_csv(db, out)  # our own export, imported again
    after = [c.question for c in list_cards(db) if c.origin == "csv"]
    assert before <= set(after)  # the same cards, not apostrophe-prefixed copies
    assert after.count('=HYPERLINK("http://x","click")') == 1
    assert not any(q.startswith("'") for q in after)
