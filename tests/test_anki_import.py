"""Importing Anki packages (issue 15): our own export back, a hand-built Anki 2.0/2.1
collection (schema 11), an Anki 2.1.50+ package (zstd, schema 18), bad files. Real SQLite
files and zip packages written here; the CLI through click."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import UTC, datetime

import pytest
import zstandard
from click.testing import CliRunner
from fsrs import Rating
from test_cards import write_course

from tutor.cards.anki import card_id_for, html_to_text
from tutor.cards.exchange import ExchangeError
from tutor.cli import cli
from tutor.services import Tutor
from tutor.study import schedule

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

# --- building packages the way Anki lays them out -------------------------------------------

COL = (
    "CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, "
    "scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, "
    "ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL, "
    "dconf text NOT NULL, tags text NOT NULL);"
)
NOTES_CARDS = """
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL,
  sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
  ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
  queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
  reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
  odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL,
  ease integer NOT NULL, ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL,
  time integer NOT NULL, type integer NOT NULL);
CREATE INDEX ix_cards_nid ON cards (nid);
"""
SCHEMA11 = (
    COL
    + NOTES_CARDS
    + ("CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);")
)
# schema 18: note types, fields, templates and decks in tables of their own (names in
# Anki's own `unicase` collation), their settings in protobuf blobs
SCHEMA18 = (
    COL
    + NOTES_CARDS
    + """
CREATE TABLE deck_config (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE TABLE config (KEY text NOT NULL PRIMARY KEY, usn integer NOT NULL,
  mtime_secs integer NOT NULL, val blob NOT NULL) without rowid;
CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid;
CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid);
CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, mtime_secs integer NOT NULL, usn integer NOT NULL,
  config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid;
CREATE UNIQUE INDEX idx_templates_name_ntid ON templates (name, ntid);
CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL);
CREATE UNIQUE INDEX idx_decks_name ON decks (name);
CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE unicase, usn integer NOT NULL,
  collapsed boolean NOT NULL, config blob NULL) without rowid;
CREATE TABLE graves (oid integer NOT NULL, type integer NOT NULL, usn integer NOT NULL,
  PRIMARY KEY (oid, type)) WITHOUT ROWID;
