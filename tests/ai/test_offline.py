"""The offline providers run for real: MiniLM embeddings, rapidocr, the extractive engine."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from studyforge.ai.errors import ModelFileMismatch
from studyforge.ai.offline.embeddings import MiniLMEmbedder
from studyforge.ai.offline.llm import OfflineLLM
from studyforge.ai.offline.models import MODEL_FILES, model_path, sha256_file, verify
from studyforge.ai.offline.ocr import RapidOCR
from studyforge.ai.registry import OPENROUTER_BASE_URL, make_providers
from studyforge.documents.prompts import NOTES
from tests.conftest import make_settings
from tests.documents import samples


def test_model_files_are_verified_and_a_tampered_copy_is_refused(tmp_path):
    for name, (_, _, expected) in MODEL_FILES.items():
        assert sha256_file(model_path(name)) == expected
    copy = tmp_path / "model.onnx"
    shutil.copy(model_path("minilm.onnx"), copy)
    with copy.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelFileMismatch, match="refusing to load"):
        verify(copy, MODEL_FILES["minilm.onnx"][2])


def test_embeddings_are_unit_length_deterministic_and_semantic():
    embedder = MiniLMEmbedder()
    texts = [
        "How do plants make food from sunlight?",
        "Photosynthesis converts light energy into chemical energy in leaves.",
        "The stock market fell sharply after the interest rate decision.",
    ]
    vectors = embedder.embed_batch(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    again = embedder.embed_batch(list(reversed(texts)))[::-1]
    assert np.allclose(vectors, again, atol=1e-5)  # batch order and padding do not matter
    assert embedder.embed_batch([]).shape == (0, 384)


def test_ocr_reads_a_photo_of_text():
    text = RapidOCR().extract_text(samples.png(["Osmosis moves water", "across membranes"]))
    assert text.splitlines() == ["Osmosis moves water", "across membranes"]
    assert RapidOCR().extract_text(samples.png([])) == ""


def test_offline_engine_quotes_its_sources():
    texts = [samples.TOPICS[t] for t in samples.TOPICS]
    passages = [{"text": body, "heading": title, "kind": "prose"}
                for title, body in samples.TOPICS.items()]  # fmt: skip
    generation = OfflineLLM().complete_json(NOTES, passages)
    assert generation.extractive and generation.provider == "offline"
    notes = generation.output
    # A study guide: every section gets its opening statement, in order.
    assert [p.passage for p in notes.points] == list(range(len(texts)))
    for point in notes.points:  # every point is a sentence copied from the passage it cites
        assert point.text in " ".join(texts[point.passage].split())
    assert notes.key_terms and all(
        any(term.lower() in p.lower() for p in texts) for term in notes.key_terms
    )
    assert generation.usage.calls == 0
    assert OfflineLLM().complete_json(NOTES, passages).output == notes  # deterministic


def test_registry_picks_adapters_from_settings(tmp_path):
    url = "sqlite://"
    offline = make_providers(make_settings(tmp_path, url))
    assert offline.llm.name == "offline" and offline.embedder.name.startswith("minilm")
    keyed = make_providers(make_settings(tmp_path, url, openai_api_key="sk-x", llm_model="m1"))
    assert keyed.llm.name == "openai" and keyed.llm.model == "m1"
    routed = make_providers(make_settings(tmp_path, url, openrouter_api_key="or-x"))
    assert routed.llm.name == "openai"
    assert str(routed.llm._client.base_url).rstrip("/") == OPENROUTER_BASE_URL
    forced = make_providers(
        make_settings(tmp_path, url, openai_api_key="k", llm_provider="offline")
    )
    assert forced.llm.name == "offline"
    assert make_providers(make_settings(tmp_path, url, ocr_provider="none")).ocr is None
