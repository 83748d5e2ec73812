"""A placement table as districts write it (`read_placement`, `mastery_table_placement`): padded
and empty ids, blank lines, Excel's habits (`;`, decimal commas, `85%`, a gzipped export),
repeated rows, booleans. Each is read as meant or refused with one error naming the file, the
line (a Parquet file's or a frame's row), the column, the value and what was expected."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Catalog, Skill
from adaptive.errors import ConfigError, DataValidationError, PlacementWarning
from adaptive.placement import mastery_table_placement, read_placement

#: The unknown skill's hint: a code of last year's or a retired skill is mapped, not edited.
RENAMED = "a code renamed or retired since the file was written"
MAP_IT = "map it with skill_map=MAP"
OWN = {"student_id": "Student ID", "skill_id": "Standard", "mastery": "Mastery"}
HEADER = "Student ID,Standard,Mastery\n"


def catalog() -> Catalog:
    return Catalog(tuple(Skill(s) for s in ("g3.OA.1", "g5.NS.1", "g6.NS.1")))


def write(tmp_path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def problems(path, columns=OWN, **kwargs) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=columns, **kwargs)
    return [str(p) for p in caught.value.problems]


def frame_problems(frame: pd.DataFrame) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        mastery_table_placement(frame)
    return [str(p) for p in caught.value.problems]


# --- 1. ids are trimmed; a skill in another case is refused with a did-you-mean ---


def test_padded_ids_in_a_file_are_the_same_trimmed_ids(tmp_path) -> None:
    path = write(tmp_path, HEADER + " stu0000000 ,g5.NS.1,0.85\nstu0000000,g6.NS.1 ,0.4\n")
    placed = read_placement(path, catalog(), columns=OWN)
    assert placed.students == ("stu0000000",)
    np.testing.assert_allclose(placed.aligned(["g5.NS.1", "g6.NS.1"]), [[0.85, 0.4]])


def test_padded_ids_in_a_frame_are_the_same_trimmed_ids() -> None:
    frame = pd.DataFrame(
        {"student_id": ["s1", " s1"], "skill_id": ["g5.NS.1", "g6.NS.1 "], "mastery": [0.8, 0.2]}
    )
    placed = mastery_table_placement(frame)
    assert placed.students == ("s1",) and placed.skills == ("g5.NS.1", "g6.NS.1")
    np.testing.assert_allclose(placed.mastery, [[0.8, 0.2]])


def test_a_padded_id_repeating_a_row_is_a_repeated_row(tmp_path) -> None:
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.85\n s1 , g5.NS.1 ,0.4\n")
    assert problems(path) == [
        f"{path}, line 3, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
        "skill) (line 2 has the same student and skill"
        ": mastery 0.85 there, 0.4 here)"
    ]


def test_a_skill_in_another_case_is_refused_with_a_did_you_mean(tmp_path) -> None:
    path = write(tmp_path, HEADER + "s1,G6.NS.1,0.4\ns1, g5.ns.1 ,0.4\n")
    assert problems(path) == [
        f"{path}, line 2, column 'Standard': got 'G6.NS.1'; expected a skill of the catalog "
        f"(did you mean 'g6.NS.1'? if it is {RENAMED}, {MAP_IT})",
        f"{path}, line 3, column 'Standard': got 'g5.ns.1'; expected a skill of the catalog "
        f"(did you mean 'g5.NS.1'? if it is {RENAMED}, {MAP_IT})",
    ]


def test_a_skill_the_catalog_dropped_is_one_problem_however_many_rows_name_it(tmp_path) -> None:
    """A data steward's trial: last year's mastery named 2 skills the new catalog version
    removed, and the error listed "6392 problem(s)", one per row."""
    rows = "".join(f"s{i},g4.G.3,0.9\ns{i},g6.NS.1,0.5\ns{i},g4.MD.9,0.2\n" for i in range(40))
    path = write(tmp_path, HEADER + rows + "s1,g4.X.1,0.3\n")
    assert problems(path) == [
        f"{path}, line 2, column 'Standard': got 'g4.G.3'; expected a skill of the catalog "
        f"({RENAMED}? {MAP_IT}); 40 rows name it",
        f"{path}, line 4, column 'Standard': got 'g4.MD.9'; expected a skill of the catalog "
        f"({RENAMED}? {MAP_IT}); 40 rows name it",
        f"{path}, line 122, column 'Standard': got 'g4.X.1'; expected a skill of the catalog "
        f"({RENAMED}? {MAP_IT})",
    ]


# --- 2. and 3. an empty or missing id is an error with its line (row) and column ---


def test_an_empty_id_is_an_error_naming_its_line_and_column(tmp_path) -> None:
    path = write(tmp_path, HEADER + ",g5.NS.1,0.85\n   ,g3.OA.1,0.9\ns2,,0.5\ns3, ,0.5\n")
    assert problems(path) == [
        f"{path}, line 2, column 'Student ID': got ''; expected a non-empty id",
        f"{path}, line 3, column 'Student ID': got ''; expected a non-empty id",
        f"{path}, line 4, column 'Standard': got ''; expected a non-empty id",
        f"{path}, line 5, column 'Standard': got ''; expected a non-empty id",
    ]


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "])
def test_a_missing_id_in_a_frame_is_a_clear_error(missing) -> None:
    frame = pd.DataFrame({"student_id": [missing], "skill_id": ["g5.NS.1"], "mastery": [0.5]})
    assert frame_problems(frame) == [
        "<frame>, row label 0, column 'student_id': got ''; expected a non-empty id"
    ]
    frame = pd.DataFrame({"student_id": ["s1"], "skill_id": [missing], "mastery": [0.5]})
    assert frame_problems(frame) == [
        "<frame>, row label 0, column 'skill_id': got ''; expected a non-empty id"
    ]


# --- 4. lines are the file's physical lines ---


def test_a_problem_after_blank_lines_names_the_files_own_line(tmp_path) -> None:
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.85\n\n\ns1,g6.NS.1,0.4\ns2,g3.OA.1,abc\n")
    assert problems(path) == [
        f"{path}, line 6, column 'Mastery': got 'abc'; expected a number in [0, 1]"
    ]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_a_line_repeating_the_header_is_one_problem_saying_so(tmp_path, bom) -> None:
    """Two exports joined into one, each with its header: the second header was two problems
    (its Standard "no skill of the catalog", its Mastery "no number"), as the log reader's
    were before it said what the line is. Now one problem, in the log reader's words."""
    rows = "s1,g5.NS.1,0.85\r\ns2,g3.OA.1,0.4\r\n"
    more = "s3,g5.NS.1,0.85\r\ns4,g3.OA.1,0.4\r\n"
    path = write(tmp_path, bom + HEADER + rows + " Student ID , Standard,Mastery\r\n" + more)
    assert problems(path) == [
        f"{path}, line 4; expected a row of data; the line repeats the header "
        "(concatenated exports?)"
    ]


def test_lines_count_blank_crlf_lines_and_quoted_line_breaks(tmp_path) -> None:
    """Excel's CRLF, BOM and empty rows (",,": no value, so not a row of the table); a quoted
    cell spanning two lines moves every later line by one."""
    text = '\ufeffStudent ID,Standard,Mastery,Note\r\ns1,g5.NS.1,0.85,"two\r\nlines"\r\n\r\n'
    path = write(tmp_path, text + ",,,\r\ns2,g3.OA.1,zz,\r\n")
    assert problems(path) == [
        f"{path}, line 6, column 'Mastery': got 'zz'; expected a number in [0, 1]"
    ]
    path = write(tmp_path, text + ",,,\r\n", "ok.csv")
    assert read_placement(path, catalog(), columns=OWN).students == ("s1",)


def test_lines_are_right_in_every_batch(tmp_path) -> None:
    rows = "".join(f"s{i},g5.NS.1,0.5\n\n" for i in range(5))
    path = write(tmp_path, HEADER + rows + "s9,g5.NS.1,-1\n")
    for batch_rows in (1, 2, 100):
        got = problems(path, batch_rows=batch_rows)
        assert got == [f"{path}, line 12, column 'Mastery': got '-1'; expected a number in [0, 1]"]


# --- 5. Excel's habits ---


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_semicolon_or_tab_separated_file_is_read(tmp_path, sep) -> None:
    text = "\ufeffStudent ID;Standard;Mastery\r\ns1;g5.NS.1;0.85\r\ns1;g6.NS.1;0.4\r\n\r\n"
    placed = read_placement(write(tmp_path, text.replace(";", sep)), catalog(), columns=OWN)
    np.testing.assert_allclose(placed.aligned(["g5.NS.1", "g6.NS.1"]), [[0.85, 0.4]])


def test_a_decimal_comma_is_refused_with_what_to_do(tmp_path) -> None:
    path = write(tmp_path, "Student ID;Standard;Mastery\ns1;g5.NS.1;0,85\ns1;g6.NS.1;,4\n")
    got = problems(path)
    assert len(got) == 2
    assert got[0].startswith(f"{path}, line 2, column 'Mastery': got '0,85'; expected a number")
    assert all("decimal comma" in g for g in got), got
    assert "write 0.85, with a decimal point" in got[0] and "write 0.4," in got[1], got


def test_a_percent_sign_gets_the_percentage_hint(tmp_path) -> None:
    path = write(tmp_path, HEADER + "s1,g5.NS.1,85%\ns1,g6.NS.1,40%\ns2,g6.NS.1,0.4\n")
    assert problems(path) == [
        f"{path}, line {n}, column 'Mastery': got '{v}'; expected a number in [0, 1] (the column "
        "reads as percentages, 0-100: divide it by 100)"
        for n, v in ((2, "85%"), (3, "40%"))
    ]


