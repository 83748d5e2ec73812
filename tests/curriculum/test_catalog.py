"""Catalog: validation, cycle detection that names the cycle, topological order, scope, JSON."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptive.curriculum import Activity, Catalog, LearnerProfile, PrerequisiteCycleError, Skill
from adaptive.curriculum.catalog import find_cycles, topological_sort
from adaptive.curriculum.cycles import MAX_SHOWN, shown_cycles
from adaptive.errors import ConfigError, DataNoteWarning


def small_catalog() -> Catalog:
    skills = (
        Skill("add", "Addition", grade=3, standard="3.OA"),
        Skill("sub", "Subtraction", ("add",), grade=3, standard="3.OA"),
        Skill("mul", "Multiplication", ("add",), grade=4, standard="4.OA"),
        Skill("frac", "Fractions", ("mul", "sub"), grade=5, standard="5.NF"),
    )
    activities = (
        Activity("a1", "Add apples", ("add",), difficulty=-0.5, topics=("cooking",)),
        Activity("s1", "Subtract goals", ("sub",), topics=("sports",), kind="review"),
        Activity("m1", "Times tables", ("mul",), topics=("music",), grade=4),
        Activity(
            "p1", "Pizza fractions", ("frac", "mul"), topics=("cooking", "art"), kind="project"
        ),
        Activity("f1", "Fraction check", ("frac",), kind="assessment", standard="5.NF.1"),
    )
    return Catalog(skills, activities)


def test_cycle_is_an_error_that_names_it() -> None:
    skills = (Skill("a", prerequisites=("c",)), Skill("b", prerequisites=("a",)),
              Skill("c", prerequisites=("b",)), Skill("d", prerequisites=("a",)))  # fmt: skip
    with pytest.raises(PrerequisiteCycleError) as info:
        Catalog(skills)
    assert [sorted(c) for c in info.value.cycles] == [["a", "b", "c"]]
    message = str(info.value)
    # shown along prerequisite -> skill that needs it (c before a, a before b, b before c)
    rotations = ["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"]
    assert any(r in message for r in rotations), message
    assert "d" not in [s for c in info.value.cycles for s in c]


def test_self_loop_and_two_cycles_are_each_reported() -> None:
    graph = {"x": ["x"], "p": ["q"], "q": ["p"], "r": []}
    cycles = find_cycles(graph)
    assert sorted(sorted(c) for c in cycles) == [["p", "q"], ["x"]]
    with pytest.raises(PrerequisiteCycleError, match="x -> x"):
        topological_sort(graph)


def test_from_edges_breaks_cycles_only_when_told() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("z", "z"), ("a", "d")]
    with pytest.raises(PrerequisiteCycleError):
        Catalog.from_edges(edges)
    with pytest.raises(PrerequisiteCycleError) as info:
        Catalog.from_edges(edges, drop_self_loops=True)
    assert [sorted(c) for c in info.value.cycles] == [["a", "b", "c"]]
    cat = Catalog.from_edges(edges, drop_self_loops=True, drop_edges=[("c", "a")])
    assert set(cat.topological_order) == {"a", "b", "c", "d", "z"}
    with pytest.raises(ConfigError, match="not edges of the graph"):
        Catalog.from_edges(edges, drop_edges=[("b", "a")])


def test_cycle_is_shown_link_by_link_with_the_link_against_grade_order_to_remove() -> None:
    """A district's trial: one prerequisite entered the wrong way round (a grade 3 skill
    "requiring" a grade 7 one) was reported as its whole 28-skill component printed as one
    cycle, many arrows no link of the file, with Python advice (`Catalog.from_edges`) for a
    JSON file. Now: a real cycle, the link that goes against grade order, and which
    "prerequisites" entry of which skill to remove."""
    skills = (
        Skill("3.G.1", grade=3, prerequisites=("7.G.4",)),  # the link entered the wrong way
        Skill("3.G.2", grade=3, prerequisites=("3.G.1",)),
        Skill("4.OA.1", grade=4, prerequisites=("3.G.1",)),
        Skill("5.G.1", grade=5, prerequisites=("3.G.2", "4.OA.1")),
        Skill("4.OA.2", grade=4, prerequisites=("4.OA.1",)),
        Skill("7.G.4", grade=7, prerequisites=("5.G.1", "4.OA.2")),
    )
    with pytest.raises(PrerequisiteCycleError) as info:
        Catalog(skills)
    message = str(info.value)
    assert "7.G.4 -> 3.G.1 -> 3.G.2 -> 5.G.1 -> 7.G.4: its link 7.G.4 -> 3.G.1 puts a grade 7 " in (
        message
    )
    assert message.endswith("""remove '7.G.4' from the "prerequisites" of skills[0] ('3.G.1')""")
    assert "from_edges" not in message
    links = {(p, s.id) for s in skills for p in s.prerequisites}
    [shown] = info.value.shown
    assert all(link in links for link in zip(shown.path, shown.path[1:], strict=False))
    assert [sorted(c) for c in info.value.cycles] == [sorted(s.id for s in skills)]
    mended = (Skill("3.G.1", grade=3), *skills[1:])
    assert Catalog(mended).topological_order[0] == "3.G.1"


def test_from_edges_cycle_says_what_to_drop() -> None:
    """`from_edges` builds from edges, not a file: its advice is the `drop_edges` to pass."""
    with pytest.raises(PrerequisiteCycleError) as info:
        Catalog.from_edges([("a", "b"), ("b", "c"), ("c", "a"), ("z", "z")])
    message = str(info.value)
    assert "drop_edges=[('c', 'a')]" in message and "drop_self_loops=True" in message
    assert '"prerequisites"' not in message
    Catalog.from_edges([("a", "b"), ("b", "c"), ("c", "a")], drop_edges=[("c", "a")])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_shown_cycles_are_real_and_their_links_removed_leave_no_cycle(edges) -> None:
    graph: dict[str, list[str]] = {str(n): [] for n in range(8)}
    for pre, skill in edges:
        if str(pre) not in graph[str(skill)]:
            graph[str(skill)].append(str(pre))
    if not find_cycles(graph):
        return
    shown, complete = shown_cycles(graph, limit=len(edges) + 1)  # as many as it takes
    assert complete
    assert PrerequisiteCycleError(graph).shown == shown[:MAX_SHOWN]  # what a message shows
    for cycle in shown:
        assert cycle.path[0] == cycle.path[-1]
        assert all(p in graph[s] for p, s in zip(cycle.path, cycle.path[1:], strict=False))
        pre, skill = cycle.link
        graph[skill].remove(pre)
    assert not find_cycles(graph)


def test_topological_order_puts_prerequisites_first_and_ties_in_catalog_order() -> None:
    cat = small_catalog()
    order = cat.topological_order
    assert order == ["add", "sub", "mul", "frac"]
    pos = {s: i for i, s in enumerate(order)}
    for s in cat.skills:
        assert all(pos[p] < pos[s.id] for p in s.prerequisites)
    assert cat.ancestors("frac") == {"add", "sub", "mul"}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Catalog((Skill("a"), Skill("a"))), "the skill id 'a' is given twice"),
        (lambda: Catalog((Skill("a", prerequisites=("zz",)),)), "unknown prerequisites"),
        (lambda: Catalog((Skill("a"),), (Activity("x", "x", ("b",)),)), "unknown skills"),
        (
            lambda: Catalog((Skill("a"),), (Activity("x", "x", ("a",)),) * 2),
            "activity id 'x' is given twice",
        ),
        (lambda: Activity("x", "x", ()), "at least one skill"),
        (lambda: Activity("x", "x", ("a",), kind="lecture"), "kind"),
        (lambda: Activity("x", "x", ("a",), expected_minutes=0), "expected_minutes"),
        (lambda: Activity("x", "x", ("a",), difficulty=float("nan")), "difficulty"),
    ],
)
def test_invalid_catalogs_raise_config_error(make, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make()


def test_array_views() -> None:
    cat = small_catalog()
    codes = cat.activity_skill_codes
    assert codes.shape == (5, 2)
    assert codes[3].tolist() == [3, 2] and codes[0].tolist() == [0, -1]
    pre = cat.prerequisite_codes
    assert pre[0].tolist() == [-1, -1] and sorted(pre[3].tolist()) == [1, 2]
    assert cat.prerequisite_matrix[3].toarray().ravel().tolist() == [0, 1, 1, 0]
    assert np.allclose(cat.activity_skill_matrix.sum(axis=1), 1.0)
    assert cat.activity_kind_codes.tolist() == [0, 1, 0, 2, 3]
    assert cat.topics == ("art", "cooking", "music", "sports")


def test_scope_by_grade_band_and_standard() -> None:
    cat = small_catalog()
    # activity grades: own grade, else the highest of its skills
    assert cat.activity_grades.tolist() == [3, 3, 4, 5, 5]
    assert cat.in_scope(grade_band=(3, 4)).tolist() == [True, True, True, False, False]
    assert cat.in_scope(standards=["5.NF"]).tolist() == [False, False, False, True, True]
    assert cat.in_scope(standards=["5.NF.1"]).tolist() == [False, False, False, False, True]
    assert cat.in_scope(grade_band=(4, 5), standards=["4.OA"]).tolist() == [
        False, False, True, False, False,
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="low <= high"):
        cat.in_scope(grade_band=(5, 3))


def test_catalog_json_file_round_trip(tmp_path) -> None:
    cat = small_catalog()
    path = tmp_path / "catalog.json"
    cat.to_json(path)
    again = Catalog.from_json(path)
    assert again == cat
    assert again.to_dict() == json.loads(path.read_text())
    (tmp_path / "bad.json").write_text('{"skills": [{"name": "no id"}]}')
    with pytest.raises(ConfigError, match="not a valid catalog"):
        Catalog.from_json(tmp_path / "bad.json")


def test_a_csv_file_given_as_the_catalog_is_said_to_be_one(tmp_path) -> None:
    """Before, a placement table given as --catalog read "not a valid catalog file (Expecting
    value: line 1 column 1 (char 0))": the JSON parser's words for a CSV file."""
    placed = tmp_path / "placed.csv"
    placed.write_text("student_id,skill_id,mastery\ns1,a,0.8\n")
    with pytest.raises(ConfigError) as caught:
        Catalog.from_json(placed)
    assert str(caught.value) == (
        f"{placed}: not a valid catalog file: a CSV file, and a catalog is JSON (adaptive "
        "validate --catalog checks one); this looks like a placement table (student_id, "
        "skill_id, mastery): give it as --placement (read_placement)"
    )
    other = tmp_path / "transcripts.csv"
    other.write_text("StudentNumber,Course,FinalGrade\ns1,Math 5,C\n")
    with pytest.raises(ConfigError, match=r"transcripts.csv: not a valid catalog file: a CSV "):
        Catalog.from_json(other)
    broken = tmp_path / "broken.json"
    broken.write_text('{"skills": [}')  # JSON broken further on keeps the parser's place
    with pytest.raises(ConfigError, match=r"not a valid catalog file \(Expecting value: line 1"):
        Catalog.from_json(broken)


