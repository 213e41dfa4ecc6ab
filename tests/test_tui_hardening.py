"""Issue 13 in the TUI: the walk-through's defects (../shared/reviews/walk-through.md) on
screens, each driven with `App.run_test()` on the real store and the real grader.

The number in each docstring is the defect's number in the walk-through.
"""

from __future__ import annotations

import os

import pytest
from test_tui_support import make_app, ready, screen_text, tui_env, wait_for
from textual import events
from textual.widgets import Input, OptionList

from tui.screens.chat import ChatScreen
from tui.screens.demos import curve_steps
from tutor.demos import DEMOS
from tutor.demos.events import Event

pytestmark = pytest.mark.anyio


async def test_a_question_typed_at_once_after_a_lands_in_the_chat(tmp_path, monkeypatch):
    """Focus: a question typed within ~150 ms of `a` was lost (its keys reached the home
    screen, which no longer had anything to do with them). The keys are posted the way
    the terminal driver posts them: all at once, with no pause between."""
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for key, char in [("a", "a")] + [(c if c != " " else "space", c) for c in "why relu?"]:
            app.post_message(events.Key(key, char))
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        box = app.screen.query_one("#question", Input)
        await wait_for(pilot, lambda: box.value == "why relu?")
        assert box.has_focus


def _attention_metrics() -> dict[str, float]:
    """A run of the attention demo, as numbers: layer 5 stands out on [CLS]/[SEP]."""
    metrics = {"tokens": 12.0, "layers": 6.0, "heads": 12.0, "truncated": 0.0}
    for layer, (share, entropy) in enumerate(
        [(0.27, 1.9), (0.40, 1.5), (0.41, 1.4), (0.44, 1.2), (0.71, 1.0), (0.45, 1.3)], start=1
    ):
        metrics[f"special_attention_layer{layer}"] = share
        metrics[f"entropy_layer{layer}"] = entropy
        metrics[f"self_attention_layer{layer}"] = 0.1
    metrics.update(
        learned_sim_adjacent=0.8, learned_sim_far=0.2,
        sinusoidal_sim_adjacent=0.9, sinusoidal_sim_far=0.1,
    )  # fmt: skip
    return metrics


async def test_demo_questions_with_six_choices_take_keys_5_and_6(tmp_path, monkeypatch):
    """#18: the attention demo's 6 layers could only be answered with 1-4, the hint said
    "1-4" whatever the number of choices, and Enter with nothing chosen answered 1.
    #17: the questions sit below the run, so the numbers they ask about stay in view."""
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.open("demos")
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
        await pilot.pause()
        screen.demo = DEMOS["attention"]  # the questions of a finished run, given its numbers
        screen.query_one("#run-column").display = True
        screen.query_one("#demo-list").display = False
        screen.finished(Event("done", 3, 3, _attention_metrics(), {}), screen.cancel)
        await pilot.pause()
        assert screen.state == "questions"
        question = screen.questions[0]
        assert len(question.choices) == 6 and question.answer == "layer 5"
        text = screen_text(app)
        assert "1-6 to answer" in text and "1-4" not in text
        final = screen.query_one("#final")
        assert final.display and final.region.height > 0  # the final numbers, on screen
        assert "special attention by layer 0.27 0.4 0.41 0.44 0.71 0.45" in str(final.content)
        await pilot.press("enter")  # nothing highlighted: no answer
        assert screen.state == "questions"
        await pilot.press("5")
        await wait_for(pilot, lambda: screen.state == "answered")
        assert screen.right == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "questions")
        second = screen.questions[1]
        await pilot.press(str(second.choices.index(second.answer) + 1))
        await wait_for(pilot, lambda: screen.state == "answered")
        assert screen.right == 2


def test_a_near_tie_is_never_asked_as_a_which_layer_question():
    """#17: "which layer put the most attention on [CLS]/[SEP]" was asked at 56% vs 57%."""
    metrics = _attention_metrics()
    metrics["special_attention_layer2"] = 0.70  # 70% against layer 5's 71%
    prompts = [q.prompt for q in DEMOS["attention"].questions(metrics)]
    assert not any("MOST attention" in p for p in prompts)
    assert any("LEAST attention" in p for p in prompts)  # layer 1's 27% stands out


