"""Documents: ingestion pages/s, embeddings passages/s, OCR pages/s and hybrid search latency.

Everything runs the real code: uploads go through `service.create_document` and the inline job
runner (sandboxed extraction, OCR, MiniLM embeddings, index, offline notes); search is
`service.search` with the real MiniLM query embedding. Only the search corpus is synthetic:
passages of generated prose with random unit vectors, stored with `index.store` (embedding
100k passages with the model would take hours on a laptop).

`python -m bench documents` (a few minutes); `python -m bench documents --quick` uses small
sizes (20 pages, 1k/5k passages) for a fast check of the bench itself.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import sqlalchemy as sa
from sqlalchemy import select
from tests.conftest import make_settings
from tests.documents import samples
from tests.support import servers

from studyforge.ai.embeddings import Embedder, Vectors
from studyforge.ai.offline.text import STOPWORDS
from studyforge.auth.service import create_user
from studyforge.documents import index
from studyforge.documents.chunking import MAX_CHARS, Chunk
from studyforge.documents.extract import PDF, extract
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.schemas import SearchRequest
from studyforge.documents.service import CANDIDATES, create_document, search
from studyforge.documents.terms import RANK_BUDGET, term_stats
from studyforge.events.models import OutboxEvent
from studyforge.jobs.models import Job
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform

QUICK = "--quick" in sys.argv
PDF_PAGES = 20 if QUICK else 200
PAGE_CHARS = 2500
EMBED_PASSAGES = 128 if QUICK else 512
OCR_PAGES = 3 if QUICK else 10
OCR_LINES = 25
SEARCH_SIZES = (1_000, 5_000) if QUICK else (10_000, 100_000)
SEARCH_QUERIES = 50 if QUICK else 200
WARM_QUERIES = 20
COMPONENT_QUERIES = 50
PASSAGES_PER_DOC = 50  # a ~20-page document
PASSAGES_PER_COMMIT = 5_000
DIM = 384
HNSW_INDEX = "CREATE INDEX ix_passages_vec ON passages USING hnsw (vec vector_cosine_ops)"
SEED = 20261121

# --- synthetic but varied English prose -------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


NOUNS = _words("""
cell membrane protein enzyme molecule nucleus gene chromosome organism species habitat
ecosystem population predator nutrient energy glucose oxygen carbon nitrogen water mineral rock
magma crust mantle plate volcano earthquake glacier river delta coast climate weather
atmosphere pressure temperature current wind storm season harvest soil forest desert ocean
empire kingdom republic revolution treaty parliament constitution monarchy army navy battle
colony trade merchant market economy currency tax labour factory industry railway canal city
village bridge aqueduct temple cathedral castle library manuscript archive chronicle
philosopher scientist engineer physician teacher student scholar historian author poet theory
hypothesis experiment observation measurement variable sample method model equation function
derivative integral vector matrix probability distribution statistic proof theorem algorithm
program compiler network protocol packet server database query index cache memory processor
circuit signal frequency wave particle electron photon atom nucleus force mass velocity
acceleration momentum friction gravity orbit planet star galaxy telescope spectrum light lens
mirror prism colour sound vibration resonance heat engine turbine generator battery voltage
resistance magnet field charge reaction acid base salt solution crystal compound element metal
alloy polymer fibre fabric dye pigment paint canvas sculpture melody rhythm harmony symphony
opera theatre drama novel chapter argument evidence source language grammar vocabulary sentence
dialect translation alphabet symbol inscription tablet law court judge jury contract property
right duty freedom citizen state nation border policy reform election vote campaign movement
strike union wage price demand supply investment bank loan debt credit profit capital resource
land crop irrigation drought famine disease infection virus bacterium vaccine antibody immunity
symptom diagnosis treatment therapy surgery hospital medicine drug dose trial patient brain
neuron muscle bone blood heart lung kidney liver skin tissue organ hormone receptor pathway
response stimulus behaviour memory learning attention perception emotion motivation habit
culture ritual myth religion belief tradition custom festival family household community
society class
""")
ADJECTIVES = _words("""
ancient modern early late central northern southern eastern western coastal tropical arid humid
dense sparse rapid slow gradual sudden complex simple stable unstable active passive chemical
physical biological political economic social cultural religious military naval urban rural
industrial agricultural digital analog linear nonlinear random periodic constant variable
positive negative neutral electric magnetic thermal optical acoustic mechanical structural
functional genetic cellular molecular atomic nuclear solar lunar global local regional national
federal royal colonial imperial medieval classical renaissance baroque romantic primary
secondary essential critical significant typical unusual remarkable fragile durable efficient
costly cheap abundant scarce fertile toxic
""")
VERBS = _words("""
controls regulates produces releases absorbs converts transfers stores carries measures
describes explains predicts shapes limits increases reduces changes supports replaces protects
destroys builds forms breaks binds transports signals detects encodes reflects reveals records
influences drives follows precedes causes prevents enables requires contains divides connects
separates surrounds transforms determines dominates resembles
""")
ADVERBS = _words("""
quickly slowly gradually rarely often usually eventually initially largely partly mainly
strongly weakly directly indirectly steadily sharply briefly widely locally
""")
PREPOSITIONS = _words("""
in within across through during beneath above beyond along near
""")
FIELDS = _words("""
biology chemistry physics geology history economics astronomy medicine linguistics law
engineering mathematics computing music architecture psychology sociology ecology
""")
TEMPLATES = (
    "The {a} {n} {v} the {n} of the {n}.",
    "In {f}, a {a} {n} {v} the {a} {n} {p} the {n}.",
    "Because the {n} {v} the {n}, the {a} {n} {v} the {n} {d}.",
    "This {n} {v} how the {n} {v} the {n} {p} a {a} {n}, and the {n} {v} the {n} {d}.",
    "By {y}, the {a} {n} {d} {v} about {k} percent of the {n}.",
    "A {a} {n} {v} the {n}, while the {a} {n} {v} the {n} {p} the {n}.",
    "Students of {f} learn that the {n} {v} the {n} when the {n} is {a}.",
    "The {n} is {a} {p} the {n}, so the {n} {d} {v} the {a} {n}.",
    "Historians of {f} note that the {a} {n} {v} the {n} after {y}.",
    "Each {n} {v} a {a} {n}; without it the {n} {v} the {n} {d}.",
)


def _tail_words() -> tuple[list[str], list[str], list[str]]:
    """Nouns, adjectives and verbs (past tense) of the long tail: MiniLM's ~20k English words,
    roughly most frequent first, sorted by their ending."""
    from studyforge.ai.offline.models import model_path

    vocab = json.loads(model_path("minilm.tokenizer").read_text())["model"]["vocab"]
    words = [w for w in vocab if w.isascii() and w.isalpha() and len(w) >= 4]
    nouns, adjectives, verbs = [], [], []
    for word in words:
        if word in STOPWORDS:
            continue
        if len(word) >= 6 and re.search(r"(al|ous|ive|ic|ful|less|able|ible|ary)$", word):
            adjectives.append(word)
        elif len(word) >= 6 and re.search(r"[^e]ed$", word):
            verbs.append(word)
        else:
            nouns.append(word)
    return nouns, adjectives, verbs


class Zipf:
    """Words drawn with probability ~ 1 / (rank + offset): the curated words first (common),
    then the tail (mostly rare), as in real text."""

    def __init__(self, rng: random.Random, words: list[str], offset: int) -> None:
        self.rng = rng
        self.words = list(dict.fromkeys(words))
        self.cum = list(itertools.accumulate(1.0 / (r + offset) for r in range(len(self.words))))

    def __call__(self, k: int = 1) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)


class Prose:
    """Deterministic English-like sentences over a ~20k-word Zipf vocabulary."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        nouns, adjectives, verbs = _tail_words()
        curated = list(dict.fromkeys(NOUNS))
        self.rng.shuffle(curated)
        self.noun = Zipf(self.rng, curated + nouns, 20)
        self.adjective = Zipf(self.rng, ADJECTIVES + adjectives, 10)
        self.verb = Zipf(self.rng, VERBS + verbs, 10)

    def sentence(self) -> str:
        """One sentence from a random template."""
        rng = self.rng
        template = rng.choice(TEMPLATES)
        nouns = iter(self.noun(template.count("{n}")))
        out = []
        for i, part in enumerate(template.split("{")):
            if i == 0:
                out.append(part)
                continue
            key, rest = part[0], part[2:]
            word = {
                "n": lambda: next(nouns),
                "a": lambda: self.adjective()[0],
                "v": lambda: self.verb()[0],
                "d": lambda: rng.choice(ADVERBS),
                "p": lambda: rng.choice(PREPOSITIONS),
                "f": lambda: rng.choice(FIELDS),
                "y": lambda: str(rng.randint(1200, 2020)),
                "k": lambda: str(rng.randint(2, 95)),
            }[key]()
            out.append(word + rest)
        return "".join(out)

    def text(self, chars: int) -> str:
        """Sentences joined by spaces, about `chars` long (stops at the first sentence past it)."""
        parts: list[str] = []
        length = 0
        while length < chars:
            parts.append(self.sentence())
            length += len(parts[-1]) + 1
        return " ".join(parts)

    def title(self) -> str:
        """A heading such as "Thermal circuit and the market"."""
        n1, n2 = self.noun(2)
        return f"{self.adjective()[0].capitalize()} {n1} and the {n2}"