def test_a_lone_percentage_among_fractions_is_told_its_own_value_not_the_columns(tmp_path):
    """Trial 52 (4): a single 85% (or 95 %) in a column of fractions was told "the column reads
    as percentages, 0-100: divide it by 100": following it would make the column's 0.95 a
    0.0095. A lone percentage is now told what to write ("write 0.85"); a column whose numbers
    are mostly above 1 (95, 80, 0.7) still reads as percentages; a lone bare 95 gets no guess."""
    path = write(tmp_path, HEADER + "s1,g3.OA.1,0.95\ns2,g3.OA.1,85%\ns3,g3.OA.1,0.7\n"
                 "s4,g3.OA.1,95 %\ns5,g3.OA.1,0.6\ns6,g3.OA.1,95\ns7,g3.OA.1,1,5 %\n"
                 "s8,g3.OA.1,0.5\ns9,g3.OA.1,0.4\ns10,g3.OA.1,0.3\n".replace(
                     "1,5 %", '"1,5 %"'))  # fmt: skip
    assert [p.split("expected ")[1] for p in problems(path)] == [
        "a number in [0, 1] (a percentage: write 0.85)",
        "a number in [0, 1] (a percentage: write 0.95)",
        "a number in [0, 1]",
        "a number in [0, 1] (a percentage; it has a decimal comma: write 0.015, with a decimal "
        "point; from Excel, save the file with '.' as the decimal separator)",
    ]
    column = write(tmp_path, HEADER + "s1,g3.OA.1,95\ns2,g3.OA.1,80\ns3,g3.OA.1,0.7\n", "pct.csv")
    assert [p.split("expected ")[1] for p in problems(column)] == [
        "a number in [0, 1] (the column reads as percentages, 0-100: divide it by 100)"
    ] * 2


def test_a_percentage_column_mostly_of_zeros_gets_the_hint(tmp_path) -> None:
    """A trial's export was 53% zeros ("not started"), and its 28,000 lines of 66, 85, ... were
    each told "expected a number in [0, 1]" without the column's hint: zeros read the same in
    either scale. A -1 typed among them no longer hides it either."""
    rows = "".join(f"s{i},g3.OA.1,0\n" for i in range(6)) + "s7,g3.OA.1,66\ns8,g3.OA.1,85\n"
    path = write(tmp_path, HEADER + rows + "s9,g3.OA.1,40\n" * 97 + "s10,g3.OA.1,-1\n")
    said = [p.split("expected ")[1] for p in problems(path)]
    assert (
        said[:3]
        == ["a number in [0, 1] (the column reads as percentages, 0-100: divide it by 100)"] * 3
    )


def test_a_gzipped_csv_is_read(tmp_path) -> None:
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "s1,g5.NS.1,0.85\n\ns2,g3.OA.1,x\n").encode()))
    assert problems(path) == [
        f"{path}, line 4, column 'Mastery': got 'x'; expected a number in [0, 1]"
    ]
    path.write_bytes(gzip.compress((HEADER + "s1,g5.NS.1,0.85\n").encode()))
    assert read_placement(path, catalog(), columns=OWN).students == ("s1",)


# --- 6. a repeated row names the earlier one; Parquet files and frames have rows, not lines ---


def test_a_repeated_student_and_skill_names_the_earlier_line(tmp_path) -> None:
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.85\n\ns2,g3.OA.1,0.9\ns1,g5.NS.1,0.3\n")
    for batch_rows in (1, 10):
        assert problems(path, batch_rows=batch_rows) == [
            f"{path}, line 5, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
            "skill) (line 2 has the same student and skill: mastery 0.85 there, 0.3 here)"
        ]


def test_a_parquet_files_problems_name_its_rows(tmp_path) -> None:
    path = tmp_path / "last_year.parquet"
    frame = pd.DataFrame(
        {"student_id": [7, 7, 8], "skill_id": ["g5.NS.1", "g5.NS.1", "zz"], "mastery": [0.1, -1, 1]}
    )
    frame.to_parquet(path)
    assert problems(path, columns=None) == [  # in row order (trial 52 (12))
        f"{path}, row 2, column 'mastery': got '-1.0'; expected a number in [0, 1]",
        f"{path}, row 2, column 'skill_id': got 'g5.NS.1'; expected one row per (student, "
        "skill) (row 1 has the same student and skill"
        ": mastery 0.1 there, none read here)",
        f"{path}, row 3, column 'skill_id': got 'zz'; expected a skill of the catalog "
        f"({RENAMED}? {MAP_IT})",
    ]


def test_a_frames_problems_name_its_row_labels() -> None:
    frame = pd.DataFrame(
        {"student_id": ["a", "b", "a"], "skill_id": ["k", "k", "k"], "mastery": [0.5, -0.5, 0.2]},
        index=[10, 11, 12],
    )
    assert frame_problems(frame) == [
        "<frame>, row label 11, column 'mastery': got '-0.5'; expected a number in [0, 1]",
        "<frame>, row label 12, column 'skill_id': got 'k'; expected one row per (student, "
        "skill) (row label 10 has the same student and skill"
        ": mastery 0.5 there, 0.2 here)",
    ]


# --- 7. booleans are no mastery ---


BOOLEAN = (
    "expected a number in [0, 1] (a yes/no is no P(known): write 1 where the skill is mastered "
    "and 0 where it is not, or give the vendor's mastery score)"
)


def test_a_boolean_mastery_is_refused_with_what_to_write(tmp_path) -> None:
    """The README promised what to write instead of True; the error said only "expected a
    number in [0, 1]"."""
    frame = pd.DataFrame({"student_id": ["s1", "s2"], "skill_id": ["g5.NS.1"] * 2})
    for mastery in ([True, False], [True, 0.5]):
        got = frame_problems(frame.assign(mastery=mastery))
        assert got[0] == f"<frame>, row label 0, column 'mastery': got 'True'; {BOOLEAN}"
    path = tmp_path / "bool.parquet"
    frame.assign(mastery=[True, False]).to_parquet(path)
    assert problems(path, columns=None) == [
        f"{path}, row {r}, column 'mastery': got '{v}'; {BOOLEAN}"
        for r, v in ((1, True), (2, False))
    ]
    text = write(tmp_path, HEADER + "s1,g5.NS.1,True\n")
    assert problems(text) == [f"{text}, line 2, column 'Mastery': got 'True'; {BOOLEAN}"]


def test_a_european_percentage_gets_both_hints(tmp_path) -> None:
    """'85,5 %', '85,5%' and '1,7 %' (what a European system writes) got a bare "expected a
    number in [0, 1]", where '85%' and '0,85' each got what to do."""
    path = write(tmp_path, HEADER.replace(",", ";") + "s1;g5.NS.1;85,5 %\ns2;g5.NS.1;85,5%\n"
                 "s3;g5.NS.1;1,7 %\n")  # fmt: skip
    got = problems(path)
    for line, value, point in (
        (2, "85,5 %", "0.855"),
        (3, "85,5%", "0.855"),
        (4, "1,7 %", "0.017"),
    ):
        assert got[line - 2] == (
            f"{path}, line {line}, column 'Mastery': got '{value}'; expected a number in [0, 1] "
            "(the column reads as percentages, 0-100: divide it by 100; it has a decimal comma: "
            f"write {point}, with a decimal point; from Excel, save the file with '.' as the "
            "decimal separator)"
        )


def test_a_column_divided_by_100_twice_is_said(tmp_path) -> None:
    """Every mastery at most 0.01 (a 0-1 column divided by 100 again) was read without a word,
    placing every student as knowing nothing."""
    from adaptive.errors import PlacementWarning

    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.0085\ns2,g5.NS.1,0.004\n")
    said = "export.csv, column 'Mastery': every mastery is at most 0.01 \\(the largest 0.0085"
    with pytest.warns(PlacementWarning, match=said + ".*divided by 100\\?"):
        read_placement(path, catalog(), columns=OWN)
    frame = pd.DataFrame({"student_id": ["s1"], "skill_id": ["g5.NS.1"], "mastery": [0.003]})
    with pytest.warns(PlacementWarning, match="<frame>, column 'mastery': every mastery is at"):
        mastery_table_placement(frame)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        mastery_table_placement(frame.assign(mastery=[0.2]))
        mastery_table_placement(frame.assign(mastery=[0.0]))  # nobody knows it: no division


