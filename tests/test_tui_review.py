"""Pilot tests for the review and quiz screens: answer, grade, rate, finish, quit.

The app runs on the small course of test_tui_support with the real store, the real
card sync and the real grader (short answers are graded in the answerer's child
process, which loads the sentence model). The cards
are synced once per module into a template database that each test copies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_tui_support import make_app, ready, screen_text, tui_env, wait_for, write_course
from textual.widgets import Input

from tui.screens.home import HomeScreen
from tui.screens.quiz import QuizScreen
from tui.screens.review import ReviewScreen
from tutor import store

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A store with the small course's cards in it (the sync loads the model once)."""
    from tutor.cards.sync import sync_cards
    from tutor.course import load_course

    root = tmp_path_factory.mktemp("template")
    course = load_course(write_course(root / "course"))
    db = store.connect(root / "tutor.db")
    sync_cards(db, course)
    db.conn.close()
    return root / "tutor.db"


@pytest.fixture
def env(tmp_path, monkeypatch, template_db) -> tuple[Path, Path]:
    course, data = tui_env(tmp_path, monkeypatch)
    shutil.copy(template_db, data / "tutor.db")
    return course, data


def reviews(data: Path) -> list[tuple]:
    db = store.connect(data / "tutor.db")
    try:
        return db.execute(
            "SELECT card_id, rating, verdict, cram FROM reviews ORDER BY id"
        ).fetchall()
    finally:
        db.conn.close()


async def open_review(pilot, name: str = "review", **kwargs) -> ReviewScreen:
    await ready(pilot)
    pilot.app.open(name, **kwargs)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.state in ("question", "empty", "done"))
    return screen


async def answer(pilot, screen: ReviewScreen, text: str) -> None:
    """Type `text` into the answer box, press Enter, wait for the verdict."""
    assert screen.state == "question"
    box = screen.query_one("#answer", Input)
    assert box.has_focus
    box.value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.state == "feedback", timeout=120)
    await pilot.pause()  # let the feedback render before a test reads the screen


def right_answer(screen: ReviewScreen) -> str:
    return screen.session.current.answer


