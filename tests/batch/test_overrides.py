"""Teacher overrides files: read and checked against the catalog and profiles, clear errors,
applied through the per-school batch fields."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adaptive.batch.overrides import OverridesError, read_overrides
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill

CATALOG = Catalog(
    [Skill("s1", "one", grade=3), Skill("s2", "two", grade=4)],
    [Activity("a1", "A1", ("s1",), grade=3), Activity("a2", "A2", ("s2",), grade=4),
     Activity("a3", "A3", ("s2",), grade=4)],
)  # fmt: skip
PROFILES = {
    "st1": LearnerProfile("st1", grade=4, class_id="c1"),
    "st2": LearnerProfile("st2", grade=4, class_id="c1"),
    "st3": LearnerProfile("st3", grade=3, class_id="c2"),
}


def write(tmp_path, students: dict, name: str = "o.json", **top) -> object:
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": "c1", "students": students}
    doc.update(top)
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_read_and_batch_fields(tmp_path):
    path = write(
        tmp_path,
        {"st1": {"assigned": ["a3", "a1"], "excluded": ["a2"], "mode": "accelerate"},
         "st2": {"mode": "remediate"}},
    )  # fmt: skip
    got = read_overrides(path, CATALOG, PROFILES)
    assert got.students["st1"].assigned == ("a3", "a1") and got.students["st2"].mode == "remediate"
    fields = got.batch_fields(CATALOG, PROFILES, ["st0", "st1", "st2"])
    assert fields["assigned"].toarray().tolist()[1] == [2.0, 0.0, 1.0]  # 1-based order
    assert fields["excluded"].toarray().tolist()[1] == [0.0, 1.0, 0.0]
    np.testing.assert_array_equal(fields["min_grade"], [np.nan, 4, 2])
    np.testing.assert_array_equal(fields["max_grade"], [np.nan, 5, 4])
    assert got.batch_fields(CATALOG, PROFILES, ["st3"]) == {}
    assert read_overrides(tmp_path, CATALOG, PROFILES) == got  # a folder of files
    assert got.sha256 == read_overrides(path, CATALOG, PROFILES).sha256


@pytest.mark.parametrize(
    ("students", "top", "message"),
    [
        ({"nobody": {}}, {}, "field students.nobody: got 'nobody'; expected a student of the"),
        ({"st3": {}}, {}, "expected a student of class 'c1' (this one is in 'c2')"),
        (
            {"st1": {"assigned": ["a1", "zz"]}},
            {},
            "field students.st1.assigned[1]: got 'zz'; expected an activity id",
        ),
        (
            {"st1": {"mode": "faster"}},
            {},
            "field students.st1.mode: got 'faster'; expected null or one of",
        ),
        ({"st1": {"colour": 1}}, {}, "got ['colour']; expected an object with keys assigned"),
        ({}, {"format": "x"}, "field format: got 'x'; expected 'adaptive-overrides'"),
        ({}, {"version": 2}, "field version: got 2; expected 1"),
    ],
)
def test_errors_name_file_line_field_value_and_expectation(tmp_path, students, top, message):
    path = write(tmp_path, students, **top)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    if students:
        assert ", line " in str(err.value)


def test_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "adaptive-overrides",\n "students": {,}}')
    with pytest.raises(OverridesError, match=r"bad.json, line 2, column 15: not JSON"):
        read_overrides(path, CATALOG, PROFILES)


def test_a_student_in_two_files_is_an_error(tmp_path):
    write(tmp_path, {"st1": {}}, "a.json")
    write(tmp_path, {"st1": {"mode": "remediate"}}, "b.json")
    with pytest.raises(OverridesError, match=r"b.json: student 'st1' is also in .*a.json"):
        read_overrides(tmp_path, CATALOG, PROFILES)


def test_batch_command_exits_2_on_a_bad_overrides_file(district, tmp_path, capsys):
    path = write(tmp_path, {"nobody": {}}, class_id=None)
    code = run(["batch", "--date", district.last_day, "--out", str(tmp_path / "out"),
                "--data", str(district.responses), "--catalog", str(district.catalog),
                "--profiles", str(district.profiles), "--name", district.model,
                "--tracking-uri", district.uri, "--overrides", str(path), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "students.nobody" in err and "Traceback" not in err


def test_record_is_written_and_removed_by_a_run_without_overrides(tmp_path):
    from adaptive.batch.overrides import applied_overrides, overrides_path, record_overrides

    got = read_overrides(write(tmp_path, {"st1": {"excluded": ["a2"]}}), CATALOG, PROFILES)
    record_overrides(tmp_path / "out", "2027-02-20", got)
    assert applied_overrides(tmp_path / "out", "2027-02-20") == got.students
    record_overrides(tmp_path / "out", "2027-02-20", None)
    assert not overrides_path(tmp_path / "out", "2027-02-20").exists()
    assert applied_overrides(tmp_path / "out", "2027-02-20") == {}


def test_forked_workers_apply_the_overrides_as_one_process_does(district, tmp_path):
    """Two schools served by forked workers get the night's overrides (through `Night`)."""
    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    by_school: dict[str, str] = {}
    for sid, p in sorted(profiles.items()):
        by_school.setdefault(p.school_id, sid)
    assert len(by_school) >= 2
    first = run_daily_job(district.last_day, tmp_path / "plain", **district.job_args(workers=1))
    recs = pd.read_parquet(first.out / "recommendations" / f"date={district.last_day}")
    top = recs[recs["rank"] == 1].set_index("student_id")["activity_id"]
    docs = {sid: {"excluded": [top[sid]]} for sid in by_school.values() if sid in top.index}
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"format": "adaptive-overrides", "version": 1, "students": docs}))
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_daily_job(district.last_day, out, **district.job_args(workers=workers, overrides=path))
        outs[workers] = pd.read_parquet(out / "recommendations" / f"date={district.last_day}")
    pd.testing.assert_frame_equal(outs[1], outs[2])
    for sid, doc in docs.items():
        assert doc["excluded"][0] not in set(
            outs[2].loc[outs[2]["student_id"] == sid, "activity_id"]
        )
