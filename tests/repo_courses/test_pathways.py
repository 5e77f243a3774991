"""Stage 3: learning pathways from analysed documents (pure functions, hand-built analyses)."""

from __future__ import annotations

import copy
import itertools
import random
import re
from typing import Any

import pytest

from studyforge.ai.offline.terms import code_like
from studyforge.repo_courses.analysed import read_doc
from studyforge.repo_courses.ordering import Corpus
from studyforge.repo_courses.pathways import PathwayPlan, build_pathways

FULL = ("reading-order", "foundations-first", "hands-on")  # pathways that hold every document


def doc(doc_id: str, path: str, title: str, doc_type: str, level: str, words: int, **extra: Any):
    """A stage-2 analysis dict with the keys the specification names."""
    return {
        "id": doc_id,
        "file_path": path,
        "title": title,
        "doc_type": doc_type,
        "complexity_level": level,
        "key_concepts": extra.get("concepts", []),
        "learning_objectives": extra.get("objectives", []),
        "summary": extra.get("summary", ""),
        "prerequisites": extra.get("prerequisites", []),
        "related_topics": [],
        "word_count": words,
        "headings": [title],
        "links": extra.get("links", []),
        "toctree": extra.get("toctree", []),
    }


def sphinx_project() -> list[dict[str, Any]]:
    """A Sphinx task-queue library: index -> quickstart, tutorial/index (-> step1..3), api,
    changes; concept pages reached by links only."""
    return [
        doc("idx", "docs/index.rst", "Ferry documentation", "overview", "beginner", 350,
            concepts=["task queue", "background jobs"],
            summary="Ferry runs Python functions as background jobs on a pool of workers.",
            toctree=["docs/quickstart", "docs/tutorial/index", "docs/api", "docs/changes"]),
        doc("qs", "docs/quickstart.rst", "Quickstart", "tutorial", "beginner", 1200,
            concepts=["task", "worker", "broker"], prerequisites=["Python 3.10 or later"],
            objectives=["Install Ferry", "Send a first task to a worker"],
            summary="This page installs Ferry and sends a first task. It takes five minutes.",
            links=["docs/concepts/tasks.rst#defining"]),
        doc("tut", "docs/tutorial/index.rst", "Tutorial", "tutorial", "beginner", 300,
            summary="The tutorial builds a small image-resizing service step by step.",
            toctree=["docs/tutorial/step1", "docs/tutorial/step2", "docs/tutorial/step3"]),
        doc("s1", "docs/tutorial/step1.rst", "1. Defining your first task", "tutorial",
            "beginner", 1500, concepts=["task", "task decorator"], prerequisites=["Quickstart"],
            objectives=["Define a task with the task decorator", "Send a first task to a worker"],
            summary="A task is a plain function registered with the task decorator.",
            links=["docs/concepts/tasks", "docs/tutorial/step2"]),
        doc("s2", "docs/tutorial/step2.rst", "2. Running a worker", "tutorial", "intermediate",
            1800, concepts=["worker", "concurrency"], links=["docs/concepts/workers"],
            prerequisites=["Defining your first task"],
            objectives=["Start a worker", "Choose a concurrency level"],
            summary="Workers take tasks from the broker and run them."),
        doc("s3", "docs/tutorial/step3.rst", "3. Retrying failed tasks", "tutorial",
            "intermediate", 1600, concepts=["retry policy", "backoff"],
            prerequisites=["Running a worker"], objectives=["Retry a failed task with backoff"],
            summary="Tasks that fail can be retried with an exponential backoff.",
            links=["docs/concepts/retries", "docs/api#ferry.retry"]),
        doc("ct", "docs/concepts/tasks.rst", "Tasks and results", "concept", "beginner", 2200,
            concepts=["task", "result backend"],
            objectives=["Explain what a task result holds"],
            summary="A task result records the return value or the error of one task run."),
        doc("cw", "docs/concepts/workers.rst", "How workers run tasks", "concept", "intermediate",
            1400, concepts=["worker", "concurrency", "prefetch"],
            prerequisites=["Tasks and results"],
            summary="A worker process prefetches tasks and runs them in a pool."),
        doc("cr", "docs/concepts/retries.rst", "Retries and backoff", "concept", "advanced", 1100,
            concepts=["retry policy", "backoff"], prerequisites=["How workers run tasks"],
            summary="Retries repeat a failed task after a delay that grows each time."),
        doc("api", "docs/api.rst", "API reference", "api", "advanced", 5200,
            concepts=["task decorator", "worker options"], links=["docs/concepts/tasks"],
            summary="`ferry.task(fn)` registers fn.", objectives=["Look up worker options"]),
        doc("chg", "docs/changes.rst", "Changelog", "changelog", "beginner", 900,
            summary="Version 2.0 drops Python 3.8."),
    ]  # fmt: skip


