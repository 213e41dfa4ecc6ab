"""Issue 13: each defect of the learner walk-through (../shared/reviews/walk-through.md)
that the CLI, the library or the study loop had, with the test that keeps it fixed.

The number in each test's docstring is the defect's number in the walk-through. All of
them use the real store, the real index and the real model; where a failure needs the
file system to refuse writes, a real read-only mount is used (or skipped without one).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards
from tutor.cli import cli
from tutor.course import load_course
from tutor.services import Tutor
from tutor.study import queue
from tutor.study.feedback import verdict_line, verdict_parts
from tutor.study.session import Session

TUTOR = [sys.executable, "-c", "from tutor.cli import main; main()"]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "TUTOR_HOME": str(home), "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "quux.txt").write_text(
        "The capital of Quuxland is Vexmoor, founded by Ada Quill in 1802.\n"
    )
    (folder / "garden.md").write_text(
        "# Tomato growing notes\n\nWater tomatoes deeply twice a week, more often in hot "
        "weather. Prune the suckers that grow between the main stem and the branches.\n"
    )
    return folder


def _one_line_error(result, *words: str) -> None:
    """Exit status 1 and a message, not an exception (click reports those as SystemExit)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


# ----------------------------------------------------------------- the data folder


def test_a_tutor_home_that_is_a_file_is_one_line_everywhere(tmp_path, monkeypatch):
    """#8: TUTOR_HOME pointing at a file gave FileExistsError tracebacks."""
    home = tmp_path / "F"
    home.write_text("x\n")
    monkeypatch.setenv("TUTOR_HOME", str(home))
    runner = CliRunner()
    for args in (["stats"], ["ask", "what is dropout?"], ["index", str(tmp_path)], ["review"]):
        _one_line_error(runner.invoke(cli, args), "not a folder", str(home))
    doctor = runner.invoke(cli, ["doctor"])
    assert "not a folder" in doctor.output and "FileExistsError" not in doctor.output
    assert home.read_text() == "x\n"  # and the file is left alone


def _read_only_run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`tutor ARGS` with `home` read-only for real: a read-only bind mount for root
    (whom file modes do not stop), the folder's write bits removed for anyone else."""
    if os.geteuid() != 0:
        for path in [home, *home.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            return subprocess.run(
                [*TUTOR, *args], input=stdin, capture_output=True, text=True,
                env=_env(home), timeout=300,
            )  # fmt: skip
        finally:
            for path in [home, *home.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare for a read-only mount")
    command = " ".join(f"'{a}'" for a in [*TUTOR, *args])
    script = f"mount --bind '{home}' '{home}' && mount -o remount,ro,bind '{home}' && {command}"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], input=stdin, capture_output=True, text=True,
        env=_env(home), timeout=300,
    )  # fmt: skip
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"no read-only mount here: {result.stderr.strip()[:80]}")
    return result


