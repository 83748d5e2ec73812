"""A placement table read with its student and skill columns swapped (a data scientist's trial:
`adaptive validate --placement last_year.csv --catalog catalog.json --placement-columns
'Standard,Student ID,Mastery'`). Every student id was quoted as a skill the catalog lacks
("got '71208'; expected a skill of the catalog ... and 282 more"): student ids in an error that
reaches a job's log, and no word that the columns were given the other way round."""

from __future__ import annotations

import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.errors import DataValidationError
from adaptive.placement import mastery_table_placement, read_placement

SKILLS = ("Slope", "Scatter Plot", "Pattern Finding")
STUDENTS = ("71208", "21825", "52613")


def files(tmp_path) -> tuple[str, str]:
    catalog = Catalog(tuple(Skill(s, grade=8) for s in SKILLS), (Activity("a", "A", ("Slope",)),))
    catalog.to_json(tmp_path / "catalog.json")
    rows = [f"{s},{k},0.5" for s in STUDENTS for k in SKILLS] + ["71208,Exponents,0.4"]
    (tmp_path / "last_year.csv").write_text("Student ID,Standard,Mastery\n" + "\n".join(rows))
    return str(tmp_path / "last_year.csv"), str(tmp_path / "catalog.json")


def test_swapped_columns_are_said_to_look_swapped_without_the_ids(tmp_path) -> None:
    table, catalog = files(tmp_path)
    swapped = {"student_id": "Standard", "skill_id": "Student ID", "mastery": "Mastery"}
    with pytest.raises(DataValidationError) as refused:
        read_placement(table, Catalog.from_json(catalog), columns=swapped)
    message = str(refused.value)
    assert "1 problem in the input" in message, message
    assert "column 'Student ID'; expected a skill of the catalog" in message, message
    assert "the columns look swapped" in message and "'Standard'" in message, message
    assert not any(s in message for s in STUDENTS), message


def test_the_command_says_so_too(tmp_path, capsys) -> None:
    table, catalog = files(tmp_path)
    code = run(["validate", "--placement", table, "--catalog", catalog,
                "--placement-columns", "Standard,Student ID,Mastery"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "the columns look swapped" in err, err
    assert not any(s in err for s in STUDENTS), err


def test_a_frame_with_swapped_columns_is_said_to_look_swapped() -> None:
    frame = pd.DataFrame({"student_id": list(SKILLS), "skill_id": list(STUDENTS), "mastery": 0.5})
    catalog = Catalog(tuple(Skill(s, grade=8) for s in SKILLS))
    with pytest.raises(DataValidationError, match="the columns look swapped") as refused:
        mastery_table_placement(frame, catalog=catalog)
    assert not any(s in str(refused.value) for s in STUDENTS)


def test_skills_unknown_in_a_right_way_round_table_are_still_listed(tmp_path) -> None:
    table, catalog = files(tmp_path)
    right = {"student_id": "Student ID", "skill_id": "Standard", "mastery": "Mastery"}
    with pytest.raises(DataValidationError, match="got 'Exponents'; expected a skill") as refused:
        read_placement(table, Catalog.from_json(catalog), columns=right)
    assert "swapped" not in str(refused.value)
