"""Import an Anki package (`.apkg`, or a whole-collection `.colpkg`) as cards of their own.

What reads (the package is a zip; the newest collection inside wins, so the dummy
`collection.anki2` that says "please update to the latest Anki" beside a newer one
is never read):

- `collection.anki21b`: Anki 2.1.50 and later, zstd-compressed SQLite, schema 18
  (note types in the `notetypes`, `fields` and `templates` tables, their settings in
  protobuf blobs; decks in `decks`);
- `collection.anki21`: Anki 2.1 before 2.1.50 (and later ones with "support older
  Anki versions"), SQLite schema 11 (note types and decks as JSON in `col`);
- `collection.anki2`: Anki 2.0 and genanki (ours: `tutor export --anki`), schema 11.

What becomes a card: each card of the package (one per note and card template, as
Anki made them; so a "Basic (and reversed card)" note gives both directions, and a
"Basic (optional reversed card)" note the reverse only where Anki made it). A normal
note type's card is its question template rendered (fields, `{{#Field}}` sections,
filters) and the answer side after `{{FrontSide}}` / `<hr id=answer>`: a short-answer
card. A cloze note gives one cloze card per cloze number: `{{c1::answer::hint}}` is
blanked as `_____ (hint)`, the other numbers show their answers, the note's other
answer-side fields (Back Extra) are the explanation. Our own export's note type
("Tutor card") maps back exactly: question, choices, answer, explanation, kind.

The text is made safe, never rendered: HTML is stripped with `html.parser` (`<br>`
and block elements become line breaks, entities are unescaped, `<script>`/`<style>`
content is dropped), media stay as text (`[image: a.png]`, `[sound: a.mp3]`,
`[video: a.mp4]`), control characters are made visible (`tutor.text.safe_text`), and
Rich/Textual markup such as `[bold]` stays literal text (every face escapes it).
Scheduling, review history, tags and the media files themselves are not imported:
the cards start new.

Ids are `anki:<hash of the note guid>:<card ordinal>`, so importing the package
again (or a newer version of a shared deck) updates the cards and keeps their
history. Each deck becomes a lesson `anki-<deck>` of origin `anki`, which no course
sync retires. A bad or foreign file raises `ExchangeError` with one line; a card
that cannot be made is skipped with its reason in the report.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.cards.exchange import MAX_FIELD, MAX_ROWS, ExchangeError, ImportReport, RowError
from tutor.text import safe_text

if TYPE_CHECKING:
    import sqlite_utils

ORIGIN = "anki"
# newest first: Anki itself reads the one its `meta` names, and that is always the newest
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
FORMATS = {
    "collection.anki21b": "Anki 2.1.50+ (zstd, schema 18)",
    "collection.anki21": "Anki 2.1 (schema 11)",
    "collection.anki2": "Anki 2.0 / genanki (schema 11)",
}
MAX_COLLECTION_BYTES = 2 << 30  # a collection without its media; more is not a deck
BLANK = "_____"  # how the course blanks a cloze (tutor.course, CLOZE_BLANK)
TUTOR_FIELDS = ["Front", "Back", "Source", "CardId"]  # the note type `export_anki` writes


class _Skip(Exception):
    """One card that cannot be made; the message is the reason, counted in the report."""


# --- HTML to plain text -------------------------------------------------------------------

_DROP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul",
}  # fmt: skip
_MEDIA = {"img": "image", "audio": "sound", "video": "video", "source": "media"}
_SPACE = re.compile(r"[ \t\r\n\f]+")
_SOUND = re.compile(r"\[sound:\s*([^\]]*)\]")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping: list[str] = []

    def _line(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.dropping.append(tag)
            return
        if self.dropping:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self._line()
            if tag == "li":
                self.parts.append("- ")
        if tag in _MEDIA:
            src = (dict(attrs).get("src") or "").strip()
            if tag != "source" or src:
                name = "" if src.startswith("data:") else src
                self.parts.append(f"[{_MEDIA[tag]}{': ' + name if name else ''}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            if tag in self.dropping:
                del self.dropping[len(self.dropping) - 1 - self.dropping[::-1].index(tag) :]
            return
        if not self.dropping and tag in _BLOCK:
            self._line()

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(_SPACE.sub(" ", data))


def html_to_text(markup: str) -> str:
    """Plain text of an Anki field or card side: tags stripped, breaks kept, entities
    unescaped, script/style dropped, media as `[image: name]`; terminal-safe."""
    if "<" not in markup and "&" not in markup:
        text = _SPACE.sub(" ", markup)
    else:
        parser = _Text()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    text = _SOUND.sub(lambda m: f"[sound: {m.group(1).strip()}]", text.replace("\xa0", " "))
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return safe_text(text)


# --- templates and clozes -----------------------------------------------------------------

_TAG = re.compile(r"\{\{\s*([#^/]?)\s*(.*?)\s*\}\}", re.S)
_CLOZE = re.compile(r"\{\{c(\d+)::((?:(?!\{\{c\d+::).)*?)\}\}", re.S)  # innermost first
_ANSWER_RULE = re.compile(r"<hr\b[^>]*\bid\s*=\s*['\"]?answer\b[^>]*>", re.I)
_FRONT = "\ue000"  # stands for {{FrontSide}} while an answer side is rendered


def _is_empty(field_html: str) -> bool:
    return not html_to_text(field_html).strip()


def render_template(
    template: str,
    fields: dict[str, str],
    special: dict[str, str],
    cloze=None,
    *,
    answer: bool = False,
) -> str:
    """An Anki card template with the note's fields (HTML out): `{{Field}}`,
    `{{filter:Field}}`, `{{#Field}}…{{/Field}}`, `{{^Field}}…{{/Field}}`,
    `{{FrontSide}}` (as a marker). `cloze(field_html)` renders `{{cloze:Field}}`;
    `{{type:Field}}` is the typing box on the question side (nothing to read) and the
    expected answer on the `answer` side."""
    out: list[str] = []
    shown: list[bool] = []
    pos = 0
    for m in _TAG.finditer(template):
        if all(shown):
            out.append(template[pos : m.start()])
        pos = m.end()
        sigil, name = m.group(1), m.group(2)
        if sigil in ("#", "^"):
            filled = not _is_empty(fields.get(name, special.get(name, "")))
            shown.append(filled if sigil == "#" else not filled)
        elif sigil == "/":
            if shown:
                shown.pop()
        elif all(shown):
            *filters, field = [part.strip() for part in name.split(":")]
            if field == "FrontSide":
                out.append(_FRONT)
            elif any(f.startswith("tts") for f in filters) or ("type" in filters and not answer):
                continue  # speech, or the typing box: nothing to read
            elif "cloze" in filters:
                out.append(cloze(fields.get(field, "")) if cloze else fields.get(field, ""))
            else:
                out.append(fields.get(field, special.get(field, "")))
    if all(shown):
        out.append(template[pos:])
    return "".join(out)


def render_cloze(text: str, number: int, answers: list[str]) -> str:
    """The field with cloze `number` blanked (its answers appended to `answers`) and the
    others shown; nested clozes are rendered from the inside out."""

    def one(m: re.Match) -> str:
        body, _, hint = m.group(2).partition("::")
        if int(m.group(1)) != number:
            return body
        if body.lstrip().startswith("image-occlusion:"):
            raise _Skip("image occlusion cards are not supported")
        answers.append(body)
        return f"{BLANK} ({html.escape(html_to_text(hint))})" if hint.strip() else BLANK

    while True:
        text, count = _CLOZE.subn(one, text)
        if not count:
            return text


def _answer_side(rendered: str) -> str:
    """What an answer template shows past the question: after `<hr id=answer>`, or
    without `{{FrontSide}}`."""
    rule = _ANSWER_RULE.search(rendered)
    if rule:
        rendered = rendered[rule.end() :]
    return rendered.replace(_FRONT, "")


# --- reading the package ------------------------------------------------------------------


class NoteType:
    def __init__(self, name: str, cloze: bool, fields: list[str], templates: dict[int, tuple]):
        self.name = name
        self.cloze = cloze
        self.fields = fields
        self.templates = templates  # ord -> (name, qfmt, afmt)


def _proto(data: bytes) -> dict[int, list]:
    """The fields of one protobuf message: {number: [varint int | bytes]} (what schema 18
    keeps in its `config` blobs; only what this reader needs is decoded)."""
    out: dict[int, list] = {}
    i, n = 0, len(data)

    def varint() -> int:
        nonlocal i
        value = shift = 0
        while True:
            if i >= n or shift > 63:
                raise ValueError("truncated protobuf")
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    while i < n:
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value: int | bytes = varint()
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = data[i : i + size], i + size
        elif wire == 2:
            size = varint()
            if i + size > n:
                raise ValueError("truncated protobuf")
            value, i = data[i : i + size], i + size
        else:
            raise ValueError(f"protobuf wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _proto_text(fields: dict[int, list], number: int) -> str:
    values = fields.get(number)
    return values[-1].decode("utf-8", "replace") if values else ""


def _note_types_v18(conn: sqlite3.Connection) -> dict[int, NoteType]:
    fields: dict[int, list[tuple[int, str]]] = {}
    for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
        fields.setdefault(ntid, []).append((ord_, name))
    templates: dict[int, dict[int, tuple]] = {}
    for ntid, ord_, name, config in conn.execute("SELECT ntid, ord, name, config FROM templates"):
        config = _proto(bytes(config or b""))
        templates.setdefault(ntid, {})[ord_] = (
            name,
            _proto_text(config, 1),
            _proto_text(config, 2),
        )
    types = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = _proto(bytes(config or b"")).get(1, [0])[-1]
        types[ntid] = NoteType(
            name,
            kind == 1,
            [n for _, n in sorted(fields.get(ntid, []))],
            templates.get(ntid, {}),
        )
    return types


def _note_types_v11(conn: sqlite3.Connection) -> dict[int, NoteType]:
    (models,) = conn.execute("SELECT models FROM col").fetchone()
    types = {}
    for key, model in json.loads(models or "{}").items():
        fields = sorted(model.get("flds") or [], key=lambda f: f.get("ord", 0))
        templates = {
            int(t.get("ord", i)): (t.get("name", ""), t.get("qfmt", ""), t.get("afmt", ""))
            for i, t in enumerate(model.get("tmpls") or [])
        }
        types[int(model.get("id", key))] = NoteType(
            str(model.get("name", key)),
            model.get("type") == 1,
            [str(f.get("name", "")) for f in fields],
            templates,
        )
    return types


def _decks(conn: sqlite3.Connection, v18: bool) -> dict[int, str]:
    if v18:
        return {
            did: name.replace("\x1f", "::")
            for did, name in conn.execute("SELECT id, name FROM decks")
        }
    (decks,) = conn.execute("SELECT decks FROM col").fetchone()
    return {
        int(d.get("id", k)): str(d.get("name", k)) for k, d in json.loads(decks or "{}").items()
    }


def _unicase(a: str, b: str) -> int:
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _extract(path: Path, name: str) -> tuple[Path, str, tempfile.TemporaryDirectory]:
    """Copy the newest collection out of the package into a temp dir (decompressing an
    anki21b): (its path, which member, the temp dir to clean up)."""
    if not path.exists():
        raise ExchangeError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ExchangeError(f"{name}: not an Anki package (not a zip file)")
    tmp = tempfile.TemporaryDirectory(prefix="tutor-anki-")
    try:
        with zipfile.ZipFile(path) as package:
            members = set(package.namelist())
            member = next((m for m in COLLECTIONS if m in members), None)
            if member is None:
                raise ExchangeError(
                    f"{name}: not an Anki package (no collection.anki21b, collection.anki21 "
                    "or collection.anki2 inside)"
                )
            if package.getinfo(member).file_size > MAX_COLLECTION_BYTES:
                raise ExchangeError(f"{name}: the collection inside is too large to import")
            target = Path(tmp.name) / "collection.sqlite"
            with package.open(member) as src, open(target, "wb") as out:
                if member.endswith("b"):
                    _unzstd(src, out, name)
                else:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        tmp.cleanup()
        raise ExchangeError(f"{name}: a damaged Anki package ({exc})") from None
    except BaseException:
        tmp.cleanup()
        raise
    return target, member, tmp


def _unzstd(src, out, name: str) -> None:
    try:
        import zstandard
    except ImportError:  # pragma: no cover - a declared dependency
        raise ExchangeError(
            f"{name}: this package is from Anki 2.1.50 or later and needs the 'zstandard' "
            "package to read; install it, or export the deck again from Anki with "
            "'Support older Anki versions' ticked"
        ) from None
    written = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(src) as reader:
            while chunk := reader.read(1 << 20):
                written += len(chunk)
                if written > MAX_COLLECTION_BYTES:
                    raise ExchangeError(f"{name}: the collection inside is too large to import")
                out.write(chunk)
    except zstandard.ZstdError as exc:
        raise ExchangeError(f"{name}: the collection inside is damaged ({exc})") from None


def _open(target: Path, member: str, name: str) -> tuple[sqlite3.Connection, bool]:
    # our own private copy: opened read-write so a collection left in WAL mode opens too
    conn = sqlite3.connect(target)
    conn.create_collation("unicase", _unicase)  # Anki's, on names in schema 18
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ExchangeError(f"{name}: {member} is not a readable Anki collection ({exc})") from None
    missing = {"notes", "cards", "col"} - tables
    if missing:
        conn.close()
        raise ExchangeError(
            f"{name}: {member} is not an Anki collection (no {', '.join(sorted(missing))} table)"
        )
    return conn, "notetypes" in tables


def card_id_for(guid: str, ordinal: int) -> str:
    return f"anki:{hashlib.sha1(guid.encode('utf-8')).hexdigest()[:16]}:{ordinal}"


def _tutor_card(fields: list[str]) -> dict:
    """Our own export's note back as the card it was (see `export_anki`)."""
    front, back = fields[0], fields[1]

    def text(markup: str) -> str:
        # our export escapes plain text: unescaping it gives it back exactly
        return safe_text(html.unescape(markup)) if "<" not in markup else html_to_text(markup)

    front, _, listed = front.partition("<ol type='a'>")
    choices = [text(c) for c in re.findall(r"<li>(.*?)</li>", listed, re.S)]
    m = re.fullmatch(r"<b>(.*?)</b>(?:<br><br>(.*))?", back, re.S)
    answer, explanation = (text(m.group(1)), text(m.group(2) or "")) if m else (text(back), "")
    question = text(front)
    kind = "mcq" if choices and answer in choices else "cloze" if BLANK in question else "short"
    if kind != "mcq":
        choices = []
    return {
        "kind": kind,
        "question": question,
        "answer": answer,
        "choices": choices,
        "explanation": explanation,
    }


