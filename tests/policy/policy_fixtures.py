"""Hand-made policy inputs shared by tests/policy and tests/reports: a small catalog (a chain
add -> sub -> mul -> div plus a side skill `geo`) and one-student views; a chain of grades
(`GRADE_CHAIN`, 2 -> 4) with a grade-4 student's placement on it (`GRADE_4_PLACED`)."""

from __future__ import annotations

import numpy as np

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.policy import StudentView

SKILLS = ("add", "sub", "mul", "div", "geo")


def make_catalog() -> Catalog:
    skills = (
        Skill("add", "Addition"),
        Skill("sub", "Subtraction", ("add",)),
        Skill("mul", "Multiplication", ("add",)),
        Skill("div", "Division", ("mul", "sub")),
        Skill("geo", "Shapes"),
    )
    topics = {
        "add": ("sports",),
        "sub": ("music",),
        "mul": ("space",),
        "div": ("space", "money"),
        "geo": ("art",),
    }
    acts = []
    for s in skills:
        for j, d in enumerate((-1.0, 0.0, 1.0, 2.0)):
            acts.append(
                Activity(
                    f"{s.id}-{j}",
                    f"{s.name} {j}",
                    (s.id,),
                    difficulty=d,
                    topics=topics[s.id],
                    expected_minutes=5.0 + j,
                    grade=3 + (s.id == "div"),
                )
            )
    acts.append(
        Activity(
            "mix-0", "Mixed practice", ("add", "sub"), topics=("sports",), expected_minutes=8.0
        )
    )
    acts.append(
        Activity("rev-add", "Addition review", ("add",), kind="review", expected_minutes=4.0)
    )
    return Catalog(skills=skills, activities=tuple(acts))


def view(
    mastery: dict[str, float] | None = None,
    n: dict[str, int] | None = None,
    sid: str = "s1",
    **kwargs,
) -> StudentView:
    """A one-student view with mastery / responses given by skill id (others 0)."""
    m = np.array([(mastery or {}).get(s, 0.1) for s in SKILLS])
    counts = np.array([(n or {}).get(s, 0) for s in SKILLS], dtype=np.int32)
    profile = kwargs.pop("profile", LearnerProfile(sid, grade=3, weekly_minutes=150.0))
    return StudentView(sid, profile, m, n_responses=counts, **kwargs)


#: A chain across grades: Two A -> Three A -> Three B -> Four A -> Four B, one practice each.
GRADE_CHAIN_SKILLS = (
    Skill("g2.a", "Two A", grade=2),
    Skill("g3.a", "Three A", ("g2.a",), grade=3),
    Skill("g3.b", "Three B", ("g3.a",), grade=3),
    Skill("g4.a", "Four A", ("g3.b",), grade=4),
    Skill("g4.b", "Four B", ("g4.a",), grade=4),
)
GRADE_CHAIN = Catalog(
    GRADE_CHAIN_SKILLS,
    tuple(
        Activity(f"{s.id}.p", s.name, (s.id,), topics=("numbers",), grade=s.grade)
        for s in GRADE_CHAIN_SKILLS
    ),
    topics=("numbers",),
)
#: a grade-4 student as the grade placement starts them: earlier grades known, their own not
GRADE_4_PLACED = {"g2.a": 0.9, "g3.a": 0.88, "g3.b": 0.88, "g4.a": 0.3, "g4.b": 0.1}
