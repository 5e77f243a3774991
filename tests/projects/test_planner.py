"""The offline planner: which task a topic gets, and the jigsaw on the owner's passages."""

from __future__ import annotations

from typing import Any

from studyforge.projects.planner import interleave, plan, topic_parts, varied
from studyforge.projects.spec import Meta, Plan, ProjectSpec, SectionBody, validate
from studyforge.projects.themes import MAX_GROUP, theme_for

DICT = "Another useful data type is the dictionary. Dictionaries are indexed by keys, which can be any immutable type."  # noqa: E501
LOOP = "When looping through dictionaries, the key and its value can be retrieved at once with items()."  # noqa: E501
LISTS = "The list data type has some more methods. Here are all of the methods of list objects."
INTRO = "The dict() constructor builds dictionaries from sequences of pairs:"
LONG = ("A set is an unordered collection with no duplicate elements. " * 6) + "For example:"


def _passage(text: str, heading: str, doc: str = "d1") -> dict[str, Any]:
    return {"text": text, "document_id": doc, "filename": f"{doc}.html", "page": None,
            "heading": heading, "start": 0, "end": len(text)}  # fmt: skip


def _request(topic: str, passages: list[dict[str, Any]], size: int = 3) -> dict[str, Any]:
    return {"title": "Group work", "topic": topic, "life_skill": "collaboration",
            "group_size": size, "duration_min": 45, "passages": passages}  # fmt: skip


def _valid(inputs: dict[str, Any], out: dict[str, Any]) -> list[str]:
    spec = ProjectSpec(
        run_id="r",
        chat_id="c",
        meta=Meta(**{k: inputs[k] for k in ("topic", "life_skill", "group_size", "duration_min")}),
        plan=Plan.model_validate(out["plan"]),
        sections={k: SectionBody.model_validate(v) for k, v in out["sections"].items()},
    )
    return validate(spec)


def test_varied_prefers_passages_that_stand_alone_from_different_sections() -> None:
    same = _passage(DICT + " Keys are unique.", "Dictionaries")
    picked = varied(
        [_passage(DICT, "Dictionaries"), _passage(INTRO, "Dictionaries"), same,
         _passage(LOOP, "Looping"), _passage(LONG, "Sets")],
        4,
    )  # fmt: skip
    assert [p["heading"] for p in picked] == ["Dictionaries", "Looping", "Sets", "Dictionaries"]
    assert picked[3] is same  # a short passage ending in a colon comes last, here not at all
    assert varied([_passage(INTRO, "Dictionaries")], 3)[0]["text"] == INTRO  # better than none


def test_a_topic_without_numbers_but_with_passages_is_a_jigsaw() -> None:
    passages = [_passage(DICT, "Dictionaries"), _passage(LOOP, "Looping", "d2"),
                _passage(LISTS, "More on Lists")]  # fmt: skip
    inputs = _request("Python lists and dictionaries", passages, size=4)
    out = plan(inputs)
    assert out["theme"] == "sources" and out["grounded"] is True
    assert _valid(inputs, out) == []
    core = out["sections"]["sec_02"]
    readings = [seat["data"]["reading"] for seat in core["seats"].values()]
    assert readings[:3] == [DICT, LOOP, LISTS] and readings[3] == DICT  # one each, then round
    assert all(seat["extras"]["citations"] for seat in core["seats"].values())
    assert "Seat 4 also has passage 1" in " ".join(core["seats"]["1"]["steps"])
    assert not any(
        "AED" in step or "VAT" in step for s in core["seats"].values() for step in s["steps"]
    )
    criteria = {c["metric"]: c for c in out["plan"]["sections"][1]["success_criteria"]}
    assert criteria["questions_answered_pct"]["target_op"] == ">="
    assert core["teacher"]["data"]["passages"] == [
        "Passage 1: d1.html · Dictionaries", "Passage 2: d2.html · Looping",
        "Passage 3: d1.html · More on Lists",
    ]  # fmt: skip


