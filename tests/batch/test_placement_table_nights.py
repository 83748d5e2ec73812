"""A `--placement` table across nights, as the vendor trial of stop 38 used it: a table given
after the first night, a table left off later, and rows whose student no roster names."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.job import read_profiles
from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError, DataValidationError, NightWarning, PlacementWarning

DAY_1, DAY_2, DAY_3 = "2026-09-28", "2026-10-05", "2026-10-06"


def served(out, table: str, day: str) -> pd.DataFrame:
    return pd.read_parquet(out / table / f"date={day}")


def table_for(district, tmp_path, extra_ids=()) -> tuple[list[str], str]:
    """last_year.csv: 5 students who have answered, 0.99 on the catalog's last skill the model
    traces (one it lacks would place nobody, and is said: a `PlacementWarning`)."""
    import adaptive

    profiles = read_profiles(district.profiles)
    ids = sorted(s for s in district.log.students if s in profiles)[:5]
    model = adaptive.load_champion(district.model, tracking_uri=district.uri)
    trained = set(map(str, model.skills_))
    skill = [s.id for s in Catalog.from_json(district.catalog).skills if s.id in trained][-1]
    rows = [*ids, *extra_ids]
    pd.DataFrame({"student_id": rows, "skill_id": skill, "mastery": 0.99}).to_csv(
        tmp_path / "last_year.csv", index=False
    )
    return ids, skill


def mastery_of(out, day: str, ids: list[str]) -> np.ndarray:
    """(students, skills) the night's mastery of these students."""
    students = served(out, "students", day).set_index("student_id")
    return np.stack(students.loc[ids, "mastery"].to_numpy())


def rebuilt_as_recompute(summary, district, out, ids: list[str], reason: str, **args) -> None:
    """The night `summary` rebuilt its state for `reason` and equals a recompute of DAY_2 with
    the same `args` (run into a fresh folder beside `out`)."""
    assert summary.state_rebuilt
    assert summary.rebuild_reason == f"{reason} than the last snapshot's"
    full = out.parent / f"{out.name}-recompute"
    run_daily_job(DAY_2, full, **district.job_args(**args))
    np.testing.assert_array_equal(mastery_of(out, DAY_2, ids), mastery_of(full, DAY_2, ids))


def test_a_table_given_after_the_first_night_places_its_students_as_a_recompute(district, tmp_path):
    """The table given on the second night changed nothing for students the state already held
    (placed on the first night from their grade), while their recommendations said "placed from
    last_year.csv". Now another table than the snapshot's rebuilds the tracer state, so the
    night equals a recompute with the table."""
    ids, _ = table_for(district, tmp_path)
    table = tmp_path / "last_year.csv"
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    summary = run_daily_job(DAY_2, out, **district.job_args(placement=table))
    rebuilt_as_recompute(summary, district, out, ids, "another placement table", placement=table)
    without = tmp_path / "without"
    run_daily_job(DAY_2, without, **district.job_args())
    differs = mastery_of(out, DAY_2, ids) != mastery_of(without, DAY_2, ids)
    assert differs.any()  # the table placed its students (one who answered the skill often
    # may end where the answers put them either way)
    # the same table the next night: the snapshot is reused
    again = run_daily_job(DAY_3, out, **district.job_args(placement=table))
    assert not again.state_rebuilt


def test_a_night_without_the_snapshots_table_says_so(district, tmp_path):
    table_for(district, tmp_path)
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args(placement=tmp_path / "last_year.csv"))
    with pytest.warns(NightWarning, match="placed from a --placement table that this night"):
        summary = run_daily_job(DAY_2, out, **district.job_args())
    assert not summary.state_rebuilt  # the placements are kept