def test_a_parquet_placement_table_given_as_the_catalog_says_where_it_goes(tmp_path) -> None:
    """Review #23: a Parquet file is refused as no UTF-8 text before the JSON parser, and that
    refusal said "this file is a Parquet file" and never which option reads it."""
    placed = tmp_path / "placed.parquet"
    frame = pd.DataFrame({"student_id": ["s1"], "skill_id": ["a"], "mastery": [0.8]})
    frame.to_parquet(placed)
    with pytest.raises(ConfigError) as caught:
        Catalog.from_json(placed)
    said = str(caught.value)
    assert "expected UTF-8 text (a catalog JSON file: one object of " in said
    assert "describes it); this file is a Parquet file" in said
    assert said.endswith(
        "; this looks like a placement table (student_id, skill_id, mastery): give it as "
        "--placement (read_placement)"
    )


# -- property tests: random DAG catalogs and profiles survive JSON ------------------------------
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    names = draw(st.lists(ids, min_size=1, max_size=12, unique=True))
    skills = []
    for i, name in enumerate(names):
        prereqs = draw(st.lists(st.sampled_from(names[:i]), unique=True, max_size=3)) if i else []
        grade = draw(st.none() | st.integers(0, 12))
        skills.append(Skill(name, draw(st.text(max_size=10)), tuple(prereqs), grade=grade))
    n_act = draw(st.integers(0, 6))
    topics = st.lists(st.sampled_from(["art", "space", "sports"]), unique=True, max_size=2)
    activities = tuple(
        Activity(
            f"act{j}",
            draw(st.text(max_size=10)),
            tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))),
            difficulty=draw(st.floats(-3, 3)),
            topics=tuple(draw(topics)),
            expected_minutes=draw(st.floats(1, 90)),
            kind=draw(st.sampled_from(["practice", "review", "project", "assessment"])),
        )
        for j in range(n_act)
    )
    return Catalog(tuple(skills), activities)


