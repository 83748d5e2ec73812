"""A catalog skill with no activity of its own (a vendor's trial, `cat_no_acts.json`).

`adaptive validate --catalog` passed it without a word (exit 0), and the placement diagnostic
then asked it: `q.activity is None`, nothing for the vendor's app to show. The diagnostic now
asks only skills it can show, and infers the others; validate warns of them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from diagnostic_fixtures import grades_catalog

from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import PlacementWarning
from adaptive.placement import PlacementDiagnostic
from adaptive.placement.diagnostic import DiagnosticError

SHOWLESS = ("g4.a2", "g5.b1")


def catalog_without(skills: tuple[str, ...] = SHOWLESS) -> Catalog:
    """The fixture catalog, less the activities of `skills` (one keeps a two-skill one)."""
    full = grades_catalog()
    kept = tuple(a for a in full.activities if a.skills[0] not in skills)
    both = Activity("pair@0", "pair", ("g5.b1", "g5.b2"))
    return dataclasses.replace(full, activities=(*kept, both))


def test_the_diagnostic_never_asks_a_skill_it_cannot_show() -> None:
    catalog = catalog_without()
    with pytest.warns(PlacementWarning, match=r"2 skills of the catalog have no activity of "
                      r"their own to ask them with \(g4.a2, g5.b1\): never asked"):  # fmt: skip
        diag = PlacementDiagnostic(catalog, [LearnerProfile("s", grade=4)], max_questions=60)
    session = diag.start("s")
    asked = []
    while (q := session.next_question()) is not None:
        assert q.activity is not None, q
        asked.append(q.skill)
        session.answer(1, question=q.skill)
    assert not set(SHOWLESS) & set(asked)
    assert len(asked) == len(catalog.skills) - len(SHOWLESS)  # done: every other skill asked
    placed = session.placement()
    assert np.isfinite(placed.mastery).all() and set(SHOWLESS) <= set(placed.skills)


def test_a_catalog_of_skills_alone_is_asked_by_skill_id() -> None:
    """A map without activities (a simulation) is asked as before: every skill, by its id."""
    catalog = Catalog(tuple(Skill(f"s{i}", grade=3) for i in range(3)))
    session = PlacementDiagnostic(catalog, [LearnerProfile("s", grade=3)]).start("s")
    assert session.next_question() is not None


def test_validate_warns_of_skills_without_an_activity(tmp_path, capsys) -> None:
    path = tmp_path / "catalog.json"
    catalog_without().to_json(path)
    assert run(["validate", "--catalog", str(path)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "1 skill has no activity: 'g4.a2'" in err, err
    assert "1 skill has only activities of several skills: 'g5.b1'" in err, err
    assert "The placement diagnostic does not ask them" in err, err


def test_a_catalog_of_multi_skill_activities_only_asks_nothing_it_cannot_show() -> None:
    """A review: with activities that each practise several skills, the diagnostic fell back
    to asking every skill by id (`Question.activity` None), while `validate` said none would
    be asked. Only a catalog without any activity asks skills by id."""
    skills = (Skill("a", grade=3), Skill("b", ("a",), grade=3), Skill("c", ("b",), grade=4))
    pairs = (Activity("ab", "ab", ("a", "b")), Activity("bc", "bc", ("b", "c")))
    with pytest.warns(PlacementWarning, match="3 skills of the catalog have no activity"):
        diag = PlacementDiagnostic(Catalog(skills, pairs), [LearnerProfile("s", grade=3)])
    assert diag.start("s").next_question() is None  # nothing to show: placed from the grade
    bare = PlacementDiagnostic(Catalog(skills), [LearnerProfile("s", grade=3)])
    question = bare.start("s").next_question()
    assert question is not None and question.activity is None  # a map of skills alone


def test_a_pending_question_the_catalog_cannot_show_is_refused_on_resume() -> None:
    """A review: a session saved with a question pending, resumed on a catalog whose skill has
    lost its activity, would pend a question with nothing to show."""
    profiles = [LearnerProfile("s", grade=4)]
    full = PlacementDiagnostic(grades_catalog(), profiles, max_questions=10)
    session = full.start("s")
    shown = session.next_question()
    saved = session.to_dict()
    with pytest.warns(PlacementWarning):
        fewer = PlacementDiagnostic(catalog_without((shown.skill,)), profiles, max_questions=10)
    with pytest.raises(DiagnosticError, match="has no activity of its own"):
        fewer.resume(**saved)