def _make_card(note_type: NoteType, fields: list[str], ordinal: int, special: dict) -> dict:
    fields = fields + [""] * (len(note_type.fields) - len(fields))  # Anki pads them too
    if note_type.fields == TUTOR_FIELDS:
        return _tutor_card(fields)
    by_name = dict(zip(note_type.fields, fields, strict=False))
    if note_type.cloze:
        template = note_type.templates.get(0) or next(iter(note_type.templates.values()), None)
    else:
        template = note_type.templates.get(ordinal)
    if template is None:
        raise _Skip(f"note type {note_type.name!r} has no card template {ordinal + 1}")
    _name, qfmt, afmt = template
    special = {**special, "Card": _name}
    if note_type.cloze:
        answers: list[str] = []
        number = ordinal + 1
        question = render_template(
            qfmt, by_name, special, lambda text: render_cloze(text, number, answers)
        )
        if not answers:
            raise _Skip(f"cloze c{number} is not in its note (note type {note_type.name!r})")
        extra = _answer_side(render_template(afmt, by_name, special, lambda _t: "", answer=True))
        return {
            "kind": "cloze",
            "question": html_to_text(question.replace(_FRONT, "")),
            "answer": " … ".join(html_to_text(a) for a in answers),
            "choices": [],
            "explanation": html_to_text(extra),
        }
    question = html_to_text(render_template(qfmt, by_name, special).replace(_FRONT, ""))
    answer = html_to_text(_answer_side(render_template(afmt, by_name, special, answer=True)))
    if question and answer.startswith(question) and answer != question:
        answer = answer[len(question) :].strip()  # a back side that repeats the front
    return {
        "kind": "short",
        "question": question,
        "answer": answer,
        "choices": [],
        "explanation": "",
    }


