"""Trial C's roster exports (a district's SIS export read by `adaptive profiles`): a row with
an unquoted separator in a cell shifted its cells into the next columns without a word, a
catalog's unknown interest went unsaid, and a Parquet row empty where it is read was dropped."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, Skill

HEADER = "StudentNumber,LastName,FirstName,GradeLevel,SchoolCode,Teacher,Section,Interests\n"
ROWS = (
    "000001,Last0,First0,08,0101,Smith J,0101-08-Smith,\n"
    "100007,Last1,First1,02,0304,Brown A,0304-02-Brown,music\n"
    "000007,Last2,First2,06,0101,Garcia M,0101-06-Garcia,sports\n"
)
#: The trial's columns option (the SIS's own names).
COLUMNS = (
    "student_id=StudentNumber,grade=GradeLevel,school_id=SchoolCode,class_id=Section,"
    "interests=Interests"
)


def catalog_file(tmp_path) -> str:
    """A grade K-8 catalog whose activities have the trial's topics."""
    skills = tuple(Skill(f"g{g}", f"G{g}", grade=g) for g in range(9))
    topics = ("animals", "art", "cooking", "music", "space", "sports")
    acts = tuple(
        Activity(f"{s.id}-{t}", s.name, (s.id,), topics=(t,)) for s in skills for t in topics
    )
    path = tmp_path / "catalog.json"
    Catalog(skills, acts).to_json(path)
    return str(path)


def profiles(tmp_path, roster: str, *more: str) -> tuple[int, str]:
    """`adaptive profiles ROSTER --columns ... --out p.jsonl` as the trial ran it: its exit
    code and its stderr, one line."""
    path = tmp_path / "roster.csv"
    path.write_bytes(roster.encode())
    out = tmp_path / "p.jsonl"
    code = run(["profiles", str(path), "--columns", COLUMNS, "--out", str(out), *more])
    return code, str(path)


@pytest.mark.parametrize(
    ("row", "sep", "got"),
    [
        ("100035,Last5,First5,04,0102,Smith, J,0102-04-Smith,art;cooking\n", ",", 9),
        ("100035,Last5,First5,04,0102,Smith J,0102-04-Smith,art,cooking\n", ",", 9),
        ("100035;Last5;First5;04;0102;Smith J;0102-04-Smith;art;cooking\n", ";", 9),
        ("100035,Last5,First5,04,0102,Smith J,0102-04-Smith\n", ",", 7),
    ],
    ids=["comma in Teacher", "comma in Interests", "semicolon export", "a field short"],
)
def test_a_roster_row_of_more_or_fewer_fields_than_its_header_is_refused(
    tmp_path, capsys, row, sep, got
) -> None:
    """Trial C: `Smith, J` unquoted put student 100035 in class "J" with an interest
    "0102-04-Smith"; `art,cooking` unquoted lost "cooking"; a `;` export (with its BOM) with
    `art;cooking` unquoted lost it on 961 students; all exit 0. Such a row is now refused as
    the response log's reader refuses it (line, fields expected, got), exit 2, nothing
    written; and so is a row a field short (it was padded with an empty interests cell)."""
    roster = HEADER + ROWS + row
    if sep == ";":  # as the trial's export: a BOM, then every comma a semicolon
        roster = "\ufeff" + (HEADER + ROWS).replace(",", ";") + row
    code, path = profiles(tmp_path, roster)
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    what = "extra" if got > 8 else "missing"
    assert (
        f"{path}, line 5: expected 8 fields separated by {sep!r} ({what} columns: got {got})"
        in (err)
    ), err
    assert "Last5" not in err  # the row's names are not repeated into a log
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize(
    ("bom", "again"),
    [("", ""), ("\ufeff", ""), ("\ufeff", "\ufeff")],
    ids=["plain", "bom on the first", "bom on both"],
)
def test_a_roster_line_repeating_the_header_is_refused(tmp_path, capsys, bom, again) -> None:
    """Two rosters joined into one, each with its header, loaded a student "StudentNumber"
    of school "SchoolCode" without a word. The line is refused as the response log's reader
    refuses it, exit 2, nothing written; so is one that starts with a byte order mark (the
    second of two "CSV UTF-8" exports joined: it loaded a student "\ufeffStudentNumber")."""
    repeated = again + HEADER.replace(",", " , ")
    code, path = profiles(tmp_path, bom + HEADER + ROWS + repeated + ROWS)
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert (
        f"{path}, line 5: expected a row of data; the line repeats the header "
        "(concatenated exports?)" in err
    ), err
    assert not (tmp_path / "p.jsonl").exists()