def test_an_identical_repeated_row_says_it_is_safe_to_drop(tmp_path) -> None:
    """A table exported twice read "line 2 has the same student and skill": nothing said the
    rows were identical (safe to drop) rather than two values to choose between."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.85\ns2,g5.NS.1,0.5\ns1,g5.NS.1,0.85\n")
    for batch_rows in (1, 10):
        assert problems(path, batch_rows=batch_rows) == [
            f"{path}, line 4, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
            "skill) (identical to line 2 in student, skill and mastery: a row given twice, safe "
            "to drop)"
        ]
    frame = pd.DataFrame({"student_id": ["a", "b"], "skill_id": ["k", "k"], "mastery": [0.5, 0.2]})
    assert frame_problems(pd.concat([frame, frame.head(1)])) == [
        "<frame>, row position 2, column 'skill_id': got 'k'; expected one row per (student, "
        "skill) (identical to row position 0 in student, skill and mastery: a row given twice, "
        "safe to drop)"
    ]


def test_a_frame_indexed_by_student_id_names_row_positions_not_ids() -> None:
    """A mastery frame indexed by student id named its rows "row label stu9000001": an id in
    the error. Labels that are no integers name no row without one: positions do."""
    frame = pd.DataFrame(
        {"student_id": ["stu9000001", "stu9000002"], "skill_id": ["k", "k"], "mastery": [0.5, -1]}
    )
    assert frame_problems(frame.set_index("student_id", drop=False)) == [
        "<frame>, row position 1, column 'mastery': got '-1.0'; expected a number in [0, 1]"
    ]


# --- what the file itself gets wrong: each at its line, never a traceback or a vague error ---


def test_rows_with_too_few_or_too_many_fields_are_problems_at_their_lines(tmp_path) -> None:
    text = (
        "student_id,skill_id,mastery,note\n"
        's1,g5.NS.1,0.5,"two\nlines"\n'
        "   \n"
        "s2,g5.NS.1,0.5,x,extra\n"
        "s3,g5.NS.1,0.5\n"
        "s4,g5.NS.1,zz,\n"
    )
    path = write(tmp_path, text)
    fields = "expected 4 fields separated by ','"
    assert problems(path, columns=None) == [
        f"{path}, line 4: got '   '; {fields} (missing columns: got 1)",
        f"{path}, line 5: got 's2,g5.NS.1,0.5,x,extra'; {fields} (extra columns: got 5)",
        f"{path}, line 6: got 's3,g5.NS.1,0.5'; {fields} (missing columns: got 3)",
        f"{path}, line 7, column 'mastery': got 'zz'; expected a number in [0, 1]",
    ]


def test_a_cell_that_is_not_utf8_is_a_problem_only_in_a_column_read(tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "Student ID,Standard,Mastery,Teacher\ns1,g5.NS.1,0.5,Mr Müller\n".encode("latin-1")
    )
    assert read_placement(path, catalog(), columns=OWN).students == ("s1",)
    path.write_bytes(
        "Student ID,Standard,Mastery\ns1,g5.NS.1,0.5\nJosé,g5.NS.1,0.5\n".encode("latin-1")
    )
    assert problems(path) == [
        f"{path}, line 3, column 'Student ID': got 'Jos\\xe9'; expected UTF-8 text"  # escaped once
    ]


def test_a_column_named_twice_is_refused(tmp_path) -> None:
    path = write(tmp_path, "student_id,skill_id,mastery,mastery\ns1,g5.NS.1,0.5,0.4\n")
    assert problems(path, columns=None) == [
        f"{path}, line 1, column 'mastery': got 'mastery'; expected unique column names in the "
        "header"
    ]


def test_a_gzipped_parquet_file_is_refused_as_the_log_reader_refuses_it(tmp_path) -> None:
    path = tmp_path / "placed.parquet.gz"
    path.write_bytes(gzip.compress(b"PAR1"))
    assert problems(path, columns=None) == [
        f"{path}; expected an uncompressed .parquet file (Parquet compresses itself)"
    ]


@pytest.mark.parametrize("block_bytes", [200, 1 << 24])
@pytest.mark.parametrize("batch_rows", [3, 1000])
def test_lines_stay_right_across_blocks_and_batches(tmp_path, monkeypatch, block_bytes, batch_rows):
    """pyarrow reports the rows it cannot parse ahead of the rows it returns, block by block;
    blank lines, quoted line breaks and unparsed rows anywhere still give every line."""
    import adaptive.placement.table as table

    monkeypatch.setattr(table, "CSV_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(7)
    text, line, expected = ["student_id,skill_id,mastery,note\n"], 2, []
    for i in range(300):
        kind = rng.choice(
            ["good", "blank", "two lines", "unparsed", "bad"], p=[0.6, 0.1, 0.1, 0.1, 0.1]
        )
        if kind == "blank":
            text.append("\n")
        elif kind == "two lines":
            text.append(f's{i},g5.NS.1,0.5,"a\nb"\n')
            line += 1
        elif kind == "unparsed":
            text.append(f"s{i},g5.NS.1\n")
            expected.append((line, None))
        elif kind == "bad":
            text.append(f"s{i},g5.NS.1,x{i},\n")
            expected.append((line, "mastery"))
        else:
            text.append(f"s{i},g5.NS.1,0.5,\n")
        line += 1
    path = write(tmp_path, "".join(text))
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), batch_rows=batch_rows)
    got = caught.value.problems
    assert caught.value.total == len(expected)
    # the first by line of both kinds, up to where one kind's first 20 end (re-read 52 #10)
    assert len(got) >= 20 and [(p.line, p.column) for p in got] == expected[: len(got)]


def test_a_table_with_a_header_only_is_refused(tmp_path):
    """The trial of stop 39: a header-only placement file was accepted without a word (the night
    ran as if it placed its students); both engines' readers refuse it."""
    from adaptive.batch.spark_placement import checked_placement_parquet
    from adaptive.errors import ConfigError

    path = tmp_path / "spring.csv"
    path.write_text("student_id,skill_id,mastery\n")
    catalog = Catalog((Skill("a"),))
    with pytest.raises(ConfigError, match=r"spring.csv: the placement table has no rows"):
        read_placement(path, catalog)
    with pytest.raises(ConfigError, match=r"spring.csv: the placement table has no rows"):
        checked_placement_parquet(path, catalog, None, tmp_path / "t.parquet")
    path.write_text("student_id,skill_id,mastery\ns1,a,0.5\n")
    assert read_placement(path, catalog).students == ("s1",)


# --- 11. a skill-rename map: last year's codes, retired skills (M8 of the placement trial) ---

#: Last year's export: codes renumbered since ("5.NS.1" is this year's "g5.NS.1"), one skill
#: retired ("2.OA.9"), one code already this year's.
OLD_CODES = HEADER + (
    "s1,5.NS.1,0.8\ns1,2.OA.9,0.3\ns2,2.OA.9,0.4\ns2,6.NS.1,0.1\ns2,g3.OA.1,0.5\ns3,2.OA.9,0.2\n"
)
RENAMES = {"5.NS.1": "g5.NS.1", "6.NS.1": "g6.NS.1", "2.OA.9": None}


def test_last_years_codes_are_read_as_this_years_skills_through_a_skill_map(tmp_path) -> None:
    """The trial's vendor export named last year's codes ("4.NS.1" for "g4.NS.1"): the whole
    table was refused, and the office had to rewrite every code by hand. A map reads them as
    this catalog's skills: the placement is the one of a file written with this year's codes."""
    (tmp_path / "old").mkdir(), (tmp_path / "new").mkdir()
    old = write(tmp_path / "old", OLD_CODES, "last_year.csv")
    new = write(tmp_path / "new", HEADER + "s1,g5.NS.1,0.8\ns2,g6.NS.1,0.1\ns2,g3.OA.1,0.5\n",
                "last_year.csv")  # fmt: skip
    expected = read_placement(new, catalog(), columns=OWN)
    with pytest.warns(PlacementWarning):
        mapped = read_placement(old, catalog(), columns=OWN, skill_map=RENAMES)
    assert (mapped.students, mapped.skills, mapped.sources) == (
        expected.students,
        expected.skills,
        expected.sources,
    )
    np.testing.assert_array_equal(mapped.mastery, expected.mastery)
    # a frame is read alike
    frame = pd.read_csv(old).set_axis(["student_id", "skill_id", "mastery"], axis=1)
    with pytest.warns(PlacementWarning):
        placed = mastery_table_placement(frame, catalog=catalog(), skill_map=RENAMES)
    np.testing.assert_array_equal(placed.mastery, expected.mastery)
    assert placed.skills == expected.skills and placed.students == expected.students