def read_package(path: Path | str) -> tuple[list[dict], Counter, str]:
    """The cards a package holds, as card fields (id, deck, kind, question, answer,
    choices, explanation), the reasons cards were skipped (counted), and which
    collection was read."""
    path = Path(path)
    name = path.name
    target, member, tmp = _extract(path, name)
    skipped: Counter = Counter()
    cards: list[dict] = []
    try:
        conn, v18 = _open(target, member, name)
        try:
            try:
                note_types = _note_types_v18(conn) if v18 else _note_types_v11(conn)
                decks = _decks(conn, v18)
                rows = conn.execute(
                    "SELECT n.guid, n.mid, n.flds, n.tags, c.ord, "
                    "CASE WHEN c.odid != 0 THEN c.odid ELSE c.did END "
                    "FROM cards AS c JOIN notes AS n ON n.id = c.nid ORDER BY n.id, c.ord"
                )
                for guid, mid, flds, tags, ordinal, did in rows:
                    if len(cards) >= MAX_ROWS:
                        skipped[f"more than {MAX_ROWS:,} cards; the rest were not read"] += 1
                        continue
                    note_type = note_types.get(mid)
                    if note_type is None:
                        skipped[f"note type {mid} is not in the package"] += 1
                        continue
                    deck = decks.get(did) or "Default"
                    special = {
                        "Tags": str(tags or "").strip(),
                        "Type": note_type.name,
                        "Deck": deck,
                        "Subdeck": deck.rsplit("::", 1)[-1],
                        "Card": "",
                    }
                    try:
                        card = _make_card(
                            note_type, str(flds or "").split("\x1f"), ordinal, special
                        )
                    except _Skip as exc:
                        skipped[str(exc)] += 1
                        continue
                    if not card["question"]:
                        skipped["the question side is empty"] += 1
                        continue
                    if not card["answer"]:
                        skipped["the answer side is empty"] += 1
                        continue
                    if max(len(card["question"]), len(card["answer"])) > MAX_FIELD:
                        skipped[f"a side is longer than {MAX_FIELD:,} characters"] += 1
                        continue
                    card["explanation"] = card["explanation"][:MAX_FIELD]
                    cards.append({"id": card_id_for(str(guid), int(ordinal)), "deck": deck, **card})
            except (
                sqlite3.DatabaseError,
                ValueError,
                TypeError,
                AttributeError,
                LookupError,
            ) as exc:
                # corrupt pages, JSON or protobuf that is not Anki's
                raise ExchangeError(
                    f"{name}: {member} is not a readable Anki collection ({exc})"
                ) from None
        finally:
            conn.close()
    finally:
        tmp.cleanup()
    return cards, skipped, member