def test_blank_lines_of_a_roster_are_still_skipped(tmp_path, capsys) -> None:
    """An export's blank line, or one of separators alone (a spreadsheet's empty row), is no
    row, whatever its field count: only a row with a cell given is held to the header's."""
    code, _ = profiles(tmp_path, HEADER + ROWS + "\n,,,\n,,,,,,,\n")
    assert code == 0, capsys.readouterr().err
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 3


def test_profiles_with_a_catalog_warn_of_interests_it_lacks(tmp_path, capsys) -> None:
    """Trial C: with --catalog, a roster's interest the catalog lacks ("Cooking" for
    "cooking") was written without a word; the night warns of it (`check_profiles`), and now
    `adaptive profiles --catalog` does so too, with the name meant and no student id."""
    row = "100035,Last5,First5,04,0102,Smith J,0102-04-Smith,Cooking;art\n"
    code, _ = profiles(tmp_path, HEADER + ROWS + row, "--catalog", catalog_file(tmp_path))
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0, err
    assert (
        "profiles: 1 interest topic the catalog does not have: 'Cooking' (1 student; did you "
        "mean 'cooking'?); they are ignored" in err
    ), err
    assert "100035" not in err


def test_a_parquet_row_empty_where_it_is_read_is_refused_as_a_csvs(tmp_path) -> None:
    """A review: `profile_field` (the night's one-field pass) skipped a Parquet row whose id
    and field were empty without a word, though its school was given (grades [4, 5]), where
    the same row of a CSV, and `read_profiles` of either, is refused. Now both refuse it; a
    row blank in every column is still no row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from adaptive.curriculum import read_profiles
    from adaptive.curriculum.profile import profile_field
    from adaptive.errors import ConfigError

    cells = {"student_id": ["s1", None, "s3", ""], "grade": ["4", "", "5", None],
             "school_id": ["sch1", "sch2", "sch1", None]}  # fmt: skip
    parquet, csv = tmp_path / "r.parquet", tmp_path / "r.csv"
    pq.write_table(pa.table(cells), parquet)
    csv.write_text("student_id,grade,school_id\ns1,4,sch1\n,,sch2\ns3,5,sch1\n,,\n")
    for path in (parquet, csv):
        refused = re.escape(f"{path}, line 3: missing field 'student_id'")
        with pytest.raises(ConfigError, match=refused):
            list(profile_field(path, "grade"))
        with pytest.raises(ConfigError, match=refused):
            read_profiles(path)
    pq.write_table(pa.table({k: v[:1] + v[2:] for k, v in cells.items()}), parquet)
    assert list(profile_field(parquet, "grade")) == [4, 5]
    # a review: pandas' category columns (Arrow dictionaries) hold "" as a value: a blank row
    # of them was refused as one missing its id
    frame = pd.DataFrame({"student_id": ["s1", "", "s2"], "grade": ["3", "", "4"]})
    frame.astype("category").to_parquet(parquet)
    assert list(read_profiles(parquet)) == ["s1", "s2"]
    assert list(profile_field(parquet, "grade")) == [3, 4]


def test_a_roster_without_weekly_minutes_is_written_without_them(tmp_path, capsys) -> None:
    """Trial C: `adaptive profiles` wrote `"weekly_minutes": 150.0` into every line of a
    roster without that column, so a policy file's `default_daily_minutes` never applied.
    Now it is null (the policy's default day), read back as None; a roster's minutes, and an
    empty cell (None), are written as given."""
    from adaptive.curriculum import read_profiles

    code, _ = profiles(tmp_path, HEADER + ROWS)
    assert code == 0, capsys.readouterr().err
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [line["weekly_minutes"] for line in lines] == [None, None, None]
    assert {p.weekly_minutes for p in read_profiles(tmp_path / "p.jsonl").values()} == {None}
    roster = tmp_path / "minutes.csv"
    roster.write_text("student_id,weekly_minutes\ns1,90\ns2,\ns3,0\n")
    out = tmp_path / "minutes.jsonl"
    assert run(["profiles", str(roster), "--out", str(out)]) == 0
    written = [json.loads(line)["weekly_minutes"] for line in out.read_text().splitlines()]
    assert written == [90.0, None, 0.0]
