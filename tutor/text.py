"""Text helpers shared across the library: one word tokenizer, one stopword list,
Markdown to plain text, and making untrusted text safe for a terminal.

Why one home: the search query, card generation and answer composition must
agree on what a "word" is and on which words carry no topic.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")

# Function words carry no topic; dropping them keeps the bm25 OR-query small and
# word-overlap scores about content.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    between both but by can could did do does doing don down during each few for from further get
    got had has have having he her here hers him his how i if in into is it its just like me
    more most my no nor not now of off on once only or other our out over own really same she
    should so some such than that the their them then there these they this those through to
    too under until up very was way we were what when where which while who whom why will with
    would you your yours thing things stuff kind sort mean means""".split()
)


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits)."""
    return WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    """The words of `text` that carry its topic (no stopwords, no single letters)."""
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 1}


def strip_strong(text: str) -> str:
    """Text without Markdown's **strong** markers (the words stay as they are)."""
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)


def clean_markdown(text: str) -> str:
    """Inline Markdown to plain text: links, emphasis, code ticks, list markers."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = strip_strong(text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = text.replace("`", "")
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


# C0 controls but tab and newline, DEL, and the C1 controls: what a terminal would obey.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␛, ␇, ␍ ...
    return "\u2421" if code == 0x7F else "\ufffd"


def safe_text(text: str) -> str:
    """Untrusted text (a lesson, a note, an imported card) with every control character
    but newline and tab made visible, so no escape sequence can reach a terminal
    (retitle it, clear it, move the cursor). Windows line ends become plain newlines."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_visible, text) if _CONTROL.search(text) else text


def is_unicode(text: str) -> bool:
    """False for text holding undecodable bytes (what Python makes of invalid UTF-8 in
    arguments and pipes), which the tokenizer cannot take."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