def markdown_project() -> list[dict[str, Any]]:
    """A Markdown project: README links docs/*.md in its own order; one page is reached only
    through another page, one not at all; CONTRIBUTING and LICENSE are selected too."""
    return [
        doc("readme", "README.md", "Inkwell", "overview", "beginner", 600,
            summary="Inkwell turns Markdown notes into a static website.",
            links=["docs/install.md", "docs/getting-started.md", "docs/configuration",
                   "docs/guides/deploy.md", "docs/api.md", "CONTRIBUTING.md", "LICENSE"]),
        doc("install", "docs/install.md", "Installation", "guide", "beginner", 500,
            concepts=["virtual environment"], objectives=["Install Inkwell with pip"],
            summary="Inkwell installs from PyPI into a virtual environment."),
        doc("start", "docs/getting-started.md", "Getting started", "tutorial", "beginner", 1400,
            concepts=["site", "theme"], prerequisites=["Installation"],
            objectives=["Build a first site"], links=["docs/configuration.md", "docs/themes.md"],
            summary="This tutorial builds a first site from three notes."),
        doc("config", "docs/configuration.md", "Configuration", "reference", "intermediate",
            2600, concepts=["configuration file", "theme"],
            summary="Every setting lives in inkwell.toml at the site root."),
        doc("themes", "docs/themes.md", "Themes", "concept", "intermediate", 900,
            concepts=["theme", "template"], prerequisites=["Configuration"],
            summary="A theme is a folder of templates and static files."),
        doc("deploy", "docs/guides/deploy.md", "Deploying a site", "howto", "intermediate", 800,
            concepts=["deployment"], prerequisites=["Getting started"],
            summary="The built site is a folder that any static host can serve."),
        doc("api", "docs/api.md", "Python API", "api", "advanced", 3000,
            concepts=["build function"], summary="The build function renders a site."),
        doc("adv", "docs/advanced.md", "Writing plugins", "guide", "advanced", 1700,
            concepts=["plugin", "template"], prerequisites=["Python API"],
            summary="Plugins hook into each stage of a build."),
        doc("contrib", "CONTRIBUTING.md", "Contributing", "contributing", "beginner", 400),
        doc("lic", "LICENSE", "MIT License", "license", "beginner", 170),
    ]  # fmt: skip


def tiny_project() -> list[dict[str, Any]]:
    return [
        doc("readme", "README.md", "Pico", "overview", "beginner", 400, links=["USAGE.md"],
            summary="Pico is a tiny command-line timer."),
        doc("usage", "USAGE.md", "Usage", "guide", "beginner", 700,
            summary="The timer counts down from the given number of seconds."),
    ]  # fmt: skip


def cyclic_project() -> list[dict[str, Any]]:
    """Three pages that each list the next as a prerequisite, and one that needs them."""
    return [
        doc("a", "docs/a.md", "Alpha", "concept", "intermediate", 800, prerequisites=["Beta"]),
        doc("b", "docs/b.md", "Beta", "concept", "beginner", 800, prerequisites=["Gamma"]),
        doc("c", "docs/c.md", "Gamma", "concept", "intermediate", 800, prerequisites=["Alpha"]),
        doc("d", "docs/d.md", "Delta", "guide", "beginner", 800, prerequisites=["Alpha"]),
        doc("e", "docs/e.md", "Epsilon", "tutorial", "beginner", 800),
    ]


