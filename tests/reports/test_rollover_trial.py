"""A district data steward's trial at a catalog version change (each test failed before its
fix): the report read earlier nights' mastery by position with today's catalog, so a skill
removed and one added (the same count) shifted every student's history by a skill without a
word, and a skill added (another count) ended every later report in an internal error."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.reports.site import ReportInputError, build_site
from adaptive.reports.site.data import night_layout, read_mastery


def next_version(old: Catalog, *, add: int, remove: int) -> Catalog:
    """The catalog with its last `remove` skills nobody builds on removed (their activities
    retired) and `add` new skills on the first skill appended."""
    needed = {p for s in old.skills for p in s.prerequisites}
    gone = {s.id for s in old.skills if s.id not in needed}
    gone = set(sorted(gone)[-remove:]) if remove else set()
    first = old.skills[0]
    new = [Skill(f"new.{i}", f"New skill {i}", (first.id,), grade=first.grade) for i in range(add)]
    skills = (*(s for s in old.skills if s.id not in gone), *new)
    acts = (
        *(a for a in old.activities if not set(a.skills) & gone),
        *(Activity(f"{s.id}.practice", s.name, (s.id,), grade=s.grade) for s in new),
    )
    return Catalog(skills, acts, topics=old.topics)


@pytest.mark.parametrize("add, remove", [(1, 1), (2, 0)], ids=["same-count", "one-more"])
def test_a_report_after_a_catalog_change_reads_earlier_nights_by_skill(
    report_district, tmp_path, add, remove
):
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    old = Catalog.from_json(d.catalog)
    new = next_version(old, add=add, remove=remove)
    path = tmp_path / "catalog_v2.json"
    new.to_json(path)
    day2 = (pd.Timestamp(d.day) + pd.Timedelta(days=7)).strftime("%Y-%m-%d")
    with pytest.warns(UserWarning):
        run_daily_job(day2, batch, **d.job_args(catalog=path))

    layout = night_layout(batch, d.day, new)
    kept = [s.id for s in new.skills if s.id in old.skill_index]
    students = pd.read_parquet(batch / "students" / f"date={d.day}")
    school = str(students["school_id"].iloc[0])
    ids = students.loc[students["school_id"] == school, "student_id"].to_numpy(dtype=object)
    then = read_mastery(batch, d.day, school, ids, layout)
    assert then.shape == (len(ids), len(new.skills))
    first = students.set_index("student_id").loc[ids[0], "mastery"]
    for skill in kept[-3:]:  # read by id: the value the first night wrote for that skill
        assert then[0, new.skill_index.get_loc(skill)] == pytest.approx(
            first[old.skill_index.get_loc(skill)]
        )
    assert np.isnan(then[:, new.skill_index.get_loc("new.0")]).all()  # not in that catalog

    build_site(batch, day2, tmp_path / "site", catalog=path, profiles=d.profiles)
    with pytest.raises(ReportInputError, match=f"the night {day2} .* another catalog"):
        build_site(batch, day2, tmp_path / "old", catalog=d.catalog, profiles=d.profiles)
