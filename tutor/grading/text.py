"""Text helpers for the grader: normalisation, typo distance, stems, polarity.

Pure Python, no model: multiple choice and cloze grading use only this module,
so they never pay for loading torch or sentence-transformers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ARTICLES = ("the ", "a ", "an ")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,\s_](?=\d{3}\b)")
_NON_WORD = re.compile(r"[^\w.%+-]+|_")
_EDGE_PUNCT = re.compile(r"(?<!\d)[.+-]|[.+-](?!\d)")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse spaces, drop a leading article.

    Digit grouping is removed ("4,198,400" -> "4198400"); a decimal point and a
    sign inside a number survive ("0.5", "-1").
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("\u2019", "'").replace("'", "")
    text = _DIGIT_GROUP.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _EDGE_PUNCT.sub(" ", text)
    text = " ".join(text.split())
    for article in _ARTICLES:
        if text.startswith(article) and len(text) > len(article):
            text = text[len(article) :]
            break
    return text


def squash(text: str) -> str:
    """`normalize` without spaces: "fine tuning" and "finetuning" compare equal."""
    return normalize(text).replace(" ", "")


def edit_distance(a, b, limit: int | None = None) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours),
    over characters or any sequences; with `limit`, limit + 1 once it must exceed it."""
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b, score_cutoff=limit)


def typo_allowance(target: str) -> int:
    """How many edits still count as a typo of `target` (normalised, no spaces)."""
    letters = sum(c.isalpha() for c in target)
    if letters <= 3:
        return 0
    if letters <= 6:
        return 1
    if letters <= 12:
        return 2
    return 3


def close_enough(answer: str, target: str) -> tuple[bool, bool]:
    """(matches, exactly) for two texts after normalisation, forgiving small typos.

    Numbers are never "typos": the digits in both must be identical, so 15 GB
    does not pass for 14 GB. Nor is a different real word: "decrease" is not a
    typo of "increase", nor "decoder" of "encoder", "unsupervised" of
    "supervised" or "minimum" of "maximum" (see `_different_word`).
    """
    a, t = squash(answer), squash(target)
    if not a or not t:
        return False, False
    if a == t:
        return True, True
    if re.findall(r"\d+", a) != re.findall(r"\d+", t):
        return False, False
    allowance = typo_allowance(t)
    if edit_distance(a, t, allowance) > allowance:
        return False, False
    a_words, t_words = normalize(answer).split(), normalize(target).split()
    if len(a_words) != len(t_words):  # a space typo ("fine tuning"): compare whole
        return not _different_word(a, t), False
    return all(
        x == y or not _different_word(x, y) for x, y in zip(a_words, t_words, strict=False)
    ), False


# a change confined to the first letters makes another word, not a typo of this one
_PREFIX_SPAN = 3
_NEGATING_PREFIXES = ("un", "de", "in", "im", "il", "ir", "non", "dis", "anti", "mis", "counter")


def _different_word(answer: str, target: str) -> bool:
    """Whether `answer` is another word rather than a misspelling of `target`.

    Three signs, each seen in a real near-miss: one word is the other with a
    negating prefix ("unsupervised"/"supervised"); the two differ only in their
    first letters ("decrease"/"increase", "decoder"/"encoder",
    "underfitting"/"overfitting", "minimum"/"maximum"); or the answer is itself
    an English word of the bundled model's vocabulary ("form" for "from").
    """
    if answer == target or _spelling_variant(answer, target):
        return False
    for prefix in _NEGATING_PREFIXES:
        if answer == prefix + target or target == prefix + answer:
            return True
    common = 0
    for x, y in zip(reversed(answer), reversed(target), strict=False):
        if x != y:
            break
        common += 1
    if common >= 4 and max(len(answer), len(target)) - common <= _PREFIX_SPAN:
        return True
    return answer in english_words()