def text_pdf(prose: Prose, pages: int) -> bytes:
    """A real text PDF: each page a heading and ~PAGE_CHARS of prose in paragraphs."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for number in range(pages):
        pdf.add_page()
        title = prose.title()
        if number % 10 == 0:
            pdf.start_section(f"Chapter {number // 10 + 1}: {title}")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        left = PAGE_CHARS
        while left > 150:
            paragraph = prose.text(min(left, prose.rng.randint(400, 800)))
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            left -= len(paragraph)
    return bytes(pdf.output())


def scanned_pdf(prose: Prose, pages: int) -> tuple[bytes, list[list[str]]]:
    """An image-only A4 PDF at 150 dpi with OCR_LINES lines of ~45 characters per page."""
    content = []
    for _ in range(pages):
        words = prose.text(OCR_LINES * 50).split()
        lines, line = [], ""
        for word in words:
            if len(line) + len(word) + 1 > 45:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        content.append(lines[:OCR_LINES])
    return samples.scanned_pdf(content), content


# --- table --------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None

    def render(self) -> str:
        met = "" if self.met is None else ("yes" if self.met else "**no**")
        value = f"{self.value:,.0f}" if abs(self.value) >= 100 else f"{self.value:.3g}"
        return f"| {self.name} | {value} | {self.unit} | {self.target} | {met} |"


def _pct(values: Sequence[float], q: int) -> float:
    return float(np.percentile(np.asarray(values), q))


# --- ingestion and OCR through the service and the inline job runner --------------------------


def _user(platform: Platform, name: str) -> uuid.UUID:
    with platform.sessions.begin() as s:
        return create_user(s, name, "bench-pass-1").id


def _ingest(
    platform: Platform, user_id: uuid.UUID, name: str, data: bytes
) -> tuple[float, uuid.UUID]:
    """Upload and wait until the document leaves `processing`; (wall seconds, document id)."""
    start = time.perf_counter()
    with platform.sessions.begin() as s:
        doc_id = create_document(s, platform.blobs, user_id=user_id, filename=name, data=data).id
    while True:
        with platform.sessions() as s:
            doc = s.get(Document, doc_id)
            assert doc is not None
            if doc.status is not DocumentStatus.PROCESSING:
                wall = time.perf_counter() - start
                if doc.status is not DocumentStatus.COMPLETED:
                    raise RuntimeError(f"{name} failed: {doc.error}")
                return wall, doc_id
        time.sleep(0.02)


def _stages(platform: Platform, doc_id: uuid.UUID) -> tuple[dict[str, float], Document]:
    """Seconds per job stage, from the job's own progress events (first event of each stage)."""
    with platform.sessions() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.job_id is not None
        job = s.get(Job, doc.job_id)
        assert job is not None and job.started_at and job.finished_at
        events = s.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.stream_id == job.id, OutboxEvent.type == "job.progress")
            .order_by(OutboxEvent.seq)
        ).all()
        s.expunge(doc)
    marks: list[tuple[str, datetime]] = [("queued", job.created_at)]
    marks.append(("start", job.started_at))
    for event in events:
        stage = event.payload.get("stage") or "?"
        if stage != marks[-1][0]:
            marks.append((stage, event.created_at))
    marks.append(("end", job.finished_at))
    out: dict[str, float] = {}
    for (stage, at), (_, until) in itertools.pairwise(marks):
        out[stage] = out.get(stage, 0.0) + (until - at).total_seconds()
    return out, doc