@settings(max_examples=60, deadline=None)
@given(catalogs())
def test_catalog_round_trips_through_json(cat: Catalog) -> None:
    again = Catalog.from_dict(json.loads(json.dumps(cat.to_dict())))
    assert again == cat
    pos = {s: i for i, s in enumerate(again.topological_order)}
    assert len(pos) == len(cat.skills)
    assert all(pos[p] < pos[s.id] for s in cat.skills for p in s.prerequisites)


@settings(max_examples=60, deadline=None)
@given(
    student_id=ids,
    grade=st.none() | st.integers(0, 12),
    interests=st.dictionaries(ids, st.floats(0, 1), max_size=4),
    goals=st.lists(ids, max_size=3),
    minutes=st.floats(0, 600),
)
def test_learner_profile_round_trips_through_json(student_id, grade, interests, goals, minutes):
    prof = LearnerProfile(student_id, grade, interests, tuple(goals), ("engineering",), minutes)
    assert LearnerProfile.from_dict(json.loads(json.dumps(prof.to_dict()))) == prof


def test_catalog_ids_are_trimmed_as_a_logs_are() -> None:
    """A data scientist's trial: ASSISTments' skill 'Pattern Finding ' kept its trailing space
    in the catalog while the log's ids are trimmed, so 140 answers were not traced. A catalog's
    ids (and the ids they link to) are trimmed; one left empty, or two that become one, are
    errors."""
    cat = Catalog(
        skills=(Skill("Pattern Finding "), Skill(" b", prerequisites=("Pattern Finding",))),
        activities=(Activity(" a1 ", "A", (" b",)),),
    )
    assert cat.skill_index.tolist() == ["Pattern Finding", "b"]
    assert cat.activity_index.tolist() == ["a1"] and cat.activities[0].skills == ("b",)
    assert Catalog.from_dict(cat.to_dict()) == cat
    with pytest.raises(ConfigError, match=r"skills\[0\] \('x'\) and skills\[1\] \('x'\)"):
        Catalog(skills=(Skill("x"), Skill("x ")))
    with pytest.raises(ConfigError, match="expected a non-empty id"):
        Skill("  ")