def _spelling_variant(a: str, b: str) -> bool:
    """The same word in another number or spelling: a plural ("gradients"), or
    British for American ("normalisation", "colour")."""
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short) and long_[len(short) :] in ("s", "es"):
        return True

    def american(w: str) -> str:
        return w.replace("our", "or").replace("is", "iz").replace("ys", "yz")

    return american(a) == american(b)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words (4+ letters) of the bundled MiniLM word-piece vocabulary (30k
    entries, about 20k of them English words): read as text, no model loaded."""
    from tutor.embed import model_path

    try:
        lines = (model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    return frozenset(w for w in lines if len(w) >= 4 and w.isalpha() and w.isascii())


# ---------------------------------------------------------------- word level

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    being below between both but by can could did do does doing during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall us one get gets got make makes made thing things
    something anything way ways like lot lots much many well really e g eg ie etc""".split()
)
NEGATIONS = frozenset(
    "not no never none nothing nobody neither nor cannot cant dont doesnt didnt isnt arent "
    "wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt without lack lacks "
    "lacking unable instead".split()
)
FILLER = frozenset(
    "idk dunno know sure yes yeah yep ok okay maybe guess think answer question hmm um uh "
    "pass whatever nope stuff blah etc dont".split()
)
# clause boundaries: a negation's scope and a role's context end here
_CLAUSE_WORDS = frozenset("but while whereas however although though and or so because".split())
# words that name the same scale in opposite directions: (canonical stem, polarity)
_ANTONYMS = {
    "more": ("more", 1),
    "larger": ("more", 1),
    "bigger": ("more", 1),
    "higher": ("more", 1),
    "greater": ("more", 1),
    "increas": ("more", 1),
    "grow": ("more", 1),
    "rais": ("more", 1),
    "less": ("more", -1),
    "fewer": ("more", -1),
    "smaller": ("more", -1),
    "lower": ("more", -1),
    "decreas": ("more", -1),
    "reduc": ("more", -1),
    "shrink": ("more", -1),
    "faster": ("fast", 1),
    "slower": ("fast", -1),
    "fast": ("fast", 1),
    "slow": ("fast", -1),
    "before": ("befor", 1),
    "after": ("befor", -1),
    "first": ("first", 1),
    "last": ("first", -1),
    "same": ("same", 1),
    "different": ("same", -1),
    "differ": ("same", -1),
    "true": ("true", 1),
    "false": ("true", -1),
    "correct": ("true", 1),
    "wrong": ("true", -1),
    "increase": ("more", 1),
    "decrease": ("more", -1),
    "reduce": ("more", -1),
    "raise": ("more", 1),
    "better": ("good", 1),
    "worse": ("good", -1),
    "good": ("good", 1),
    "bad": ("good", -1),
    "add": ("add", 1),
    "remov": ("add", -1),
    "remove": ("add", -1),
    "cheap": ("cheap", 1),
    "expensive": ("cheap", -1),
    "costly": ("cheap", -1),
    "up": ("up", 1),
    "down": ("up", -1),
    "rise": ("up", 1),
    "rises": ("up", 1),
    "fall": ("up", -1),
    "falls": ("up", -1),
    "drop": ("up", -1),
    "drops": ("up", -1),
    "easy": ("easy", 1),
    "easier": ("easy", 1),
    "hard": ("easy", -1),
    "harder": ("easy", -1),
    "difficult": ("easy", -1),
    # the plain and superlative forms of the size and height scales
    "large": ("more", 1),
    "largest": ("more", 1),
    "big": ("more", 1),
    "biggest": ("more", 1),
    "high": ("more", 1),
    "highest": ("more", 1),
    "small": ("more", -1),
    "smallest": ("more", -1),
    "low": ("more", -1),
    "lowest": ("more", -1),
    # the sign of an update and the direction of a slope
    "plus": ("plus", 1),
    "minus": ("plus", -1),
    "uphill": ("up", 1),
    "downhill": ("up", -1),
    "upward": ("up", 1),
    "upwards": ("up", 1),
    "downward": ("up", -1),
    "downwards": ("up", -1),
}
BOUND = "^"  # joins a noun to the scale word before it: "large gradients" -> "gradient^more"
ROLE = "@"  # marks which side of "A into B" / "from A to B" a word is on
_SUFFIXES = (
    "izations", "isations", "ization", "isation", "ational", "fulness", "iveness", "ations",
    "ation", "ions", "ion", "ments", "ment", "nesses", "ness", "ingly", "ings", "ing", "edly", "ies", "ied",
    "ed", "ers", "er", "ly", "ities", "ity", "ives", "ive", "als", "al", "es", "s",
)  # fmt: skip


def words(text: str) -> list[str]:
    """Lowercase word tokens; contractions are joined ("doesn't" -> "doesnt")."""
    text = unicodedata.normalize("NFKD", text).lower().replace("\u2019", "'")
    return [w.replace("'", "") for w in _WORD.findall(text)]


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A small, consistent suffix stripper (labels/labelled/labelling -> label);
    cached, as the grader stems the same words of a card's examples for every answer."""
    w = word
    if len(w) <= 2 or w.isdigit():
        return w
    if w.endswith(("ss", "us", "is")):
        return w
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 2:
            if suf == "es" and not w.endswith(("ches", "shes", "sses", "xes", "zes")):
                w = w[:-1]  # "uses" -> "use", not "us"
            elif suf in ("ies", "ied"):
                w = w[: -len(suf)] + "i"
            else:
                w = w[: -len(suf)]
            if len(w) >= 5 and w[-1] == w[-2] and w[-1] not in "s":
                w = w[:-1]  # labell -> label, runn -> run
            elif len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "sl":
                w = w[:-1]
            break
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    if w.endswith("e") and len(w) >= 3:
        w = w[:-1]
    return w