def test_a_number_topic_keeps_its_calculation_with_passages_and_without() -> None:
    money = plan(_request("Shopping on a budget with discounts", [_passage(DICT, "x")]))
    assert money["theme"] == "money"
    seat = money["sections"]["sec_02"]["seats"]["1"]
    assert (
        "price_aed" in seat["data"]["given"]
        and seat["data"]["reading"] == DICT.split(". ")[0] + "."
    )
    assert plan(_request("Planning a class trip", []))["theme"] == "money"


def test_an_excerpt_drops_the_sentence_that_introduces_missing_code() -> None:
    text = "A tuple consists of values separated by commas. Tuples are immutable. For instance:"
    out = plan(_request("Python tuples", [_passage(text, "Tuples")], size=1))
    assert out["sections"]["sec_02"]["seats"]["1"]["data"]["reading"] == (
        "A tuple consists of values separated by commas. Tuples are immutable."
    )


def test_readings_keep_abbreviations_and_stop_where_code_begins() -> None:
    text = (  # blocks of a passage are joined by a blank line, code is a block of its own
        "Lists hold items of any type, e.g. numbers or strings, in order. They can be sliced."
        "\n\n>>> squares = [1, 4, 9]\n>>> squares[0]\n1\n\nAll slice operations return a new list."
    )
    out = plan(_request("Python lists", [_passage(text, "Lists")], size=1))
    reading = out["sections"]["sec_02"]["seats"]["1"]["data"]["reading"]
    assert (
        reading
        == "Lists hold items of any type, e.g. numbers or strings, in order. They can be sliced."
    )
    quote = out["sections"]["sec_01"]["shared"]["data"]["reading"]
    assert quote == "Lists hold items of any type, e.g. numbers or strings, in order."


def test_a_topic_without_numbers_or_passages_is_a_class_survey() -> None:
    inputs = _request("Photosynthesis", [], size=4)
    out = plan(inputs)
    assert out["theme"] == "general" and out["grounded"] is False and _valid(inputs, out) == []
    seats = out["sections"]["sec_02"]["seats"].values()
    questions = [seat["data"]["given"]["question"] for seat in seats]
    assert len(set(questions)) == 4 and all("Photosynthesis" in q for q in questions)
    assert all(5 <= seat["data"]["given"]["classmates"] <= 10 for seat in seats)
    assert all(seat["steps"][0] not in seat["objective"] for seat in seats)  # said once
    metrics = [c["metric"] for c in out["plan"]["sections"][1]["success_criteria"]]
    assert metrics == ["mean_error_pct", "seats_contributing"]
    objectives = [section["math_objective"] for section in out["plan"]["sections"]]
    assert len(set(objectives)) == 3  # each section has its own
    seats = plan(_request("Photosynthesis", [], size=MAX_GROUP))["sections"]["sec_02"]["seats"]
    assert len({seat["data"]["given"]["question"] for seat in seats.values()}) == MAX_GROUP


def test_the_topic_picks_the_theme_before_the_title() -> None:
    assert theme_for("Python data structures", "Lists").name == "general"
    assert theme_for("Python lists", "Data structures jigsaw", grounded=True).name == "sources"
    assert theme_for("Fractions in recipes", "Our class market").name == "fractions"
    assert theme_for("Sharing out", "Our class market").name == "money"


def test_a_topic_of_several_things_is_searched_part_by_part() -> None:
    assert topic_parts("Python lists and dictionaries") == ["lists", "dictionaries"]
    assert topic_parts("Saving money vs spending money") == ["Saving money", "spending money"]
    assert topic_parts("Fractions, decimals & percentages") == [
        "Fractions",
        "decimals",
        "percentages",
    ]
    assert topic_parts("Photosynthesis") == [] and topic_parts("Lists and") == []


def test_interleave_puts_each_parts_best_passage_near_the_top() -> None:
    dicts = [_passage(DICT, "Dictionaries"), _passage(LOOP, "Looping"), _passage(LONG, "Sets")]
    lists = _passage(LISTS, "More on Lists", "d2")
    topic = [*dicts, lists]
    signature = _passage("list.append(x)", "More on Lists", "d2")  # a code line: not a reading
    order = interleave([*topic, signature], [dicts[0], dicts[1]], [signature, lists])
    assert order == [dicts[0], lists, dicts[1], dicts[2], signature]  # the lists passage second
    assert interleave(topic) == topic