def test_retired_codes_rows_are_left_out_and_counted_in_one_warning(tmp_path) -> None:
    """A skill retired from this year's catalog refused the whole table; now its rows are left
    out and said once: rows, codes and students counted, never named; a code of the map that no
    row names (a map made for another file) is said too."""
    path = write(tmp_path, OLD_CODES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_placement(path, catalog(), columns=OWN, skill_map={**RENAMES, "7.RP.1": "g6.NS.1"})
    said = [str(w.message) for w in caught if w.category is PlacementWarning]
    assert said == [
        f"{path}: 3 rows of 1 retired skill (2.OA.9) left out, as skill_map says (3 students); "
        "1 code of skill_map is in no row (7.RP.1): a map made for another file?"
    ]
    assert not any(s in said[0] for s in ("s1", "s2", "s3"))


def test_a_map_given_to_several_reads_says_each_reads_own_counts(tmp_path) -> None:
    """A `SkillMap` is a setting, not a counter: one map given to several reads (a night's map
    read for its fingerprint, then its table checked, on Spark too) says each read's rows, never
    the sum of the reads before it; and it cannot be changed by a read."""
    import dataclasses

    from adaptive.batch.spark_placement import checked_placement_parquet
    from adaptive.placement.table import SkillMap

    path = write(tmp_path, OLD_CODES)
    skill_map = SkillMap.of(RENAMES, catalog())
    frame = pd.read_csv(path).set_axis(["student_id", "skill_id", "mastery"], axis=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_placement(path, catalog(), columns=OWN, skill_map=skill_map)
        mastery_table_placement(frame, catalog=catalog(), skill_map=skill_map)
        for night in ("one", "two"):
            target = tmp_path / night / "placement.parquet"
            checked_placement_parquet(path, catalog(), OWN, target, skill_map=skill_map)
    said = [str(w.message).split(": ", 1)[1] for w in caught if w.category is PlacementWarning]
    assert (
        said == ["3 rows of 1 retired skill (2.OA.9) left out, as skill_map says (3 students)"] * 4
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        skill_map.source = "another map"  # type: ignore[misc]


def test_a_map_target_not_in_the_catalog_is_one_error_naming_the_entry(tmp_path) -> None:
    """A map is checked before the file is read: a target the catalog lacks (a typo, a map
    written for another catalog) would otherwise refuse every row it maps."""
    path = write(tmp_path, OLD_CODES)
    with pytest.raises(ConfigError) as caught:
        read_placement(path, catalog(), columns=OWN, skill_map={**RENAMES, "5.NS.1": "g5.ns.1"})
    assert str(caught.value) == (
        "skill_map: 1 entry naming no skill of the catalog: '5.NS.1' -> 'g5.ns.1' (did you "
        "mean 'g5.NS.1'?); expected a skill id of the catalog, or nothing for a retired skill "
        "(its rows are left out)"
    )


def test_two_codes_mapped_onto_one_skill_of_a_student_are_a_repeated_row(tmp_path) -> None:
    """Both of a student's rows become one (student, skill): which mastery would count? The
    error says the earlier row's code is read as this one's skill, and through which map."""
    path = write(tmp_path, HEADER + "s1,5.NS.1,0.8\ns1,g3.OA.1,0.2\ns1,g5.NS.1,0.7\n")
    assert problems(path, skill_map={"5.NS.1": "g5.NS.1"}) == [
        f"{path}, line 4, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
        "skill): line 2's '5.NS.1' is read as 'g5.NS.1' too: two codes read as one skill "
        "(skill_map maps '5.NS.1' to 'g5.NS.1'; a typo in the map?)"
    ]


def test_a_map_sending_two_codes_onto_one_skill_is_named_with_its_lines(tmp_path) -> None:
    """A map file sending "5.NS.1" onto "g6.NS.1" by a typo (RECHECK N2): the error quoted
    'g6.NS.1' as the file's value, which neither line held, and never named the map. Now it
    quotes the file's own code and names the map and its two lines; a frame says the same."""
    path = write(tmp_path, HEADER + "s1,5.NS.1,0.8\ns1,6.NS.1,0.7\n")
    skill_map = write(tmp_path, "code,skill_id\n5.NS.1,g6.NS.1\n6.NS.1,g6.NS.1\n", "map.csv")
    said = (
        "got '6.NS.1'; expected one row per (student, skill): {}'s '5.NS.1' is read as "
        f"'g6.NS.1' too: two codes read as one skill (skill map {skill_map} maps '5.NS.1' "
        "(line 2) and '6.NS.1' (line 3) to 'g6.NS.1'; a typo in the map?)"
    )
    assert problems(path, skill_map=skill_map) == [
        f"{path}, line 3, column 'Standard': " + said.format("line 2")
    ]
    frame = pd.DataFrame(
        {"student_id": ["s1", "s1"], "skill_id": ["5.NS.1", "6.NS.1"], "mastery": [0.8, 0.7]}
    )
    with pytest.raises(DataValidationError) as caught:
        mastery_table_placement(frame, catalog=catalog(), skill_map=skill_map)
    assert [str(p) for p in caught.value.problems] == [
        "<frame>, row label 1, column 'skill_id': " + said.format("row label 0")
    ]


def test_a_mapped_code_given_twice_is_quoted_as_the_file_writes_it(tmp_path) -> None:
    """A repeated row of a renamed code quoted the skill the map read it as ('g5.NS.1'), a
    value the file does not hold; it quotes the file's '5.NS.1', identical rows said so."""
    path = write(tmp_path, HEADER + "s1,5.NS.1,0.8\ns1,5.NS.1,0.8\n")
    assert problems(path, skill_map={"5.NS.1": "g5.NS.1"}) == [
        f"{path}, line 3, column 'Standard': got '5.NS.1'; expected one row per (student, "
        "skill) (identical to line 2 in student, skill and mastery: a row given twice, safe to "
        "drop)"
    ]


def test_a_code_neither_in_the_catalog_nor_the_map_is_refused_as_without_one(tmp_path) -> None:
    """The map applies first; a code it lacks is the catalog's to refuse, with its hint (not
    'g3.OA.1', another grade's skill: a digit in place of another is no slip)."""
    path = write(tmp_path, HEADER + "s1,5.NS.1,0.8\ns1,4.OA.1,0.2\n")
    assert problems(path, skill_map={"5.NS.1": "g5.NS.1"}) == [
        f"{path}, line 3, column 'Standard': got '4.OA.1'; expected a skill of the catalog "
        "(a code renamed or retired since the file was written? map it with skill_map=MAP)"
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("map.csv", "code,skill_id\n5.NS.1,g5.NS.1\n6.NS.1,g6.NS.1\n2.OA.9,\n"),
        ("map.csv", "\ufeffcode;skill_id\r\n5.NS.1;g5.NS.1\r\n\r\n6.NS.1;g6.NS.1\r\n2.OA.9;\r\n"),
        ("map.json", '{"5.NS.1": "g5.NS.1", "6.NS.1": "g6.NS.1", "2.OA.9": null}'),
        # blank lines before the header, and an empty target in JSON (retired, as in the CSV)
        ("map.csv", "\n  \ncode,skill_id\n5.NS.1,g5.NS.1\n6.NS.1,g6.NS.1\n2.OA.9,\n"),
        ("map.json", '{" 5.NS.1 ": "g5.NS.1", "6.NS.1": " g6.NS.1", "2.OA.9": ""}'),
    ],
)
def test_a_skill_map_file_is_read_as_the_same_map(tmp_path, name, text) -> None:
    from adaptive.placement.table import read_skill_map

    assert read_skill_map(write(tmp_path, text, name)) == RENAMES


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("map.csv", "5.NS.1,g5.NS.1\n", ", line 1: got '5.NS.1,g5.NS.1'; expected the header "
         "'code,skill_id'"),
        ("map.csv", "code,skill_id\n5.NS.1,g5.NS.1,0.8\n", ", line 2: got '5.NS.1,g5.NS.1,0.8';"
         " expected 2 fields: a code of the placement file, this catalog's skill id"),
        ("map.csv", "code,skill_id\n5.NS.1,g5.NS.1\n5.NS.1,g6.NS.1\n", ", line 3, column 'code':"
         " got '5.NS.1'; expected one line per code (line 2 maps it already)"),
        ("map.json", '["5.NS.1", "g5.NS.1"]', ": got 'list'; expected a CSV file whose first"),
        ("map.json", '{"5.NS.1": 5}', ", column '5.NS.1': got '5'; expected this catalog's "
         "skill id (text), or nothing for a retired skill (null"),
        ("map.json", '{"5.NS.1": "g5.NS.1", "5.NS.1 ": "g6.NS.1"}', ", column '5.NS.1 ': got "
         "'\"g6.NS.1\"'; expected one entry per code ('5.NS.1' is mapped already)"),
        ("map.json", '{"5.NS.1": "g5.NS.1", "5.NS.1": "g6.NS.1"}', ", column '5.NS.1': got "
         "'\"g6.NS.1\"'; expected one entry per code ('5.NS.1' is mapped already)"),
        ("map.json", '{" ": "g5.NS.1"}', ", column ' ': got '\"g5.NS.1\"'; expected a "
         "non-empty code"),
        ("map.csv", "\ncode;skill\n", ", line 2: got 'code;skill'; expected the header"),
    ],
)  # fmt: skip
def test_a_skill_map_file_in_another_form_is_one_error_naming_its_line(
    tmp_path, name, text, expected
) -> None:
    """A map without its header would lose its first code without a word; each other form is
    one error naming the file, the line and what was expected."""
    from adaptive.placement.table import read_skill_map

    path = write(tmp_path, text, name)
    with pytest.raises(DataValidationError) as caught:
        read_skill_map(path)
    assert len(caught.value.problems) == 1
    assert str(caught.value.problems[0]).startswith(f"{path}{expected}")


def test_a_skill_map_given_in_python_is_read_as_a_map_file_is() -> None:
    """An empty target is a retired skill, as a CSV map's empty cell; two codes the same once
    trimmed are refused, as a CSV map's repeated line is (one overwrote the other)."""
    from adaptive.placement.table import SkillMap

    assert SkillMap.of({" 2.OA.9": "", "5.NS.1": "g5.NS.1 "}, catalog()).codes == {
        "2.OA.9": None,
        "5.NS.1": "g5.NS.1",
    }
    with pytest.raises(ConfigError) as caught:
        SkillMap.of({"5.NS.1": "g5.NS.1", " 5.NS.1": "g6.NS.1", "6.NS.1": 6}, catalog())
    assert str(caught.value) == (
        "skill_map: 2 entries not read: ' 5.NS.1' -> str 'g6.NS.1': expected one entry per "
        "code ('5.NS.1' is mapped already), '6.NS.1' -> int 6: expected this catalog's skill id "
        "(text), or nothing for a retired skill (null, None or '')"
    )


def test_a_pandas_built_skill_map_with_nan_for_retired_codes_says_to_use_none() -> None:
    """A map built with pandas from the map file (`dict(zip(df.code, df.skill_id))`) holds NaN
    for a retired code's blank cell; the refusal said "got float nan" and not what to write."""
    from adaptive.placement.table import SkillMap

    with pytest.raises(ConfigError) as caught:
        SkillMap.of({"4.G.1": np.float64("nan"), "5.NS.1": "g5.NS.1"}, catalog())
    assert str(caught.value).endswith(
        "expected this catalog's skill id (text), or nothing for a retired skill (null, None or "
        "''); a blank cell read by pandas: use None"
    )