def content_stems(text: str) -> list[str]:
    """Stems of the content words (no stopwords, no negations), in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in NEGATIONS]


def is_filler(text: str) -> bool:
    """No content at all: empty, punctuation, "idk", "yes", "I think so"."""
    toks = [w for w in words(text) if w not in STOPWORDS]
    return not toks or all(w in FILLER or w in NEGATIONS for w in toks)


NEGATED = "\u00ac"  # pseudo-stem that carries a clause's negation parity


def polar_clauses(text: str, vocabulary: set[str] = frozenset()) -> list[list[tuple[str, int]]]:
    """Split into clauses of (stem, polarity) pairs.

    "un"/"non" prefixes flip a word whose stem occurs unprefixed in `vocabulary`
    ("unlabelled" -> (label, -1) next to "labels"); opposite scale words share
    one stem with opposite polarity (more/fewer, up/down, better/worse). The
    negation words of a clause ("not", "no", "without", "rather than") end it as
    one (NEGATED, parity) pair, so "does not contain any" and "with no" agree;
    the word right after a negation is also marked as (NEGATED + stem, 0).

    Two kinds of relation are kept as extra pairs, because a swap of roles keeps
    every word and changes only these:
      * a scale word binds the noun after it: "large gradients take smaller
        steps" adds (gradient^more, +1) and (step^more, -1), so "small gradients
        take smaller steps" conflicts on gradient^more;
      * "A into B" and "from A to B" give each content word a side: (audio@, -1)
        and (text@, +1) for "turns audio into text", so "turns text into audio"
        conflicts on both.
    """
    clauses: list[list[tuple[str, int]]] = [[]]
    parity, head, scale = 1, False, None

    def close() -> None:
        nonlocal parity, head, scale
        _add_sides(clauses[-1])
        if clauses[-1]:
            clauses[-1].append((NEGATED, parity))
            clauses.append([])
        parity, head, scale = 1, False, None

    pieces = re.split(r"([,;:.!?()\[\]])", unicodedata.normalize("NFKD", text).lower())
    for piece in pieces:
        if piece in ",;:.!?()[]":
            close()
            continue
        tokens = words(piece)
        for n, w in enumerate(tokens):
            follows = tokens[n + 1] if n + 1 < len(tokens) else ""
            if w == "rather" and follows == "than":  # "A rather than B": B is denied
                close()
                parity, head = -1, True
                continue
            if w in _CLAUSE_WORDS:
                close()
                continue
            if w in NEGATIONS:
                parity = -parity
                head = True
                continue
            if w in _DIRECTIONS:
                clauses[-1].append((ROLE + w, 0))
                continue
            if w in STOPWORDS and w not in _ANTONYMS:
                continue
            s, pol = stem(w), 1
            if w in _ANTONYMS:
                s, pol = _ANTONYMS[w]
            elif s in _ANTONYMS:
                s, pol = _ANTONYMS[s]
            else:
                for prefix in ("non", "un"):
                    rest = s[len(prefix) :].lstrip("-")
                    if s.startswith(prefix) and len(rest) >= 3 and rest in vocabulary:
                        s, pol = rest, -1
                        break
            clauses[-1].append((s, pol))
            if head:  # the word a negation governs, e.g. "label" in "without labels"
                clauses[-1].append((NEGATED + s, 0))
                head = False
            if scale and scale[2] == n - 1 and s not in _SCALES:  # "large gradients"
                clauses[-1].append((s + BOUND + scale[0], scale[1]))
            scale = (s, pol, n) if s in _SCALES else None
    close()
    return [c for c in clauses if c]


_DIRECTIONS = frozenset(("into", "from", "to", "onto"))
_SCALES = frozenset(stem for stem, _ in _ANTONYMS.values())


def _add_sides(clause: list[tuple[str, int]]) -> None:
    """Give the content words of "A into B" / "from A to B" their side, in place.

    Only a clause with "into" or with "from" before "to" has sides; the
    direction markers themselves are dropped either way.
    """
    marks = [(i, s[1:]) for i, (s, _) in enumerate(clause) if s.startswith(ROLE)]
    names = [m for _, m in marks]
    split = None
    if "into" in names or "onto" in names:
        split = next(i for i, m in marks if m in ("into", "onto"))
        start = 0
    elif "from" in names and "to" in names[names.index("from") :]:
        start = next(i for i, m in marks if m == "from")
        split = next(i for i, m in marks if m == "to" and i > start)
    sides = []
    if split is not None:
        for i, (s, _) in enumerate(clause):
            if i < start or s.startswith((ROLE, NEGATED)) or BOUND in s or s in _SCALES:
                continue
            sides.append((s + ROLE, -1 if i < split else 1))
    clause[:] = [t for t in clause if not t[0].startswith(ROLE)] + sides


def contradictions(answer: str, reference: str) -> tuple[int, int, int]:
    """(polarity conflicts, misplaced terms, misplaced subjects): answer vs one reference.

    Each answer clause is aligned to the reference clause it agrees with most
    (a shared first content word, the usual subject, breaks ties). A shared stem
    with opposite polarity is a conflict ("uses no labels" vs "uses labels"); a
    stem that the reference puts only in a different clause is misplaced, the
    mark of swapped roles ("the decoder reads the input" vs "the encoder reads").
    Two answer clauses that each take terms from the other's reference clause
    (crossed roles) count as one more misplaced subject.
    """
    vocab = set(content_stems(answer)) | set(content_stems(reference))
    a_all = polar_clauses(answer, vocab)
    r_all = polar_clauses(reference, vocab)
    if not a_all or not r_all:
        return 0, 0, 0
    a_parity = [c[-1][1] for c in a_all]
    r_parity = [c[-1][1] for c in r_all]
    a_heads = [{s[1:] for s, _ in c if s.startswith(NEGATED) and s != NEGATED} for c in a_all]
    r_heads = [{s[1:] for s, _ in c if s.startswith(NEGATED) and s != NEGATED} for c in r_all]
    a_clauses = [[t for t in c if not t[0].startswith(NEGATED)] for c in a_all]
    r_clauses = [[t for t in c if not t[0].startswith(NEGATED)] for c in r_all]
    keep = [i for i, c in enumerate(a_clauses) if c]
    a_clauses, a_parity, a_heads = (
        [a_clauses[i] for i in keep],
        [a_parity[i] for i in keep],
        [a_heads[i] for i in keep],
    )
    r_keep = [i for i, c in enumerate(r_clauses) if c]
    if not keep or not r_keep:
        return 0, 0, 0
    r_clauses, r_parity, r_heads = (
        [r_clauses[i] for i in r_keep],
        [r_parity[i] for i in r_keep],
        [r_heads[i] for i in r_keep],
    )
    r_sets = [{s for s, _ in c} for c in r_clauses]
    owner: dict[str, set[int]] = {}
    for i, rs in enumerate(r_sets):
        for s in rs:
            owner.setdefault(s, set()).add(i)
    conflicts = misplaced = subjects = 0
    # per answer clause: (aligned ref clause, ref clauses it borrows terms from, how many)
    borrowed: list[tuple[int, set[int], int]] = []
    for clause, parity, heads in zip(a_clauses, a_parity, a_heads, strict=True):
        stems = {s for s, _ in clause}
        words_only = {s for s in stems if BOUND not in s and ROLE not in s}

        def fit(i: int, clause=clause, stems=stems) -> float:
            rc = r_clauses[i]
            polar_hits = len(set(clause) & set(rc))
            subject = 0.25 * (clause[0] == rc[0]) + 0.25 * (clause[0][0] == rc[0][0])
            return polar_hits + 0.5 * len(stems & r_sets[i]) + subject

        best = max(range(len(r_clauses)), key=fit)
        shared = stems & r_sets[best]
        if not shared:
            continue
        negated_shared = (heads | r_heads[best]) & shared
        restated = (
            len(shared & words_only) >= max(2, 0.75 * len(words_only))
            or (len(shared) >= 2 and shared == r_sets[best])  # the whole reference clause
            or (words_only and words_only <= shared)  # a clause of reference words only
        )
        if restated and parity != r_parity[best] and negated_shared:
            conflicts += 1  # the same statement, negated
        ref_pol: dict[str, set[int]] = {}
        for s, p in r_clauses[best]:
            ref_pol.setdefault(s, set()).add(p)
        ans_pol: dict[str, set[int]] = {}
        for s, p in clause:
            ans_pol.setdefault(s, set()).add(p)
        others: set[int] = set()
        moved = 0
        for k, s in enumerate(dict.fromkeys(s for s, _ in clause)):
            if s in ref_pol and not ans_pol[s] & ref_pol[s]:
                conflicts += 1
            elif s not in ref_pol and s in owner and len(r_clauses) > 1:
                misplaced += 1
                subjects += k == 0
                if len(owner[s]) == 1:  # a term of one other clause only
                    others |= owner[s]
                    moved += 1
        borrowed.append((best, others, moved))
    # crossed roles: two answer clauses, aligned to reference clauses i and j, each
    # carry terms that the reference uses only in the other, three or more in all
    # ("the data goes to the server, the updates stay on the device" vs "the data
    # stays on the device, the updates go to the server"); counts as a moved subject
    crossed = any(
        i != j and j in took_i and i in took_j and moved_i + moved_j >= 3
        for n, (i, took_i, moved_i) in enumerate(borrowed)
        for j, took_j, moved_j in borrowed[n + 1 :]
    )
    return conflicts, misplaced, subjects + crossed
