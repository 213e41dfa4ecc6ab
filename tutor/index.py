"""The search index on disk: chunk text, vectors and a manifest that says what built it.

An index is a folder:

- `manifest.json`: model id, dimension, content hash, chunk count, index kind;
- `chunks.sqlite`: chunks and their sentences (text, source line, embedding) and
  an FTS5 table (porter stemming) over the chunks for bm25;
- `vectors.faiss`: the FAISS index over chunk embeddings, ids = chunk rowids;
- `scope.json`: the classifier that tells questions about this index from
  everyday ones (tutor/scope.py), fitted from the stored vectors.

The SQLite file is the source of truth (it keeps every embedding), so FAISS is
rebuilt from it without re-embedding, and the library of a user's own notes can
be updated file by file. `check()` refuses an index that is stale, built by
another model, of the wrong dimension or damaged, rather than silently using it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tutor import embed
from tutor.chunking import Chunk, chunk_lesson
from tutor.course import Course, Lesson
from tutor.scope import ScopeModel

if TYPE_CHECKING:
    import faiss

FORMAT_VERSION = 3  # 2: scope.json and the everyday table; 3: one heading for FTS5
CHUNKER_VERSION = 1  # bump when chunking changes, so every index is rebuilt
# Exact search up to this many chunks, an IVF index above. bench/bench_scale.py:
# a flat query took 1.3 ms at 10k, 20 ms at 100k and 167 ms at 1M vectors; IVF
# took 0.4 ms at 100k and 1.8 ms at 1M, with recall@10 of 0.999 and 1.0.
EXACT_MAX = 50_000
IVF_NPROBE = 32  # lists searched per query: recall@10 vs speed, measured in bench_scale
EMBED_BATCH = 256  # chunks embedded and written at a time (with their sentences)

Progress = Callable[[str, int, int], None]  # (stage, done, total)

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    file TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    lesson_title TEXT NOT NULL,
    section_id TEXT NOT NULL,
    section_title TEXT NOT NULL,
    heading TEXT NOT NULL,
    search_heading TEXT NOT NULL,
    text TEXT NOT NULL,
    line INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file);
CREATE TABLE IF NOT EXISTS sentences (
    rowid INTEGER PRIMARY KEY,
    chunk_rowid INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_chunk ON sentences(chunk_rowid);
CREATE TABLE IF NOT EXISTS everyday (text TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS term_vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
-- External content: FTS5 reads its columns from `chunks` by name, so the values
-- indexed and the values given to 'delete' are the same stored strings.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    search_heading, text, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
"""


@dataclass
class Manifest:
    model_id: str
    dim: int
    content_hash: str
    chunk_count: int
    kind: str  # "flat" | "ivf"
    scope: bool = False  # whether scope.json holds a fitted scope model
    format_version: int = FORMAT_VERSION
    built_at: str = ""

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def write(self, folder: Path) -> None:
        text = json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"
        (folder / "manifest.json").write_text(text, encoding="utf-8")


def content_hash(files: Iterable[Path], root: Path) -> str:
    """What an index was built from: the files' bytes, the chunker, the model and
    the everyday questions its scope model is fitted against."""
    from tutor.scope import everyday_hash

    digest = hashlib.sha256(
        f"{embed.MODEL_ID}|{CHUNKER_VERSION}|{FORMAT_VERSION}|{everyday_hash()}".encode()
    )
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def course_files(course_dir: Path) -> list[Path]:
    """The lesson files an index of the course depends on (quiz files do not count)."""
    return sorted(p for p in course_dir.glob("*.md") if p.is_file())


def sentences_of(text: str) -> list[str]:
    """Prose sentences of a chunk, for extractive answers (code and headings skipped):
    the answer units (tutor/ranking.py) of four words or more, which get embedded."""
    from tutor.ranking import units_of

    return [u.text for u in units_of(text) if u.words >= 4]


def _blob(vector: np.ndarray) -> bytes:
    return vector.astype("float32").tobytes()


def _unblob(rows: Iterable[bytes]) -> np.ndarray:
    import numpy as np

    buf = b"".join(rows)
    return np.frombuffer(buf, dtype=np.float32).reshape(-1, embed.DIM)


