"""Documents over HTTP: upload, processing, notes, hybrid search, ownership, lifecycle."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from studyforge.events.models import OutboxEvent
from studyforge.storage import BlobNotFound
from tests.documents import samples
from tests.documents.conftest import ingest, wait_done

pytestmark = pytest.mark.anyio


async def search(client, headers, query: str, **body) -> list[dict]:
    """POST /api/search; returns the results (asserting a 200)."""
    response = await client.post("/api/search", headers=headers, json={"query": query, **body})
    assert response.status_code == 200, response.text
    return response.json()["results"]


QUESTIONS = {
    "How do plants turn sunlight into food?": "Photosynthesis",
    "Why does molten rock burst out of a mountain?": "Volcanoes",
    "How does the body fight germs?": "The immune system",
    "How did ancient Rome get water to its cities?": "Roman aqueducts",
    "When was the king of France overthrown?": "The French Revolution",
    "How does a network connection recover lost data?": "TCP",
}


async def test_pdf_is_processed_and_paraphrased_questions_find_their_page(client, make_user):
    _, headers = make_user()
    doc = await ingest(client, headers, "science.pdf", samples.text_pdf(), path="course/sci.pdf")
    assert doc["status"] == "completed", doc
    assert doc["page_count"] == len(samples.TOPICS)
    assert doc["path"] == "course/sci.pdf"
    assert "Calvin cycle" in doc["extracted_text"]
    assert doc["processed_at"] and doc["error"] is None
    points = doc["notes_data"]["points"]
    assert points and doc["notes"].startswith("## Study guide")
    for point in points:  # offline notes quote the document exactly, with their anchors
        quoted = doc["extracted_text"][point["start"] : point["end"]]
        assert point["quoted"] and quoted.split() == point["text"].split()
    assert doc["notes_data"]["extractive"] is True and doc["notes_data"]["key_terms"]

    for question, topic in QUESTIONS.items():
        results = await search(client, headers, question, k=3)
        pages = [r["page"] for r in results]
        assert samples.PAGE_OF[topic] in pages, (question, results)
        for hit in results:
            assert doc["extracted_text"][hit["start"] : hit["end"]] == hit["text"]
            assert hit["path"] == "course/sci.pdf" and hit["score"] > 0
    first = await search(client, headers, "Bastille")
    assert first[0]["heading"] == "The French Revolution"


async def test_scanned_pdf_and_photo_are_read_with_ocr(client, make_user):
    _, headers = make_user()
    scan = samples.scanned_pdf(
        [
            ["Mitochondria release energy", "from glucose in every cell."],
            ["Ribosomes assemble proteins", "from amino acids."],
        ]
    )
    doc = await ingest(client, headers, "scan.pdf", scan)
    assert doc["status"] == "completed", doc
    assert doc["ocr_pages"] == 2 and doc["page_count"] == 2
    assert "Mitochondria" in doc["extracted_text"] and "Ribosomes" in doc["extracted_text"]
    hits = await search(client, headers, "protein synthesis")
    assert hits[0]["page"] == 2

    photo = await ingest(client, headers, "board.png", samples.png(["Osmosis moves water"]))
    assert photo["status"] == "completed", photo
    assert "Osmosis" in photo["extracted_text"]


@pytest.mark.parametrize(
    ("name", "make", "heading"),
    [
        ("cells.docx", samples.docx_file, "Cell biology > Mitochondria"),
        ("geo.pptx", samples.pptx_file, "Earthquakes"),
        ("notes.md", lambda: samples.MARKDOWN, "Optics > Lenses"),
        ("page.html", lambda: samples.HTML, "Optics > Lenses"),
    ],
)
async def test_office_and_text_formats_keep_headings(client, make_user, name, make, heading):
    _, headers = make_user()
    doc = await ingest(client, headers, name, make(), generate_notes="false")
    assert doc["status"] == "completed", doc
    assert doc["notes"] is None
    queries = {"docx": "energy from glucose", "pptx": "faults strain"}
    hits = await search(client, headers, queries.get(name.rsplit(".")[-1], "convex lens"))
    assert hits[0]["heading"] == heading
    assert "x()" not in doc["extracted_text"]


async def test_other_users_documents_are_invisible(client, make_user):
    _, alice = make_user()
    _, bob = make_user()
    doc = await ingest(client, alice, "science.pdf", samples.text_pdf())
    doc_id = doc["document_id"]
    for method, url in [
        ("GET", f"/document/{doc_id}"),
        ("GET", f"/document/{doc_id}/file"),
        ("POST", f"/process/{doc_id}"),
        ("DELETE", f"/document/{doc_id}"),
    ]:
        response = await client.request(method, url, headers=bob)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "DOCUMENT_NOT_FOUND"
    assert await search(client, bob, "photosynthesis") == []
    assert (await client.get("/documents", headers=bob)).json()["total"] == 0
    # Bob cannot filter his way into Alice's documents either.
    assert await search(client, bob, "photosynthesis", document_ids=[doc_id]) == []
    assert (await client.get(f"/document/{doc_id}", headers=alice)).status_code == 200


async def test_filters_restrict_search(client, make_user):
    _, headers = make_user()
    await ingest(client, headers, "a.md", b"# Cells\n\nMitochondria make ATP.", path="bio/a.md")
    geo = await ingest(
        client, headers, "b.md", b"# Rocks\n\nMitochondria-like rocks.", path="geo/b.md"
    )

    async def paths(**body) -> set[str]:
        return {h["path"] for h in await search(client, headers, "mitochondria", **body)}

    assert await paths() == {"bio/a.md", "geo/b.md"}
    assert await paths(source_filter="bio/") == {"bio/a.md"}
    assert await paths(source_filter="%") == set()  # LIKE wildcards are literal characters
    assert await paths(document_ids=[geo["document_id"]]) == {"geo/b.md"}


async def test_list_download_reprocess_delete(client, make_user, platform):
    _, headers = make_user()
    pdf = samples.text_pdf()
    doc = await ingest(client, headers, "science.pdf", pdf)
    other = await ingest(client, headers, "n.txt", b"Plain notes about gravity.")
    listing = (await client.get("/documents?limit=1", headers=headers)).json()
    assert listing["total"] == 2 and len(listing["documents"]) == 1
    assert listing["documents"][0]["document_id"] == other["document_id"]  # newest first

    file = await client.get(f"/document/{doc['document_id']}/file", headers=headers)
    assert file.content == pdf and file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"].startswith("attachment;")

    again = await client.post(f"/process/{doc['document_id']}", headers=headers)
    assert again.status_code == 202 and again.json()["message"] == "Processing started"
    redone = await wait_done(client, headers, doc["document_id"])
    assert redone["status"] == "completed" and redone["passage_count"] == doc["passage_count"]

    url = f"/document/{doc['document_id']}"
    assert (await client.delete(url, headers=headers)).status_code == 200
    assert (await client.get(url, headers=headers)).status_code == 404
    hits = await search(client, headers, "photosynthesis")
    assert all(h["document_id"] != doc["document_id"] for h in hits)
    with pytest.raises(BlobNotFound):
        platform.blobs.get(doc["s3_key"])
    kept = await client.get(f"/document/{other['document_id']}", headers=headers)
    assert kept.status_code == 200


async def test_events_follow_the_specification(client, make_user, platform):
    user_id, headers = make_user()
    doc = await ingest(client, headers, "n.txt", b"Gravity pulls masses together. " * 20)
    with platform.sessions() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.stream_id == uuid.UUID(doc["document_id"]))
            .order_by(OutboxEvent.seq)
        ).all()
    types = [r.type for r in rows]
    assert types == ["document.uploaded", "notes.generated", "document.processed"]
    assert rows[0].payload["s3_key"].startswith(f"documents/{user_id}/")
    assert rows[2].payload["status"] == "completed"
    assert rows[1].payload["notes"] == doc["notes"]
