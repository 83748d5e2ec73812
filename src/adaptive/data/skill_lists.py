"""Skill cells that look like lists of skills: the one check behind the load report's note
(`adaptive validate`, `load_log`) and `ResponseLog.from_frame`'s warning.

An export may join the skills of one answer in one cell ("7.RP.1|7.RP.2"). Read without a
separator, each such cell is ONE skill of its own, which a model then traces beside the real
ones: the readers say so, with how many rows and the way to give the separator, which each
reader names in its own words (`--skills-sep` / `skills_sep` for a file, the keyword argument
for a frame).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.errors import counted, share_words

#: Characters an export puts between the skills of one cell ("k1;k2", "k1|k2", "k1+k2").
SKILL_SEPARATORS = (";", ",", "|", "~", "+")
#: The share of rows whose skill holds one of them before a note says so: a few skill names
#: with a comma (ASSIST2009's "Angles - Obtuse, Acute, and Right": 1 % of its rows) are names.
SKILL_LIST_SHARE = 0.05
#: The rows a frame needs before that share says anything (`ResponseLog.from_frame`): one row
#: of ASSISTments' "Angles - Obtuse, Acute, and Right" is 100 % of a one-row frame. A file is
#: a whole export, a frame may be a request's few rows; smaller frames get the note only for
#: lists whose parts are each a skill of the column (`_lists_of_skills`).
SKILL_LIST_MIN_ROWS = 100


def skill_separator_notes(
    skill_lists: pa.Array,
    n_rows: int,
    column: str,
    given: str | None,
    how: Callable[[str], str],
    min_rows: int = 0,
) -> list[str]:
    """A note (or none) when the skills read from `column` (`skill_lists`: each row's list
    of skill ids, `n_rows` rows) look like lists joined by a separator: "k1;k2" in 5 % of the
    rows or more, or in any row where the parts are each a skill of the column
    (`_lists_of_skills`). Each was read as ONE skill, as asked; the note says how many rows
    and how to give the separator, `how(sep)` in the reader's own words ("--skills-sep '|'
    (skills_sep)", "skills_sep='|'").

    With a separator `given`, the same about another separator still in the split skills
    ("~" left in 17% of the rows split at ","): the separator given was probably not the
    export's. `min_rows`: the rows below which the share says nothing (a frame's,
    `SKILL_LIST_MIN_ROWS`). Vectorized over the column's distinct skills."""
    if n_rows == 0:
        return []
    distinct = pc.value_counts(pc.list_flatten(skill_lists))  # each distinct skill once
    skills, counts = distinct.field("values"), distinct.field("counts").to_numpy()
    if len(skills) == 0:
        return []
    sep, holds = _commonest_separator(skills, counts, given)
    rows = int(counts[holds].sum())
    shared = rows >= SKILL_LIST_SHARE * n_rows and n_rows >= min_rows
    if not shared and not _lists_of_skills(skills, holds, sep):
        return []
    common = int(np.flatnonzero(holds)[np.argmax(counts[holds])])
    example = f"({int(holds.sum()):,} such skills, e.g. {skills[common].as_py()!r})"
    share = f"{counted(rows, 'row')} ({share_words(rows / n_rows)}) of column '{column}'"
    if given is not None:
        return [
            f"{share} still hold a skill with {sep!r} in it once split at {given!r} {example}: "
            f"is the export's separator {sep!r}? ({how(sep)})"
        ]
    return [
        f"{share} hold a skill with {sep!r} in it {example}, each read as ONE skill; if they "
        f"are lists of skills, give the separator: {how(sep)}"
    ]


def _lists_of_skills(skills: pa.Array, holds: np.ndarray, sep: str) -> bool:
    """Whether some skill holding `sep` splits into parts that are each a skill of the column
    ("g7.OA.3;g7.OA.4" beside "g7.OA.3" and "g7.OA.4"): a list of skills read as one, however
    few its rows (a project practising two skills: 0.5% of a district's rows, each read as a
    skill of its own). A name with a comma ("Angles - Obtuse, Acute, and Right") splits into
    parts that are no skills. Over the distinct skills, not the rows."""
    names = skills.to_pylist()
    alone = {n for n, h in zip(names, holds.tolist(), strict=True) if not h}
    return any(
        all(part.strip() in alone for part in name.split(sep))
        for name, h in zip(names, holds.tolist(), strict=True)
        if h
    )


def _commonest_separator(
    skills: pa.Array, counts: np.ndarray, given: str | None = None
) -> tuple[str, np.ndarray]:
    """(the separator-like character found in the most rows, mask of the distinct `skills`
    that hold it); `counts` is each distinct skill's number of rows; `given`: the separator
    the skills were split at (not looked for)."""
    found = {
        sep: pc.match_substring(skills, sep).to_numpy(zero_copy_only=False)
        for sep in SKILL_SEPARATORS
        if sep != given
    }
    if given != "_":  # pyKT joins numeric concept ids with "_" ("33_7"); names keep theirs
        found["_"] = pc.match_substring_regex(skills, r"^\d+(?:_\d+)+$").to_numpy(
            zero_copy_only=False
        )
    sep = max(found, key=lambda s: int(counts[found[s]].sum()))
    return sep, found[sep]
