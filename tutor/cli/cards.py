"""`tutor cards` (browse), `tutor card ID` (show, suspend, bury, flag, edit) and `tutor undo`.

Thin wrappers over the facade (`Tutor.browse`, `Tutor.card`, `Tutor.suspend`, ...);
course and learner text is printed as plain text through `safe_text`, so no
escape sequence in a card can reach the terminal.
"""

from __future__ import annotations

from datetime import datetime

import click

from tutor.cli import cli, echo_json
from tutor.cli.study import _synced
from tutor.errors import TutorError
from tutor.text import safe_text

QUESTION_CHARS = 60
MARKS = (("suspended", "S"), ("flagged", "F"), ("leech", "L"), ("edited", "E"))


def _short(text: str, width: int) -> str:
    text = " ".join(safe_text(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _day(iso_text: str | None) -> str:
    """A stored UTC time as the learner's local date ('-' when there is none)."""
    if not iso_text:
        return "-"
    from tutor.study.clock import local_day, parse_iso

    return local_day(parse_iso(iso_text)).isoformat()


def _marks(row, now: str) -> str:
    marks = "".join(letter for name, letter in MARKS if getattr(row, name))
    if row.buried_until and row.buried_until > now:
        marks += "B"
    return marks or "-"


@cli.command("cards")
@click.option("--search", "-s", metavar="Q", help="Every word must appear (question or answers).")
@click.option("--lesson", metavar="ID", help="Only this lesson's cards.")
@click.option("--due", is_flag=True, help="Only the cards a review would show today.")
@click.option("--suspended", is_flag=True, help="Only suspended cards (leeches included).")
@click.option("--flagged", is_flag=True, help="Only flagged cards.")
@click.option("--leeches", is_flag=True, help="Only cards tagged leech.")
@click.option("--buried", is_flag=True, help="Only cards buried until tomorrow.")
@click.option("--all", "retired", is_flag=True, help="Include retired cards.")
@click.option("-n", "--limit", type=click.IntRange(0, None), default=100, show_default=True,
              help="At most N cards (0: all).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cards_command(search, lesson, due, suspended, flagged, leeches, buried, retired, limit,
                  as_json) -> None:  # fmt: skip
    """List cards with their state, due date, stability, difficulty, lapses and marks.

    Marks: S suspended, B buried, F flagged, L leech, E edited by you. `tutor card ID`
    shows one card with its review history.
    """
    from tutor.study.clock import iso

    tutor = _synced(None)
    page = tutor.browse(
        search=search,
        lesson=lesson,
        due=due,
        suspended=True if suspended else None,
        flagged=True if flagged else None,
        leech=True if leeches else None,
        buried=True if buried else None,
        retired=retired,
        limit=limit or None,
    )
    now = iso(tutor.clock())
    if as_json:
        echo_json(
            {
                "total": page.total,
                "shown": len(page.cards),
                "cards": [r.to_dict(now, page.answers.get(r.id)) for r in page.cards],
            }
        )
        return
    if not page.cards:
        click.echo("No cards match.")
        return
    width = max(len(r.id) for r in page.cards)
    click.echo(
        f"{'id':<{width}}  {'state':<10} {'due':<10} {'stab':>6} {'diff':>4} {'lapses':>6} "
        f"{'marks':<5} question"
    )
    for r in page.cards:
        from tutor.cards.model import state_name

        stability = f"{r.stability:.1f}d" if r.stability is not None else "-"
        difficulty = f"{r.difficulty:.1f}" if r.difficulty is not None else "-"
        click.echo(
            f"{safe_text(r.id):<{width}}  {state_name(r.state, r.last_review):<10} "
            f"{_day(r.due if r.last_review else None):<10} {stability:>6} {difficulty:>4} "
            f"{r.lapses:>6} {_marks(r, now):<5} {_short(r.question, QUESTION_CHARS)}"
        )
    if page.total > len(page.cards):
        click.echo(f"… {page.total - len(page.cards)} more (use -n 0 for all)")
    else:
        click.echo(f"{page.total} card{'s' if page.total != 1 else ''}")


def _show(tutor, card_id: str, now: str) -> None:
    card = tutor.card(card_id)
    data = card.to_dict(now)
    click.echo(f"{safe_text(card.id)}  ({data['state']}, {card.kind})")
    click.echo(f"  lesson:    {safe_text(card.source_heading or card.lesson_title)}")
    click.echo(f"  question:  {safe_text(card.question)}")
    for i, choice in enumerate(card.choices):
        click.echo(f"             {'abcdef'[i] if i < 6 else '-'}) {safe_text(choice)}")
    click.echo(f"  reference: {safe_text(card.answer)}")
    if card.accept:
        click.echo(f"  accepted:  {' | '.join(safe_text(a) for a in card.accept)}")
    marks = [name for name in ("suspended", "buried", "flagged", "leech", "edited") if data[name]]
    if card.last_review:
        click.echo(
            f"  due {_day(card.due)} · stability {card.stability:.1f} d · difficulty "
            f"{card.difficulty:.1f} · {card.lapses} lapse{'s' if card.lapses != 1 else ''}"
        )
    if marks:
        click.echo(f"  marks:     {', '.join(marks)}")
    history = tutor.card_history(card_id)
    if not history:
        click.echo("  no reviews yet")
        return
    from tutor.study.schedule import RATING_NAMES, Rating

    click.echo("  history:")
    for h in history:
        when = datetime.fromisoformat(h.reviewed_at).astimezone().strftime("%Y-%m-%d %H:%M")
        note = " (cram)" if h.cram else ""
        if h.undone_at:
            note += " (undone)"
        answer = _short(h.answer, 40) if h.answer else "-"
        click.echo(
            f"    {when}  {RATING_NAMES[Rating(h.rating)]:<5} {h.verdict or '-':<9} {answer}{note}"
        )


@cli.command("card")
@click.argument("card_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--suspend/--unsuspend", default=None, help="Never schedule it / schedule it again.")
@click.option("--bury/--unbury", default=None, help="Hide it until tomorrow / bring it back.")
@click.option("--flag/--unflag", default=None, help="Flag it for later / take the flag off.")
@click.option("--question", metavar="TEXT", help="Your own wording of the question.")
@click.option("--reference", metavar="TEXT", help="Your own reference answer.")
@click.option("--accept", multiple=True, metavar="TEXT",
              help="An accepted answer (repeatable; replaces the list).")  # fmt: skip
@click.option("--revert", is_flag=True, help="Drop your edits: the course's text again.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def card_command(card_ids, suspend, bury, flag, question, reference, accept, revert,
                 as_json) -> None:  # fmt: skip
    """Show a card and its review history; suspend, bury, flag or edit it.

    Edits are yours: they survive course updates (`--revert` drops them). Marks
    take several ids at once; edits one.
    """
    from tutor.study.clock import iso

    ids = list(dict.fromkeys(card_ids))
    editing = question is not None or reference is not None or accept or revert
    if editing and len(ids) != 1:
        raise click.UsageError("edit one card at a time")
    if revert and (question is not None or reference is not None or accept):
        raise click.UsageError("--revert drops your edits; give it alone")
    tutor = _synced(None)
    changed: dict[str, int] = {}
    for name, value, method in (
        ("suspended" if suspend else "unsuspended", suspend, tutor.suspend),
        ("buried" if bury else "unburied", bury, tutor.bury),
        ("flagged" if flag else "unflagged", flag, tutor.flag),
    ):
        if value is not None:
            changed[name] = method(ids, value)
    if revert:
        tutor.revert_card(ids[0])
        changed["reverted"] = 1
    elif editing:
        tutor.edit_card(
            ids[0], question=question, answer=reference, accept=list(accept) if accept else None
        )
        changed["edited"] = 1
    now = iso(tutor.clock())
    if as_json:
        cards = []
        for card_id in ids:
            data = tutor.card(card_id).to_dict(now)
            data["history"] = [
                {
                    "review_id": h.review_id,
                    "reviewed_at": h.reviewed_at,
                    "rating": h.rating,
                    "verdict": h.verdict,
                    "answer": h.answer,
                    "duration_ms": h.duration_ms,
                    "cram": h.cram,
                    "undone_at": h.undone_at,
                }
                for h in tutor.card_history(card_id)
            ]
            cards.append(data)
        echo_json({"changed": changed, "cards": cards})
        return
    for name, count in changed.items():
        if name not in ("edited", "reverted"):
            click.echo(f"{count} card{'s' if count != 1 else ''} {name}", err=True)
    for card_id in ids:
        _show(tutor, card_id, now)


@cli.command("undo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def undo_command(as_json: bool) -> None:
    """Take back today's latest review: the card's schedule goes back to what it was.

    Run it again to go further back through today's reviews. The review log keeps
    the review, marked undone, and a record of the undo.
    """
    from tutor.cli import tutor_from
    from tutor.study.clock import describe_wait
    from tutor.study.schedule import RATING_NAMES

    tutor = tutor_from()
    result = tutor.undo()
    if as_json:
        echo_json(result.to_dict())
        return
    try:
        question = _short(tutor.card(result.card_id).question, QUESTION_CHARS)
    except TutorError:
        question = result.card_id
    what = f"Undone: {RATING_NAMES[result.rating]} on “{question}”"
    if result.cram:
        click.echo(f"{what} (a cram review: the schedule had not moved).")
        return
    wait = (result.due - tutor.clock()).total_seconds() if result.due else 0
    back = "due now" if wait <= 0 else f"due {describe_wait(wait)}"
    click.echo(f"{what}; the card is {back} again.")
    if result.unleeched:
        click.echo("It is no longer a leech, and no longer suspended.")