def test_a_night_without_the_snapshots_table_keeps_its_students_reasons(district, tmp_path):
    """The warning says the table's students "keep that placement (and their reasons still
    name it)", but a trial found the reason '' for every student with answers on the night
    not given the table. Now they keep the table's words; students placed from their grade
    who have answered still say nothing of it."""
    ids, _ = table_for(district, tmp_path)
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args(placement=tmp_path / "last_year.csv"))
    with pytest.warns(NightWarning):
        run_daily_job(DAY_2, out, **district.job_args())
    for table in ("recommendations", "students"):
        night = served(out, table, DAY_2).drop_duplicates("student_id").set_index("student_id")
        assert set(night.loc[ids, "placement"]) == {"placed from last_year.csv"}, table
        answered = [s for s in district.log.students if s in night.index and s not in ids]
        assert set(night.loc[answered, "placement"]) == {""}, table


def test_rows_of_students_on_no_roster_are_counted(district, tmp_path):
    """A table row for 'NEW0001' (the roster says 'NEW001') placed nobody, without a word."""
    table_for(district, tmp_path, extra_ids=("NEW0001", "NEW0002"))
    with pytest.warns(PlacementWarning, match="2 of its 7 students are in no profile"):
        run_daily_job(
            DAY_1, tmp_path / "out", **district.job_args(placement=tmp_path / "last_year.csv")
        )
    table_for(district, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        run_daily_job(
            DAY_1, tmp_path / "ok", **district.job_args(placement=tmp_path / "last_year.csv")
        )


def test_a_table_of_none_of_the_nights_students_is_refused(district, tmp_path):
    """Another term's table (none of its students on the roster or in the log) was a warning
    and the night ran as if it placed its students: refused, as a header-only table is."""
    table_for(district, tmp_path)
    table = tmp_path / "last_year.csv"
    frame = pd.read_csv(table, dtype=str)
    frame.assign(student_id="X" + frame["student_id"]).to_csv(table, index=False)
    with pytest.raises(ConfigError, match="none of its 5 students is in a profile"):
        run_daily_job(DAY_1, tmp_path / "out", **district.job_args(placement=table))
    assert not list((tmp_path / "out").rglob("*.parquet"))


def test_the_policys_grade_table_places_the_nights_students(district, tmp_path):
    """A district's `[grade_table]` in its policy file: the night placed every student from the
    default table whatever it said. Now its students start from it; another table on a later night rebuilds the state, as a recompute
    with it would place them; the same table again reuses the snapshot."""
    from adaptive.policy import PolicyConfig

    high = PolicyConfig.default().with_(grade_table={"-1": 0.99, "0": 0.9, "1": 0.5})
    low = PolicyConfig.default().with_(grade_table={"-1": 0.3, "0": 0.05, "1": 0.01})
    out, default_out = tmp_path / "out", tmp_path / "default"
    run_daily_job(DAY_1, out, **district.job_args(policy_config=high))
    run_daily_job(DAY_1, default_out, **district.job_args())
    students = served(out, "students", DAY_1).set_index("student_id")
    ids = students.index[:50].tolist()
    assert mastery_of(out, DAY_1, ids).mean() > mastery_of(default_out, DAY_1, ids).mean() + 0.1
    with pytest.warns(NightWarning, match="is not the one the snapshot"):
        summary = run_daily_job(DAY_2, out, **district.job_args(policy_config=low))
    rebuilt_as_recompute(summary, district, out, ids, "another grade table", policy_config=low)
    again = run_daily_job(DAY_3, out, **district.job_args(policy_config=low))
    assert not again.state_rebuilt


def test_a_new_years_first_night_is_served_from_last_years_mastery_before_any_answer(
    district, tmp_path
):
    """A data steward's trial: the new year's export held no answer yet (a header-only Parquet
    file) and was refused as "no rows", so day one could not be served from last year's
    mastery alone (a header-only CSV could). It is served, from the placement, and said."""
    ids, skill = table_for(district, tmp_path)
    empty = tmp_path / "new_year.parquet"
    district.log.frame.iloc[:0].to_parquet(empty)
    with pytest.warns(NightWarning, match="holds no responses: every student is served from"):
        summary = run_daily_job(
            DAY_1, tmp_path / "out",
            **district.job_args(data=empty, placement=tmp_path / "last_year.csv"),
        )  # fmt: skip
    assert summary.students_served == len(read_profiles(district.profiles))
    placed = served(tmp_path / "out", "recommendations", DAY_1)
    assert set(placed.loc[placed["student_id"].isin(ids), "placement"]) == {
        "placed from last_year.csv"
    }


def test_a_rerun_with_another_table_names_both_files(district, tmp_path):
    """A re-run of a night with another placement table named only two sha256 prefixes,
    though the files were known, and its summary said "first night (no earlier snapshot)"
    of a night served before. Now the warning names both files (with their sha256s) and the
    summary says it is a re-run."""
    table_for(district, tmp_path)
    other = tmp_path / "diagnostic.csv"
    pd.read_csv(tmp_path / "last_year.csv").assign(mastery=0.5).to_csv(other, index=False)
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args(placement=tmp_path / "last_year.csv"))
    with pytest.warns(NightWarning) as said:
        summary = run_daily_job(DAY_1, out, **district.job_args(placement=other))
    text = " ".join(str(w.message) for w in said)
    assert "served with placement table last_year.csv (sha256 " in text
    assert "serves it with placement table diagnostic.csv (sha256 " in text
    assert summary.rebuild_reason == "no snapshot before this night (a re-run of it)"