def build(documents: list[dict[str, Any]], overview: str | None = None, note: str | None = None,
          level: str = "intermediate") -> list[PathwayPlan]:  # fmt: skip
    return build_pathways(
        documents, overview_document=overview, complexity_level=level, additional_info=note
    )


def sequence(plan: PathwayPlan) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(m.document_ids) for m in plan.modules)


def order(plan: PathwayPlan) -> list[str]:
    return [i for m in plan.modules for i in m.document_ids]


def by_key(plans: list[PathwayPlan]) -> dict[str, PathwayPlan]:
    return {p.key: p for p in plans}


def check_well_formed(plans: list[PathwayPlan], course_ids: set[str]) -> None:
    """Distinct sequences, modules numbered 1..n, full pathways holding every course
    document once, subsets without repeats, words a person would choose."""
    assert len({sequence(p) for p in plans}) == len(plans)
    assert len({p.key for p in plans}) == len(plans)
    for plan in plans:
        ids = order(plan)
        assert len(ids) == len(set(ids)), plan.key
        assert set(ids) <= course_ids
        if plan.key in FULL and "advanced documents" not in plan.description:
            assert set(ids) == course_ids, plan.key
        assert [m.sequence_order for m in plan.modules] == list(range(1, len(plan.modules) + 1))
        for module in plan.modules:
            assert module.document_ids
            title = module.title
            assert title and "/" not in title and not code_like(title), title
            assert not re.search(r"\.(rst|md|txt)\b|^module\s*\d", title, re.I), title
            assert len(module.learning_objectives) <= 5
            assert re.fullmatch(r"(\d+ hours? ?)?(\d+ minutes?)?", module.estimated_time)
        assert plan.complexity_level in ("beginner", "intermediate", "advanced")
        assert {"title", "description"} <= set(plan.templated)


# --- the Sphinx-style project ------------------------------------------------------------------

SPHINX_COURSE = {"idx", "qs", "tut", "s1", "s2", "s3", "ct", "cw", "cr", "api"}


def test_sphinx_project_gives_distinct_well_formed_pathways() -> None:
    plans = build(sphinx_project(), "docs/index.rst")
    assert len(plans) >= 3
    assert [p.key for p in plans][:3] == list(FULL)
    check_well_formed(plans, SPHINX_COURSE)
    assert all("chg" not in order(p) for p in plans)  # the changelog is left out ...
    assert "changelog is left out" in by_key(plans)["reading-order"].description  # ... and said


def test_reading_order_follows_nested_toctrees_then_links() -> None:
    reading = by_key(build(sphinx_project(), "docs/index.rst"))["reading-order"]
    # toctree of index, tutorial/index's toctree in place, then pages reached by links
    assert order(reading) == ["idx", "qs", "tut", "s1", "s2", "s3", "api", "ct", "cw", "cr"]


def test_modules_group_a_section_within_the_budget_and_take_its_title() -> None:
    reading = by_key(build(sphinx_project(), "docs/index.rst"))["reading-order"]
    assert sequence(reading) == (
        ("idx",), ("qs",), ("tut", "s1", "s2"), ("s3",), ("api",), ("ct",), ("cw", "cr"),
    )  # fmt: skip
    titles = [m.title for m in reading.modules]
    # the overview's entries are chapters of their own; the tutorial's section head names
    # its module, a step keeps its own title (numbering stripped), and the two concept pages
    # are named by their titles: their folder's name ("Concepts") would claim its third page
    assert titles == ["Ferry documentation", "Quickstart", "Tutorial", "Retrying failed tasks",
                      "API reference", "Tasks and results",
                      "How workers run tasks; Retries and backoff"]  # fmt: skip
    second = reading.modules[2]
    assert second.description == "Workers take tasks from the broker and run them."
    assert second.learning_objectives == [
        "Define a task with the task decorator", "Start a worker",
        "Send a first task to a worker", "Choose a concurrency level",
    ]  # fmt: skip
    # 300 + 1500 + 1800 tutorial words at 200/min plus half again: 27 min -> 30
    assert second.estimated_time == "30 minutes"
    # 5 + 10 + 30 + 15 + 30 + 15 + 15 minutes, each module rounded up to 5
    assert reading.estimated_duration == "2 hours"
    # the API page's summary opens with code: the description is fixed wording, marked so
    assert reading.modules[4].description == "Reading: API reference."
    assert "modules[5].description" in reading.templated


