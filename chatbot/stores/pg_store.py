"""The index in PostgreSQL with pgvector: one table of passages per version, switched in one transaction.

Tables (`C` is settings.pg_collection, so the Chinese index shares the database):
    chatbot_live(collection, version)        the live version of each collection
    chatbot_versions(collection, version, manifest)
    chatbot_embeddings(model, hash, vec)     embedding cache shared by every builder
    C_v_<version>                            passages: row, chunk fields, vector (HNSW), length
    C_t_<version>                            postings of the BM25 tokenizer: term, row, tf, length
    C_d_<version>                            document frequency of each term
    C_i_<version>                            each term's best postings by BM25 term weight, ranked
A build creates the version's tables, fills them, builds the HNSW index and repoints
chatbot_live in a single transaction: a build killed at any moment leaves nothing behind, and
readers (this machine, other chat servers, streaming replicas) see the old version until it commits.
"""

from __future__ import annotations

import logging
import queue
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from chatbot.embedding import Vectors
from chatbot.lexical import tokenize
from chatbot.settings import Settings
from chatbot.stores.common import (
    KEEP_OLD_VERSIONS,
    BuildLocked,
    IndexMismatch,
    IndexMissing,
    IndexSpec,
    Manifest,
    StoreUnavailable,
    check_manifest,
)
from chatbot.types import Chunk

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS chatbot_live (collection text PRIMARY KEY, version text NOT NULL);
CREATE TABLE IF NOT EXISTS chatbot_versions (
    collection text, version text, manifest jsonb NOT NULL, PRIMARY KEY (collection, version));
CREATE TABLE IF NOT EXISTS chatbot_embeddings (
    model text, hash text, vec bytea NOT NULL, PRIMARY KEY (model, hash));
"""
# Every field of Chunk, in its order (rows are read back with Chunk(*row)), and its column type.
_CHUNK_COLUMNS = {
    "chunk_id": "text", "doc_id": "text", "title": "text", "date": "text", "text": "text",
    "start": "int4", "end": "int4", "text_hash": "text", "page": "int4", "page_label": "text",
    "section": "text", "language": "text",
}  # fmt: skip
_CHUNK_FIELDS = tuple(_CHUNK_COLUMNS)
_NO_FILTER = sql.SQL("")
# A connection used this recently is lent without a check (a round trip) first.
_TRUST_IDLE_S = 1.0
_COPY_TYPES = ["int4", *_CHUNK_COLUMNS.values(), "vector", "int4"]


def redact(dsn: str) -> str:
    """Return the DSN as a URI without its password, for messages ("postgresql://u@h:5432/db")."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unparsable PostgreSQL DSN"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _register_vector(conn: psycopg.Connection) -> None:
    with suppress(psycopg.ProgrammingError):  # no vector extension yet: the first build creates it
        register_vector(conn)