def test_a_metric_measured_now_and_then_is_drawn_at_its_steps():
    """#17: the RNN's validation loss (6 points over 300 steps) was drawn at x = 1..6."""
    from tutor.demos.render import DemoView

    view = DemoView("rnn", "RNN")
    for step in range(0, 301):
        metrics = {"rnn_loss": 3.0 - step / 200}
        if step % 60 == 0:
            metrics["rnn_val_loss"] = 3.1 - step / 210
        view.update(Event("progress", step, 300, metrics))
    values, steps = view.history["rnn_val_loss"], view.history_steps["rnn_val_loss"]
    assert curve_steps(values, steps) == [0, 60, 120, 180, 240, 300]
    assert curve_steps([1.0, 2.0], None) == [1, 2]


async def test_the_attention_demo_reads_the_learners_sentence(tmp_path, monkeypatch):
    """#29: the demo list promises "your sentence", but the TUI had no way to type one."""
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.open("demos", quick=True)
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
        await pilot.pause()
        demo_list = screen.query_one("#demo-list", OptionList)
        demo_list.highlighted = next(
            i for i in range(demo_list.option_count)
            if demo_list.get_option_at_index(i).id == "attention"
        )  # fmt: skip
        await pilot.pause()
        assert "Your sentence" in screen_text(app)
        await pilot.press("t")
        box = screen.query_one("#sentence", Input)
        assert box.display and box.has_focus
        await pilot.press("enter")  # empty: a hint, nothing runs
        assert screen.state == "list"
        box.value = "Penguins huddle together through the polar winter"
        await pilot.press("enter")
        assert screen.demo.name == "attention" and screen.options == {"text": box.value}
        await wait_for(pilot, lambda: screen.state == "questions", timeout=300)
        from rich.console import Console

        with open(os.devnull, "w") as sink:
            console = Console(width=200, record=True, file=sink)
            console.print(screen.query_one("#picture").content)  # the heatmaps' row labels
        assert "penguins" in console.export_text().lower()


async def test_escape_sequences_in_notes_and_cards_never_reach_the_tui(tmp_path, monkeypatch):
    """#6 in the TUI: a note's `\\x1b]0;pwned\\x07` and `\\x1b[2J` retitled the terminal and
    blanked the chat until restart (the CLI paths: test_services)."""
    from tui.screens.chat import TutorMessage
    from tui.screens.review import ReviewScreen
    from tutor.library import update_library
    from tutor.services import Tutor

    data = tmp_path / "home"
    monkeypatch.setenv("TUTOR_HOME", str(data))
    notes = tmp_path / "notes"
    notes.mkdir()
    escapes = "\x1b]0;pwned\x07 and \x1b[2J"
    (notes / "lab.md").write_text(f"# Lab\n\nThe lab wifi password is heliotrope {escapes} ok.\n")
    update_library([notes])
    deck = tmp_path / "deck.csv"
    deck.write_text(f"front,back,deck\nWhat is the lab password{escapes}?,heliotrope,evil\n")
    Tutor().import_csv(deck)
    app = make_app(None, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.open_chat("what is the lab wifi password?")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("enter")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.query(TutorMessage)) == 1)
        widget = screen.query_one(TutorMessage)
        await wait_for(pilot, lambda: widget.record is not None, timeout=300)
        await pilot.pause()
        shown = app.export_screenshot()
        assert "heliotrope" in widget.record["text"] and "\x1b" not in widget.record["text"]
        assert "\x1b" not in shown and "\x07" not in shown
        await pilot.press("escape")
        app.open("quiz", lesson_id="csv-evil")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        await wait_for(pilot, lambda: review.state == "question")
        assert "lab password" in screen_text(app)
        assert "\x1b" not in app.export_screenshot()


async def test_the_cosmetic_list(tmp_path, monkeypatch):
    """The walk-through's cosmetic list: the help screen ran a palette title into its help
    ("reschedulingGo over"), the palette listed "Keys" twice, the chat history said
    "1 messages", and at 80 columns the lesson reader's footer was cut at "^q"."""
    from tui.screens.help import HelpScreen
    from tui.screens.sessions import SessionsScreen
    from tutor.store import chat

    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        one = chat.new_session(app.db)
        chat.add_message(app.db, one.id, "user", "a single question")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = " ".join(str(w.render()) for w in app.screen.query(".help-rows"))
        assert "reschedulingGo" not in rows and "rescheduling  Go over" in rows
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Keys") == 1
        app.push_screen(SessionsScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "1 message" in text and "1 messages" not in text and "UTC" not in text
        await pilot.press("escape")
        app.open_lesson("alpha")
        # the footer is drawn after the lesson's first paint: on a busy machine, after 0.5 s
        await wait_for(pilot, lambda: "? Keys" in (t := screen_text(app)) and "^q Quit" in t)