def test_a_read_only_data_folder_still_reads_and_refuses_writes_in_one_line(
    tmp_path, notes, monkeypatch
):
    """#9: read-only TUTOR_HOME said "not a usable tutor database" for an intact file,
    `index` gave an OSError traceback, and the notes index looked damaged."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUTOR_HOME", str(home))
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(notes)]).exit_code == 0
    Tutor().sync_cards(notes=False)
    before = (home / "tutor.db").read_bytes()

    stats = _read_only_run(home, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["cards_active"] > 500
    schedule = _read_only_run(home, "schedule")
    assert schedule.returncode == 0 and "New cards per day" in schedule.stdout
    ask = _read_only_run(home, "ask", "--json", "what is the capital of Quuxland?")
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["in_scope"] and "not used" not in ask.stderr
    for args, words in (
        (["review"], "reviews cannot be recorded"),
        (["index"], "read-only"),
        (["index", str(notes)], "read-only"),
        (["schedule", "--new-per-day", "3"], "settings cannot be changed"),
    ):
        result = _read_only_run(home, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert "not a usable tutor database" not in result.stderr
    assert (home / "tutor.db").read_bytes() == before


# ---------------------------------------------------------------- the notes library


def test_a_truncated_notes_index_is_rebuilt_by_the_command_doctor_recommends(
    tmp_path, notes, monkeypatch
):
    """#10: after `truncate -s 4096 index/chunks.sqlite`, `tutor index` (what doctor
    recommends) and `tutor index FOLDER` both died with "database disk image is malformed"."""
    from tutor import paths

    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(notes)]).exit_code == 0
    db = paths.library_index_dir() / "chunks.sqlite"
    os.truncate(db, 4096)
    doctor = runner.invoke(cli, ["doctor", "--json"])
    library = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "library")
    assert "tutor index" in library["detail"] and library["status"] != "fail", library
    result = runner.invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert "damaged" in result.stderr and "Traceback" not in result.output
    answer = Tutor().ask("what is the capital of Quuxland?")
    assert answer.in_scope and "quux.txt" in answer.sources[0].path

    # an index from before the folders were kept beside it: one line, then FOLDER works
    os.truncate(db, 4096)
    (paths.library_index_dir() / "roots.json").unlink()
    _one_line_error(runner.invoke(cli, ["index"]), "add them again")
    assert runner.invoke(cli, ["index", str(notes)]).exit_code == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "vectors.faiss").unlink(),
        lambda f: os.truncate(f / "chunks.sqlite", 4096),
        lambda f: (f / "manifest.json").write_text("garbage"),
        lambda f: (f / "scope.json").write_text("garbage"),
    ],
    ids=["no-faiss", "truncated-sqlite", "bad-manifest", "bad-scope"],
)
def test_a_damaged_notes_index_is_a_warning_in_ask_not_a_silent_not_covered(notes, damage):
    """#11: with the notes index damaged, `ask` said "That isn't covered" with rc 0 and
    no word that the notes were left out."""
    from tutor import paths

    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(notes)]).exit_code == 0
    damage(paths.library_index_dir())
    result = runner.invoke(cli, ["ask", "what is the capital of Quuxland?"])
    assert result.exit_code == 0
    assert "notes index is not used" in result.stderr and "tutor index" in result.stderr


def _ml_text(size: int) -> str:
    """`size` characters of plausible machine-learning prose under many headings."""
    rng = random.Random(0)
    words = (
        "the model learns weights from data and the loss falls as training goes on with "
        "each step of gradient descent over batches"
    ).split()
    out, n, total = ["# Big\n"], 0, 0
    while total < size:
        if n % 40 == 0:
            out.append(f"\n## Section {n // 40}\n\n")
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 25)))
        sentence = sentence.capitalize() + "."
        out.append(sentence + (" " if n % 5 else "\n\n"))
        total += len(sentence) + 1
        n += 1
    return "".join(out)[:size]


def test_one_big_note_does_not_make_the_other_notes_unanswerable(notes):
    """#5: one large note dominated the library's scope model, and every other note
    answered "That isn't covered". Each file now weighs the same in it (40 KB is
    enough to show it: without the balance all four questions below were refused)."""
    from tutor.library import update_library

    (notes / "big.md").write_text(_ml_text(40_000))
    update_library([notes])
    answerer = Tutor().answerer()
    for question in (
        "what is the capital of Quuxland?",
        "who founded Vexmoor?",
        "how often should I water tomatoes?",
        "how do I prune suckers?",
    ):
        assert answerer.ask(question).in_scope, question


def test_a_note_over_the_size_limit_is_skipped_with_one_line_and_the_rest_indexed(
    notes, monkeypatch
):
    """#5: no size limit and no warning; the limit is `library.MAX_NOTE_BYTES` (set
    small here so the test stays quick)."""
    from tutor import library

    monkeypatch.setattr(library, "MAX_NOTE_BYTES", 2_000)
    (notes / "big.md").write_text(_ml_text(5_000))
    result = CliRunner().invoke(cli, ["index", str(notes)])
    assert result.exit_code == 0, result.output
    assert "big.md:1: file is 0.0 MB; notes over 0 MB are skipped" in result.stderr
    assert "2 added" in result.stdout
    assert Tutor().ask("what is the capital of Quuxland?").in_scope


def test_indexing_in_batches_keeps_every_chunk_and_reports_progress(notes, monkeypatch):
    """#5: a big note was embedded all at once (1.6 GB); now `EMBED_BATCH` chunks at a
    time, with progress across the whole update."""
    from tutor import index
    from tutor.library import open_library_index, update_library

    monkeypatch.setattr(index, "EMBED_BATCH", 2)
    (notes / "big.md").write_text(_ml_text(6_000))
    seen: list[tuple[str, int, int]] = []
    report = update_library([notes], lambda stage, done, total: seen.append((stage, done, total)))
    store_ = open_library_index()
    assert store_ is not None and store_.problem() is None
    count = store_.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    store_.close()
    assert count == report.chunks > 4
    embedding = [(d, t) for stage, d, t in seen if stage == "embedding"]
    assert embedding[-1][0] == embedding[-1][1]  # reaches the end of one total
    assert len({t for _, t in embedding}) == 1 and len(embedding) > report.chunks // 2


def test_plain_progress_writes_a_line_every_few_hundred_items(capsys):
    """#5: with stderr not a terminal, progress came every tenth of the way only: minutes
    apart on a big note. Now at least every `PLAIN_EVERY` items."""
    from tutor.cli import PLAIN_EVERY, progress_bar

    with progress_bar() as update:
        for done in range(0, 20_001, 32):
            update("embedding", done, 20_000)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 20_000 // PLAIN_EVERY
    assert all(line.startswith("embedding: ") for line in lines)


def test_a_heading_only_note_is_reported_not_counted_as_added(notes):
    """#31: a note of headings only reported "1 added (0 chunks embedded)" and no warning."""
    (notes / "headings.md").write_text("# Only\n\n## Headings\n\n### More\n")
    result = CliRunner().invoke(cli, ["index", str(notes)])
    assert "headings.md:1: only headings, no text to index" in result.stderr
    assert "2 added" in result.stdout