class Connections:
    """Up to `size` open connections to one database, reopened on demand after a failure.

    Not psycopg_pool: its background reconnection backs off exponentially (and logs each try), so
    after an outage questions could wait for the next try; here the next question simply connects.
    """

    def __init__(self, dsn: str, size: int, connect_timeout_s: float, statement_timeout_s: float) -> None:
        self.dsn = dsn
        self.where = redact(dsn)
        self.connect_timeout_s = connect_timeout_s
        self.statement_timeout_s = statement_timeout_s
        self._idle: queue.LifoQueue[tuple[psycopg.Connection, float]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def unavailable(self, exc: BaseException) -> StoreUnavailable:
        """Return the one-line error for a failed connection or query."""
        return StoreUnavailable(f"The index database {self.where} is unavailable: {_first_line(exc)}")

    def connect(self, autocommit: bool = True) -> psycopg.Connection:
        """Open a new connection (vector type registered); StoreUnavailable when the database is down."""
        try:
            conn = psycopg.connect(
                self.dsn,
                autocommit=autocommit,
                connect_timeout=max(1, round(self.connect_timeout_s)),
                options=f"-c statement_timeout={int(self.statement_timeout_s * 1000)}",
            )
        except psycopg.Error as exc:
            raise self.unavailable(exc) from None
        _register_vector(conn)
        return conn

    def _idle_connection(self) -> psycopg.Connection | None:
        """Return an idle connection that still works, or None; one idle a while is checked first
        (after a restart of the database every idle one is dead, and no question should fail on it)."""
        while True:
            try:
                conn, since = self._idle.get_nowait()
            except queue.Empty:
                return None
            if time.monotonic() - since < _TRUST_IDLE_S:
                return conn
            try:
                conn.execute("SELECT 1")
                return conn
            except psycopg.Error:
                conn.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Lend an open connection; one that failed is closed, and the error said in one line."""
        if not self._slots.acquire(timeout=self.connect_timeout_s):
            raise StoreUnavailable(f"All connections to {self.where} are busy (pg_pool_size).")
        conn = None
        try:
            conn = self._idle_connection() or self.connect()
            if conn.adapters.types.get("vector") is None:
                _register_vector(conn)  # opened before the first build created the extension
            yield conn
        except psycopg.OperationalError as exc:
            if conn is not None:
                conn.close()
            conn = None
            raise self.unavailable(exc) from None
        finally:
            if conn is not None and not conn.closed and not conn.broken:
                self._idle.put((conn, time.monotonic()))
            self._slots.release()


_POOLS: dict[tuple[str, int, float, float], Connections] = {}
_POOLS_LOCK = threading.Lock()


def open_pg_store(settings: Settings) -> PgStore:
    """Return the PostgreSQL store of `settings` (one set of connections per database and process)."""
    if settings.pg_dsn is None:
        raise StoreUnavailable("vector_store = 'pgvector' needs pg_dsn (CHATBOT_PG_DSN=postgresql://…).")
    key = (
        settings.pg_dsn.get_secret_value(),
        settings.pg_pool_size,
        settings.pg_connect_timeout_s,
        settings.pg_statement_timeout_s,
    )
    with _POOLS_LOCK:
        pool = _POOLS.get(key) or _POOLS.setdefault(key, Connections(*key))
    return PgStore(
        pool, settings.pg_collection, settings.pg_hnsw_m, settings.pg_ef_construction, settings.pg_ef_search,
        build_memory_mb=settings.pg_build_memory_mb, build_workers=settings.pg_build_workers,
        postings_per_term=settings.pg_bm25_postings_per_term, bm25_rescore=settings.pg_bm25_rescore,
        k1=settings.bm25_k1, b=settings.bm25_b,
    )  # fmt: skip


def _name(collection: str, kind: str, version: str) -> sql.Identifier:
    return sql.Identifier(f"{collection}_{kind}_{re.sub(r'[^a-z0-9]', '_', version.lower())}")


class PgStore:
    """The versioned index of one collection in a PostgreSQL database."""

    def __init__(
        self,
        pool: Connections,
        collection: str,
        hnsw_m: int,
        ef_construction: int,
        ef_search: int,
        *,
        build_memory_mb: int = 1024,
        build_workers: int = 1,
        postings_per_term: int = 0,
        bm25_rescore: int = 0,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        self.pool = pool
        # The impact-ordered postings: how many per term a build keeps and a question reads
        # (0: none, BM25 over every posting), and the BM25 parameters that order them.
        self.postings_per_term = postings_per_term
        self.bm25_rescore = bm25_rescore
        self.k1 = k1
        self.b = b
        self.build_memory_mb = build_memory_mb
        self.build_workers = build_workers
        self.collection = collection
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self._schema_ready = False

    def describe(self) -> str:
        """Return the database (without password) and collection, for messages."""
        return f"{self.pool.where} (collection {self.collection})"

    def ensure_schema(self) -> None:
        """Create the extension and shared tables once (a writer's job: replicas are read-only)."""
        if self._schema_ready:
            return
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('chatbot schema'))")
            conn.execute(_SCHEMA)
        with self.pool.connection():
            pass  # the extension now exists: the next connection lent registers its type
        self._schema_ready = True

    def current_version(self) -> str | None:
        """Return the live version's name, or None when nothing was built yet."""
        with self.pool.connection() as conn:
            try:
                row = conn.execute(
                    "SELECT version FROM chatbot_live WHERE collection = %s", [self.collection]
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return row[0] if row else None

    def read_manifest(self, version: str | None = None) -> Manifest | None:
        """Return the manifest of `version` (default: the live one), or None when there is none."""
        query = (
            "SELECT v.manifest FROM chatbot_versions v JOIN chatbot_live l USING (collection, version) "
            "WHERE l.collection = %s"
            if version is None
            else "SELECT manifest FROM chatbot_versions WHERE collection = %s AND version = %s"
        )
        args = [self.collection] if version is None else [self.collection, version]
        with self.pool.connection() as conn:
            try:
                row = conn.execute(query, args).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return Manifest.model_validate(row[0]) if row else None

    def _chunks(
        self,
        conn: psycopg.Connection,
        version: str,
        where: sql.Composable = _NO_FILTER,
        args: Sequence[Any] = (),
    ) -> list[tuple[int, Chunk]]:
        cols = sql.SQL(", ").join(sql.Identifier(f) for f in _CHUNK_FIELDS)
        rows = conn.execute(
            sql.SQL("SELECT row, {} FROM {} {} ORDER BY row").format(
                cols, _name(self.collection, "v", version), where
            ),
            args,
        ).fetchall()
        return [(r[0], Chunk(*r[1:])) for r in rows]

    def load(self, spec: IndexSpec, version: str | None = None) -> PgIndexVersion:
        """Return the live (or given) version, checked against `spec`; its passages stay in the database."""
        manifest = self.read_manifest(version)
        if manifest is None:
            raise IndexMissing(f"No index in {self.describe()}: build it with `chatbot index`.")
        check_manifest(manifest, spec, self.describe())
        with self.pool.connection() as conn:
            found = conn.execute(
                "SELECT to_regclass(%s)", [_name(self.collection, "d", manifest.version).as_string(conn)]
            ).fetchone()
        if not found or found[0] is None:
            raise IndexMismatch(
                f"The index in {self.describe()} was built by an earlier version of this program "
                "(no term frequencies): rebuild it with `chatbot index --full`."
            )
        with self.pool.connection() as conn:
            impacts = conn.execute(
                "SELECT to_regclass(%s)", [_name(self.collection, "i", manifest.version).as_string(conn)]
            ).fetchone()
        # A version built without them (or with pg_bm25_postings_per_term 0) ranks every posting.
        return PgIndexVersion(self, manifest, impacts is not None and impacts[0] is not None)

    def old_chunks(self, old: Manifest) -> dict[str, list[Chunk]]:
        """Return the chunks of version `old` grouped by document."""
        grouped: dict[str, list[Chunk]] = {}
        with self.pool.connection() as conn:
            for _, chunk in self._chunks(conn, old.version):
                grouped.setdefault(chunk.doc_id, []).append(chunk)
        return grouped

    def write_version(
        self, manifest: Manifest, chunks: list[Chunk], vectors: Vectors, lexical: bool = True
    ) -> None:
        """Write the version's tables and HNSW index and make it live, all in one transaction.

        `lexical` False leaves out the BM25 postings (the scale benchmark's synthetic passages).
        """
        self.ensure_schema()
        table = _name(self.collection, "v", manifest.version)
        terms = _name(self.collection, "t", manifest.version)
        frequencies = _name(self.collection, "d", manifest.version)
        conn = self.pool.connect(autocommit=False)
        try:
            register_vector(conn)
            conn.execute("SET statement_timeout = 0")  # a build of a million passages takes minutes
            memory = sql.Literal(f"{self.build_memory_mb}MB")
            conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(memory))
            conn.execute(
                sql.SQL("SET max_parallel_maintenance_workers = {}").format(sql.Literal(self.build_workers))
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (row int4 PRIMARY KEY, {}, embedding vector({}), length int4)"
                ).format(
                    table,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                        for name, kind in _CHUNK_COLUMNS.items()
                    ),
                    sql.Literal(manifest.spec.dim),
                )
            )
            cols = sql.SQL(", ").join(
                sql.Identifier(f) for f in ("row", *_CHUNK_FIELDS, "embedding", "length")
            )
            # The postings go to a file as the passages are copied (one tokenization, and memory
            # flat: a million passages have ~80 million postings), then into their own table.
            with tempfile.TemporaryFile("w+b") as postings:
                with conn.cursor().copy(
                    sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, cols)
                ) as copy:
                    copy.set_types(_COPY_TYPES)
                    for row, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                        counts = Counter(tokenize(chunk.text)) if lexical else Counter()
                        length = sum(counts.values())
                        # Terms are runs of letters, digits or CJK: nothing COPY's text format escapes.
                        postings.write(
                            "".join(f"{t}\t{row}\t{n}\t{length}\n" for t, n in counts.items()).encode()
                        )
                        copy.write_row([row, *asdict(chunk).values(), vector, length])
                conn.execute(
                    sql.SQL(
                        "CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) "
                        "WITH (m = {}, ef_construction = {})"
                    ).format(table, sql.Literal(self.hnsw_m), sql.Literal(self.ef_construction))
                )
                conn.execute(sql.SQL("CREATE INDEX ON {} (chunk_id)").format(table))
                conn.execute(
                    sql.SQL("CREATE TABLE {} (term text, row int4, tf int4, length int4)").format(terms)
                )
                postings.seek(0)
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(terms)) as copy:
                    while block := postings.read(1 << 20):
                        copy.write(block)
            # BM25 reads a term's postings with their lengths from the index alone, and rescoring
            # finds one passage's posting of a term in it.
            conn.execute(sql.SQL("CREATE INDEX ON {} (term, row) INCLUDE (tf, length)").format(terms))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} AS SELECT term, count(*)::int4 AS df FROM {} GROUP BY term"
                ).format(frequencies, terms)
            )
            conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (term)").format(frequencies))
            if self.postings_per_term:
                self._write_impacts(conn, manifest.version)
            conn.execute(
                "INSERT INTO chatbot_versions VALUES (%s, %s, %s)",
                [self.collection, manifest.version, manifest.model_dump_json()],
            )
            conn.execute(
                "INSERT INTO chatbot_live VALUES (%s, %s) ON CONFLICT (collection) "
                "DO UPDATE SET version = EXCLUDED.version",
                [self.collection, manifest.version],
            )
            conn.commit()
        except psycopg.OperationalError as exc:
            raise self.pool.unavailable(exc) from None
        finally:
            conn.close()

    def _write_impacts(self, conn: psycopg.Connection, version: str) -> None:
        """Keep each term's `postings_per_term` best postings by BM25 term weight, with their rank.

        idf is the same for all of a term's postings, so this order is the term's exact share of
        the score: a question summing over these lists misses only the passages where a term
        weighs less than in its top postings. Ties go to the lower row.
        """
        terms = _name(self.collection, "t", version)
        impacts = _name(self.collection, "i", version)
        row = conn.execute(
            sql.SQL("SELECT coalesce(avg(length), 0) FROM {}").format(_name(self.collection, "v", version))
        ).fetchone()
        avgdl = float(row[0]) if row and row[0] else 1.0
        weight = sql.SQL("p.tf::float8 / (p.tf + {k1} * (1 - {b} + {b} * p.length / {avgdl}))").format(
            k1=sql.Literal(self.k1), b=sql.Literal(self.b), avgdl=sql.Literal(avgdl)
        )
        # One top-N read of each term's postings through the term index (no sort of them all).
        conn.execute(
            sql.SQL("""
                CREATE TABLE {i} AS
                SELECT d.term, p.rank::int4, p.row, p.tf, p.length FROM {d} d, LATERAL (
                    SELECT p.row, p.tf, p.length, row_number() OVER (ORDER BY {w} DESC, p.row) AS rank
                    FROM (SELECT p.row, p.tf, p.length FROM {t} p WHERE p.term = d.term
                          ORDER BY {w} DESC, p.row LIMIT {k}) p) p
            """).format(
                i=impacts,
                d=_name(self.collection, "d", version),
                t=terms,
                w=weight,
                k=sql.Literal(self.postings_per_term),
            )
        )
        conn.execute(sql.SQL("CREATE INDEX ON {} (term, rank) INCLUDE (row, tf, length)").format(impacts))

    def prune(self, keep_old: int = KEEP_OLD_VERSIONS) -> list[str]:
        """Drop all but the `keep_old` newest versions older than the live one; return their names.

        A killed build leaves nothing to clean (its transaction rolled back); this only ages out
        versions that no reader needs any more.
        """
        live = self.current_version()
        if live is None:
            return []
        with self.pool.connection() as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT version FROM chatbot_versions WHERE collection = %s AND version <> %s "
                    "ORDER BY version",
                    [self.collection, live],
                )
            ]
            doomed = [v for v in names if v > live] + [v for v in names if v < live][
                : max(0, sum(v < live for v in names) - keep_old)
            ]
            for version in doomed:
                with conn.transaction():
                    conn.execute(
                        "DELETE FROM chatbot_versions WHERE collection = %s AND version = %s",
                        [self.collection, version],
                    )
                    for kind in ("v", "t", "d", "i"):
                        conn.execute(
                            sql.SQL("DROP TABLE IF EXISTS {}").format(_name(self.collection, kind, version))
                        )
                log.info("Dropped index version %s", version)
        return doomed

    def embedding_cache(self, model_id: str, dim: int) -> PgEmbeddingCache:
        """Return the embedding cache in the database (shared by every machine that builds)."""
        self.ensure_schema()
        return PgEmbeddingCache(self.pool, model_id)

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold a session advisory lock on the collection: one writer per database at a time.

        The lock goes with the connection, so a killed build releases it at once.
        """
        conn = self.pool.connect()
        try:
            standby = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if standby and standby[0]:
                raise StoreUnavailable(
                    f"{self.pool.where} is a read-only replica: build the index on the primary."
                )
            got = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [self.collection]).fetchone()
            if not got or not got[0]:
                raise BuildLocked(
                    f"Another build of {self.describe()} is running; "
                    "wait for it to finish and run `chatbot index` again."
                )
            yield
        finally:
            conn.close()


class PgIndexVersion:
    """A live version in the database: this process holds its manifest and two statistics, and
    reads passages, vectors and postings per question (nothing per passage stays in memory)."""

    def __init__(self, store: PgStore, manifest: Manifest, impacts: bool = False) -> None:
        self.store = store
        self.manifest = manifest
        # Whether the version has the impact-ordered postings (C_i_<version>) BM25 reads.
        self.impacts = impacts
        self._impacts = _name(store.collection, "i", manifest.version)
        self._table = _name(store.collection, "v", manifest.version)
        self._terms = _name(store.collection, "t", manifest.version)
        self._frequencies = _name(store.collection, "d", manifest.version)
        self._stats: tuple[float, float] | None = None

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def chunks(self) -> list[Chunk]:
        """Return every passage, by row, read from the database on each call (for tools; answering
        reads only its candidates, with chunks_of)."""
        with self.store.pool.connection() as conn:
            return [c for _, c in self.store._chunks(conn, self.version)]

    def chunks_of(self, rows: Sequence[int]) -> list[Chunk]:
        """Return the passages of these rows, in the order asked."""
        with self.store.pool.connection() as conn:
            found = dict(self.store._chunks(conn, self.version, sql.SQL("WHERE row = ANY(%s)"), [list(rows)]))
        return [found[r] for r in rows]

    def count(self, language: str | None = None) -> int:
        """Return how many passages the version holds (in `language` only, if given), counted in SQL."""
        where = _NO_FILTER if language is None else sql.SQL("WHERE language = %s")
        with self.store.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} {}").format(self._table, where),
                [] if language is None else [language],
            ).fetchone()
        return int(row[0]) if row else 0

    def stats(self) -> tuple[float, float]:
        """Return the number of passages and their mean length in terms (read once per version)."""
        if self._stats is None:
            with self.store.pool.connection() as conn:
                row = conn.execute(
                    sql.SQL("SELECT count(*), coalesce(avg(length), 0) FROM {}").format(self._table)
                ).fetchone()
            n, avgdl = (float(row[0]), float(row[1])) if row else (0.0, 0.0)
            self._stats = (n, avgdl or 1.0)
        return self._stats

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """Return (row, cosine) of the `k` nearest passages by the HNSW index (inner product)."""
        vec = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        with self.store.pool.connection() as conn, conn.transaction():
            conn.execute(
                sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(max(self.store.ef_search, k)))
            )
            rows = conn.execute(
                sql.SQL("SELECT row, -(embedding <#> %s) FROM {} ORDER BY embedding <#> %s LIMIT %s").format(
                    self._table
                ),
                [vec, vec, k],
            ).fetchall()
        return [(int(r), float(s)) for r, s in rows]

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """Return the passages with these ids from the database, in the order asked."""
        with self.store.pool.connection() as conn:
            found = {
                c.chunk_id: c
                for _, c in self.store._chunks(
                    conn, self.version, sql.SQL("WHERE chunk_id = ANY(%s)"), [list(chunk_ids)]
                )
            }
        return [found[i] for i in chunk_ids if i in found]

    def vectors_of(self, chunk_ids: Sequence[str]) -> Vectors:
        """Return the vectors of these passages, in the order asked."""
        with self.store.pool.connection() as conn:
            found = dict(
                conn.execute(
                    sql.SQL("SELECT chunk_id, embedding FROM {} WHERE chunk_id = ANY(%s)").format(
                        self._table
                    ),
                    [list(chunk_ids)],
                ).fetchall()
            )
        if not chunk_ids:
            return np.zeros((0, self.manifest.spec.dim), dtype=np.float32)
        return np.vstack([np.asarray(found[i].to_numpy(), dtype=np.float32) for i in chunk_ids])

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Return how many passages contain each of `terms` (those in none are left out)."""
        with self.store.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL("SELECT term, df FROM {} WHERE term = ANY(%s::text[])").format(self._frequencies),
                [list(dict.fromkeys(terms))],
            ).fetchall()
        return {str(t): int(n) for t, n in rows}

    def all_vectors(self) -> Vectors:
        """Return every passage's vector, row by row."""
        with self.store.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL("SELECT embedding FROM {} ORDER BY row").format(self._table)
            ).fetchall()
        if not rows:
            return np.zeros((0, self.manifest.spec.dim), dtype=np.float32)
        return np.vstack([np.asarray(r[0].to_numpy(), dtype=np.float32) for r in rows])

    def bm25(
        self, terms: Sequence[str], k: int, k1: float, b: float, exact: bool = False
    ) -> list[tuple[int, float]]:
        """Return (row, BM25 score) of the `k` best passages, computed in SQL from the postings.

        The Lucene form bm25s uses: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
        tf part = tf / (tf + k1 (1 - b + b len / avglen)). Where the version keeps each term's
        best store.postings_per_term postings, the sum over those picks the candidates (a passage
        outside a term's list scores nothing for it), and the best store.bm25_rescore of them are
        scored again exactly from their text; else, or with `exact`, it sums every posting.
        """
        wanted = list(dict.fromkeys(terms))
        if not (self.impacts and self.store.postings_per_term > 0) or exact:
            return self._bm25_sum(self._terms, _NO_FILTER, wanted, k, k1, b)
        cut = sql.SQL("WHERE t.rank <= {}").format(sql.Literal(self.store.postings_per_term))
        found = self._bm25_sum(self._impacts, cut, wanted, max(k, self.store.bm25_rescore), k1, b)
        if not self.store.bm25_rescore:
            return found[:k]
        return self._rescore([r for r, _ in found], wanted, k, k1, b)

    def _bm25_sum(
        self, postings: sql.Identifier, cut: sql.Composable, terms: list[str], k: int, k1: float, b: float
    ) -> list[tuple[int, float]]:
        n, avgdl = self.stats()
        query = sql.SQL("""
            WITH q AS (SELECT term, ln(1 + (%s - df + 0.5) / (df + 0.5)) AS idf
                       FROM {d} WHERE term = ANY(%s::text[]))
            SELECT t.row, sum(q.idf * t.tf / (t.tf + %s * (1 - %s + %s * t.length / %s))) AS score
            FROM {t} t JOIN q USING (term) {cut}
            GROUP BY t.row ORDER BY score DESC, t.row LIMIT %s
        """).format(d=self._frequencies, t=postings, cut=cut)
        with self.store.pool.connection() as conn:
            rows = conn.execute(query, [n, terms, k1, b, b, avgdl, k]).fetchall()
        return [(int(r), float(s)) for r, s in rows]

    def _rescore(
        self, rows: list[int], terms: list[str], k: int, k1: float, b: float
    ) -> list[tuple[int, float]]:
        """Return the `k` best of `rows` by exact BM25, from their postings of each term (one
        look-up per term and passage in the (term, row) index)."""
        cut = sql.SQL("WHERE t.row = ANY({}::int4[])").format(sql.Literal(rows))
        return self._bm25_sum(self._terms, cut, terms, k, k1, b)

    def full_text(self, question: str, k: int) -> list[tuple[int, float]]:
        """Return (row, ts_rank_cd) of the `k` best passages by PostgreSQL's own English full-text search."""
        query = sql.SQL("""
            SELECT row, ts_rank_cd(to_tsvector('english', text), q) AS score
            FROM {v}, plainto_tsquery('english', %s) q0,
                 LATERAL (SELECT to_tsquery('english', replace(q0::text, '&', '|'))) AS x(q)
            WHERE to_tsvector('english', text) @@ q ORDER BY score DESC, row LIMIT %s
        """).format(v=self._table)
        with self.store.pool.connection() as conn:
            rows = conn.execute(query, [question, k]).fetchall()
        return [(int(r), float(s)) for r, s in rows]