def test_foundations_first_respects_every_dependency() -> None:
    documents = sphinx_project()
    plan = by_key(build(documents, "docs/index.rst"))["foundations-first"]
    position = {doc_id: i for i, doc_id in enumerate(order(plan))}
    named = [("qs", "s1"), ("s1", "s2"), ("s2", "s3"), ("ct", "cw"), ("cw", "cr"), ("ct", "api")]
    for first, then in named:
        assert position[first] < position[then], (first, then)
    corpus = Corpus([read_doc(d, "intermediate") for d in documents[:-1]], "docs/index.rst")
    for later, needs in corpus.before.items():
        assert all(position[n] < position[later] for n in needs), later
    assert order(plan)[0] == "idx"  # the overview leads
    assert plan.prerequisites == ["Python 3.10 or later"]  # the others are taught inside


def test_hands_on_starts_with_a_tutorial_and_ends_with_the_api() -> None:
    plan = by_key(build(sphinx_project(), "docs/index.rst"))["hands-on"]
    ids = order(plan)
    assert ids[0] == "qs" and ids[-1] == "api"
    # each tutorial step is followed by the concept page it links to
    assert ids.index("ct") == ids.index("qs") + 1
    assert ids.index("cw") == ids.index("s2") + 1
    assert ids.index("cr") == ids.index("s3") + 1


def test_quick_start_is_an_hour_of_overview_and_tutorials() -> None:
    quick = by_key(build(sphinx_project(), "docs/index.rst"))["quick-start"]
    assert order(quick) == ["idx", "qs", "tut", "s1", "s2", "s3"]
    assert quick.estimated_duration in ("55 minutes", "1 hour")


def test_globs_and_extensionless_entries_resolve_against_known_paths() -> None:
    documents = [
        doc("i", "docs/index.md", "Guide", "overview", "beginner", 100,
            toctree=["docs/usage", "docs/api/*"]),
        doc("u", "docs/usage.md", "Usage", "guide", "beginner", 100),
        doc("z", "docs/api/zeta.md", "Zeta module", "api", "advanced", 100),
        doc("a", "docs/api/alpha.md", "Alpha module", "api", "advanced", 100),
        doc("o", "docs/other.md", "Other notes", "guide", "beginner", 100),
    ]  # fmt: skip
    reading = by_key(build(documents, "docs/index.md"))["reading-order"]
    assert order(reading) == ["i", "u", "a", "z", "o"]


# --- the Markdown project ----------------------------------------------------------------------


def test_markdown_project_follows_readme_links_and_leaves_out_project_files() -> None:
    plans = build(markdown_project(), "README.md")
    course = {"readme", "install", "start", "config", "themes", "deploy", "api", "adv"}
    check_well_formed(plans, course)
    reading = by_key(plans)["reading-order"]
    # README's links in order, then the page reached through getting-started, then the rest
    assert order(reading) == ["readme", "install", "start", "config", "deploy", "api", "themes",
                              "adv"]  # fmt: skip
    description = reading.description
    assert "contributing guide" in description and "license" in description
    foundations = order(by_key(plans)["foundations-first"])
    assert foundations.index("install") < foundations.index("start")
    assert foundations.index("config") < foundations.index("themes")
    assert foundations.index("api") < foundations.index("adv")
    hands = order(by_key(plans)["hands-on"])
    # the tutorial leads, preceded by the page it names as a prerequisite and followed by
    # the reference page it links to; the how-to comes next, the API last
    assert hands[:3] == ["install", "start", "config"] and hands[-1] == "api"
    assert hands.index("deploy") < hands.index("readme")
    quick = order(by_key(plans)["quick-start"])
    assert quick == ["readme", "install", "start", "deploy"]