def make_faiss(
    vectors: np.ndarray, ids: np.ndarray, kind: str | None = None
) -> tuple[faiss.Index, str]:
    """Exact inner product up to EXACT_MAX vectors, an inverted file (IVF) above.

    IVF over HNSW: at 100k vectors HNSW took 288 s to build on these 2 cores and
    IVF 57 s, at the same recall (bench/bench_scale.py); the library index is
    rebuilt from its stored vectors after every update, so build time matters.
    """
    import math

    import faiss

    kind = kind or ("flat" if len(vectors) <= EXACT_MAX else "ivf")
    if kind == "flat":
        base = faiss.IndexFlatIP(embed.DIM)
    else:
        nlist = max(1, int(4 * math.sqrt(len(vectors))))
        base = faiss.IndexIVFFlat(
            faiss.IndexFlatIP(embed.DIM), embed.DIM, nlist, faiss.METRIC_INNER_PRODUCT
        )
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: 64 * nlist]]
        base.train(sample)
        base.nprobe = IVF_NPROBE
    index = faiss.IndexIDMap2(base)
    if len(vectors):
        index.add_with_ids(vectors, ids.astype("int64"))
    return index, kind


class IndexStore:
    """One index folder, opened for reading or updating."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.db_path = self.folder / "chunks.sqlite"
        self._faiss: faiss.Index | None = None
        self._conn: sqlite3.Connection | None = None
        self._scope: ScopeModel | None | bool = False  # False: not read yet

    # -- opening ---------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.db_path), check_same_thread=False)
            self._conn.executescript(SCHEMA)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._faiss = None
        self._scope = False

    @property
    def scope(self) -> ScopeModel | None:
        """The fitted scope model, or None if the index has none (see problem())."""
        if self._scope is False:
            self._scope = None
            if Manifest.read(self.folder).scope:
                self._scope = ScopeModel.read(self.folder / "scope.json", embed.DIM)
        return self._scope

    @property
    def faiss_index(self) -> faiss.Index:
        if self._faiss is None:
            import faiss

            self._faiss = faiss.read_index(str(self.folder / "vectors.faiss"))
        return self._faiss

    def problem(self, expected_hash: str | None = None) -> str | None:
        """Why this index must not be used (None if it is sound and fresh)."""
        if not (self.folder / "manifest.json").exists():
            return "no index"
        try:
            manifest = Manifest.read(self.folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return f"manifest unreadable ({exc.__class__.__name__})"
        if manifest.format_version != FORMAT_VERSION:
            return f"index format {manifest.format_version}, expected {FORMAT_VERSION}"
        if manifest.model_id != embed.MODEL_ID:
            return f"built with model {manifest.model_id!r}, not {embed.MODEL_ID!r}"
        if manifest.dim != embed.DIM:
            return f"vectors of dimension {manifest.dim}, expected {embed.DIM}"
        if expected_hash is not None and manifest.content_hash != expected_hash:
            return "stale: the course changed since it was built"
        if not (self.folder / "vectors.faiss").exists():
            return "damaged: vectors.faiss is missing"
        try:
            index = self.faiss_index
        except RuntimeError:  # faiss's message is a C++ signature, not news to a learner
            self.close()
            return "damaged: vectors.faiss is unreadable (truncated?)"
        try:
            count = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            self._check_fts()
        except Exception as exc:  # faiss raises RuntimeError, sqlite DatabaseError
            self.close()
            return f"damaged ({exc.__class__.__name__}: {str(exc).splitlines()[0][:80]})"
        if index.d != embed.DIM:
            return f"FAISS vectors of dimension {index.d}, expected {embed.DIM}"
        if not index.ntotal == count == manifest.chunk_count:
            return f"damaged: {index.ntotal} vectors, {count} chunks, manifest says {manifest.chunk_count}"
        try:
            self.scope  # noqa: B018 (reads and checks scope.json)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.close()
            return f"damaged: scope model unreadable ({exc.__class__.__name__})"
        return None

    def _check_fts(self) -> None:
        """FTS5's own integrity check, against the content table too (raises if damaged).

        A mismatch between the bm25 index and `chunks` answers searches with the
        wrong chunk, so it counts as damage, like a truncated file.
        """
        # It is an INSERT that writes nothing: roll its implicit transaction back at
        # once, or this connection would hold the write lock and block every other.
        try:
            self.conn.execute(
                "INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.OperationalError as exc:
            if "malformed" in str(exc) or "corrupt" in str(exc):
                raise
            if "readonly" in str(exc):
                # a read-only data folder: the check needs a write transaction, so
                # settle for reading the bm25 index (a damaged one fails here too)
                self.conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'a'")
                return
            # an SQLite too old for the content check: the index's own check
            self.conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')")
        finally:
            self.conn.rollback()

    # -- reading (the queries search and answer use) ----------------------------

    def bm25(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk rowid, bm25 score, higher is better) for an FTS5 MATCH query."""
        rows = self.conn.execute(
            "SELECT rowid, bm25(chunks_fts, 2.0, 1.0) FROM chunks_fts WHERE chunks_fts MATCH ?"
            " ORDER BY 2 LIMIT ?",
            (query, k),
        ).fetchall()
        return [(rowid, -score) for rowid, score in rows]

    def chunk_rows(self, rowids: list[int]) -> list[tuple]:
        """(rowid, id, lesson_id, lesson_title, section_id, section_title, heading, text,
        file, line, vector bytes) of the given chunks."""
        marks = ",".join("?" * len(rowids))
        return self.conn.execute(
            "SELECT rowid, id, lesson_id, lesson_title, section_id, section_title, heading, text,"
            f" file, line, vector FROM chunks WHERE rowid IN ({marks})",
            rowids,
        ).fetchall()

    def chunk_state(self) -> tuple[int, int]:
        """(count, largest rowid) of the chunks: changes whenever files are re-indexed."""
        count, top = self.conn.execute("SELECT count(*), max(rowid) FROM chunks").fetchone()
        return count, top or 0

    def all_chunk_texts(self) -> list[str]:
        """Every chunk's text (the ranker's word weights are computed from them once)."""
        return [r[0] for r in self.conn.execute("SELECT text FROM chunks")]

    # -- key-term vectors (distractors for generated multiple-choice cards) -----

    def add_term_vectors(self, course: Course) -> None:
        """Embed the course's key terms with their definitions, once, at build time, so
        a learner's first card sync needs no encoder (`tutor.cards.distractors`)."""
        from tutor.cards.distractors import key_term_texts, vector_keys

        texts = list(dict.fromkeys(key_term_texts(course)))
        vectors = embed.encode(texts)
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO term_vectors (key, vector) VALUES (?, ?)",
                zip(vector_keys(texts), (_blob(v) for v in vectors), strict=True),
            )

    def term_vectors(self, keys: list[str]) -> dict[str, bytes]:
        """{key: float32 bytes} of the stored key-term vectors among `keys`."""
        marks = ",".join("?" * len(keys))
        try:
            rows = self.conn.execute(
                f"SELECT key, vector FROM term_vectors WHERE key IN ({marks})", keys
            ).fetchall()
        except sqlite3.Error:  # an index built before this table: no seed, encode instead
            return {}
        return dict(rows)

    # -- the notes library's folders ----------------------------------------------

    def roots(self) -> list[Path]:
        return [Path(r[0]) for r in self.conn.execute("SELECT path FROM roots ORDER BY path")]

    def add_roots(self, roots: Iterable[Path]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT OR IGNORE INTO roots (path) VALUES (?)", [(str(r),) for r in roots]
            )

    # -- building --------------------------------------------------------------

    def replace_files(
        self,
        lessons_by_file: dict[str, tuple[str, list[Lesson]]],
        removed: Iterable[str] = (),
        progress: Progress | None = None,
    ) -> int:
        """Re-embed the given files (path -> (hash, lessons)) and drop removed ones.

        Only the files passed here are embedded; every other file's rows stay.
        Returns the number of chunks embedded.

        Memory stays bounded by `EMBED_BATCH` chunks, whatever the size of a file:
        each batch is embedded, written and let go before the next (a 5 MB note
        once held every vector of the whole update at once). Each file is replaced
        in one transaction, and the manifest goes first, so an update killed
        half-way leaves an index that `problem()` reports, never a half-true one.
        """
        conn = self.conn
        (self.folder / "manifest.json").unlink(missing_ok=True)
        plans = []
        total = 0
        for file, (digest, lessons) in lessons_by_file.items():
            chunks = [c for lesson in lessons for c in chunk_lesson(lesson)]
            plans.append((file, digest, chunks))
            total += len(chunks) + sum(len(sentences_of(c.text)) for c in chunks)
        with conn:
            for file in removed:
                self._delete_file(file)
        done = 0
        embedded = 0
        for file, digest, chunks in plans:
            with conn:
                self._delete_file(file)
                for start in range(0, len(chunks), EMBED_BATCH):
                    batch = chunks[start : start + EMBED_BATCH]
                    sentences = [(i, pos, t) for i, c in enumerate(batch)
                                 for pos, t in enumerate(sentences_of(c.text))]  # fmt: skip
                    texts = [c.embed_text for c in batch] + [t for _, _, t in sentences]
                    offset = done

                    def report(d: int, t: int, offset: int = offset) -> None:
                        if progress:
                            progress("embedding", offset + d, total)

                    vectors = embed.encode(texts, progress=report)
                    done += len(texts)
                    self._insert_chunks(file, batch, sentences, vectors)
                    embedded += len(batch)
                conn.execute(
                    "INSERT OR REPLACE INTO files (path, hash) VALUES (?, ?)", (file, digest)
                )
        return embedded

    def _insert_chunks(
        self, file: str, chunks: list[Chunk], sentences: list[tuple[int, int, str]], vectors
    ) -> None:
        """Write one embedded batch: chunk rows (vectors first in `vectors`), their FTS5
        rows, then their sentences (`(chunk index in batch, position, text)`)."""
        conn = self.conn
        rowids = []
        for c, vec in zip(chunks, vectors[: len(chunks)], strict=True):
            cur = conn.execute(
                "INSERT INTO chunks (id, file, lesson_id, lesson_title, section_id, section_title,"
                " heading, search_heading, text, line, vector) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (c.id, file, c.lesson_id, c.lesson_title, c.section_id, c.section_title,
                 " › ".join(c.heading_path), c.heading, c.text, c.line, _blob(vec)),
            )  # fmt: skip
            rowids.append(cur.lastrowid)
            conn.execute(
                "INSERT INTO chunks_fts (rowid, search_heading, text) VALUES (?,?,?)",
                (cur.lastrowid, c.heading, c.text),
            )
        conn.executemany(
            "INSERT INTO sentences (chunk_rowid, pos, text, vector) VALUES (?,?,?,?)",
            [
                (rowids[i], pos, text, _blob(v))
                for (i, pos, text), v in zip(sentences, vectors[len(chunks) :], strict=True)
            ],
        )

    def _delete_file(self, file: str) -> None:
        conn = self.conn
        rows = conn.execute(
            "SELECT rowid, search_heading, text FROM chunks WHERE file = ?", (file,)
        ).fetchall()
        conn.executemany(
            "INSERT INTO chunks_fts (chunks_fts, rowid, search_heading, text) "
            "VALUES ('delete', ?, ?, ?)",
            rows,
        )
        conn.execute(
            "DELETE FROM sentences WHERE chunk_rowid IN (SELECT rowid FROM chunks WHERE file = ?)",
            (file,),
        )
        conn.execute("DELETE FROM chunks WHERE file = ?", (file,))
        conn.execute("DELETE FROM files WHERE path = ?", (file,))

    def file_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT path, hash FROM files"))

    def finish(
        self, content_hash_: str, progress: Progress | None = None, *, balance_files: bool = False
    ) -> Manifest:
        """Rebuild FAISS from the stored vectors and write the manifest last.

        The manifest is written after everything else, so a build killed half-way
        leaves an index that `problem()` reports instead of one that looks whole.
        """
        import faiss
        import numpy as np

        (self.folder / "manifest.json").unlink(missing_ok=True)
        rows = self.conn.execute("SELECT rowid, vector FROM chunks ORDER BY rowid").fetchall()
        ids = np.array([r[0] for r in rows], dtype="int64")
        vectors = _unblob(r[1] for r in rows) if rows else np.zeros((0, embed.DIM), "float32")
        if progress:
            progress("indexing", 0, len(rows))
        index, kind = make_faiss(vectors, ids)
        tmp = self.folder / "vectors.faiss.tmp"
        faiss.write_index(index, str(tmp))
        tmp.replace(self.folder / "vectors.faiss")
        self._faiss = index
        self.conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
        self.conn.commit()
        scope = self._fit_scope(vectors, balance_files)
        manifest = Manifest(
            model_id=embed.MODEL_ID,
            dim=embed.DIM,
            content_hash=content_hash_,
            chunk_count=len(rows),
            kind=kind,
            scope=scope is not None,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        manifest.write(self.folder)
        if progress:
            progress("indexing", len(rows), len(rows))
        return manifest

    def _fit_scope(
        self, chunk_vectors: np.ndarray, balance_files: bool = False
    ) -> ScopeModel | None:
        """Fit and write scope.json from the stored vectors (tutor/scope.py says why).

        `balance_files` weighs each file's passages as much as any other file's in
        all (the notes library): one huge note once outweighed every small one, so
        the scope model claimed only its topics and the other notes answered nothing.
        """
        from tutor import scope

        (self.folder / "scope.json").unlink(missing_ok=True)
        self._scope = False
        questions = scope.everyday_questions()
        stored = dict(self.conn.execute("SELECT text, vector FROM everyday"))
        missing = [q for q in questions if q not in stored]
        if missing and len(chunk_vectors):
            with self.conn:
                self.conn.execute("DELETE FROM everyday")
                self.conn.executemany(
                    "INSERT INTO everyday (text, vector) VALUES (?, ?)",
                    [
                        (q, _blob(v))
                        for q, v in zip(questions, scope.everyday_vectors(), strict=True)
                    ],
                )
            stored = dict(self.conn.execute("SELECT text, vector FROM everyday"))
        sentences = self.conn.execute(
            "SELECT s.vector, c.file FROM sentences s JOIN chunks c ON c.rowid = s.chunk_rowid"
            " ORDER BY s.rowid"
        ).fetchall()
        positives = np.vstack([chunk_vectors, _unblob(r[0] for r in sentences)])
        everyday = _unblob(stored[q] for q in questions if q in stored)
        weights = None
        if balance_files and len(positives):
            files = [r[0] for r in self.conn.execute("SELECT file FROM chunks ORDER BY rowid")]
            files += [r[1] for r in sentences]
            counts: dict[str, int] = {}
            for f in files:
                counts[f] = counts.get(f, 0) + 1
            weights = np.array([1.0 / counts[f] for f in files])
            weights *= len(weights) / weights.sum()  # mean 1: the classes stay balanced
        model = scope.fit(positives, everyday, weights)
        if model is not None:
            model.write(self.folder / "scope.json")
        return model

    def vectors_for(
        self, table: str, column: str, keys: list[int]
    ) -> tuple[list[tuple], np.ndarray]:
        """Rows (rowid, ...) and their vectors from `table` where `column` is in keys."""
        marks = ",".join("?" * len(keys))
        cols = "rowid, chunk_rowid, pos, text" if table == "sentences" else "rowid"
        rows = self.conn.execute(
            f"SELECT {cols}, vector FROM {table} WHERE {column} IN ({marks})", keys
        ).fetchall()
        return [r[:-1] for r in rows], _unblob(r[-1] for r in rows)


def build_course_index(course: Course, folder: Path, progress: Progress | None = None) -> Manifest:
    """Build the index of a structured course from scratch into `folder`."""
    import shutil

    folder = Path(folder)
    staging = folder.with_name(folder.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    store = IndexStore(staging)
    by_file: dict[str, tuple[str, list[Lesson]]] = {}
    for lesson in course.lessons:
        rel = str(lesson.path.relative_to(course.root.parent))
        by_file[rel] = (hashlib.sha256(lesson.path.read_bytes()).hexdigest(), [lesson])
    store.replace_files(by_file, progress=progress)
    store.add_term_vectors(course)
    manifest = store.finish(content_hash(course_files(course.root), course.root), progress)
    store.close()
    # Swap the finished index in, file by file (the folder may be a package dir).
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)
    (folder / "scope.json").unlink(missing_ok=True)
    names = ["chunks.sqlite", "vectors.faiss", *["scope.json"] * manifest.scope, "manifest.json"]
    for name in names:
        (staging / name).replace(folder / name)
    shutil.rmtree(staging, ignore_errors=True)
    return manifest


def course_index_cache(course_dir: Path) -> Path:
    """Where a course's index is rebuilt when its own is missing, stale or damaged."""
    from tutor import paths

    digest = hashlib.sha256(str(course_dir).encode()).hexdigest()[:12]
    return paths.data_dir() / "course-index" / digest


def open_course_index(
    course_dir: Path | None = None,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> IndexStore:
    """A sound, fresh index of the course: the bundled one, else a rebuilt one.

    A stale or damaged bundled index is never used: the course is re-indexed
    into the data dir (the package folder may be read-only), and `notice` is told why.
    """
    from tutor import paths
    from tutor.course import load_course

    course_dir = Path(course_dir) if course_dir else paths.content_dir()
    expected = content_hash(course_files(course_dir), course_dir)
    bundled = paths.bundled_index_dir()
    candidates = [bundled] if course_dir == paths.content_dir() else []
    cache = course_index_cache(course_dir)
    candidates.append(cache)
    reasons = []
    for folder in candidates:
        store = IndexStore(folder)
        why = store.problem(expected)
        if why is None:
            return store
        store.close()
        reasons.append(f"{folder}: {why}")
    if notice:
        notice(f"rebuilding the course index ({reasons[0]})")
    build_course_index(load_course(course_dir), cache, progress)
    return IndexStore(cache)