def test_a_blank_mastery_says_to_leave_out_the_skills_not_assessed(tmp_path) -> None:
    """A blank cell ("not assessed") was refused as "expected a number in [0, 1]", with no word
    of what to do; a blank is no mastery of 0: the rows of skills not assessed are left out."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,\ns1,g6.NS.1,0.5\n")
    assert problems(path) == [
        f"{path}, line 2, column 'Mastery': got ''; expected a number in [0, 1] (a blank or N/A "
        "is a skill not assessed, not a mastery of 0: write the mastery, or delete the row)"
    ]


def test_a_blank_masterys_refusal_names_the_readers_own_options_never_pandas(tmp_path) -> None:
    """L2a of the field trial: a file's refusal advised "frame.dropna(subset=['mastery'])", to a
    placement office that has a CSV and no pandas. Now each problem says what to fix in the file,
    and the hint after them the options as the user's reader takes them: `read_placement`'s
    keywords, a night's and a command's (`placement_...` beside the flag); a frame, which has no
    option, keeps the pandas way."""
    from adaptive.placement.table import PlacementReading

    path = write(tmp_path, HEADER + "s1,g5.NS.1,\ns1,g6.NS.1,0.5\n")
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=OWN)
    said = str(caught.value)
    assert "dropna" not in said and "delete them from the file" in said
    assert "drop_blank_and_identical=True; quarantine=FILE writes them aside" in said
    with pytest.raises(DataValidationError) as caught:
        PlacementReading(columns=OWN).read(path, catalog())
    said = str(caught.value)
    assert "dropna" not in said and "delete them from the file" in said
    assert (
        "placement_drop_blank_and_identical=True; placement_quarantine=FILE writes them aside"
        in said
    )
    frame = pd.DataFrame({"student_id": ["s1"], "skill_id": ["g5.NS.1"], "mastery": [np.nan]})
    with pytest.raises(DataValidationError) as caught:
        mastery_table_placement(frame)
    assert "e.g. frame[~blank_cells(frame['mastery'])]" in str(caught.value)


def test_a_frames_not_assessed_marks_get_a_hint_that_leaves_them_out() -> None:
    """Review 52 #5: a frame's refused "N/A" was told "e.g. frame.dropna(subset=['mastery'])",
    which leaves the text "N/A" in: the user got the same refusal again. The hint now names
    `blank_cells`, which finds the marks as the reader does; following it places the rest."""
    from adaptive.placement import blank_cells

    frame = pd.DataFrame({"student_id": ["s1", "s1", "s2"], "skill_id": ["g5.NS.1", "g6.NS.1",
                          "g5.NS.1"], "mastery": ["N/A", 0.5, np.nan]})  # fmt: skip
    with pytest.raises(DataValidationError) as caught:
        mastery_table_placement(frame)
    said = str(caught.value)
    assert "dropna(subset" not in said and "frame[~blank_cells(frame['mastery'])]" in said, said
    placed = mastery_table_placement(frame[~blank_cells(frame["mastery"])])
    assert placed.students == ("s1",) and placed.mastery.tolist() == [[0.5]]


def test_a_table_whose_every_row_is_retired_by_the_map_is_refused(tmp_path) -> None:
    """Refused as places-nobody, and not as "a header only", which the file is not."""
    path = write(tmp_path, HEADER + "s1,2.OA.9,0.3\n")
    with pytest.raises(ConfigError, match=r"every row \(1\) is of a skill skill_map retires"):
        read_placement(path, catalog(), columns=OWN, skill_map={"2.OA.9": None})


# --- a file of another kind given as the placement table (L16) ---


def test_a_roster_or_a_response_log_given_as_the_placement_says_what_it_looks_like(
    tmp_path,
) -> None:
    """Before, a roster or a response log given as --placement was refused with "expected a
    column of the mastery table" only, which says what it is not."""
    roster = write(tmp_path, "SIS ID,Last Name,Grade Level,School Code\n0042,Doe,6,sch1\n", "r.csv")
    with pytest.raises(DataValidationError) as caught:
        read_placement(roster, catalog())
    message = str(caught.value)
    assert "r.csv, line 1; expected a column of the mastery table for each of student_id" in message
    assert "r.csv: this looks like a roster (student and grade columns): make profiles of it" in (
        message
    )
    log = tmp_path / "log.parquet"
    pd.DataFrame(
        {"student_id": ["s1"], "item_id": ["q1"], "skill_ids": ["g5.NS.1"], "correct": [1]}
    ).to_parquet(log)
    with pytest.raises(DataValidationError, match="this looks like a response log .*--data"):
        read_placement(log, catalog())
    other = write(tmp_path, "StudentNumber,Course,FinalGrade\ns1,Math 5,C\n", "t.csv")
    with pytest.raises(DataValidationError) as caught:  # no kind: its problems say enough
        read_placement(other, catalog())
    assert "it is a CSV file" not in str(caught.value)  # review #8: said as if a hint


def test_json_lines_of_profiles_given_as_the_placement_are_named_never_quoted(tmp_path) -> None:
    """Before, a profiles file given as --placement was read as a CSV whose header was its first
    line: three problems each quoting a whole profile, its student id among it. A gzipped one
    (review #2) still was, with the hint "it is a CSV file"."""
    import gzip

    line = '{"grade": 6, "student_id": "stu0000042"}\n'
    gzipped = tmp_path / "profiles.jsonl.gz"
    gzipped.write_bytes(gzip.compress(line.encode()))
    for path in (write(tmp_path, line, "profiles.jsonl"), gzipped):
        with pytest.raises(DataValidationError) as caught:
            read_placement(path, catalog())
        message = str(caught.value)
        assert "stu0000042" not in message and len(caught.value.problems) == 1
        assert f"{path.name}, line 1; expected a CSV or Parquet table of student_id, skill_id" in (
            message
        )
        assert "this looks like JSON lines of learner profiles: give it as --profiles" in message
    from adaptive.placement.table import role_names

    header = ['{"student_id": "stu0000042"', ' "grade": 6}']  # JSON not told as JSON: unquoted
    with pytest.raises(DataValidationError, match="found: a line of JSON") as caught:
        role_names(header, {}, str(tmp_path / "gone.csv"), 1)
    assert "stu0000042" not in str(caught.value)


def test_a_roster_frame_given_as_a_mastery_table_says_what_it_looks_like() -> None:
    """Before, a roster frame got "expected a column of the mastery table" only."""
    with pytest.raises(DataValidationError, match="<frame>: this looks like a roster"):
        mastery_table_placement(pd.DataFrame({"student_id": ["s1"], "grade": [6]}))


def test_a_skill_of_another_grade_is_not_offered_for_a_code_of_a_grade(tmp_path) -> None:
    """A placement trial: 'g2.NS.1' (a grade below the catalog) was offered 'g8.NS.1'."""
    path = write(tmp_path, HEADER + "s1,g4.NS.1,0.5\n")
    (said,) = problems(path)
    assert "got 'g4.NS.1'; expected a skill of the catalog (a code renamed or retired" in said
    assert "did you mean" not in said


def test_a_source_column_of_dates_or_numbers_is_warned_of_and_still_said(tmp_path) -> None:
    """A placement trial: a fourth --placement-columns name pointing at 'Last Assessed' made
    "12.06.2026" each student's placement reason, without a word."""
    text = "Student ID,Standard,Mastery,Last Assessed\ns1,g5.NS.1,0.8,12.06.2026\n"
    path = write(tmp_path, text + "s2,g5.NS.1,0.4,2026-06-11\n")
    columns = {**OWN, "source": "Last Assessed"}
    with pytest.warns(PlacementWarning) as said:
        placed = read_placement(path, catalog(), columns=columns)
    assert str(said[0].message).startswith(
        f"{path}: the source column 'Last Assessed' holds dates (e.g. '12.06.2026'), not where "
        "students were placed: is it the right column?"
    )
    assert placed.sources == ("12.06.2026", "2026-06-11")  # still the reasons: nothing dropped
    ids = write(tmp_path, "Student ID,Standard,Mastery,Ref\ns1,g5.NS.1,0.8,4501\n", "ids.csv")
    with pytest.warns(PlacementWarning, match=r"'Ref' holds whole numbers, not where") as said:
        read_placement(ids, catalog(), columns={**OWN, "source": "Ref"})
    assert "4501" not in str(said[0].message)  # whole numbers may be ids: never quoted
    frame = pd.DataFrame(
        {"student_id": ["s1"], "skill_id": ["g5.NS.1"], "mastery": [0.8], "source": ["1.5"]}
    )
    with pytest.warns(PlacementWarning, match=r"<frame>: .* holds numbers \(e.g. '1.5'\)"):
        mastery_table_placement(frame)  # a frame's whole table, as a file's
    words = write(tmp_path, "Student ID,Standard,Mastery,source\ns1,g5.NS.1,0.8,placed by MAP\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_placement(words, catalog(), columns=OWN)


# --- 12. blanks and rows given twice left out at the user's asking (M8 of the placement trial) ---

#: A vendor export with a skill not assessed (line 3), a row exported twice (line 5 copies line
#: 2) and both again (line 6 copies line 3).
GAPS = HEADER + "s1,g5.NS.1,0.8\ns1,g6.NS.1,\ns2,g5.NS.1,0.4\ns1,g5.NS.1,0.8\ns1,g6.NS.1,\n"


def test_blank_masteries_and_identical_rows_are_refused_with_the_option_that_drops_them(
    tmp_path,
) -> None:
    """A real export with blanks and a double export was refused whole, with no way through
    but hand-editing: still refused by default (nothing dropped unasked), and the error says
    which option leaves those rows out."""
    path = write(tmp_path, GAPS)
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=OWN)
    said = str(caught.value)
    assert "line 3, column 'Mastery': got ''" in said and "identical to line 2" in said
    assert "drop_blank_and_identical=True; quarantine=FILE writes them aside" in said


def test_the_option_is_said_for_a_blank_past_the_listed_problems(tmp_path) -> None:
    """Whether the refusal said the drop option was decided by matching the listed problems'
    text, so a blank after 20 other mastery problems (not listed) went without it. Now the
    blank rows are counted as they are found, listed or not."""
    rows = "".join(f"s{i},g5.NS.1,x\n" for i in range(20)) + "s20,g5.NS.1,\n"
    with pytest.raises(DataValidationError) as caught:
        read_placement(write(tmp_path, HEADER + rows), catalog(), columns=OWN)
    assert caught.value.total == 21 and "got ''" not in str(caught.value)
    assert str(caught.value).endswith("Other rows are still refused.")