def test_catalog_file_not_in_utf8_is_one_config_error_naming_file_and_line(tmp_path) -> None:
    """A district's trial: a catalog saved as Windows-1252 (a name with "½") raised
    `DataValidationError: 1 problem in the input`, where the docstring promises one
    `ConfigError` naming the file. It is a `ConfigError` now, with the line, the bytes and the
    way out."""
    path = tmp_path / "catalog.json"
    text = json.dumps(small_catalog().to_dict(), indent=1).replace("Fractions", "Fractions ½")
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(ConfigError) as info:
        Catalog.from_json(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line ") and "in the input" not in message
    assert "bytes bd" in message and "save it as UTF-8" in message


def test_topics_list_missing_an_activitys_topic_is_an_error_naming_activity_and_topic() -> None:
    """A district's trial: a "topics" list written from a template left out "space", which 46
    activities name; the catalog loaded, and `recommend` / `batch` then stopped with "internal
    error: KeyError: 'space'". It is one error naming the activity, its position and the topic."""
    listed = small_catalog().to_dict()
    listed["topics"] = ["art", "cooking", "music"]  # "sports" left out
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict(listed)
    message = str(info.value)
    assert message.startswith("activities[1] ('s1'): topic 'sports' is not in the catalog's")
    assert "'art', 'cooking', 'music'" in message and 'leave "topics" out' in message


def test_activity_topic_in_another_case_is_an_error_with_the_listed_topic() -> None:
    """An activity's topic written "Art " where the list has "art" loaded as a topic no
    interest matches, and crashed scoring (KeyError: 'Art '); now: did you mean 'art'?"""
    d = small_catalog().to_dict()
    d["activities"][3]["topics"] = ["cooking", "Art "]
    with pytest.raises(
        ConfigError, match=r"activities\[3\] \('p1'\): topic 'Art '.*did you mean 'art'"
    ):
        Catalog.from_dict(d)


def test_topics_written_as_one_string_is_refused_not_split_into_characters(tmp_path) -> None:
    """`"topics": "animals, art"` was read as the topics 'a', 'n', 'i', ... ; it is refused as
    an activity's topics string is: expected a list."""
    d = small_catalog().to_dict()
    d["topics"] = "art, cooking, music, sports"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as info:
        Catalog.from_json(path)
    assert str(info.value).startswith(f"{path}: not a valid catalog file (topics = 'art, cooking")
    assert "expected a list of topic names" in str(info.value)


def test_topics_list_may_name_more_topics_than_the_activities_and_may_be_left_out() -> None:
    d = small_catalog().to_dict()
    d["topics"] = ["sports", "art", "music", "cooking", "dinosaurs"]
    assert Catalog.from_dict(d).topics == ("sports", "art", "music", "cooking", "dinosaurs")
    del d["topics"]
    assert Catalog.from_dict(d).topics == ("art", "cooking", "music", "sports")
    with pytest.raises(ConfigError, match="'art' is listed twice"):
        Catalog(small_catalog().skills, small_catalog().activities, ("art", "cooking", "art"))


def test_duplicate_activity_id_names_both_positions() -> None:
    """A district's trial: "duplicate activity ids ['3.NS.A.1-practice1']" did not say which
    two of 632 rows, and the two differed in content; both positions are named now."""
    d = small_catalog().to_dict()
    d["activities"].append({**d["activities"][0], "title": "Add apples again"})
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict(d)
    assert str(info.value).startswith(
        "activities[0] ('a1') and activities[5] ('a1'): the activity id 'a1' is given twice"
    )


def test_unknown_prerequisite_and_skill_get_the_closest_catalog_id() -> None:
    """A dangling prerequisite '4.NF.B.3' (for '4.NF.B.3a') or '4.nf.b.3a' was named without a
    "did you mean", which the override and --student errors give."""
    skills = (Skill("4.NF.B.3a", grade=4), Skill("4.NF.A.4", prerequisites=("4.NF.B.3",)))
    with pytest.raises(ConfigError) as info:
        Catalog(skills)
    assert str(info.value) == (
        "skills[1] ('4.NF.A.4'): unknown prerequisites ['4.NF.B.3'] (did you mean '4.NF.B.3a'?); "
        "expected ids of the catalog's skills"
    )
    with pytest.raises(ConfigError, match=r"activities\[0\] \('x'\): unknown skills "
                       r"\['4.nf.b.3a'\] \(did you mean '4.NF.B.3a'\?\)"):  # fmt: skip
        Catalog(skills[:1], (Activity("x", "x", ("4.nf.b.3a",)),))


def test_every_problem_of_a_catalog_is_one_error_each_with_its_place(tmp_path) -> None:
    """A user trial: a catalog with a prerequisite 'M3.0A.2', an activity's skill 'm3.oa.2'
    and a topic 'Space' named only the first problem a run; fixing it showed the next. Log,
    roster and overrides checks list every problem at once: so does the catalog's reader."""
    d = {
        "skills": [
            {"id": "M3.OA.1"},
            {"id": "M3.OA.2", "prerequisites": ["M3.OA.1"]},
            {"id": "M3.OA.3", "prerequisites": ["M3.OA.1", "M3.0A.2"]},
        ],
        "activities": [
            {"id": "a1", "title": "A", "skills": ["m3.oa.2"], "topics": ["space"]},
            {"id": "a2", "title": "B", "skills": ["M3.OA.3"], "topics": ["Space"]},
        ],
        "topics": ["space", "music"],
    }
    path = tmp_path / "catalog typo.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as info:
        Catalog.from_json(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: not a valid catalog file, 3 problems:"
    assert lines[1] == (
        "  - skills[2] ('M3.OA.3'): unknown prerequisites ['M3.0A.2'] (did you mean "
        "'M3.OA.2'?); expected ids of the catalog's skills"
    )
    assert lines[2] == (
        "  - activities[0] ('a1'): unknown skills ['m3.oa.2'] (did you mean 'M3.OA.2'?); "
        "expected ids of the catalog's skills"
    )
    assert lines[3].startswith(
        "  - activities[1] ('a2'): topic 'Space' is not in the catalog's \"topics\" list (did "
        "you mean 'space'?)"
    )
    assert len(lines) == 4


def test_every_bad_record_of_a_catalog_is_named_at_once() -> None:
    d = small_catalog().to_dict()
    d["skills"][0]["grade"] = "third"
    d["activities"][2]["expected_minutes"] = 0
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict(d)
    said = str(info.value)
    assert said.startswith("2 problems:\n  - skills[0] ('add'): ")
    assert "\n  - activities[2] ('m1'): " in said and "expected_minutes 0" in said


def test_a_bad_record_and_the_links_and_topics_are_named_in_one_error() -> None:
    """A review: a bad record (a grade 'third') stopped the error before the links and topics
    were checked, so unknown prerequisites Z and Q came a run later; a topic listed twice was
    an error alone. Every problem is one error now, the links checked on the records that did
    read (each named by its place in the file; a link to a record that did not read is not
    called unknown)."""
    d = {
        "skills": [
            {"id": "A"},
            {"id": "B", "prerequisites": ["A"], "grade": "third"},
            {"id": "C", "prerequisites": ["Z"]},
            {"id": "D", "prerequisites": ["Q"]},
        ],
        "activities": [{"id": "a1", "title": "B", "skills": ["B"], "topics": ["art"]}],
        "topics": ["space", "space"],
    }
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict(d)
    lines = str(info.value).splitlines()
    assert lines[0] == "5 problems:"
    assert lines[1].startswith("  - skills[1] ('B'): ") and "third" in lines[1]
    assert lines[2].startswith("  - skills[2] ('C'): unknown prerequisites ['Z']")
    assert lines[3].startswith("  - skills[3] ('D'): unknown prerequisites ['Q']")
    assert lines[4] == "  - topics: 'space' is listed twice; expected each topic once"
    assert lines[5].startswith("  - activities[0] ('a1'): topic 'art' is not in the catalog's")
    assert len(lines) == 6


def test_ids_that_differ_only_in_case_are_a_note_naming_both(tmp_path) -> None:
    """'4.NF.B.3a' and '4.nf.b.3A' loaded as two skills without a word, while rosters treat
    'S0013' and 's0013' as one person; a catalog file with such ids is read (the Junyi map has
    two exercises so named) with a note naming both records."""
    d = small_catalog().to_dict()
    d["skills"].append({"id": "ADD", "name": "Addition again"})
    d["activities"].append({"id": "A1", "title": "Add apples", "skills": ["ADD"]})
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(d))
    with pytest.warns(DataNoteWarning) as notes:
        cat = Catalog.from_json(path)
    assert len(cat.skills) == 5
    said = [str(n.message) for n in notes]
    assert said[0].startswith(f"{path}: skills[0] ('add') and skills[4] ('ADD') are two skill")
    assert said[1].startswith(f"{path}: activities[0] ('a1') and activities[5] ('A1')")


def test_topics_that_differ_only_in_case_are_a_note_naming_both(tmp_path) -> None:
    """Activities tagged "Food" and "food" made two topics without a word (`Catalog.topics`
    ('Food', 'dinosaurs', 'food')), though a profile's interest "food" matches one only: the
    catalog file is read with a note naming both spellings, as for ids."""
    d = small_catalog().to_dict()
    del d["topics"]  # no list: the activities' topics, sorted
    d["activities"][0]["topics"] = ["Food"]
    d["activities"][3]["topics"] = ["food", "dinosaurs"]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(d))
    with pytest.warns(DataNoteWarning) as notes:
        cat = Catalog.from_json(path)
    assert cat.topics == ("Food", "dinosaurs", "food", "music", "sports")
    [note] = [str(n.message) for n in notes]
    first, fourth = d["activities"][0]["id"], d["activities"][3]["id"]
    assert note == (
        f"{path}: topics 'Food' (of activities[0] ({first!r})) and 'food' (of activities[3] "
        f"({fourth!r})) differ only in case: a profile's interest matches exactly one of them "
        "as written; if they are one topic, write it one way"
    )


