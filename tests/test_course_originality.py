"""The lessons teach the seed documents' facts in their own words.

Every lesson (``content/*.md``) and quiz file (``content/*.quiz.yaml``) is compared
with every seed document (``shared/seeds/*.txt``, next to the repository) by word
8-grams: the text is lower-cased, a word is a run of letters or digits, and any run of
eight consecutive words that also occurs in a seed is a shared 8-gram. Each one is
printed with its file and line so an author can find and rewrite it.

A few shared phrases are legitimate: the exact titles of books and the names of
conferences must be quoted as they are. They are listed in ``ALLOWED_PHRASES``, each
with the reason; an 8-gram that lies inside one of them does not count. Anything else
shared with a seed fails the test for that file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

N = 8
WORD = re.compile(r"[^\W_]+")  # runs of letters or digits, any script

# Phrases a lesson may share with the seeds word for word. Each is a proper name or a
# title that would be wrong to paraphrase.
ALLOWED_PHRASES = [
    # Book title: Aurelien Geron's book is cited by its exact title.
    "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow by Aurelien Geron",
    "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow by Aurélien Géron",
    # Book citation: the standard textbook's title and its three authors, in order.
    "Deep Learning by Ian Goodfellow, Yoshua Bengio, and Aaron Courville",
    # Conference names: the official names that the acronyms NeurIPS, ICML, ICLR stand for.
    "NeurIPS Conference on Neural Information Processing Systems "
    "ICML International Conference on Machine Learning "
    "ICLR International Conference on Learning Representations",
    # Course title: Columbia University's programme on edX is named as it is listed.
    "edX's Artificial Intelligence MicroMasters Program by Columbia University",
]


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def located_words(path: Path) -> list[tuple[str, int]]:
    """Each word of the file with the 1-based line it is on."""
    out: list[tuple[str, int]] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        out.extend((w, lineno) for w in words(line))
    return out


def ngrams(seq: list[str], n: int = N) -> Iterator[tuple[str, ...]]:
    for i in range(len(seq) - n + 1):
        yield tuple(seq[i : i + n])


def allowed_ngrams() -> set[tuple[str, ...]]:
    allowed: set[tuple[str, ...]] = set()
    for phrase in ALLOWED_PHRASES:
        allowed.update(ngrams(words(phrase)))
    return allowed


def seed_ngrams() -> dict[tuple[str, ...], str]:
    """Every 8-gram of the seeds, mapped to the first seed file:line it occurs at."""
    found: dict[tuple[str, ...], str] = {}
    for seed in sorted(SEEDS.glob("*.txt")):
        located = located_words(seed)
        seq = [w for w, _ in located]
        for i, gram in enumerate(ngrams(seq)):
            found.setdefault(gram, f"{seed.name}:{located[i][1]}")
    return found


def course_files() -> list[Path]:
    return sorted(CONTENT.glob("*.md")) + sorted(CONTENT.glob("*.quiz.yaml"))


def shared_ngrams(path: Path, seeds: dict[tuple[str, ...], str]) -> list[tuple[int, str, str]]:
    """(line, 8-gram, seed location) for each distinct 8-gram the file shares with a seed."""
    located = located_words(path)
    seq = [w for w, _ in located]
    seen: set[tuple[str, ...]] = set()
    hits = []
    for i, gram in enumerate(ngrams(seq)):
        if gram in seeds and gram not in seen:
            seen.add(gram)
            hits.append((located[i][1], " ".join(gram), seeds[gram]))
    return hits


@pytest.fixture(scope="module")
def seeds() -> dict[tuple[str, ...], str]:
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed documents not found at {SEEDS}; nothing to compare the course with")
    return seed_ngrams()


def test_allow_list_phrases_are_long_enough_to_matter():
    for phrase in ALLOWED_PHRASES:
        assert len(words(phrase)) >= N, phrase


def test_the_check_finds_a_copied_sentence(tmp_path, seeds):
    """A sentence lifted from a seed is caught; the same facts reworded are not."""
    copied = tmp_path / "copied.md"
    copied.write_text(
        "Intro.\n\nYes, you can train your own AI big model from scratch, but it requires "
        "a lot of time, data, and computational resources.\n",
        encoding="utf-8",
    )
    reworded = tmp_path / "reworded.md"
    reworded.write_text(
        "Intro.\n\nBuilding a large network from nothing is possible; the bill for "
        "examples, machine hours and calendar time is what stops most teams.\n",
        encoding="utf-8",
    )
    hits = shared_ngrams(copied, seeds)
    assert hits and all(line == 3 for line, _, _ in hits)
    assert shared_ngrams(reworded, seeds) == []


@pytest.mark.parametrize("path", course_files(), ids=lambda p: p.name)
def test_file_shares_no_8gram_with_the_seeds(path, seeds):
    allowed = allowed_ngrams()
    hits = shared_ngrams(path, seeds)
    counted = [h for h in hits if tuple(h[1].split()) not in allowed]
    for line, gram, where in hits:
        mark = "allowed" if tuple(gram.split()) in allowed else "SHARED"
        print(f"{path.relative_to(ROOT)}:{line}: {mark}: '{gram}' (seed {where})")
    assert counted == [], (
        f"{path.name} shares {len(counted)} word 8-gram(s) with the seeds; "
        "rewrite them in new words:\n"
        + "\n".join(
            f"  {path.name}:{line}: '{gram}' (seed {where})" for line, gram, where in counted
        )
    )