def bench_ingestion(platform: Platform, user_id: uuid.UUID) -> list[Row]:
    """A PDF_PAGES-page text PDF, uploaded and processed end to end."""
    data = text_pdf(Prose(SEED), PDF_PAGES)
    platform.ai.embedder.embed_batch(["warm up"])  # a running server has its model loaded
    wall, doc_id = _ingest(platform, user_id, "book.pdf", data)
    stages, doc = _stages(platform, doc_id)
    if doc.page_count != PDF_PAGES:
        raise RuntimeError(f"the PDF has {doc.page_count} pages, not {PDF_PAGES}")
    chars = len(doc.extracted_text or "")
    start = time.perf_counter()
    extract(data, PDF, 2000)
    in_process = time.perf_counter() - start
    rate = PDF_PAGES / wall
    embed = stages.get("embedding", 0.0)
    rows = [
        Row(
            f"ingest {PDF_PAGES}-page text PDF, end to end (SQLite)",
            rate,
            "pages/s",
            ">= 20",
            rate >= 20,
        ),
        Row(
            f"  wall time ({chars // PDF_PAGES:,} chars/page, {doc.passage_count} passages)",
            wall,
            "s",
        ),
        Row("  queued -> claimed", stages.get("queued", 0.0), "s"),
        Row("  extraction (sandboxed) + chunking", stages.get("extracting", 0.0), "s"),
        Row("  (same extraction in-process, no sandbox)", in_process, "s"),
        Row(f"  embedding ({doc.passage_count / max(embed, 1e-9):.1f} passages/s)", embed, "s"),
        Row("  notes (offline extractive)", stages.get("notes", 0.0), "s"),
        Row("  indexing + commit", stages.get("indexing", 0.0), "s"),
    ]
    return rows


