"""Hand-made policy inputs shared by tests/policy and tests/reports: a small catalog (a chain
add -> sub -> mul -> div plus a side skill `geo`) and one-student views."""

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
