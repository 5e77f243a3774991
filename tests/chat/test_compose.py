"""The offline engine's refusal says what is missing, and does not claim the material says
nothing about a topic its passages do mention."""

from __future__ import annotations

from studyforge.chat.compose import NOT_IN_MATERIAL, refusal
from studyforge.chat.grounding import Evidence, Source

LICENSE = Source(1, "d", "license.rst", None, "History and License", "code",
                 "BEOPEN PYTHON OPEN SOURCE LICENSE AGREEMENT VERSION 1", 0)  # fmt: skip


def test_a_refusal_names_the_topic_the_material_lacks() -> None:
    evidence = Evidence("capital of Australia", [LICENSE], [], 0.0, False, ["capital", "australia"])
    reply = refusal(evidence, "What is the capital of Australia?", ["History and License"])
    assert reply.text.startswith(NOT_IN_MATERIAL + ": I found nothing in it about “capital of "
                                 "Australia”")  # fmt: skip
    assert "It covers History and License." in reply.text and not reply.grounded


def test_a_refusal_over_passages_that_hold_every_word_says_they_do_not_answer() -> None:
    # The license text is a literal block: its passages hold the words, no answering sentence.
    evidence = Evidence("License Agreement", [LICENSE], [], 1.0, False, [])
    reply = refusal(evidence, "What is the License Agreement?", ["History and License"])
    assert "found nothing" not in reply.text
    assert reply.text.startswith(f"{NOT_IN_MATERIAL}: it mentions “License Agreement”, but no "
                                 "sentence of it answers your question.")  # fmt: skip
    assert reply.citations == [] and reply.meta == {"templated": ["refusal"]}