def test_blank_and_identical_rows_are_left_out_counted_and_quarantined_when_asked(
    tmp_path,
) -> None:
    """With the opt-in the rows are left out (an identical row's first stands), counted in one
    warning with their lines and no student id, and written with their reasons to the
    quarantine file in the log reader's format."""
    path = write(tmp_path, GAPS)
    quarantine = tmp_path / "rejected.csv"
    expected = read_placement(write(tmp_path, HEADER + "s1,g5.NS.1,0.8\ns2,g5.NS.1,0.4\n",
                                    "clean.csv"), catalog(), columns=OWN)  # fmt: skip
    for asked in ({"drop_blank_and_identical": True}, {"quarantine": quarantine}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            placed = read_placement(path, catalog(), columns=OWN, **asked)
        assert (placed.students, placed.skills) == (expected.students, expected.skills)
        np.testing.assert_array_equal(placed.mastery, expected.mastery)
        said = [str(w.message) for w in caught if w.category is PlacementWarning]
        where = f"; written with their reasons to {quarantine}" if "quarantine" in asked else ""
        assert said == [
            f"{path}: 3 rows left out, as asked with drop_blank_and_identical=True: "
            "2 rows with a blank "
            "mastery (a skill not assessed) (lines 3 and 6); 1 row identical to an earlier row (a "
            f"row given twice) (line 5){where}"
        ]
    written = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    assert list(written.columns) == ["line", "reason", "Student ID", "Standard", "Mastery",
                                     "raw_text"]  # fmt: skip
    assert written["line"].tolist() == ["3", "5", "6"]
    assert written["reason"].tolist() == [
        "column 'Mastery': got ''; expected a number in [0, 1] (a blank or not-assessed mark: "
        "a skill not assessed)",
        "column 'Standard'; expected one row per (student, skill) (identical to line 2 in "
        "student, skill and mastery: a row given twice; the first stands)",
        "column 'Mastery': got ''; expected a number in [0, 1] (a blank or not-assessed mark: "
        "a skill not assessed)",
    ]
    assert written["Standard"].tolist() == ["g6.NS.1", "g5.NS.1", "g6.NS.1"]


def test_the_quarantine_file_holds_each_row_as_the_file_wrote_it(tmp_path) -> None:
    """A row given twice was written as checked (its id trimmed, its mastery parsed, its code
    read through the skill map) with an internal `code` column, beside blank rows written as
    read; and its reason did not say which line it repeats. Now both kinds hold the file's own
    cells under its own column names, and the reason names the earlier line."""
    path = write(tmp_path, HEADER + " s1 ,5.NS.1,0.80\ns1,g6.NS.1,\n s1 ,5.NS.1,0.80\n")
    quarantine = tmp_path / "rejected.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        read_placement(path, catalog(), columns=OWN, skill_map={"5.NS.1": "g5.NS.1"},
                       quarantine=quarantine)  # fmt: skip
    written = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    assert written.to_dict("records") == [
        {"line": "3", "reason": "column 'Mastery': got ''; expected a number in [0, 1] (a blank "
         "or not-assessed mark: a skill not assessed)", "Student ID": "s1", "Standard": "g6.NS.1", "Mastery": "",
         "raw_text": "s1,g6.NS.1,"},
        {"line": "4", "reason": "column 'Standard'; expected one row per (student, skill) "
         "(identical to line 2 in student, skill and mastery: a row given twice; the first "
         "stands)", "Student ID": " s1 ", "Standard": "5.NS.1", "Mastery": "0.80",
         "raw_text": " s1 ,5.NS.1,0.80"},
    ]  # fmt: skip


def test_the_drop_warning_lists_the_first_rows_and_counts_the_rest(tmp_path) -> None:
    """The warning said 'lines 2, 3, 4, 5, 6 and 2 more' with a copy of `line_words`; now it
    is said as every message says lines, with the total."""
    rows = "".join(f"s{i},g5.NS.1,\n" for i in range(7)) + "s7,g5.NS.1,0.5\n"
    with pytest.warns(PlacementWarning) as caught:
        read_placement(write(tmp_path, HEADER + rows), catalog(), columns=OWN,
                       drop_blank_and_identical=True)  # fmt: skip
    assert "(lines 2, 3, 4, 5, 6 and 2 more (7 lines))" in str(caught[0].message)


def test_dropping_blank_rows_runs_no_python_per_row(tmp_path, monkeypatch) -> None:
    """The blank test ran a Python function on every row of every batch (about 22 s for a
    district's 48 M rows), and each row set aside became a Python dict held to the end. Now
    both are column-wise: reading 2,000 rows calls the per-cell function for none of them."""
    from adaptive.placement import table

    calls = []
    monkeypatch.setattr(table, "cell_text", lambda v: calls.append(v) or str(v))
    rows = "".join(f"s{i},g5.NS.1,{'' if i % 2 else 0.5}\n" for i in range(2_000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        placed = read_placement(write(tmp_path, HEADER + rows), catalog(), columns=OWN,
                                quarantine=tmp_path / "q.csv")  # fmt: skip
    assert len(placed.students) == 1_000 and len(calls) == 0
    assert len(pd.read_csv(tmp_path / "q.csv")) == 1_000


def test_a_row_giving_another_mastery_is_still_refused_with_the_opt_in(tmp_path) -> None:
    """Only blanks and exact copies are dropped: a row giving the same student and skill
    another mastery (or, through a map, another code) is a conflict, never resolved silently."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.8\ns1,g5.NS.1,0.7\ns1,g6.NS.1,\n")
    assert problems(path, drop_blank_and_identical=True) == [
        f"{path}, line 3, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
        "skill) (line 2 has the same student and skill"
        ": mastery 0.8 there, 0.7 here)"
    ]
    mapped = write(tmp_path, HEADER + "s1,5.NS.1,0.8\ns1,g5.NS.1,0.8\n", "mapped.csv")
    found = problems(mapped, skill_map={"5.NS.1": "g5.NS.1"}, drop_blank_and_identical=True)
    assert len(found) == 1 and "two codes read as one skill" in found[0]
    # a mastery that is not blank is refused as before
    bad = write(tmp_path, HEADER + "s1,g5.NS.1,85%\n", "bad.csv")
    assert len(problems(bad, quarantine=tmp_path / "q.csv")) == 1
    assert not (tmp_path / "q.csv").exists()


def test_the_quarantine_cannot_be_the_skill_map_file_being_read(tmp_path) -> None:
    """Only the table itself was checked: `quarantine=` naming the skill map file replaced the
    map with the rejected rows. Now refused before either file is read."""
    from adaptive.errors import AdaptiveError

    skill_map = write(tmp_path, "code,skill_id\n5.NS.1,g5.NS.1\n", "map.csv")
    with pytest.raises(AdaptiveError, match="the same file as the skill map"):
        read_placement(write(tmp_path, GAPS), catalog(), columns=OWN, skill_map=skill_map,
                       quarantine=tmp_path / "map.csv")  # fmt: skip
    assert skill_map.read_text() == "code,skill_id\n5.NS.1,g5.NS.1\n"


# --- 13. field-hardening of the placement trial's dirty export (session 52) ---


def test_row_drops_counts_mean_one_thing_each(tmp_path) -> None:
    """Re-read #12: `RowDrops.blank` and `.identical` counted rows left out with the option and,
    without it, rows refused (the identical ones only among the listed repeats), for the hint.
    Now the counts are rows left out, and a refusal only notes that it holds such rows."""
    from adaptive.placement.table import RowDrops, checked_batches, new_found

    refused = RowDrops()
    for _ in checked_batches(write(tmp_path, GAPS), catalog(), OWN, new_found(), drops=refused):
        pass
    assert (refused.blank_left_out, refused.identical_left_out) == (0, 0)
    assert refused.refusal_has_droppable
    dropped = RowDrops(drop=True)
    for _ in checked_batches(write(tmp_path, GAPS), catalog(), OWN, new_found(), drops=dropped):
        pass
    assert (dropped.blank_left_out, dropped.left_out, dropped.quarantined) == (2, 2, None)
    assert not dropped.refusal_has_droppable


def test_a_dropped_repeats_reason_is_built_column_wise_as_its_single_row_wording() -> None:
    """Re-read #11: the quarantine reason of a row given twice was its one-row wording
    around a "\\0" placeholder, split apart again. Now its pieces are named, and the column of
    reasons reads as the one-row reason does, for lines and Parquet rows."""
    import pyarrow as pa

    from adaptive.data.io import quarantine_reason
    from adaptive.errors import Problem
    from adaptive.placement.table import dropped_repeat_expected, dropped_repeat_reasons

    earlier = pa.chunked_array([[2, 17]])
    for unit in ("line", "row"):
        built = dropped_repeat_reasons("Standard", unit, earlier).to_pylist()
        assert built == [
            quarantine_reason(Problem("", None, "Standard", None,
                                      dropped_repeat_expected(f"{unit} {n}")))
            for n in (2, 17)
        ]  # fmt: skip


@pytest.mark.parametrize(
    "mark",
    ["N/A", "n/a", "NA", "#N/A", "-", "null", "None", "nan", " N/A ", "n.a.", "N.A.", "\u2014"],
)
def test_a_not_assessed_mark_is_read_as_a_blank_never_a_number(tmp_path, mark) -> None:
    """L2b of the field trial: an office's export wrote "N/A" for a skill not assessed; it was
    refused as a bad number even with drop_blank_and_identical=True, so the opt-in did not
    get the file through. Now the usual marks (`NOT_ASSESSED`) are blanks: refused as a blank
    (naming what to fix), left out with the opt-in and quarantined as the file wrote them."""
    path = write(tmp_path, HEADER + f"s1,g5.NS.1,{mark}\ns1,g6.NS.1,0.5\n")
    assert problems(path) == [
        f"{path}, line 2, column 'Mastery': got {mark!r}; expected a number in [0, 1] (a blank or "
        "N/A is a skill not assessed, not a mastery of 0: write the mastery, or delete the row)"
    ]
    quarantine = tmp_path / "q.csv"
    with pytest.warns(PlacementWarning, match="1 row with a blank mastery"):
        placed = read_placement(path, catalog(), columns=OWN, quarantine=quarantine)
    assert placed.skills == ("g6.NS.1",) and placed.mastery.tolist() == [[0.5]]
    written = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    assert written["Mastery"].tolist() == [mark]
    # the reason quotes the cell as the refusal does (it said got '' beside an 'N/A' cell)
    assert written["reason"].tolist() == [
        f"column 'Mastery': got {mark!r}; expected a number in [0, 1] (a blank or not-assessed "
        "mark: a skill not assessed)"
    ]


def test_a_not_assessed_mark_in_a_frame_or_parquet_is_a_blank_too(tmp_path) -> None:
    """The same marks in a frame's text column and a Parquet file's."""
    frame = pd.DataFrame(
        {"student_id": ["s1", "s1"], "skill_id": ["g5.NS.1", "g6.NS.1"], "mastery": ["N/A", "0.5"]}
    )
    assert frame_problems(frame)[0].endswith("(a blank or N/A is a skill not assessed, not a "
                                              "mastery of 0: write the mastery, or delete the row)")  # fmt: skip
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.warns(PlacementWarning, match="1 row with a blank mastery"):
        placed = read_placement(tmp_path / "t.parquet", catalog(), drop_blank_and_identical=True)
    assert placed.mastery.tolist() == [[0.5]]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("abc", "a number in [0, 1]"),
        ("absent", "a number in [0, 1]"),
        ("-0.2", "a number in [0, 1]"),
        ("1.5", "a number in [0, 1]"),  # one number above 1 among fractions: no guess
        ("95%", "a number in [0, 1] (a percentage: write 0.95)"),
    ],
)
def test_a_bad_mastery_is_still_refused_with_the_opt_in(tmp_path, value, expected) -> None:
    """Only the not-assessed marks are blanks: any other value that is no number in [0, 1] is
    refused, with or without the opt-in, naming the file, line, column, value and expected."""
    path = write(tmp_path, HEADER + f"s1,g5.NS.1,{value}\ns1,g6.NS.1,0.5\n")
    for asked in ({}, {"drop_blank_and_identical": True}):
        assert problems(path, **asked) == [
            f"{path}, line 2, column 'Mastery': got {value!r}; expected {expected}"
        ]


def test_a_conflicting_repeat_shows_both_masteries_and_both_lines(tmp_path) -> None:
    """L2c of the field trial: a student and skill given 0.8 at line 2 and 0.7 at line 4 was
    refused as "line 2 has the same student and skill", hiding which values conflict. Now
    both values are said beside both lines; rows agreeing on the mastery but not the source
    say so."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.8\ns2,g5.NS.1,0.5\ns1,g5.NS.1,0.70\n")
    assert problems(path) == [
        f"{path}, line 4, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
        "skill) (line 2 has the same student and skill: mastery 0.8 there, 0.7 here)"
    ]
    sourced = write(tmp_path, "Student ID,Standard,Mastery,source\ns1,g5.NS.1,0.8,MAP\n"
                    "s1,g5.NS.1,0.8,iReady\n", "sourced.csv")  # fmt: skip
    assert problems(sourced, drop_blank_and_identical=True)[-1].endswith(
        "(line 2 has the same student and skill and mastery 0.8, but another source)"
    )


def test_the_quarantine_file_keeps_each_rows_text_with_its_other_columns(tmp_path) -> None:
    """L3a of the field trial: the placement quarantine's raw_text column was empty, so the
    columns the table is not read by (a name, a date) were lost from the rows set aside. Now
    it holds each CSV row's text, every field, quoted as a CSV writer quotes (a field holding
    the separator, a quote or a line break), in a ';' file too; a Parquet row has none."""
    text = (
        "Name;Student ID;Standard;Mastery;Note\n"
        'Doe, Jane;s1;g5.NS.1;N/A;"said ""absent""\nall week"\n'
        "Roe;s2;g5.NS.1;0.4;\n"
        "Roe;s2;g5.NS.1;0.4;\n"
    )
    path = write(tmp_path, text)
    quarantine = tmp_path / "rejected.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        read_placement(path, catalog(), columns=OWN, quarantine=quarantine)
    written = pd.read_csv(quarantine, dtype=str, keep_default_na=False)
    assert written["line"].tolist() == ["2", "5"]
    assert written["raw_text"].tolist() == [
        'Doe, Jane;s1;g5.NS.1;N/A;"said ""absent""\nall week"',
        "Roe;s2;g5.NS.1;0.4;",
    ]
    parquet = tmp_path / "t.parquet"
    pd.read_csv(path, sep=";", dtype=str, keep_default_na=False).to_parquet(parquet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        read_placement(parquet, catalog(), columns=OWN, quarantine=quarantine)
    assert pd.read_csv(quarantine, dtype=str, keep_default_na=False)["raw_text"].tolist() == [
        "",
        "",
    ]


def test_a_repeat_whose_masteries_differ_in_the_last_digits_says_both_values(tmp_path) -> None:
    """Review 52 #3: 0.8 and 0.8000001 both printed as "0.8", so the repeat was said to agree
    on the mastery "but another source", in a file without a source column. Now the values are
    told apart by the cells, and said in full where their short forms look the same; "another
    source" only where the table's sources differ."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,0.8\ns1,g5.NS.1,0.8000001\n")
    for asked in ({}, {"drop_blank_and_identical": True}):
        assert problems(path, **asked) == [
            f"{path}, line 3, column 'Standard': got 'g5.NS.1'; expected one row per (student, "
            "skill) (line 2 has the same student and skill: mastery 0.8 there, 0.8000001 here)"
        ]


def test_the_not_assessed_marks_are_one_list_named_in_the_hint_and_the_readme(tmp_path) -> None:
    """Review 52 #13: the marks read as blanks were a set no message named ("n.a." and an em
    dash were refused as bad numbers, "N/A" was not, and nothing said why). They are one list
    (`NOT_ASSESSED_MARKS`), named in the refusal's hint and listed as such in the README."""
    from pathlib import Path

    from adaptive.placement.table import NOT_ASSESSED, NOT_ASSESSED_MARKS

    assert {"", *(m.casefold() for m in NOT_ASSESSED_MARKS)} == NOT_ASSESSED
    path = write(tmp_path, HEADER + "s1,g5.NS.1,N/A\n")
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=OWN)
    assert f"a not-assessed mark: {', '.join(NOT_ASSESSED_MARKS)}, in any case" in str(caught.value)
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    listed = ", ".join(f"`{m}`" for m in NOT_ASSESSED_MARKS)
    assert f"a not-assessed mark: {listed}, trimmed and in any case" in readme
    problem = problems(write(tmp_path, HEADER + "s1,g5.NS.1,absent\n", "absent.csv"))
    assert problem[0].endswith("got 'absent'; expected a number in [0, 1]")  # no mark: refused


