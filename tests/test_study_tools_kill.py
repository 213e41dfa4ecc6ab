"""SIGKILL mid-undo and mid-restore: nothing the tutor acknowledged is lost, and what was
not finished leaves no half-written state (each is one transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta

import pytest
from test_cards import write_course

from tutor import store
from tutor.cards.sync import sync_cards
from tutor.course import load_course
from tutor.store import backup as backups
from tutor.study import schedule
from tutor.study.clock import day_start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CARDS = ["vision-output-size", "vision-feature-map", "basics-relu"]

UNDO_WORKER = textwrap.dedent(
    """
    import sys
    from tutor import store
    from tutor.study.undo import UndoError, undo_last_review
    db = store.connect(sys.argv[1], backup=False)
    now = store.utcnow()
    while True:
        try:
            result = undo_last_review(db, now)
        except UndoError:
            break
        print(f"undone {result.review_id}", flush=True)
    print("done", flush=True)
    """
)

RESTORE_WORKER = textwrap.dedent(
    """
    import sys, time
    from tutor.store.backup import restore
    def progress(done, total):
        print(f"step {done}/{total}", flush=True)
        time.sleep(0.5)  # the parent kills the process here, half-way through the copy
    report = restore(sys.argv[1], sys.argv[2], progress=progress)
    print(f"restored, safety backup {report.safety_backup}", flush=True)
    """
)


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "home" / "tutor.db"
    db = store.connect(path, backup=False)
    sync_cards(db, load_course(write_course(tmp_path / "course")))
    db.conn.close()
    return path


def _run(script: str, *args: str, kill_after: int | None) -> tuple[list[str], int]:
    """Run a worker; SIGKILL it once it has printed `kill_after` lines. (lines, status)"""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        while kill_after is None or len(lines) < kill_after:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.decode().strip())
        if kill_after is not None:
            os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=60)
        lines += rest.decode().strip().splitlines()  # printed before the kill: acknowledged
    finally:
        watchdog.cancel()
        proc.kill()
    assert "Traceback" not in err.decode(), err.decode()
    return lines, proc.returncode


def test_sigkill_mid_undo_loses_no_acknowledged_undo_and_leaves_no_half(db_path):
    db = store.connect(db_path, backup=False)
    now = store.utcnow()
    start = max(now - timedelta(seconds=40), day_start(now))  # all of them today
    step = (now - start) / 401
    for i in range(400):  # today's reviews, oldest first
        schedule.record_review(db, CARDS[i % 3], 1 + i % 4, now=start + step * i, leech_at=0)
    final = {c: db.execute("SELECT fsrs FROM cards WHERE id = ?", [c]).fetchone()[0] for c in CARDS}
    db.conn.close()

    lines, status = _run(UNDO_WORKER, str(db_path), kill_after=40)
    assert status == -signal.SIGKILL
    acknowledged = {int(line.split()[1]) for line in lines if line.startswith("undone ")}
    assert len(acknowledged) >= 40 and "done" not in lines

    db = store.connect(db_path, backup=False)
    assert store.integrity(db) == "ok"
    undone = {r[0] for r in db.execute("SELECT id FROM reviews WHERE undone_at IS NOT NULL")}
    recorded = {r[0] for r in db.execute("SELECT review_id FROM review_undos")}
    assert acknowledged <= undone == recorded  # every acknowledged undo is there, whole
    ids = [r[0] for r in db.execute("SELECT id FROM reviews ORDER BY id")]
    assert undone == set(ids[len(ids) - len(undone) :])  # newest first, no gaps
    for card_id in CARDS:
        first_undone = db.execute(
            "SELECT fsrs_before FROM reviews WHERE card_id = ? AND undone_at IS NOT NULL "
            "ORDER BY id LIMIT 1",
            [card_id],
        ).fetchone()
        state = db.execute("SELECT fsrs FROM cards WHERE id = ?", [card_id]).fetchone()[0]
        # the card is exactly as it was before its earliest undone review: never half-undone
        assert state == (first_undone[0] if first_undone else final[card_id])


def test_sigkill_mid_restore_leaves_the_current_data_whole(db_path):
    db = store.connect(db_path, backup=False)
    now = store.utcnow()
    for i, card_id in enumerate(CARDS):
        schedule.record_review(db, card_id, 3, now=now - timedelta(minutes=10 - i))
    # pad the file so the copy takes several steps (1024 pages each)
    db.execute(
        "INSERT INTO chat_sessions (id, title, created_at, updated_at) VALUES (1, 't', '', '')"
    )
    db.conn.executemany(
        "INSERT INTO chat_messages (session_id, role, text, sources, in_scope, created_at) "
        "VALUES (1, 'user', ?, '[]', 1, '')",
        [(f"{i:05d}" + "x" * 4000,) for i in range(3000)],
    )
    old = backups.make_backup(db.conn, db_path, reason="manual")
    # after the backup: reviews the learner made and was shown as saved
    for i in range(5):
        schedule.record_review(db, CARDS[i % 3], 4, now=now + timedelta(minutes=i))
    current = db.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    db.conn.close()

    lines, status = _run(RESTORE_WORKER, str(db_path), str(old.path), kill_after=1)
    assert status == -signal.SIGKILL
    assert lines[0].startswith("step ") and not any(line.startswith("restored") for line in lines)
    done, total = map(int, lines[0].split()[1].split("/"))
    assert 0 < done < total  # killed half-way through the copy

    db = store.connect(db_path, backup=False)
    assert store.integrity(db) == "ok"
    assert db.execute("SELECT * FROM reviews ORDER BY id").fetchall() == current
    # the safety backup made before the copy is whole and holds the current reviews
    safety = [b for b in backups.list_backups(db_path) if b.reason == "before-restore"]
    assert len(safety) == 1
    assert backups.verify(safety[0].path)[2] == len(current)
    # and the restore, run again to the end, gives the backup's data
    db.conn.close()
    lines, status = _run(RESTORE_WORKER, str(db_path), str(old.path), kill_after=None)
    assert status == 0 and lines[-1].startswith("restored")
    db = store.connect(db_path, backup=False)
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(CARDS)