def test_a_night_reads_last_years_codes_through_the_placement_skill_map(district, tmp_path, capsys):
    """The trial's vendor export named last year's codes and a retired skill, and every night
    refused it whole. `batch --placement-skill-map` reads it as this catalog's skills: the
    night places its students as one given the table in this year's codes; the retired rows
    are counted; another map is another night's fingerprint."""
    from adaptive.cli import run
    from adaptive.placement.table import SkillMap, placement_sha256

    ids, skill = table_for(district, tmp_path)
    run_daily_job(
        DAY_1, tmp_path / "new", **district.job_args(placement=tmp_path / "last_year.csv")
    )
    old = tmp_path / "old" / "last_year.csv"
    old.parent.mkdir()
    rows = pd.read_csv(tmp_path / "last_year.csv").replace({"skill_id": {skill: "OLD.1"}})
    pd.concat([rows, rows.assign(skill_id="RETIRED.9")]).to_csv(old, index=False)
    skill_map = tmp_path / "renames.csv"
    skill_map.write_text(f"code,skill_id\nOLD.1,{skill}\nRETIRED.9,\n")
    argv = ["batch", "--date", DAY_1, "--out", str(tmp_path / "out"), "--name", district.model,
            "--data", str(district.responses), "--catalog", str(district.catalog), "--profiles",
            str(district.profiles), "--tracking-uri", district.uri, "--workers", "1", "--quiet",
            "--placement", str(old), "--placement-skill-map", str(skill_map)]  # fmt: skip
    assert run(argv) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "5 rows of 1 retired skill (RETIRED.9) left out" in said, said
    np.testing.assert_array_equal(
        mastery_of(tmp_path / "out", DAY_1, ids), mastery_of(tmp_path / "new", DAY_1, ids)
    )
    placed = served(tmp_path / "out", "recommendations", DAY_1)
    assert set(placed.loc[placed["student_id"].isin(ids), "placement"]) == {
        "placed from last_year.csv"
    }
    # another map reads the table another way: another night's fingerprint
    assert placement_sha256(old, None, SkillMap({"OLD.1": skill})) != placement_sha256(
        old, None, SkillMap({"OLD.1": skill, "RETIRED.9": None})
    )
    # without the map the night is refused, and says how to map the code
    with pytest.raises(DataValidationError, match="OLD.1.*map it with placement_skill_map=MAP\\)"):
        run_daily_job(DAY_1, tmp_path / "nomap", **district.job_args(placement=old))


def test_rows_of_students_on_no_roster_may_be_students_who_left():
    """A placement trial: last year's table held 8 students who left the district; the warning
    suggested only "ids written otherwise, e.g. a leading zero lost?"."""
    from adaptive.batch.night_checks import check_placed_on_roster

    with pytest.warns(PlacementWarning) as said:
        check_placed_on_roster(8, 308, "last_year.csv")
    assert str(said[0].message) == (
        "last_year.csv: 8 of its 308 students are in no profile and have no answer in the log: "
        "their rows place nobody (students who left the district, not on this year's roster? or "
        "ids written otherwise than in the roster, e.g. a leading zero lost?)"
    )


