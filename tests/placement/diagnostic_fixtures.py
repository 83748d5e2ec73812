"""A small graded catalog the diagnostic's trial tests share."""

from __future__ import annotations

from adaptive.curriculum import Activity, Catalog, Skill

GRADES = range(3, 9)


def grades_catalog() -> Catalog:
    """Grades 3-8, two strands a grade (a chain of four skills each, on from the previous
    grade's), plus one skill without a grade."""
    skills = []
    for g in GRADES:
        for strand in "ab":
            for k in range(1, 5):
                pre = (f"g{g}.{strand}{k - 1}",) if k > 1 else ()
                if k == 1 and g > GRADES[0]:
                    pre = (f"g{g - 1}.{strand}4",)
                skills.append(Skill(f"g{g}.{strand}{k}", prerequisites=pre, grade=g))
    skills.append(Skill("free"))
    activities = tuple(Activity(f"{s.id}@0", s.id, (s.id,)) for s in skills)
    return Catalog(tuple(skills), activities)


def grade_of(skill: str) -> int:
    return int(skill.split(".")[0][1:])
