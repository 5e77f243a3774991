"""Which messages lean on the turn before, and how they are searched."""

from __future__ import annotations

import pytest

from studyforge.chat.followup import is_follow_up, key_terms, rewrite


@pytest.mark.parametrize(
    "message",
    [
        "and what about its finally clause?",
        "What about syntax errors?",
        "Why?",
        "Can you give an example?",
        "Does it run when there is a return statement?",
        "Why is that?",
        "Also, how do I raise one?",
    ],
)
def test_follow_ups_are_recognised(message: str) -> None:
    assert is_follow_up(message)


@pytest.mark.parametrize(
    "message",
    [
        "How does the try statement work?",
        "What is an exception?",
        "Is it possible to catch several exceptions in one except clause?",
        "Which part of the error message tells me what kind of error happened?",
    ],
)
def test_questions_that_stand_alone_are_searched_as_asked(message: str) -> None:
    assert not is_follow_up(message)
    assert rewrite(message, "try statement") == message


def test_a_follow_up_carries_the_previous_subject() -> None:
    query = rewrite("and what about its finally clause?", "How does the try statement work?")
    assert query == "try statement and what about its finally clause?"
    # A chain keeps the subject (the previous turn as it was searched), without repeats.
    again = rewrite("does it run when there is a return statement?", query)
    assert again.startswith("try finally clause ") and again.count("statement") == 1


def test_key_terms_drop_question_words_and_possessives() -> None:
    assert key_terms("How does Python's garbage collector free memory?") == [
        "python", "garbage", "collector", "free", "memory",
    ]  # fmt: skip