def bench_ocr(platform: Platform, user_id: uuid.UUID) -> list[Row]:
    """A scanned OCR_PAGES-page PDF processed end to end (render at scale 2, RapidOCR)."""
    data, lines = scanned_pdf(Prose(SEED + 1), OCR_PAGES)
    assert platform.ai.ocr is not None
    start = time.perf_counter()
    platform.ai.ocr.extract_text(samples.png(["warm up"]))
    load = time.perf_counter() - start
    wall, doc_id = _ingest(platform, user_id, "scan.pdf", data)
    stages, doc = _stages(platform, doc_id)
    if doc.ocr_pages != OCR_PAGES:
        raise RuntimeError(f"OCR ran on {doc.ocr_pages} pages, not {OCR_PAGES}")
    found = set((doc.extracted_text or "").lower().split())
    truth = [w for page in lines for line in page for w in line.lower().split()]
    recall = sum(w in found for w in truth) / len(truth)
    rate = OCR_PAGES / wall
    return [
        Row(
            f"OCR {OCR_PAGES}-page scanned PDF (A4, 150 dpi, {OCR_LINES} lines/page), end to end",
            rate,
            "pages/s",
            ">= 0.5",
            rate >= 0.5,
        ),
        Row("  OCR stage (render + recognise) per page", stages.get("ocr", 0.0) / OCR_PAGES, "s"),
        Row("  OCR word recall", 100 * recall, "%"),
        Row("  RapidOCR engine load (first use, not in the figures above)", load, "s"),
    ]


# --- embeddings ---------------------------------------------------------------------------------