async def test_answer_wrong_then_right_and_rate(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        assert screen.state == "question"
        first = screen.session.current
        await answer(pilot, screen, "bananas and custard")
        sub = screen.submission
        assert sub.grade.verdict == "incorrect"
        assert int(sub.suggested) == 1
        text = screen_text(app)
        assert "Not quite" in text and first.answer in text
        assert "Alpha [bold]not bold[/]" in text  # course text is never markup
        await pilot.press("enter")  # accept the suggested rating (Again)
        await wait_for(pilot, lambda: screen.state == "question")
        # the review is on disk before the next card is on screen
        assert reviews(data) == [(first.id, 1, "incorrect", 0)]
        assert "Recorded: Again" in screen_text(app)

        second = screen.session.current
        await answer(pilot, screen, right_answer(screen))
        assert screen.submission.grade.verdict == "correct"
        await pilot.press("2")  # override the suggestion: Hard
        await wait_for(pilot, lambda: screen.state in ("question", "done"))
        assert reviews(data)[-1] == (second.id, 2, "correct", 0)


async def test_empty_answer_shows_the_answer(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        card = screen.session.current
        await answer(pilot, screen, "")
        assert screen.submission.grade.verdict == "incorrect"
        assert card.answer in screen_text(app)
        await pilot.press("3")
        await wait_for(pilot, lambda: screen.state == "question")
        assert reviews(data) == [(card.id, 3, "incorrect", 0)]


async def test_finish_a_review_shows_the_summary(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        for _ in range(20):  # 4 new cards; each comes back once for its learning step
            if screen.state == "done":
                break
            await answer(pilot, screen, right_answer(screen))
            await pilot.press("3")
            await wait_for(pilot, lambda: screen.state in ("question", "done"))
        assert screen.state == "done"
        text = screen_text(app)
        assert "Session over" in text
        count = len(reviews(data))
        assert count >= 4
        assert f"{count} cards rated" in text
        assert f"{count} right" in text
        assert "next card due" in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        # a second review finds nothing due, and offers cram
        screen = await open_review(pilot)
        assert screen.state == "empty"
        assert "Nothing is due" in screen_text(app)
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.state == "question")
        assert screen.session.cram
        await answer(pilot, screen, right_answer(screen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state in ("question", "done"))
        assert reviews(data)[-1][3] == 1  # cram review, logged only


async def test_quit_mid_review_keeps_rated_reviews(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        rated = []
        for rating in ("4", "1"):
            rated.append(screen.session.current.id)
            await answer(pilot, screen, right_answer(screen))
            await pilot.press(rating)
            await wait_for(pilot, lambda: screen.state == "question")
        # a third card is answered but not rated when the learner quits: it is
        # recorded with the suggested rating, not dropped (walk-through #21)
        third = screen.session.current.id
        await answer(pilot, screen, right_answer(screen))
        suggested = int(screen.submission.suggested)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert [(r[0], r[1]) for r in reviews(data)] == [
        (rated[0], 4),
        (rated[1], 1),
        (third, suggested),
    ]


async def test_leaving_after_the_verdict_records_the_answer(env):
    """#21: esc between the verdict and the rating dropped the graded answer too."""
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        card = screen.session.current.id
        await answer(pilot, screen, "bananas and custard")
        graded = screen.submission
        text = screen_text(app)
        for label in ("Not quite", "Partly right", "Correct"):  # the verdict once (#28)
            assert f"{label}  {label}" not in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert reviews(data) == [(card, int(graded.suggested), graded.grade.verdict, 0)]


async def test_escape_mid_review_goes_back(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        await answer(pilot, screen, right_answer(screen))
        await pilot.press("3")
        await wait_for(pilot, lambda: screen.state == "question")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert len(reviews(data)) == 1


async def test_quiz_on_one_section(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot, "quiz", lesson_id="beta", section_id="what-is-beta")
        assert isinstance(screen, QuizScreen)
        ids = [screen.session.current.id, *screen.session.peek_ids()]
        assert ids and all(i.split(":")[1] == "beta" for i in ids)
        # the section by number: its title could give a cloze's answer away (#20)
        assert "Quiz: Beta and the second place, section" in screen_text(app)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_review_question_snapshot(snap_compare, env, size):
    app = make_app(*env)

    async def run_before(pilot):
        screen = await open_review(pilot)
        screen.query_one("#answer", Input).cursor_blink = False  # a blink is not a change
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_quiz_feedback_snapshot(snap_compare, env, size):
    app = make_app(*env)

    async def run_before(pilot):
        screen = await open_review(pilot, "quiz", ids=["gen-cloze:alpha:alpha"])
        await answer(pilot, screen, "gamma")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


MCQ = """\
- id: alpha-mcq
  type: mcq
  section: What is alpha?
  question: Which letter comes first in the Greek alphabet?
  choices:
    - beta
    - gamma
    - alpha
    - omega
  answer: alpha
  explanation: Alpha is the first letter, beta the second.
"""


def mcq_app(tmp_path, monkeypatch):
    """The app over a course whose one quiz card is MCQ, its cards already synced."""
    from tutor.cards.sync import sync_cards
    from tutor.course import load_course

    course, data = tui_env(tmp_path, monkeypatch)
    (course / "01-alpha.quiz.yaml").write_text(MCQ, encoding="utf-8")
    db = store.connect(data / "tutor.db")
    sync_cards(db, load_course(course))
    db.conn.close()
    return make_app(course, data), data


async def test_pick_a_choice_with_a_number_key(tmp_path, monkeypatch):
    app, data = mcq_app(tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot, "quiz", ids=["alpha-mcq", "alpha-mcq"])
        card = screen.session.current
        assert card.kind == "mcq"
        choices = card.choices  # shuffled per card, the same every session
        right = choices.index(card.answer) + 1
        wrong = next(n for n in range(1, len(choices) + 1) if n != right)
        assert f"{len(choices)}  {choices[-1]}" in screen_text(app)
        await pilot.press(str(wrong))
        await wait_for(pilot, lambda: screen.state == "feedback")
        assert screen.submission.grade.verdict == "incorrect"
        assert f"{wrong}) {choices[wrong - 1]}" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "question")
        await pilot.press("enter")  # a second Enter does not pick the first choice
        await pilot.pause()
        assert screen.state == "question" and screen.submission is None
        await pilot.press(str(right))
        await wait_for(pilot, lambda: screen.state == "feedback")
        assert screen.submission.grade.verdict == "correct"
        await pilot.press("4")
        await wait_for(pilot, lambda: screen.state == "done")
    assert reviews(data) == [("alpha-mcq", 1, "incorrect", 0), ("alpha-mcq", 4, "correct", 0)]


async def test_i_was_right_overrides_the_verdict_and_is_kept_for_the_card(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        while screen.session.current.kind != "short":
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen.state in ("question", "done"))
            assert screen.state == "question", "the small course has a short card"
        card = screen.session.current
        await answer(pilot, screen, "bananas and custard")
        assert screen.submission.grade.verdict == "incorrect"
        assert "y I was right" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.submission.grade.verdict == "correct")
        assert int(screen.submission.suggested) in (3, 4)  # Good (or Easy when quick)
        assert "You marked this answer correct" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state in ("question", "done"))
    card_id, rating, verdict, _ = reviews(data)[-1]
    assert (card_id, verdict) == (card.id, "correct") and rating in (3, 4)
    db = store.connect(data / "tutor.db")
    try:
        kept = db.execute("SELECT card_id, answer, label FROM grade_examples").fetchall()
    finally:
        db.conn.close()
    assert kept == [(card.id, "bananas and custard", "correct")]


async def test_letters_typed_on_a_choice_card_are_not_commands(tmp_path, monkeypatch):
    """Typing a word on a multiple-choice card used to hit the single-letter keys:
    "u" undid the last review and "q" left the screen."""
    app, data = mcq_app(tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot, "quiz", ids=["alpha-mcq", "alpha-mcq"])
        card = screen.session.current
        right = card.choices.index(card.answer) + 1
        await pilot.press(str(right))
        await wait_for(pilot, lambda: screen.state == "feedback")
        await pilot.press("3")
        await wait_for(pilot, lambda: screen.state == "question")
        await pilot.press(*"quit alpha")
        await pilot.pause()
        assert app.screen is screen and screen.state == "question"
        assert "Pick a choice with its number, 1 to 4" in screen_text(app)
        assert reviews(data) == [("alpha-mcq", 3, "correct", 0)]
        await pilot.press("ctrl+z")  # the undo key itself still works
        await wait_for(pilot, lambda: "Undone: Good" in screen_text(app))
