"""The offline engine's wording on real documentation sentences: what it refuses to ask and
how it turns a sentence into a question (each case was a bad question before)."""

from __future__ import annotations

from studyforge.documents.rst import inline
from studyforge.quizzes import offline
from studyforge.quizzes.facts import Candidate, Key, Material
from studyforge.quizzes.short_answer import short_answer
from tests.quizzes.test_engine import _sources

# Sentences of Python's tutorial, "Data Structures" (as the rst extractor gives them).
LISTS = (
    "The list methods make it very easy to use a list as a stack, where the last element "
    "added is the first element retrieved. Return the number of "
    "times x appears in the list. Remove the first item from the list whose value is equal "
    "to x. Another useful data type built into Python is the dictionary."
)
SETS = (
    "Sequence unpacking requires that there are as many variables on the left side of the "
    "equals sign as there are elements in the sequence. List comprehensions provide a "
    "concise way to create lists. If all items of two sequences compare equal, the "
    "sequences are considered equal. Performing `list(d)` on a dictionary returns a list of "
    "all the keys used in the dictionary, in insertion order."
)
PAGES = {"Using Lists as Stacks": LISTS, "Sequence unpacking": SETS,
         "Queues": "A queue is a collection whose first element added is the first retrieved. "
                   "To implement a queue, use `collections.deque` which was designed to have "
                   "fast appends and pops from both ends. Flow control uses a sliding receive "
                   "window in every queue."}  # fmt: skip


def material() -> Material:
    return Material(_sources(PAGES))


def test_an_unresolved_see_reference_is_dropped_and_a_titled_one_kept():
    text = "Another type is the *dictionary* (see :ref:`typesmapping`). See :ref:`Maps <maps>`."
    assert inline(text, {}, {}) == "Another type is the dictionary. See Maps."


def test_instructions_are_not_facts_but_noun_phrases_that_look_like_verbs_are():
    sentences = {f.sentence for f in material().facts}
    assert not any(s.startswith(("Return the", "Remove the")) for s in sentences)
    assert any(s.startswith("Flow control uses") for s in sentences)


def test_a_graded_adjective_is_not_part_of_what_is_asked():
    m = material()
    keys = {k.text for f in m.facts for k in f.keys}
    assert "data type" in keys and "useful data type" not in keys


def test_a_stressed_subject_is_asked_what_it_does():
    m = material()
    by_start = {f.sentence.split()[0]: f for f in m.facts}
    asked = short_answer(m, by_start["Sequence"], "medium")
    assert asked is not None and asked["question"] == "What does sequence unpacking require?"
    assert asked["answer"].startswith("that there are as many variables")


def test_a_false_statement_never_changes_code_or_a_counts_form():
    sentence = "Performing `list(d)` on a dictionary returns a list of all the keys."
    swapped = offline._replace(sentence, "list", "tuple")
    assert swapped == "Performing `list(d)` on a dictionary returns a tuple of all the keys."
    assert offline.blank(sentence, "list").startswith("Performing `list(d)` on")
    two = Key("two", "count", 1.0)
    assert not offline._same_form(two, Candidate("1", "count"))
    assert not offline._same_form(two, Candidate("0.0", "count"))
    assert offline._same_form(two, Candidate("three", "count"))


def test_a_swap_takes_a_stressed_word_for_a_stressed_word():
    m = material()
    stack = next(f for f in m.facts if "as a stack" in f.sentence)
    made = offline.falsified(m, stack, "medium")
    assert made is not None
    assert m.stressed(made[1]) and m.stressed(made[2]), made


def test_modal_subjects_are_asked_and_cross_references_are_not_facts():
    """From the tutorial's "Errors and Exceptions": "A try statement may have ..." becomes a
    question; "For more information ..., see Built-in Exceptions." and "One of its ..." (whose
    "its"?) are never asked."""
    m = Material(_sources({
        "Handling Exceptions": "A try statement may have more than one except clause, to "
        "specify handlers for different exceptions. For more information about chaining "
        "mechanics, see Built-in Exceptions. One of its subclasses, Exception, is the base "
        "class of all the non-fatal exceptions.",
        "Raising Exceptions": "The raise statement allows the programmer to force a specified "
        "exception to occur.",
    }))  # fmt: skip
    sentences = [f.sentence for f in m.facts]
    assert not any(s.startswith(("For more", "One of its")) for s in sentences), sentences
    asked = {short_answer(m, f, "medium")["question"] for f in m.facts}  # type: ignore[index]
    assert asked == {"What may a try statement have?", "What does the raise statement allow?"}


def test_what_a_subject_does_only_when_the_next_word_is_its_verb():
    m = Material(_sources({
        "Networks": "The Transmission Control Protocol provides reliable, ordered delivery "
        "of a byte stream between applications. The immune system defends the body against "
        "infection by many means.",
        "Lists": "The optional arguments start and end are interpreted as in the slice "
        "notation. Tuples can be used as keys if they contain only strings or numbers. "
        "The slice notation is a compact way to name a part of any sequence at once. "
        "The raise statement quietly allows the programmer to force an exception to occur.",
    }))  # fmt: skip
    asked = {f.sentence.split()[1]: short_answer(m, f, "medium") for f in m.facts}
    questions = {k: v["question"] for k, v in asked.items() if v}
    assert questions["Transmission"] == "What does the Transmission Control Protocol provide?"
    assert questions["immune"] == "What does the immune system defend?"
    assert not questions.get("optional", "").startswith("What do the optional arguments")
    assert not questions.get("can", "").startswith("What can tuples be")