def bench_embeddings() -> list[Row]:
    """MiniLMEmbedder.embed_batch throughput on chunk-sized passages and on short sentences."""
    from tokenizers import Tokenizer

    from studyforge.ai.offline.embeddings import MAX_TOKENS, MiniLMEmbedder
    from studyforge.ai.offline.models import model_path

    prose = Prose(SEED + 2)
    passages = [_passage(prose, MAX_CHARS) for _ in range(EMBED_PASSAGES)]
    sentences = [prose.text(90)[:110] for _ in range(EMBED_PASSAGES)]
    tokenizer = Tokenizer.from_file(str(model_path("minilm.tokenizer")))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)  # as the embedder does
    embedder = MiniLMEmbedder()
    start = time.perf_counter()
    embedder.embed_batch(["warm up"])
    load = time.perf_counter() - start
    rows = []
    for label, texts in (("~1,000 chars", passages), ("~100 chars", sentences)):
        tokens = sum(len(e.ids) for e in tokenizer.encode_batch(texts))
        start = time.perf_counter()
        embedder.embed_batch(texts)
        seconds = time.perf_counter() - start
        rows.append(
            Row(
                f"embed {len(texts)} passages of {label} ({tokens // len(texts)} tokens, "
                f"{tokens / seconds:,.0f} tokens/s)",
                len(texts) / seconds,
                "passages/s",
            )
        )
    rows.append(Row("MiniLM model load (first use)", load, "s"))
    return rows


def _passage(prose: Prose, chars: int) -> str:
    """A chunk-like passage: whole sentences, at most `chars` characters (~80-100% full)."""
    text = prose.text(int(chars * prose.rng.uniform(0.8, 1.0)))
    return text if len(text) <= chars else text[: text.rfind(". ", 0, chars) + 1]


# --- search -------------------------------------------------------------------------------------