"""
)

BASIC_REVERSED = {
    "id": 1001,
    "name": "Basic (and reversed card)",
    "type": 0,
    "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}],
    "tmpls": [
        {"name": "Card 1", "ord": 0, "qfmt": "{{Front}}",
         "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"},
        {"name": "Card 2", "ord": 1, "qfmt": "{{Back}}",
         "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}"},
    ],
}  # fmt: skip
CLOZE = {
    "id": 1002,
    "name": "Cloze",
    "type": 1,
    "flds": [{"name": "Text", "ord": 0}, {"name": "Back Extra", "ord": 1}],
    "tmpls": [
        {"name": "Cloze", "ord": 0, "qfmt": "{{cloze:Text}}",
         "afmt": "{{cloze:Text}}<br>\n{{#Back Extra}}{{Back Extra}}{{/Back Extra}}"},
    ],
}  # fmt: skip
DECK = {"id": 77, "name": "Languages::French"}

FRONT = "<b>What is</b> the capital<br>of France?&nbsp;<script>alert('x')</script>"
BACK = 'Paris <img src="paris.png"> [sound:paris.mp3]<style>b { color: red }</style>'
CLOZE_TEXT = (
    "{{c1::Dropout::a regulariser}} randomly zeroes <div>{{c2::activations}} in training.</div>"
)
# (guid, model, fields, card ordinals)
NOTES = [
    ("g-basic", BASIC_REVERSED, [FRONT, BACK], [0, 1]),
    ("g-cloze", CLOZE, [CLOZE_TEXT, "See <i>lesson&nbsp;3</i> &amp; more"], [0, 1]),
    ("g-markup", BASIC_REVERSED, ["[bold]x[/bold]", "\x1b]0;pwned\x07\x1b[31mred"], [0]),
    ("g-stray", {"id": 4242}, ["no note type"], [0]),  # its note type is not in the package
]


def _fill(conn, notes, deck_id: int) -> None:
    card_id = 5000
    for n, (guid, model, fields, ordinals) in enumerate(notes, start=1):
        conn.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, -1, '', ?, ?, 0, 0, '')",
            [1_600_000_000_000 + n, guid, model["id"], "\x1f".join(fields), fields[0]],
        )
        for ordinal in ordinals:
            card_id += 1
            conn.execute(
                "INSERT INTO cards VALUES (?, ?, ?, ?, 0, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                [card_id, 1_600_000_000_000 + n, deck_id, ordinal, n],
            )


def legacy_collection(path, notes=NOTES, models=(BASIC_REVERSED, CLOZE)) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA11)
    conn.execute(
        "INSERT INTO col VALUES (1, 1411124400, 0, 0, 11, 0, 0, 0, '{}', ?, ?, '{}', '{}')",
        [
            json.dumps({str(m["id"]): m for m in models}),
            json.dumps({"1": {"id": 1, "name": "Default"}, str(DECK["id"]): DECK}),
        ],
    )
    _fill(conn, notes, DECK["id"])
    conn.commit()
    conn.close()


def package(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def legacy_package(tmp_path, name="legacy.apkg", member="collection.anki2", **kwargs):
    col = tmp_path / f"{name}.sqlite"
    legacy_collection(col, **kwargs)
    return package(tmp_path / name, {member: col.read_bytes(), "media": b'{"0": "paris.png"}'})


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _proto(*fields: tuple[int, int | str]) -> bytes:
    """A protobuf message: varint fields for ints, length-delimited ones for text."""
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            out += _varint(number << 3) + _varint(value)
        else:
            data = value.encode()
            out += _varint(number << 3 | 2) + _varint(len(data)) + data
    return out


def _unicase(a: str, b: str) -> int:
    return (a.casefold() > b.casefold()) - (a.casefold() < b.casefold())


def zstd(data: bytes) -> bytes:
    """zstd frames as Anki writes them: streamed, with no content size in the header."""
    import io

    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        writer.write(data)
    return out.getvalue()


def latest_package(tmp_path, name="latest.apkg"):
    """An Anki 2.1.50+ package: meta, zstd `collection.anki21b` (schema 18), the dummy
    `collection.anki2` older Anki versions show, a zstd protobuf media list."""
    path = tmp_path / f"{name}.sqlite"
    conn = sqlite3.connect(path)
    conn.create_collation("unicase", _unicase)
    conn.executescript(SCHEMA18)
    conn.execute("INSERT INTO col VALUES (1, 1411124400, 0, 0, 18, 0, 0, 0, '', '', '', '', '')")
    for model in (BASIC_REVERSED, CLOZE):
        config = _proto((1, 1)) if model["type"] == 1 else b""  # kind: proto3 omits NORMAL = 0
        conn.execute(
            "INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)",
            [model["id"], model["name"], config + _proto((3, ".card { color: black; }"))],
        )
        for f in model["flds"]:
            conn.execute(
                "INSERT INTO fields VALUES (?, ?, ?, ?)",
                [model["id"], f["ord"], f["name"], _proto((3, "Arial"), (4, 20))],
            )
        for t in model["tmpls"]:
            conn.execute(
                "INSERT INTO templates VALUES (?, ?, ?, 0, 0, ?)",
                [model["id"], t["ord"], t["name"], _proto((1, t["qfmt"]), (2, t["afmt"]))],
            )
    conn.execute("INSERT INTO decks VALUES (1, 'Default', 0, 0, x'', x'0a020801')")
    conn.execute(
        "INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'0a020801')",
        [DECK["id"], DECK["name"].replace("::", "\x1f")],  # schema 18 keeps \x1f in names
    )
    _fill(conn, NOTES[:3], DECK["id"])
    conn.commit()
    conn.close()
    dummy = tmp_path / "dummy.anki2"
    legacy_collection(
        dummy,
        notes=[("g-dummy", BASIC_REVERSED, ["Please update to the latest Anki version.", ""], [0])],
    )
    return package(
        tmp_path / name,
        {
            "meta": _proto((1, 3)),  # PackageMetadata.version = VERSION_LATEST
            "collection.anki21b": zstd(path.read_bytes()),
            "collection.anki2": dummy.read_bytes(),
            "media": zstd(b""),
        },
    )


@pytest.fixture
def tutor(tmp_path, tutor_home):
    t = Tutor(write_course(tmp_path / "course"), tutor_home / "tutor.db", clock=lambda: T0)
    t.sync_cards()
    yield t
    t.close()


def _anki_cards(tutor) -> dict[str, object]:
    return {c.id: c for c in tutor.cards() if c.origin == "anki"}


# --- the tests ----------------------------------------------------------------------------


def test_our_own_export_imports_back_as_the_same_cards(tutor, tmp_path):
    path = tmp_path / "ours.apkg"
    tutor.export_anki(path)
    report = tutor.import_anki(path)
    course = [c for c in tutor.cards() if c.origin != "anki"]
    assert report.added == len(course) and report.skipped == 0 and not report.errors

    def shape(c):
        return (c.kind, c.question, c.answer, tuple(c.choices), c.explanation)

    imported = list(_anki_cards(tutor).values())
    assert sorted(map(shape, imported)) == sorted(map(shape, course))
    assert {c.kind for c in imported} >= {"cloze", "mcq", "short"}
    assert {c.lesson_title for c in imported} == {f"Tutor::{c.lesson_title}" for c in course}
    again = tutor.import_anki(path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(course))


def test_a_legacy_collection_becomes_clean_cards(tutor, tmp_path):
    report = tutor.import_anki(legacy_package(tmp_path))
    assert (report.added, report.skipped) == (5, 1)
    assert report.format.startswith("Anki 2.0")
    assert [str(e) for e in report.errors] == [
        "legacy.apkg: 1 card: note type 4242 is not in the package"
    ]
    cards = _anki_cards(tutor)
    front = cards[card_id_for("g-basic", 0)]
    assert front.kind == "short" and front.lesson_title == "Languages::French"
    assert front.lesson_id == "anki-languages-french"
    assert front.question == "What is the capital\nof France?"  # <br>, &nbsp;, no <script>
    assert front.answer == "Paris [image: paris.png] [sound: paris.mp3]"  # no <style>
    # "Basic (and reversed card)": both directions Anki made
    back = cards[card_id_for("g-basic", 1)]
    assert (back.question, back.answer) == (front.answer, front.question)
    # one cloze card per cloze number; the hint shows, the other cloze is revealed
    c1, c2 = cards[card_id_for("g-cloze", 0)], cards[card_id_for("g-cloze", 1)]
    assert c1.kind == c2.kind == "cloze"
    assert c1.question == "_____ (a regulariser) randomly zeroes\nactivations in training."
    assert c1.answer == "Dropout" and c1.explanation == "See lesson 3 & more"
    assert (
        c2.question == "Dropout randomly zeroes\n_____ in training." and c2.answer == "activations"
    )
    # text that looks like markup stays text; terminal escapes are made visible
    markup = cards[card_id_for("g-markup", 0)]
    assert markup.question == "[bold]x[/bold]"
    assert "\x1b" not in markup.answer and "\x07" not in markup.answer
    assert markup.answer.startswith("␛]0;pwned␇␛[31mred")
    result = CliRunner().invoke(cli, ["card", markup.id])
    assert result.exit_code == 0 and "[bold]x[/bold]" in result.output


def test_an_anki21_member_is_read_like_an_anki2_one(tutor, tmp_path):
    report = tutor.import_anki(legacy_package(tmp_path, "new.apkg", member="collection.anki21"))
    assert report.added == 5 and report.format.startswith("Anki 2.1 ")


def test_a_zstd_schema_18_package_is_read_and_its_dummy_ignored(tutor, tmp_path):
    path = latest_package(tmp_path)
    report = tutor.import_anki(path)
    assert (report.added, report.skipped) == (5, 0) and "schema 18" in report.format
    cards = _anki_cards(tutor)
    assert not any("Please update" in c.question for c in cards.values())
    assert {c.lesson_title for c in cards.values()} == {"Languages::French"}
    # the same cards as the schema-11 collection gives
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    other = Tutor(tmp_path / "course", legacy / "tutor.db", clock=lambda: T0)
    other.import_anki(legacy_package(legacy))
    same = {
        c.id: (c.kind, c.question, c.answer, c.explanation) for c in _anki_cards(other).values()
    }
    other.close()
    assert {c.id: (c.kind, c.question, c.answer, c.explanation) for c in cards.values()} == same


def test_genankis_stock_note_types(tutor, tmp_path):
    """Another writer's packages: genanki's stock cloze, reversed, optional-reversed and
    type-in-the-answer note types."""
    import genanki

    deck = genanki.Deck(123, "Bio::Cells")
    for model, fields in (
        (genanki.CLOZE_MODEL, ["The {{c1::mitochondria}} powers {{c2::the cell::what?}}", "x"]),
        (genanki.BASIC_AND_REVERSED_CARD_MODEL, ["cat", "chat"]),
        (genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, ["dog", "chien", ""]),  # no reverse
        (genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL, ["bird", "oiseau"]),
    ):
        deck.add_note(genanki.Note(model=model, fields=fields))
    path = tmp_path / "genanki.apkg"
    genanki.Package(deck).write_to_file(path)
    tutor.import_anki(path)
    shown = sorted((c.kind, c.question, c.answer) for c in _anki_cards(tutor).values())
    assert shown == [
        ("cloze", "The _____ powers the cell", "mitochondria"),
        ("cloze", "The mitochondria powers _____ (what?)", "the cell"),
        ("short", "bird", "oiseau"),  # {{type:Back}}: the expected answer
        ("short", "cat", "chat"),
        ("short", "chat", "cat"),
        ("short", "dog", "chien"),
    ]


def test_importing_again_updates_and_keeps_history(tutor, tmp_path):
    path = legacy_package(tmp_path)
    tutor.import_anki(path)
    card_id = card_id_for("g-basic", 0)
    schedule.record_review(tutor.db, card_id, Rating.Good, now=T0)
    again = tutor.import_anki(path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    edited = [(g, m, [f.replace("Paris", "Paris, on the Seine") for f in fs], o)
              for g, m, fs, o in NOTES]  # fmt: skip
    changed = legacy_package(tmp_path, "v2.apkg", notes=edited)
    report = tutor.import_anki(changed)
    assert (report.added, report.updated, report.unchanged) == (0, 2, 3)  # both directions
    card = tutor.card(card_id)
    assert card.answer.startswith("Paris, on the Seine") and card.last_review is not None
    assert len(tutor.card_history(card_id)) == 1
    assert len(_anki_cards(tutor)) == 5


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (None, "not an Anki package (not a zip file)"),
        ({"media": b"{}"}, "not an Anki package (no collection.anki21b"),
        ({"collection.anki2": b"not sqlite at all " * 200}, "is not a readable Anki collection"),
        ({"collection.anki21b": b"\x28\xb5\x2f\xfd garbage"}, "the collection inside is damaged"),
        ({"collection.anki21b": zstd(b"SQLite format 3\0" + b"\0" * 90)}, "collection.anki21b"),
    ],
)
def test_bad_files_give_one_line(tutor, tmp_path, members, message):
    path = tmp_path / "bad.apkg"
    if members is None:
        path.write_bytes(b"just some text, not a zip")
    else:
        package(path, members)
    with pytest.raises(ExchangeError, match="^bad.apkg: ") as err:
        tutor.import_anki(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not _anki_cards(tutor)


def test_a_sqlite_file_that_is_not_anki_is_named(tutor, tmp_path):
    col = tmp_path / "other.sqlite"
    conn = sqlite3.connect(col)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    path = package(tmp_path / "other.apkg", {"collection.anki2": col.read_bytes()})
    with pytest.raises(ExchangeError, match=r"other.apkg: collection.anki2 is not an Anki "):
        tutor.import_anki(path)
    with pytest.raises(ExchangeError, match="no such file"):
        tutor.import_anki(tmp_path / "missing.apkg")


def test_cli_import_anki(tutor, tmp_path):
    runner = CliRunner()
    path = legacy_package(tmp_path)
    result = runner.invoke(cli, ["import", "--anki", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported: 5 new, 0 updated, 0 unchanged; 1 card skipped" in result.stdout
    assert "note type 4242" in result.stderr
    result = runner.invoke(cli, ["import", "--anki", str(path), "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["unchanged"] == 5 and data["skipped"] == 1
    bad = tmp_path / "bad.apkg"
    bad.write_bytes(b"nope")
    result = runner.invoke(cli, ["import", "--anki", str(bad)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "Error: bad.apkg: not an Anki package (not a zip file)"
    ]
    result = runner.invoke(cli, ["import"])
    assert result.exit_code == 2 and "--anki" in result.stderr
    assert "collection.anki21b" in runner.invoke(cli, ["import", "--help"]).output


def test_html_to_text_is_plain_and_safe():
    assert html_to_text("a<br>b<div>c</div><div>d</div>") == "a\nb\nc\nd"
    assert html_to_text("x &lt;b&gt; &amp;&nbsp;y") == "x <b> & y"
    assert html_to_text("<script>evil()</script>ok<style>p{}</style>") == "ok"
    assert html_to_text('<img src="data:image/png;base64,AAAA">') == "[image]"
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "- one\n- two"
    assert html_to_text("[b]not markup[/b] \x1b[2J") == "[b]not markup[/b] ␛[2J"
