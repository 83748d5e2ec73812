"""Trial C's roster exports (a district's SIS export read by `adaptive profiles`): a row with
an unquoted separator in a cell shifted its cells into the next columns without a word, a
catalog's unknown interest went unsaid, and a Parquet row empty where it is read was dropped."""

from __future__ import annotations

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
