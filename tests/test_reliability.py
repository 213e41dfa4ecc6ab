"""Reliability: SIGKILL mid-session loses no recorded review; two tutors share one data
dir without "database is locked"; huge, binary or non-UTF-8 answers get a clear message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta

import pytest
from fsrs import Rating
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards
from tutor.course import load_course
from tutor.study import schedule

TUTOR = [sys.executable, "-c", "from tutor.cli import main; main()"]
GRADED_WITHOUT_MODEL = ["vision-output-size", "vision-feature-map", "basics-relu"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TUTOR_HOME", str(home))
    return {**os.environ, "TUTOR_HOME": str(home), "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def course_dir(tmp_path):
    return write_course(tmp_path / "course")


@pytest.fixture
def db(env, course_dir):
    db = store.connect()
    sync_cards(db, load_course(course_dir))
    return db


def _make_due(db, card_ids):
    """Graduate cards to Review a month ago so they are overdue today."""
    then = store.utcnow() - timedelta(days=40)
    for card_id in card_ids:
        schedule.record_review(db, card_id, Rating.Good, now=then)
        schedule.record_review(db, card_id, Rating.Good, now=then + timedelta(minutes=10))


def _start_review(db, env, course_dir) -> tuple[subprocess.Popen, int]:
    """`tutor review` with only model-free cards due; (process, last review id)."""
    _make_due(db, GRADED_WITHOUT_MODEL)
    store.set_setting(db, schedule.SETTING_NEW_PER_DAY, 0)  # only the due cards: no model needed
    before = db.execute("SELECT max(id) FROM reviews").fetchone()[0]
    proc = subprocess.Popen(
        [*TUTOR, "review", "--course", str(course_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    return proc, before


def test_sigkill_mid_review_loses_no_review_shown_as_recorded(db, env, course_dir):
    proc, before = _start_review(db, env, course_dir)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        proc.stdin.write(b"wrong answer\nrate: 3\n28\n0\n")  # the third is answered, not rated
        proc.stdin.flush()
        recorded = []
        while len(recorded) < 2:
            line = proc.stdout.readline()
            assert line, proc.stderr.read().decode()
            if line.startswith(b"Recorded:"):
                recorded.append(line)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the session
        proc.wait(timeout=30)
    finally:
        watchdog.cancel()
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    check = store.connect()
    rows = check.execute(
        "SELECT card_id, rating FROM reviews WHERE id > ? ORDER BY id", [before]
    ).fetchall()
    assert len(rows) >= len(recorded) == 2
    assert rows[0][1] == 3 and recorded[0].startswith(b"Recorded: Good")
    assert store.integrity(check) == "ok"


def test_ctrl_c_mid_review_exits_130_and_keeps_the_rated_review(db, env, course_dir):
    """Piped answers; at a terminal click.prompt turns Ctrl+C into Abort, which cli.py
    maps to the same exit (checked by hand in tmux: signals sent to a process
    reading a pty from a test were not always delivered into its input())."""
    proc, before = _start_review(db, env, course_dir)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        proc.stdin.write(b"wrong answer\nrate: 3\n")  # stdin stays open: it waits for more
        proc.stdin.flush()
        out = b""  # wait until the next card is shown and waits for its answer
        while b"Recorded:" not in out or b"[2/" not in out.split(b"Recorded:", 1)[1]:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, proc.stderr.read().decode()
            out += chunk
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        proc.kill()
    assert proc.returncode == 130
    assert err.decode().strip().splitlines()[-1] == "tutor: interrupted"
    assert "Traceback" not in err.decode()
    rows = store.connect().execute("SELECT rating FROM reviews WHERE id > ?", [before]).fetchall()
    assert rows == [(3,)]


WORKER = textwrap.dedent(
    """
    import os, sys, time
    from tutor import store
    from tutor.study import schedule
    from tutor.study.stats import compute_stats
    db = store.connect()
    while not os.path.exists(sys.argv[3]):  # start together
        time.sleep(0.01)
    ids = sys.argv[1].split(",")
    for i in range(int(sys.argv[2])):
        schedule.record_review(  # leech_at=0: no card is suspended as a leech mid-test
            db, ids[i % len(ids)], 1 + i % 4, now=store.utcnow(), answer=str(i), leech_at=0
        )
        if i % 25 == 0:
            compute_stats(db, store.utcnow())
    print("done")
    """
)


def test_two_tutors_on_one_data_dir_neither_locks_nor_corrupts(db, env, tmp_path):
    go = tmp_path / "go"
    ids = [r[0] for r in db.execute("SELECT id FROM cards ORDER BY id LIMIT 6")]
    n = 300
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, ",".join(ids[k::2]), str(n), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for k in range(2)
    ]
    go.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert b"locked" not in err and out.strip() == b"done"
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2 * n
    assert store.integrity(db) == "ok"


def test_two_tutors_creating_a_fresh_data_dir_at_once(tmp_path):
    fresh = {**os.environ, "TUTOR_HOME": str(tmp_path / "fresh")}
    code = "from tutor import store; db = store.connect(); print(store.schema_version(db))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=fresh
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
        assert int(out) == store.SCHEMA_VERSION


def test_huge_binary_and_non_utf8_answers_get_a_message_not_a_crash(db, env, course_dir):
    stdin = b"".join(
        [
            b"y" * 300_000 + b"\n",  # huge
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00binary\n",  # binary with NULs
            b"caf\xe9 latin-1\n",  # not UTF-8
        ]
    )
    proc = subprocess.run(
        [*TUTOR, "quiz", "--course", str(course_dir), "--lesson", "vision", "-n", "3"],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    assert "too long" in errors[0] and "binary" in errors[1] and "UTF-8" in errors[2]
    assert "3 skipped" in out
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