def test_rows_of_roster_students_whose_ids_lost_their_zeros_are_counted_apart():
    """A start-of-year trial: 24 roster students whose ids lost their zeros in the export were
    counted among 560 who left, and placed from their grade without a word of their own."""
    from adaptive.batch.night_checks import warn_placed_off_roster
    from adaptive.placement import Placement

    table = Placement(("410", "411", "999", "000500"), ("k",), np.full((4, 1), 0.5),
                      ("placed from x",) * 4)  # fmt: skip
    profiles = {"000410": object(), "000411": object(), "000500": object()}
    with pytest.warns(PlacementWarning) as said:
        assert warn_placed_off_roster(table, profiles, [], "last_year.csv") == 3
    text = str(said[0].message)
    assert "3 of its 4 students are in no profile" in text
    assert "; 2 of them are a profile's id once leading zeros or case are restored" in text
    assert "000410" not in text and "'410'" not in text


def test_a_night_leaves_out_blank_and_identical_placement_rows_when_asked(
    district, tmp_path, capsys
):
    """A vendor export with blanks and a double export refused every night, with no way
    through but hand-editing. `batch --placement-quarantine` leaves those rows out, counted and
    written aside, and places the students as the clean table does; without it the night is
    refused, naming the flag; a Placement in memory takes no such flag."""
    from adaptive.cli import run

    ids, skill = table_for(district, tmp_path)
    clean = tmp_path / "last_year.csv"
    run_daily_job(DAY_1, tmp_path / "new", **district.job_args(placement=clean))
    rows = pd.read_csv(clean, dtype=str)
    gaps = tmp_path / "gaps" / "last_year.csv"
    gaps.parent.mkdir()
    pd.concat([rows, rows.head(2), rows.head(1).assign(skill_id=skill, mastery="")]).to_csv(
        gaps, index=False
    )
    with pytest.raises(DataValidationError, match="placement_drop_blank_and_identical=True;"):
        run_daily_job(DAY_1, tmp_path / "refused", **district.job_args(placement=gaps))
    quarantine = tmp_path / "rejected.csv"
    argv = ["batch", "--date", DAY_1, "--out", str(tmp_path / "out"), "--name", district.model,
            "--data", str(district.responses), "--catalog", str(district.catalog), "--profiles",
            str(district.profiles), "--tracking-uri", district.uri, "--workers", "1", "--quiet",
            "--placement", str(gaps), "--placement-quarantine", str(quarantine)]  # fmt: skip
    assert run(argv) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "3 rows left out, as asked with --placement-drop-blank-and-identical:" in said, said
    assert "drop_blank_and_identical" not in said, said  # the command's words alone (trial 53)
    assert len(pd.read_csv(quarantine)) == 3
    np.testing.assert_array_equal(
        mastery_of(tmp_path / "out", DAY_1, ids), mastery_of(tmp_path / "new", DAY_1, ids)
    )
    with pytest.raises(
        ConfigError,
        match=r"^placement_drop_blank_and_identical=True is for reading a placement file given "
        r"as placement=: pass the file too$",
    ):
        run_daily_job(DAY_1, tmp_path / "mem", **district.job_args(
            placement=None, placement_drop_blank_and_identical=True))  # fmt: skip