def test_a_missing_notes_folder_keeps_its_cards(tmp_path):
    """#32: a notes folder renamed or unmounted for a while was dropped: its notes
    (fixed before, test_library) and now its cards stay until it is back."""
    folder = tmp_path / "birds"
    folder.mkdir()
    (folder / "birds.md").write_text(
        "# Birds\n\nA **kestrel** is a small falcon that hovers in the wind while it hunts "
        "voles.\n\nA **heron** is a wading bird that stands still in shallow water to fish.\n"
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(folder)]).exit_code == 0
    mine = {c.id for c in Tutor().cards() if c.origin == "library"}
    assert mine
    folder.rename(tmp_path / "away")
    result = runner.invoke(cli, ["index"])
    assert "folder not found" in result.stderr
    assert {c.id for c in Tutor().cards() if c.origin == "library"} == mine
    assert "0 retired" in result.stdout


# ------------------------------------------------------------------------- the CLI


def test_a_closed_pipe_is_not_an_error(tmp_path):
    """#23: `tutor ask --json - | head -1` exited 1 (click's own broken-pipe handler)."""
    proc = subprocess.Popen(
        [*TUTOR, "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path / "home"),
    )
    proc.stdin.write(b"what is dropout?\n" * 300)
    proc.stdin.close()
    assert json.loads(proc.stdout.readline())["in_scope"]
    proc.stdout.close()
    assert proc.wait(timeout=300) == 0
    assert proc.stderr.read() == b""


def _pty_session(home: Path, course: Path, keys: list[tuple[str, bytes]]) -> tuple[int, str]:
    """`tutor quiz` on a terminal (a pty): wait for each prompt, then type its keys."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*TUTOR, "quiz", "--course", str(course), "-n", "3"],
        stdin=slave, stdout=slave, stderr=slave, env=_env(home),
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 240

    def read_until(marker: bytes) -> None:
        nonlocal seen
        start = len(seen)
        while marker not in seen[start:]:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break

    for marker, typed in keys:
        read_until(marker.encode())
        os.write(master, typed)
    rc = proc.wait(timeout=120)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            seen += os.read(master, 4096)
    except OSError:
        pass
    os.close(master)
    return rc, seen.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_d_at_a_prompt_ends_the_session_and_keeps_the_answer(tmp_path):
    """#27: Ctrl+D at "Your answer:" printed "tutor: interrupted" and exited 130. Now it
    ends the session like piped answers running out; at the rating prompt the answer
    is recorded as suggested first."""
    course = write_course(tmp_path / "course")
    home = tmp_path / "home"

    rc, out = _pty_session(home, course, [("Your answer", b"\x04")])
    assert rc == 0 and "interrupted" not in out, out
    rc, out = _pty_session(home, course, [("Your answer", b"x\r"), ("Rating", b"\x04")])
    assert rc == 0 and "interrupted" not in out, out
    assert "Recorded" in out and "1 reviewed" in out
    db = store.connect(home / "tutor.db")
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1


def test_a_csv_deck_is_chosen_by_the_name_stats_shows(tmp_path):
    """#14: stats listed "my-deck" but `quiz --lesson my-deck` said there is no such lesson."""
    deck = tmp_path / "d.csv"
    deck.write_text("front,back,deck\nWhat is a foo?,A bar,my-deck\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["import", "--csv", str(deck)]).exit_code == 0
    assert "my-deck" in runner.invoke(cli, ["stats"]).output
    result = runner.invoke(cli, ["quiz", "--lesson", "my-deck", "-n", "1"], input="/skip\n")
    assert result.exit_code == 0, result.output
    assert "What is a foo?" in result.output
    _one_line_error(runner.invoke(cli, ["quiz", "--lesson", "no-such"]), "ids: ")


def test_the_verdict_is_said_once_and_without_a_percentage(tmp_path):
    """#28: "Correct (44%)" read like a failing mark, and "Not quite  Not quite:" repeated."""
    from types import SimpleNamespace as Graded

    cases = {
        ("correct", "Correct.\nReference answer: x"): "Correct.",
        ("incorrect", "Not quite: you chose 'b'."): "Not quite: you chose 'b'.",
        ("partial", "Partly right, but incomplete: says more."): (
            "Partly right, but incomplete: says more."
        ),
        ("correct", "Correct (check the spelling: kernel)."): (
            "Correct (check the spelling: kernel)."
        ),
        ("incorrect", "No answer given."): "Not quite: No answer given.",
    }
    for (verdict, feedback), line in cases.items():
        graded = Graded(verdict=verdict, feedback=feedback)
        assert verdict_line(graded) == line
        label, reason = verdict_parts(graded)
        assert not reason.lower().startswith(label.lower())

    course = write_course(tmp_path / "course")
    result = CliRunner().invoke(
        cli, ["quiz", "--course", str(course), "-n", "4"], input="x\nx\nx\nx\n"
    )
    assert result.exit_code == 0, result.output
    assert "%)" not in result.output
    for label in ("Correct", "Not quite", "Partly right"):
        assert f"{label}: {label}" not in result.output and f"{label}  {label}" not in result.output


# ------------------------------------------------------------------ the study loop


@pytest.fixture
def db(tmp_path):
    db = store.connect()
    sync_cards(db, load_course(write_course(tmp_path / "course")))
    return db


def test_two_sessions_on_one_data_dir_never_review_a_card_twice(db):
    """#19: two `tutor review` runs on one home both served the same cards; each was
    reviewed twice and the schedule went to whichever wrote last."""
    other = store.connect()  # a second tutor: its own connection to the same file
    first = Session(db, "review")
    second = Session(other, "review")
    assert first.remaining == second.remaining > 0
    reviewed = []
    while (card := first.next_card()) is not None:
        first.submit(card.answer if card.kind != "short" else "x", 1000)
        first.rate(3)
        reviewed.append(card.id)
    assert second.next_card() is None  # every card it had queued was reviewed meanwhile
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(reviewed)


def test_a_lapsed_card_still_comes_back_to_the_session_that_rated_it(db):
    """#19's guard passes over cards reviewed elsewhere, never the session's own."""
    session = Session(db, "review", ids=["gen-mcq:vision:kernel"])
    card = session.next_card()
    session.submit("definitely not it", 1000)
    session.rate(1)  # Again: a learning step, due in minutes
    assert session.remaining == 1
    session.clock = lambda: store.utcnow() + queue.LEARN_AHEAD * 2
    assert session.next_card().id == card.id


def test_sibling_cards_never_come_back_to_back(db):
    """#20: "telltale sign of overfitting", then its cloze, then its MCQ: each sibling
    gave the next away. Cards on one passage are now `SIBLING_GAP` apart when possible."""
    from tutor.store.cards import sibling_keys

    session = Session(db, "quiz", limit=40, cram=True)
    order = [c.id for c in session.cards()]
    keys = sibling_keys(db, order)
    assert len(set(keys.values())) < len(order)  # there are siblings to keep apart
    for i in range(1, len(order)):
        window = [keys[o] for o in order[max(0, i - queue.SIBLING_GAP) : i]]
        if keys[order[i]] in window:
            # only when nothing else was left within reach
            rest = {keys[o] for o in order[i:]}
            assert rest <= set(window), (i, order[i])


def test_spacing_leaves_a_queue_without_siblings_as_it_was(db):
    from tutor.store.cards import sibling_keys

    ids = [r[0] for r in db.execute("SELECT id FROM cards ORDER BY id").fetchall()]
    first_of_each: dict[str, str] = {}
    for card_id, key in sibling_keys(db, ids).items():
        first_of_each.setdefault(key, card_id)
    distinct = sorted(first_of_each.values())
    assert len(distinct) > 3 and queue.space_siblings(db, distinct) == distinct


def test_a_chosen_choice_is_stored_as_its_text(db):
    """#33: the review log kept the MCQ pick as "1"/"4", meaningless once the choices
    are reshuffled; now it keeps the choice's text."""
    session = Session(db, "quiz", ids=["gen-mcq:vision:kernel"])
    card = session.next_card()
    pick = card.choices.index(card.answer) + 1
    session.submit(str(pick), 1000)
    session.rate()
    stored = db.execute("SELECT answer, verdict FROM reviews").fetchone()
    assert stored == (card.answer, "correct")


def test_doctor_lines_are_whole_when_not_on_a_terminal():
    """Cosmetic list: the doctor table cut the model path ("gt_all…") at 80 columns."""
    result = CliRunner().invoke(cli, ["doctor"])
    model = next(line for line in result.stdout.splitlines() if line.split()[1:2] == ["model"])
    assert "…" not in result.stdout and "ONNX Runtime" in model


def test_stats_on_a_fresh_home_counts_the_course_cards():
    """#22: `tutor stats` on a fresh home said "0 active … 0 new" until a quiz ran."""
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cards_active"] > 500


def test_a_broken_lesson_in_another_course_is_reported_and_nothing_retired(tmp_path):
    """#13: `--course DIR` retired the learner's other cards, and DIR's broken lesson was
    never reported (the retiring was fixed before: test_services)."""
    course = write_course(tmp_path / "course")
    (course / "03-broken.md").write_text("---\nid: [broken\n---\n\n## X\n\nSome text.\n")
    runner = CliRunner()
    runner.invoke(cli, ["stats"])  # the bundled course's cards
    result = runner.invoke(cli, ["quiz", "--course", str(course), "-n", "1"], input="/quit\n")
    assert result.exit_code == 0, result.output
    assert "03-broken.md:2: " in result.stderr or "03-broken.md:3: " in result.stderr
    assert " 0 retired" in result.stderr


def test_a_course_index_being_rebuilt_is_said_even_without_progress_messages(small_course):
    """#25: a damaged or missing course index was rebuilt for a minute with no message
    when stderr was not a terminal; `tutor ask` now passes a notice for it."""
    heard: list[str] = []
    tutor = Tutor(small_course)
    answerer = tutor.answerer(notice=heard.append)
    assert len(heard) == 1 and heard[0].startswith("rebuilding the course index")
    assert answerer.ask("what does dropout do?").in_scope


def test_an_empty_attention_sentence_is_one_line_before_anything_runs():
    """#29: `demo attention --text ""` silently used the default sentence, and "   " first
    printed a stray "on ?  step 0/0" header."""
    runner = CliRunner()
    for text in ("", "   "):
        result = runner.invoke(cli, ["demo", "attention", "--quick", "--text", text])
        _one_line_error(result, "--text is empty")
        assert "step 0/0" not in result.output