def import_anki(
    db: sqlite_utils.Database, path: Path | str, *, now: datetime | None = None
) -> ImportReport:
    """Import the cards of an Anki package (see the module docstring); one transaction."""
    from tutor.cards.model import SyncReport
    from tutor.cards.sync import _rank, upsert
    from tutor.course import slugify
    from tutor.study.clock import utcnow

    path = Path(path)
    cards, skipped, member = read_package(path)
    report = ImportReport(format=FORMATS[member], unit="card")
    report.skipped = sum(skipped.values())
    for reason, count in skipped.most_common():
        report.errors.append(
            RowError(path.name, 0, f"{count} card{'s' if count != 1 else ''}: {reason}")
        )
    if not cards and not skipped:
        raise ExchangeError(f"{path.name}: the package holds no cards")
    decks = {deck: i for i, deck in enumerate(sorted({c["deck"] for c in cards}))}
    rows, seen = [], set()
    for position, card in enumerate(cards):
        if card["id"] in seen:
            continue
        seen.add(card["id"])
        rows.append(
            {
                "id": card["id"],
                "origin": ORIGIN,
                "source": ORIGIN,
                "kind": card["kind"],
                "lesson_id": "anki-" + slugify(card["deck"]),
                "lesson_title": card["deck"],
                "lesson_order": _rank(ORIGIN) * 100_000 + decks[card["deck"]],
                "position": position,
                "section_id": None,
                "question": card["question"],
                "answer": card["answer"],
                "accept": "[]",
                "choices": json.dumps(card["choices"]),
                "explanation": card["explanation"],
                "chunk_id": None,
                "source_heading": None,
                "source_path": None,
                "source_line": None,
                "source_text": None,
            }
        )
    if rows:
        sync = SyncReport(ORIGIN)
        upsert(db, rows, ORIGIN, now or utcnow(), report=sync)
        report.added = sync.added
        report.updated = sync.updated + sync.reactivated
        report.unchanged = sync.unchanged
    return report