def test_a_placement_file_is_read_one_way_whatever_the_entry_point(tmp_path, monkeypatch) -> None:
    """Review 52 #10 and #18: `read_placement`, the public `read_placement_dropping` and
    `PlacementReading.read`/`read_counted` were three ways in, normalising the options twice,
    one skipping `placement_path` and one ignoring `batch_rows`; and `RowDrops.quarantined` said
    0 where no quarantine was asked, which the night then turned into None itself. Now both
    entry points go through one reading (the options checked once, `batch_rows` honoured), and
    `quarantined` is None where no quarantine was asked."""
    import adaptive.placement.table as table
    from adaptive.placement.table import PlacementReading

    assert not hasattr(table, "read_placement_dropping")
    path = write(tmp_path, GAPS)
    calls: list[int] = []
    checked = table.checked_batches
    normalised = table.placement_columns

    def spy(*args, **kwargs):
        calls.append(args[4] if len(args) > 4 else kwargs["batch_rows"])
        return checked(*args, **kwargs)

    def counted_columns(given):
        calls.append(-1)
        return normalised(given)

    monkeypatch.setattr(table, "checked_batches", spy)
    monkeypatch.setattr(table, "placement_columns", counted_columns)
    reading = PlacementReading(columns=OWN, drop_blank_and_identical=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        placed, drops = reading.read_counted(path, catalog(), batch_rows=2)
        assert calls == [-1, 2] and drops.left_out == 3 and drops.quarantined is None
        calls.clear()
        again = read_placement(str(path), catalog(), OWN, 3, drop_blank_and_identical=True)
    assert calls == [-1, 3] and again.students == placed.students
    with pytest.raises(TypeError, match="expected the path of a placement file"):
        reading.read(pd.DataFrame(), catalog())  # placement_path on every way in


def test_a_quarantined_rows_raw_text_reads_back_as_the_same_fields(tmp_path) -> None:
    """Review 52 #14: the placement quarantine's raw_text is the row's text rebuilt from its
    fields (documented in `write_quarantine_csv` and the README): it reads back as the same
    fields, a field quoted without need coming back unquoted."""
    import csv

    text = 'Name,Student ID,Standard,Mastery\n"Doe, J",s1,g5.NS.1,N/A\n"Roe",s2,g5.NS.1,"0.4"\n'
    path = write(tmp_path, text + '"Roe",s2,g5.NS.1,"0.4"\n')
    quarantine = tmp_path / "rejected.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlacementWarning)
        read_placement(path, catalog(), columns=OWN, quarantine=quarantine)
    raw = pd.read_csv(quarantine, dtype=str, keep_default_na=False)["raw_text"].tolist()
    assert raw == ['"Doe, J",s1,g5.NS.1,N/A', "Roe,s2,g5.NS.1,0.4"]
    assert [next(csv.reader([r])) for r in raw] == [
        ["Doe, J", "s1", "g5.NS.1", "N/A"],
        ["Roe", "s2", "g5.NS.1", "0.4"],
    ]


def test_the_opt_in_is_worded_one_way_and_as_its_reader_asked_it(tmp_path) -> None:
    """Review 52 #17: `read_placement`'s hint mixed "drop_blank_and_identical=True (in a
    command: --...)" with "quarantine=PATH (--placement-quarantine FILE)", and the warning said
    "(drop_blank_and_identical)" to a night that had asked with
    placement_drop_blank_and_identical. Each reader's words now come from one formatter
    (`OptionNames.of`), and the warning names the opt-in as its reader's user wrote it (trial
    53: in that user's terms alone)."""
    from adaptive.placement.table import (
        COMMAND_NAMES,
        NIGHT_NAMES,
        READER_NAMES,
        PlacementReading,
    )

    users = (READER_NAMES, NIGHT_NAMES, COMMAND_NAMES)
    assert [names.of("drop_blank_and_identical") for names in users] == [
        "drop_blank_and_identical=True",
        "placement_drop_blank_and_identical=True",
        "--placement-drop-blank-and-identical",
    ]
    assert [names.of("quarantine", "FILE") for names in users] == [
        "quarantine=FILE",
        "placement_quarantine=FILE",
        "--placement-quarantine FILE",
    ]
    path = write(tmp_path, GAPS)
    with pytest.warns(PlacementWarning) as caught:
        PlacementReading(columns=OWN, drop_blank_and_identical=True).read(path, catalog())
    said = str(caught[0].message)
    assert "left out, as asked with placement_drop_blank_and_identical=True:" in said, said


def test_an_unknown_skill_says_how_to_map_it_in_its_readers_words_alone(tmp_path) -> None:
    """Reread 53: after trial 53 the opt-ins were named in the caller's terms, but the unknown
    skill's hint beside them still said "map it with skill_map / --placement-skill-map" to
    everyone: a keyword beside a flag on a command, and to a night's Python caller a keyword
    (`skill_map`) that `run_daily_job` does not take (its own is `placement_skill_map`)."""
    from adaptive.placement.table import COMMAND_NAMES, NIGHT_NAMES, PlacementReading

    path = write(tmp_path, HEADER + "s1,g4.X.1,0.3\n")
    expected = f"{path}, line 2, column 'Standard': got 'g4.X.1'; expected a skill of the catalog"
    assert problems(path) == [f"{expected} ({RENAMED}? map it with skill_map=MAP)"]
    for names, said in (
        (NIGHT_NAMES, "placement_skill_map=MAP"),
        (COMMAND_NAMES, "--placement-skill-map MAP"),
    ):
        with pytest.raises(DataValidationError) as caught:
            PlacementReading(columns=OWN, names=names).read(path, catalog())
        assert [str(p) for p in caught.value.problems] == [
            f"{expected} ({RENAMED}? map it with {said})"
        ]


def test_a_column_or_role_named_in_another_case_or_spelling_gets_a_did_you_mean(tmp_path):
    """Trial 52 (10): --placement-columns 'Learner Id,...' for the file's 'Learner ID' was told
    only "expected a column of the file (found: ...)", and columns={"skill": ...} in Python
    "unknown role(s) skill" without the role it meant. Both now say which was meant."""
    path = write(tmp_path, "Learner ID,Standard,Mastery\ns1,g5.NS.1,0.5\n")
    said = problems(path, columns={**OWN, "student_id": "Learner Id"})
    assert said == [
        f"{path}, column 'Learner Id'; expected a column of the file (found: Learner ID, "
        "Standard, Mastery; did you mean 'Learner ID'?)"
    ]
    with pytest.raises(ConfigError) as caught:
        read_placement(path, catalog(), columns={"skill": "Standard"})
    assert "unknown role 'skill' (did you mean 'skill_id'?)" in str(caught.value)


def test_a_file_without_the_named_columns_is_one_problem_with_its_own_columns_as_example(tmp_path):
    """Trial 52 (11): a file read without --placement-columns got one problem per missing role,
    each repeating "(found: ...)" and a generic example inside "(adaptive batch: ...)", even in
    `validate`. It is now one problem at the header, the example made of the file's own likely
    columns, said for Python and a command alike; one missing role is still its own problem."""
    path = write(tmp_path, "Learner ID;Standard Code;Score;Assessed On\ns1;g5.NS.1;0.5;x\n")
    assert problems(path, columns=None) == [
        f"{path}, line 1; expected a column of the mastery table for each of student_id, "
        "skill_id, mastery (found: Learner ID, Standard Code, Score, Assessed On); for other "
        "column names pass columns= in Python, or --placement-columns on a command, for example "
        "columns={'student_id': 'Learner ID', 'skill_id': 'Standard Code', 'mastery': 'Score'} "
        "or --placement-columns 'Learner ID,Standard Code,Score' (a guess from the header: check "
        "that these are the right columns)"
    ]
    one = write(tmp_path, "student_id,skill_id,Score\ns1,g5.NS.1,0.5\n", "one.csv")
    said = problems(one, columns=None)
    assert len(said) == 1 and said[0].startswith(f"{one}, column 'mastery'; expected a column")
    assert "adaptive batch" not in said[0]


def test_a_frame_or_parquet_file_without_the_columns_is_one_problem_of_its_columns(
    tmp_path,
) -> None:
    """Re-read 52 #8: trial 11 was mended for CSV files only: a frame still got three lines,
    each repeating "(found: learner, kc, p)", and a Parquet file's one problem had no place
    ("t.parquet; expected ..."). Both are now one problem at the table's columns."""
    wrong = pd.DataFrame({"learner": ["s1"], "kc": ["g5.NS.1"], "p": [0.5]})
    assert frame_problems(wrong) == [
        "<frame>, columns; expected a column of the mastery table for each of student_id, "
        "skill_id, mastery (found: learner, kc, p); rename the frame's columns, e.g. "
        "frame.rename(columns={'Student ID': 'student_id', 'Standard': 'skill_id', "
        "'Mastery': 'mastery'})"
    ]
    one = frame_problems(wrong.rename(columns={"learner": "student_id", "kc": "skill_id"}))
    assert one == ["<frame>, column 'mastery'; expected a column of the mastery table (found: "
                   "student_id, skill_id, p)"]  # fmt: skip
    path = tmp_path / "t.parquet"
    wrong.to_parquet(path)
    (said,) = problems(path, columns=None)
    assert said.startswith(f"{path}, columns; expected a column of the mastery table for each "
                           "of student_id, skill_id, mastery (found: learner, kc, p); "), said  # fmt: skip


def test_the_own_columns_example_never_takes_a_name_for_an_id_and_is_only_an_example(
    tmp_path,
) -> None:
    """Re-read 52 #4: "Learner Name,Learner ID,..." was told to pass columns={'student_id':
    'Learner Name', ...} as the fix: followed, every placement is keyed by a student's name.
    Id roles now take an id-like column, never a name one; the example is said as one, and
    only where each role has one likely column ("known" is not "Unknown")."""
    path = write(tmp_path, "Learner Name,Learner ID,Standard,Score\nAnn Lee,s1,g5.NS.1,0.8\n")
    (said,) = problems(path, columns=None)
    assert "for example columns={'student_id': 'Learner ID', 'skill_id': 'Standard'," in said
    assert "--placement-columns 'Learner ID,Standard,Score' (a guess from the header" in said
    assert "'Learner Name'," not in said.split("found:")[1].split(")")[1], said
    generic = "e.g. --placement-columns 'Student ID,Standard,Mastery'"
    for header in ("Learner Name,Standard,Score", "Learner ID,KC,Unknown",
                   "Learner ID,Standard,Score,Percent"):  # fmt: skip
        other = write(tmp_path, f"{header}\ns1,g5.NS.1,0.8\n", "other.csv")
        (said,) = problems(other, columns=None)
        assert said.endswith(generic), said


def test_the_problem_list_never_skips_a_line_a_kinds_limit_left_out(tmp_path) -> None:
    """Re-read 52 #10: each kind was cut to its first 20 before the kinds were sorted by
    line, so the list could skip lines without a word: 10 unknown skills (lines 2-11) then
    20 empty ones (lines 12-31) listed lines 12-31 and hid 2-11. The list now holds each kind's
    first by line and stops where a kind that has more stops, the rest counted."""
    rows = [f"s{i},zz{i},0.5" for i in range(10)] + [f"t{i},,0.5" for i in range(20)]
    rows += ["u1,g5.NS.1,high"]  # line 32: after every listed line, counted
    path = write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=OWN)
    lines = [p.line for p in caught.value.problems]
    assert lines == list(range(2, 22)), lines
    assert str(caught.value).endswith("... and 11 more"), str(caught.value)[-200:]