class TimedEmbedder:
    """Wraps the real embedder and records how long each query embedding took."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds: list[float] = []

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        start = time.perf_counter()
        out = self.inner.embed_batch(texts)
        self.seconds.append(time.perf_counter() - start)
        return out


class Corpus:
    """Grows one user's passages to a target size with `index.store`, a document at a time."""

    def __init__(self, platform: Platform, user_id: uuid.UUID) -> None:
        self.platform = platform
        self.user_id = user_id
        self.size = 0
        self.prose = Prose(SEED + 3)
        self.rng = np.random.default_rng(SEED)
        # A pool of sentences, sampled into passages: fast, and still varied for full text.
        self.pool = [self.prose.sentence() for _ in range(50_000)]

    def _chunks(self, n: int) -> list[Chunk]:
        chunks, offset = [], 0
        rng = self.prose.rng
        for i in range(n):
            parts: list[str] = []
            target = rng.randint(700, MAX_CHARS)
            while sum(len(p) + 1 for p in parts) < target - 60:
                parts.append(rng.choice(self.pool))
            text = " ".join(parts)[:MAX_CHARS]
            chunks.append(Chunk(text, i // 3 + 1, None, offset, offset + len(text)))
            offset += len(text) + 2
        return chunks

    def grow(self, target: int) -> float:
        """Add documents until the user has `target` passages; returns the seconds spent."""
        start = time.perf_counter()
        while self.size < target:
            with self.platform.sessions.begin() as s:
                batch_end = min(target, self.size + PASSAGES_PER_COMMIT)
                while self.size < batch_end:
                    n = min(PASSAGES_PER_DOC, batch_end - self.size)
                    self._document(s, n)
                    self.size += n
        return time.perf_counter() - start

    def _document(self, session: Any, n: int) -> None:
        doc_id = uuid.uuid4()
        folder = FIELDS[self.size // PASSAGES_PER_DOC % len(FIELDS)]
        path = f"{folder}/doc-{self.size // PASSAGES_PER_DOC:05d}.pdf"
        session.add(
            Document(
                id=doc_id,
                user_id=self.user_id,
                filename=path.rsplit("/", 1)[-1],
                path=path,
                media_type=PDF,
                size_bytes=1,
                sha256=hashlib.sha256(path.encode()).hexdigest(),
                s3_key=f"documents/{self.user_id}/{doc_id}.pdf",
                status=DocumentStatus.COMPLETED,
                passage_count=n,
                generate_notes=False,
            )
        )
        session.flush()
        vectors = self.rng.standard_normal((n, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.store(session, doc_id, self.user_id, path, self._chunks(n), vectors)


def queries(count: int) -> list[str]:
    """Varied search queries: questions and keyword strings from the corpus vocabulary."""
    prose = Prose(SEED + 4)
    rng = prose.rng
    out = []
    for i in range(count):
        n1, n2, n3 = prose.noun(3)
        a, v, f = prose.adjective()[0], prose.verb()[0], rng.choice(FIELDS)
        out.append(
            (
                f"How does the {a} {n1} affect the {n2}?",
                f"{n1} {n2} {a} {n3}",
                f"what {v} the {n1} in {f}",
                f"{n1}",
                f"Explain why a {n1} {v} the {n2} of the {n3}",
            )[i % 5]
        )
    return out


def _search_rows(
    label: str, size: int, platform: Platform, corpus: Corpus, final: bool
) -> list[Row]:
    """Latency of `service.search` (k=5) over warm caches, and of its two candidate queries."""
    embedder = TimedEmbedder(platform.ai.embedder)
    qs = queries(SEARCH_QUERIES + WARM_QUERIES)

    def one(query: str) -> float:
        start = time.perf_counter()
        with platform.sessions() as s:
            hits = search(s, embedder, corpus.user_id, SearchRequest(query=query, k=5))
        if not hits:
            raise RuntimeError(f"no hits for {query!r}")
        return time.perf_counter() - start

    cold = one(qs[0])
    for q in qs[1:WARM_QUERIES]:
        one(q)
    embedder.seconds.clear()
    times = [1000 * one(q) for q in qs[WARM_QUERIES:]]
    embed_ms = [1000 * t for t in embedder.seconds]
    # The two candidate queries alone, on a sample of the same queries.
    sample = qs[WARM_QUERIES : WARM_QUERIES + COMPONENT_QUERIES]
    vectors = platform.ai.embedder.embed_batch(sample)
    scope = index.Scope(user_id=corpus.user_id)
    fts_ms, vec_ms = [], []
    for query, vector in zip(sample, vectors, strict=True):
        with platform.sessions() as s:
            start = time.perf_counter()
            index.fulltext(s, scope, query, CANDIDATES)
            middle = time.perf_counter()
            index.nearest(s, scope, vector, CANDIDATES)
            fts_ms.append(1000 * (middle - start))
            vec_ms.append(1000 * (time.perf_counter() - middle))
    p95 = _pct(times, 95)
    share = statistics.fmean(embed_ms) / statistics.fmean(times)
    name = f"search {label}, {size:,} passages"
    return [
        Row(f"{name}: p50", _pct(times, 50), "ms"),
        Row(f"{name}: p95", p95, "ms", *(("< 50", p95 < 50) if final else ("", None))),
        Row(f"  query embedding p50 ({share:.0%} of the mean search)", _pct(embed_ms, 50), "ms"),
        Row(
            f"  full-text candidates alone: p50 (p95 {_pct(fts_ms, 95):.0f})",
            _pct(fts_ms, 50),
            "ms",
        ),
        Row(f"  vector candidates alone: p50 (p95 {_pct(vec_ms, 95):.0f})", _pct(vec_ms, 50), "ms"),
        Row("  first search after the build (cold cache)", 1000 * cold, "ms"),
    ]


def _ranked_matches(platform: Platform) -> Row:
    """Full-text matches each query ranks (SQLite FTS5), after keeping its rarest words."""
    counts = []
    with platform.sessions() as s:
        for query in queries(WARM_QUERIES + COMPONENT_QUERIES)[WARM_QUERIES:]:
            kept, broad = term_stats(s).selective(s, index.query_terms(query))
            match = " OR ".join(f'"{t}"' for t in kept)
            sql = "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH :m"
            found = s.scalar(sa.text(sql), {"m": match})
            counts.append(min(found, RANK_BUDGET) if broad else found)
    return Row(
        f"  full-text matches ranked per query (at most {RANK_BUDGET:,}): median (p95 "
        f"{_pct(counts, 95):,.0f})",
        _pct(counts, 50),
        "",
    )


def _pg_admin(platform: Platform, *statements: str) -> None:
    with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def bench_search(label: str, platform: Platform) -> list[Row]:
    """Search latency at each of SEARCH_SIZES, growing one user's corpus in place.

    On PostgreSQL the first size is built with the HNSW index maintained row by row (the
    app's path); the larger sizes drop the index, load, and rebuild it with CREATE INDEX,
    the usual bulk load, because inserting 100k random vectors one by one takes ~10 minutes.
    """
    corpus = Corpus(platform, _user(platform, "searcher"))
    postgres = platform.engine.dialect.name == "postgresql"
    rows = []
    for step, size in enumerate(SEARCH_SIZES):
        added = size - corpus.size
        if postgres and step > 0:
            _pg_admin(platform, "DROP INDEX ix_passages_vec")
            build = corpus.grow(size)
            start = time.perf_counter()
            _pg_admin(platform, "SET maintenance_work_mem = '1GB'", HNSW_INDEX)
            rebuild = time.perf_counter() - start
        else:
            build = corpus.grow(size)
            rebuild = 0.0
        if postgres:
            _pg_admin(platform, "VACUUM ANALYZE passages")  # autovacuum's steady state
        with platform.sessions() as s:  # word counts of this size, not the last one's
            term_stats(s).forget()
        rows += _search_rows(label, size, platform, corpus, step == len(SEARCH_SIZES) - 1)
        how = "HNSW kept up to date" if postgres and step == 0 else "index.store"
        if rebuild:
            how = "HNSW index dropped"
        rows.append(Row(f"  corpus build: +{added:,} passages ({how})", build, "s", "", None))
        if rebuild:
            rows.append(Row(f"  HNSW index rebuild (CREATE INDEX, {size:,} vectors)", rebuild, "s"))
        if not postgres and step == len(SEARCH_SIZES) - 1:
            rows.append(_ranked_matches(platform))
    return rows


# --- main ---------------------------------------------------------------------------------------


def _timed(section: str, fn: Callable[[], list[Row]], rows: list[Row]) -> None:
    start = time.perf_counter()
    rows += fn()
    print(f"  {section}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def main() -> None:
    """Print the documents table."""
    rows: list[Row] = []
    started = time.perf_counter()
    load_start = "/".join(f"{x:.1f}" for x in os.getloadavg())  # other work skews the figures
    print("documents bench (stage timings on stderr)", file=sys.stderr, flush=True)
    _timed("embeddings", bench_embeddings, rows)  # first: it measures the model load
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'ingest.db'}"
        upgrade(db)
        platform = build_platform(make_settings(root / "home", db))
        try:
            user_id = _user(platform, "reader")
            _timed("ingestion", lambda: bench_ingestion(platform, user_id), rows)
            _timed("ocr", lambda: bench_ocr(platform, user_id), rows)
        finally:
            platform.close()

        db = f"sqlite:///{root / 'search.db'}"
        upgrade(db)
        platform = build_platform(make_settings(root / "home-search", db))
        try:
            _timed("search SQLite", lambda: bench_search("SQLite + NumPy", platform), rows)
        finally:
            platform.close()

        server = servers.start_postgres()
        try:
            admin = server.url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench")
            url = server.url.rsplit("/", 1)[0] + "/bench"
            upgrade(url)
            platform = build_platform(make_settings(root / "home-pg", url))
            try:
                _timed(
                    "search PostgreSQL",
                    lambda: bench_search("PostgreSQL + pgvector", platform),
                    rows,
                )
            finally:
                platform.close()
        finally:
            server.stop()
            shutil.rmtree(server.workdir, ignore_errors=True)  # ~2 GB of data at 100k
    total = time.perf_counter() - started
    quick = " (--quick sizes)" if QUICK else ""
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nDocuments{quick}: ingestion, embeddings, OCR and hybrid search; total {total:.0f} s "
        f"on {os.cpu_count()} CPUs (load average at the start {load_start}, at the end {load})"
    )
    print("| measure | value | unit | target | met? |")
    print("|---|---|---|---|---|")
    print("\n".join(r.render() for r in rows))


if __name__ == "__main__":
    main()