def test_a_night_refuses_a_quarantine_path_among_its_inputs_before_any_work(
    district, tmp_path, capsys
):
    """`batch --district D --placement-quarantine D/responses.parquet` replaced the district's
    whole response history with a 26-line CSV, then advised renaming it responses.csv. Now a
    quarantine inside the district folder, the night's output or any input file (in Python:
    `quarantine=` or `placement_quarantine=` naming one), or the two quarantines at one
    path, is one error and nothing is written."""
    from adaptive.cli import run
    from adaptive.errors import AdaptiveError

    folder = district.responses.parent
    before = district.responses.read_bytes()
    argv = ["batch", "--date", DAY_1, "--out", str(tmp_path / "out"), "--name", district.model,
            "--district", str(folder), "--tracking-uri", district.uri, "--quiet"]  # fmt: skip
    assert run([*argv, "--quarantine", str(district.responses)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--quarantine" in said and "inside --district" in said, said
    assert district.responses.read_bytes() == before
    with pytest.raises(AdaptiveError, match="the same file as profiles="):
        run_daily_job(DAY_1, tmp_path / "out", **district.job_args(quarantine=district.profiles))
    with pytest.raises(AdaptiveError, match="inside out="):
        run_daily_job(DAY_1, tmp_path, **district.job_args(quarantine=tmp_path / "q.csv"))
    with pytest.raises(AdaptiveError, match="the same file as placement_quarantine="):
        run_daily_job(DAY_1, tmp_path / "out", **district.job_args(
            quarantine=tmp_path / "q.csv", placement_quarantine=tmp_path / "q.csv",
            placement=district.profiles))  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_a_nights_summary_counts_the_placement_rows_quarantined_beside_the_logs(district, tmp_path):
    """A night whose placement quarantine received 3 rows said "0 rows quarantined" (the log's
    count alone). Now the summary (and its MLflow metrics) carries both counts, and the line a
    command prints says both."""
    from adaptive.cli.lifecycle import _quarantined_words

    _, skill = table_for(district, tmp_path)
    rows = pd.read_csv(tmp_path / "last_year.csv", dtype=str)
    gaps = tmp_path / "gaps.csv"
    pd.concat([rows, rows.head(2), rows.head(1).assign(skill_id=skill, mastery="")]).to_csv(
        gaps, index=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        summary = run_daily_job(DAY_1, tmp_path / "out", **district.job_args(
            placement=gaps, placement_quarantine=tmp_path / "rejected.csv"))  # fmt: skip
    assert (summary.rows_quarantined, summary.placement_rows_quarantined) == (0, 3)
    assert _quarantined_words(summary) == "0 log rows and 3 placement rows quarantined"


def test_a_night_counts_its_placement_quarantine_as_read_never_reading_it_back(
    tmp_path, monkeypatch
):
    """Re-read #10: the night counted the placement's quarantined rows by reading back the CSV
    it had just written (a file another process may have replaced meanwhile). Now the read's
    own count (`RowDrops.quarantined`) is carried out of the read. Review 52 #15: the file
    written here holds no row, so a count read back from it would be 0, never 2."""
    import adaptive.data.io as io
    from adaptive.batch.job import _given_placement
    from adaptive.curriculum import Skill
    from adaptive.placement.table import PlacementReading

    def replaced_meanwhile(path, columns) -> None:  # another process's file: a header only
        path.write_text("line,reason\n")

    monkeypatch.setattr(io, "write_quarantine_csv", replaced_meanwhile)

    catalog = Catalog(tuple(Skill(s) for s in ("k1", "k2")))
    table = tmp_path / "gaps.csv"
    table.write_text("student_id,skill_id,mastery\ns1,k1,0.8\ns1,k2,\ns1,k1,0.8\ns2,k1,0.3\n")
    quarantine = tmp_path / "rejected.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        placed, _, counted = _given_placement(
            table, catalog, PlacementReading(quarantine=quarantine)
        )
        assert counted == 2 and placed.students == ("s1", "s2")
        dropped = PlacementReading(drop_blank_and_identical=True)
        assert _given_placement(table, catalog, dropped)[2] is None  # no quarantine: no count


def test_a_quarantine_inside_the_nights_out_folder_is_refused_saying_why(tmp_path):
    """Re-read #7: a quarantine inside the night's out folder was refused as "a folder this
    command uses", which it reads nothing from. The refusal stands (the night replaces its
    folders there whole, on a re-run or `adaptive drop`, and readers of the outputs would take
    the rejected rows for one), and says so, with a path beside the folder instead."""
    from adaptive.errors import AdaptiveError

    out = tmp_path / "out"
    (out / "students").mkdir(parents=True)
    with pytest.raises(AdaptiveError) as caught:
        run_daily_job("2026-06-01", out, placement_quarantine=out / "students" / "rejected.csv")
    said = str(caught.value)
    assert "is inside out= (" in said and "the folder of the night's outputs" in said, said
    assert "a night's re-run, `adaptive drop`" in said and "take them for one" in said
    assert said.endswith(
        f"give a path outside it for the rejected rows, e.g. {tmp_path}/rejected.csv"
    )


def test_a_quarantine_inside_another_commands_out_folder_is_refused_in_its_own_words(tmp_path):
    """Review 52 #8: every command's --out got the night's reason ("they are replaced there
    whole (a night's re-run, `adaptive drop`)"), untrue of `evaluate`'s metrics folder. A
    command's --out now says what is true of every command; only the night says its own."""
    from adaptive.cli.options import check_command_quarantines
    from adaptive.errors import AdaptiveError

    out = tmp_path / "evaluation"
    out.mkdir()
    given = {"out": out, "quarantine": out / "rejected.csv"}
    with pytest.raises(AdaptiveError) as caught:
        check_command_quarantines(given, {"out": "--out", "quarantine": "--quarantine"})
    said = str(caught.value)
    assert f"is inside --out ({out}), the folder of this command's outputs, where whatever " in said
    assert "night" not in said and "adaptive drop" not in said, said
    check_command_quarantines({**given, "quarantine": tmp_path / "rejected.csv"}, {})  # beside


def test_the_path_suggested_beside_a_folder_is_never_an_input(tmp_path):
    """Review 52 #9: --placement f/rejected.csv with --placement-quarantine f/out/rejected.csv
    was told "e.g. f/rejected.csv", the placement file itself: following the hint gave "is the
    same file as --placement". The suggestion is now a fresh name beside the folder."""
    from adaptive.data.io import check_quarantines
    from adaptive.errors import AdaptiveError

    folder = tmp_path / "f"
    (folder / "out").mkdir(parents=True)
    placement = folder / "rejected.csv"
    placement.write_text("student_id,skill_id,mastery\n")
    others = {"--placement": placement, "--out": folder / "out"}
    with pytest.raises(AdaptiveError) as caught:
        check_quarantines({"--placement-quarantine": folder / "out" / "rejected.csv"}, others)
    suggested = str(caught.value).rsplit("e.g. ", 1)[1]
    assert suggested == str(folder / "rejected-rejected.csv")
    check_quarantines({"--placement-quarantine": suggested}, others)  # following it works


def test_the_suggested_path_is_outside_every_input_folder_whatever_the_options_order(tmp_path):
    """Re-read 52 #7: a quarantine in dist/nights with --district dist and --out dist/nights
    was told "e.g. .../dist" (the district folder itself, an input) with one order of the
    options and ".../rej.csv" with the other. The outermost folder is named and the suggestion
    walks up until a name is free, so both orders say the same, and following it works; where
    no folder up to the root has one, no "e.g." is said."""
    from pathlib import Path

    from adaptive.data.io import check_quarantines
    from adaptive.errors import AdaptiveError

    dist = tmp_path / "dist"
    (dist / "nights").mkdir(parents=True)
    quarantine = {"--placement-quarantine": dist / "nights" / "rej.csv"}
    said = []
    for others in ({"--out": dist / "nights", "--district": dist},
                   {"--district": dist, "--out": dist / "nights"}):  # fmt: skip
        with pytest.raises(AdaptiveError) as caught:
            check_quarantines(quarantine, others)
        said.append(str(caught.value))
        suggested = said[-1].rsplit("e.g. ", 1)[1]
        assert suggested == str(tmp_path / "rej.csv"), said[-1]
        check_quarantines({"--placement-quarantine": suggested}, others)  # following it works
    assert said[0] == said[1] and f"is inside --district ({dist})" in said[0], said
    with pytest.raises(AdaptiveError) as caught:
        check_quarantines(quarantine, {"--district": Path(tmp_path.anchor)})
    assert str(caught.value).endswith("give a path outside it for the rejected rows"), caught.value