def test_a_frames_problems_are_listed_by_position_not_label() -> None:
    """Re-read 52 #10: a frame's problems were sorted by row label (label 3 before label 9
    where 9 is the frame's first row), and a label that is no number went first, as if a
    problem of its columns. They are in the frame's order; any other row goes last."""
    from adaptive.errors import Problem
    from adaptive.placement.table import file_order

    frame = pd.DataFrame(
        {"student_id": ["s1", "s2"], "skill_id": ["g5.NS.1"] * 2, "mastery": ["x", "y"]},
        index=[9, 3],
    )
    said = frame_problems(frame)
    assert [p.split(", ")[1] for p in said] == ["row label 9", "row label 3"], said
    other = Problem("<frame>", None, "mastery", "x", "a number", "row label x")
    numbered = Problem("<frame>", None, "mastery", "x", "a number", "row label 3")
    assert file_order(Problem("<frame>", None, None, None, "a column")) < file_order(numbered)
    assert file_order(numbered) < file_order(other)


def test_a_files_problems_are_listed_in_line_order(tmp_path) -> None:
    """Trial 52 (12): the problems were grouped by kind (ids, skills, masteries, repeats), so a
    clerk fixing the file top to bottom read lines 6, 7, 12, 4, 8, 2, ... They are now in line
    order, one line's problems in the order of their kinds."""
    path = write(tmp_path, HEADER + "s1,g5.NS.1,85%\ns1,zz,0.5\n,g5.NS.1,0.5\ns1,g5.NS.1,0.3\n"
                 "s2,G5.NS.1,x\n")  # fmt: skip
    said = problems(path)
    assert [p.split(", ")[1] for p in said] == ["line 2", "line 3", "line 4", "line 5", "line 6",
                                                "line 6"]  # fmt: skip
    assert "column 'Standard'" in said[4] and "column 'Mastery'" in said[5]
    frame = pd.DataFrame({"student_id": ["s1", "", "s2"], "skill_id": ["g5.NS.1"] * 3,
                          "mastery": [0.5, 0.5, 2.0]}, index=[7, 3, 5])  # fmt: skip
    assert [p.split(", ")[1] for p in frame_problems(frame)] == ["row label 3", "row label 5"]


def test_a_refused_placement_file_names_the_python_keywords_only(tmp_path) -> None:
    """Trial 53: the refusal named each opt-in twice, keyword and flag ("drop_blank_and_identical=
    True (--placement-drop-blank-and-identical)"), to a Python caller who has no flag. Now
    `read_placement` names its own keywords, and a night's reading (`run_daily_job`'s
    `placement_...`) its own, never a flag."""
    from adaptive.placement.table import PlacementReading

    path = write(tmp_path, GAPS)
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, catalog(), columns=OWN)
    said = str(caught.value).replace(str(tmp_path), "")
    assert (
        "have them left out and counted with drop_blank_and_identical=True; quarantine=FILE "
        "writes them aside" in said
    ), said
    assert "--placement" not in said and "placement_" not in said, said
    with pytest.raises(DataValidationError) as caught:
        PlacementReading(columns=OWN).read(path, catalog())
    said = str(caught.value).replace(str(tmp_path), "")
    assert (
        "counted with placement_drop_blank_and_identical=True; placement_quarantine=FILE "
        "writes them aside" in said
    ), said
    assert "--placement" not in said, said