def test_without_an_overview_the_shallowest_readme_leads() -> None:
    reading = by_key(build(markdown_project(), None))["reading-order"]
    assert order(reading)[:3] == ["readme", "install", "start"]


# --- additional_info ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "first"),
    [
        ("Lots of practical examples, please", "hands-on"),
        ("Focus on the API", "api-deep-dive"),
        ("Keep it to the basics", "foundations-first"),
        (None, "reading-order"),
    ],
)
def test_the_note_decides_which_pathway_comes_first(note: str | None, first: str) -> None:
    plans = build(sphinx_project(), "docs/index.rst", note)
    assert plans[0].key == first
    check_well_formed(plans, SPHINX_COURSE)


def test_beginner_hands_on_note_ranks_both_and_drops_advanced_pages() -> None:
    plans = build(sphinx_project(), "docs/index.rst", "Beginner-friendly with hands-on exercises")
    assert [p.key for p in plans[:2]] == ["foundations-first", "hands-on"]
    foundations = order(plans[0])
    assert "cr" not in foundations and "api" not in foundations
    assert "2 advanced documents" in plans[0].description
    assert len(order(plans[1])) == len(SPHINX_COURSE)


def test_other_words_of_the_note_raise_matching_pages() -> None:
    plain = order(by_key(build(sphinx_project(), "docs/index.rst"))["foundations-first"])
    focused = order(
        by_key(build(sphinx_project(), "docs/index.rst", "retries"))["foundations-first"]
    )
    assert plain.index("cr") > plain.index("api")
    assert focused.index("cr") < focused.index("api")
    assert focused.index("cr") > focused.index("cw")  # still after what it needs


# --- small and awkward inputs -------------------------------------------------------------------


def test_two_documents_give_distinct_pathways_without_arbitrary_orders() -> None:
    plans = build(tiny_project(), "README.md")
    check_well_formed(plans, {"readme", "usage"})
    assert 2 <= len(plans) <= 3
    assert plans[0].key == "reading-order" and order(plans[0]) == ["readme", "usage"]
    # every order is one a strategy chose (the usage guide leads the hands-on one)
    assert {tuple(order(p)) for p in plans} <= {("readme", "usage"), ("usage", "readme")}


def test_one_document_gives_one_pathway_and_none_give_none() -> None:
    plans = build(tiny_project()[:1], "README.md")
    assert [p.key for p in plans] == ["reading-order"]
    assert plans[0].modules[0].title == "Pico"
    assert build([], None) == []


def test_three_plain_documents_still_give_three_pathways() -> None:
    documents = [
        doc(k, f"{k}.md", f"Part {k.upper()}", "guide", "intermediate", 3000) for k in "abc"
    ]
    plans = build(documents, None)
    assert len(plans) >= 3
    check_well_formed(plans, {"a", "b", "c"})


def test_cyclic_prerequisites_still_give_a_valid_order() -> None:
    plans = build(cyclic_project(), None)
    check_well_formed(plans, set("abcde"))
    foundations = order(by_key(plans)["foundations-first"])
    assert sorted(foundations) == list("abcde")
    assert foundations.index("a") < foundations.index("d")
    assert foundations[0] == "e" or foundations[0] == "b"  # the easiest free page first
    assert order(by_key(plans)["hands-on"])[0] == "e"