class PgEmbeddingCache:
    """Passage vectors by (model, text hash) in the database; each batch commits on its own."""

    def __init__(self, pool: Connections, model_id: str) -> None:
        self.pool = pool
        self.model_id = model_id

    def get_many(self, hashes: list[str]) -> dict[str, Vectors]:
        """Return the cached vectors among `hashes`."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT hash, vec FROM chatbot_embeddings WHERE model = %s AND hash = ANY(%s)",
                [self.model_id, list(dict.fromkeys(hashes))],
            ).fetchall()
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in rows}

    def put_many(self, hashes: list[str], vectors: Vectors) -> None:
        """Store vectors (committed at once)."""
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO chatbot_embeddings VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [
                    (self.model_id, h, v.astype(np.float32).tobytes())
                    for h, v in zip(hashes, vectors, strict=True)
                ],
            )

    def retain_only(self, hashes: set[str]) -> int:
        """Drop this model's vectors whose text is no longer indexed; return how many."""
        with self.pool.connection() as conn:
            cur = conn.execute(
                "DELETE FROM chatbot_embeddings WHERE model = %s AND NOT (hash = ANY(%s))",
                [self.model_id, list(hashes)],
            )
        return cur.rowcount

    def __len__(self) -> int:
        """Return how many vectors of this model are cached."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM chatbot_embeddings WHERE model = %s", [self.model_id]
            ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Nothing to release: the connections belong to the store."""