def test_difficulties_on_a_level_scale_are_a_note_saying_the_scale(tmp_path) -> None:
    """A district's trial: an item bank's difficulty levels 1-5 were read as logit shifts
    without a word, and every activity became "hard" (a student's predicted 36% on one fell to
    7%). A catalog file whose difficulties read as levels is read with a note saying the scale."""
    d = small_catalog().to_dict()
    for level, activity in enumerate(d["activities"], start=1):
        activity["difficulty"] = level
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(d))
    with pytest.warns(DataNoteWarning) as notes:
        Catalog.from_json(path)
    [note] = [str(n.message) for n in notes]
    assert note.startswith(f"{path}: every activity's difficulty is a whole number from 1 to 5")
    assert "logit shift around 0" in note and "the level minus 3 (-2 to 2)" in note
    small_catalog().to_json(path)  # logits around 0: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Catalog.from_json(path)


def test_numeric_ids_in_a_catalog_file_are_read_as_text() -> None:
    """`"id": 12` in a catalog's JSON was `ConfigError: ... id = 12 (expected a non-empty id)`,
    though ids are text and `Response(123, ...)` reads 123 as "123": a whole number given for a
    skill, activity or prerequisite id is now read as its text; a bool or a float stays refused."""
    import pytest

    from adaptive.curriculum import Catalog
    from adaptive.errors import ConfigError

    d = {
        "skills": [{"id": 11, "name": "Counting"}, {"id": 12, "prerequisites": [11]}],
        "activities": [{"id": 7, "title": "Count on", "skills": [12, "11"]}],
    }
    cat = Catalog.from_dict(d)
    assert list(cat.skill_index) == ["11", "12"]
    assert cat.skills[1].prerequisites == ("11",)
    assert cat.activities[0].id == "7" and cat.activities[0].skills == ("12", "11")
    for bad in (True, 12.5):
        with pytest.raises(ConfigError, match="expected a non-empty id"):
            Catalog.from_dict({**d, "skills": [{"id": bad}, *d["skills"]]})


def test_a_numeric_id_that_did_not_read_is_not_called_unknown_and_a_repeated_topic_is_said_once():
    """A re-read: a skill written `{"id": 5, "grade": "third"}` failed to read and the link "5"
    to it was then called unknown (the ids that did not read were gathered as text only); a
    topic listed three times was two identical lines."""
    d = {
        "skills": [{"id": 5, "grade": "third"}, {"id": "B", "prerequisites": ["5"]}],
        "activities": [{"id": "a", "title": "A", "skills": ["B"], "topics": ["s"]}],
        "topics": ["s", "s", "s"],
    }
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict(d)
    said = str(info.value)
    assert said.startswith("2 problems:\n  - skills[0] (5): grade = 'third'")
    assert "'5'" not in said.split("\n", 2)[2]  # no unknown link to the record that failed
    assert said.count("'s' is listed 3 times") == 1