def test_titles_fall_back_to_words_and_never_code() -> None:
    documents = [
        doc("x", "docs/user-guide.md", "ferry.task()", "guide", "beginner", 300),
        doc("y", "docs/faq.md", "", "faq", "beginner", 300),
        doc("z", "docs/how-it-works.md", "How it works", "concept", "beginner", 300),
    ]
    plans = build(documents, None)
    check_well_formed(plans, {"x", "y", "z"})
    titles = " | ".join(m.title for p in plans for m in p.modules)
    # the code title gives way to the file name's words, the empty one too
    assert "User guide" in titles and "Faq" in titles and "ferry" not in titles


def test_same_input_same_output() -> None:
    documents = sphinx_project()
    first = [p.as_dict() for p in build(documents, "docs/index.rst", "hands-on, retries")]
    shuffled = list(reversed(copy.deepcopy(documents)))
    again = [p.as_dict() for p in build(shuffled, "docs/index.rst", "hands-on, retries")]
    assert first == again
    assert first[0]["modules"][0]["sequence_order"] == 1


def test_every_permutation_of_a_small_project_is_stable() -> None:
    documents = markdown_project()
    expected = [p.as_dict() for p in build(documents, "README.md")]
    for perm in itertools.islice(itertools.permutations(documents), 0, 40, 7):
        assert [p.as_dict() for p in build(list(perm), "README.md")] == expected


def test_random_projects_always_give_three_distinct_pathways() -> None:
    """Seeded random projects (types, levels, toctrees, links and prerequisites pointing
    anywhere, cycles included): never a crash, never a repeat, 3+ from 3 course documents,
    2+ from 2."""
    rng = random.Random(7)
    types = ["guide", "tutorial", "api", "reference", "concept", "overview", "howto", "faq",
             "changelog", "other"]  # fmt: skip
    levels = ["beginner", "intermediate", "advanced"]
    for _ in range(150):
        n = rng.randint(1, 9)
        paths = [f"{rng.choice(['', 'docs/', 'docs/a/'])}p{i}.md" for i in range(n)]
        titles = [f"Topic {chr(65 + i)}" for i in range(n)]
        documents = [
            doc(str(i), paths[i], titles[i], rng.choice(types), rng.choice(levels),
                rng.choice([0, 150, 900, 2500, 5000]),
                concepts=rng.sample(["alpha", "beta", "gamma", "delta"], 2),
                prerequisites=rng.sample(titles, min(n, rng.randint(0, 2))),
                links=rng.sample(paths, min(n, rng.randint(0, 3))),
                toctree=[p[:-3] for p in rng.sample(paths, min(n, rng.randint(0, 2)))])
            for i in range(n)
        ]  # fmt: skip
        course = {d["id"] for d in documents if d["doc_type"] != "changelog"} or {
            d["id"] for d in documents
        }
        plans = build(documents, rng.choice([None, paths[0]]), rng.choice([None, "hands-on api"]))
        check_well_formed(plans, course)
        assert len(plans) >= (2 if len(course) == 2 else min(3, len(course)))


def test_a_readme_that_links_nowhere_is_followed_by_the_docs_table_of_contents() -> None:
    # As click's README.rst: it links only to web pages; docs/index.rst holds the toctree.
    readme = doc("rd", "README.rst", "Ferry", "overview", "beginner", 200,
                 summary="Ferry runs Python functions as background jobs.")  # fmt: skip
    plans = build([readme, *sphinx_project()], "README.rst")
    reading = by_key(plans)["reading-order"]
    assert order(reading)[:6] == ["rd", "idx", "qs", "tut", "s1", "s2"]  # not path order
    # The table of contents names the whole project: no module is titled after it.
    titles = [m.title for p in plans for m in p.modules if "idx" not in m.document_ids]
    assert not any(t.startswith("Ferry documentation") for t in titles)


def test_a_module_that_is_a_whole_folder_takes_the_folders_name() -> None:
    documents = [d for d in sphinx_project() if d["id"] != "ct"]  # docs/concepts: cw, cr only
    reading = by_key(build(documents, "docs/index.rst"))["reading-order"]
    titles = {tuple(m.document_ids): m.title for m in reading.modules}
    assert titles[("cw", "cr")] == "Concepts"
