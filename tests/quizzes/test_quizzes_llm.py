"""Quizzes through an OpenAI-compatible LLM (only its HTTP edge is faked): the model's questions
are used where they stand on their passage and replaced by the engine's where they do not."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
import sqlalchemy as sa

from studyforge.ai.offline.embeddings import MiniLMEmbedder
from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.ai.registry import AIProviders
from studyforge.quizzes.grading import grade_open
from studyforge.quizzes.models import Quiz, QuizQuestion
from tests.quizzes.conftest import make_quiz, science

pytestmark = pytest.mark.anyio
FACT = re.compile(r"^Fact (\d+) \((\w+): .*?answer (True|False)", re.M)
ASK = re.compile(r"^Ask about: (.*)$", re.M)


def _completion(body: dict) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(body)}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    })  # fmt: skip


def _model(request: httpx.Request) -> httpx.Response:
    """Writes a true statement well; a false one it copies from the passage (not false at
    all); and for the last fact it quotes words the passage does not hold."""
    prompt = json.loads(request.content)["messages"][-1]["content"]
    if prompt.startswith("Grade a learner"):
        return _completion({"credit": 0.75, "feedback": "Close: say where magma escapes.",
                            "covered": ["magma"]})  # fmt: skip
    facts, sentences = FACT.findall(prompt), ASK.findall(prompt)
    questions = []
    for i, ((number, _kind, truth), sentence) in enumerate(zip(facts, sentences, strict=True)):
        quote = sentence if i < len(facts) - 1 else "Volcanoes are made of cheese."
        questions.append({"fact": int(number), "type": "true_false", "options": ["True", "False"],
                          "question": f"Decide whether this holds: {sentence}", "answer": truth,
                          "quote": quote, "concept": "x"})  # fmt: skip
    return _completion({"questions": questions})


def _llm(handler) -> OpenAICompatLLM:
    return OpenAICompatLLM(api_key="k", base_url="http://llm.invalid/v1", model="m", timeout=5,
                           max_retries=0, http_client=httpx.Client(
                               transport=httpx.MockTransport(handler)))  # fmt: skip


async def test_the_models_questions_are_checked_against_their_passage(client, make_user, platform):
    _, headers = make_user()
    doc = await science(client, headers)
    platform.ai.llm = _llm(_model)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=6,
                           quiz_type="true_false")  # fmt: skip
    assert quiz["status"] == "READY" and quiz["provider"] == "openai"
    worded = [q for q in quiz["questions"] if q["question"].startswith("Decide whether")]
    with platform.sessions() as session:
        row = session.get_one(Quiz, uuid.UUID(quiz["quiz_id"]))
        meta = row.meta or {}
        keys = {str(q.id): q for q in session.scalars(
            sa.select(QuizQuestion).where(QuizQuestion.quiz_id == row.id))}  # fmt: skip
    falses = [q for q in keys.values() if q.correct_answer == "False"]
    # Kept: the true statements but the last fact's; replaced: every false one and the last.
    assert 1 <= len(worded) < 6 and meta["replaced"] == 6 - len(worded)
    assert all(keys[q["question_id"]].correct_answer == "True" for q in worded)
    assert all(not q.question.startswith("Decide") for q in falses)
    assert "a false statement the passage makes word for word" in meta["reasons"]
    assert "its quote is not in the passage" in meta["reasons"]
    assert meta["prompt_tokens"] == 100 and not keys[worded[0]["question_id"]].templated


async def test_a_model_that_fails_leaves_the_engines_quiz(client, make_user, platform):
    _, headers = make_user()
    doc = await science(client, headers)
    platform.ai.llm = _llm(lambda request: httpx.Response(500, json={"error": "down"}))
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=3)
    assert quiz["status"] == "READY" and quiz["total_questions"] == 3
    assert all(q["question"].startswith("Fill in the blank") for q in quiz["questions"])


def test_short_answers_are_graded_by_the_model_with_an_offline_fallback() -> None:
    embedder = MiniLMEmbedder()
    q = QuizQuestion(id=uuid.uuid4(), position=0, question_type="short_answer",
                     difficulty="medium", question="What is a volcano?", options=[],
                     correct_answer="A volcano is an opening in the crust of the Earth through "
                     "which magma escapes.", key_points=["opening", "crust", "magma"])  # fmt: skip
    graded = grade_open(AIProviders(_llm(_model), embedder, None), q, "magma comes out", {})
    assert graded.credit == 0.75 and graded.correct and graded.covered == ["magma"]
    assert graded.feedback == "Close: say where magma escapes."
    down = AIProviders(_llm(lambda r: httpx.Response(503, json={})), embedder, None)
    fallback = grade_open(down, q, "an opening in the earth's crust that lets magma out", {})
    assert fallback.correct and fallback.feedback.startswith("Correct")
