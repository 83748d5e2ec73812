"""One school's nightly state as an Arrow table: what the Spark engine's snapshot holds.

The in-process job keeps the whole district's state in one `.npz` per night (`snapshot.py`). On
Spark no process may hold the whole district, so the snapshot is Parquet partitioned like the
output, `STATE_DIR/date=YYYY-MM-DD/school=<id>/part-0.parquet`, one row per student:

- `student_id`;
- `t_<name>`: each array of the tracer's `TracingState` (a list per student for a (n, w) array,
  a value for a (n,) one); the placement codes as their words instead (`placement`: "placed
  from last_year.csv", "" where unsaid), since each school's table has its own vocabulary;
- `h_<name>`: the `StudentHistory` arrays (`h_completed` / `h_recent` as lists of activity
  codes).

Unsigned integers (the history's outcome bits) are stored as the signed integers of the same
bits (Spark has no unsigned types) and named with a `__u` suffix. Encoding then decoding gives
the same arrays, so a night served from a decoded state equals one served from the original.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse

from adaptive.batch.history import StudentHistory
from adaptive.curriculum import Catalog
from adaptive.tracing.base import PLACED_FROM, PLACED_GRADE, TracingState

UNSIGNED = "__u"


def encode_state(tracer: TracingState, history: StudentHistory, students: list[str]) -> pa.Table:
    """The rows of `students` (each in the tracer state or the history, or both) as a table."""
    t_rows = tracer.rows(students, missing=-1)
    h_rows = history.rows(students)
    cols: dict[str, pa.Array] = {"student_id": pa.array(students, pa.string())}
    for name in sorted(tracer.arrays):
        if name != PLACED_FROM:
            cols[f"t_{name}"] = _column(tracer.arrays[name], t_rows)
    cols[PLACEMENT_COLUMN] = _placement_words(tracer, t_rows)
    for name, values in (
        ("n_responses", history.n_responses),
        ("last_practiced", history.last_practiced),
        ("streak", history.streak),
        ("outcomes", history.outcomes),
        ("first_correct", history.first_correct),
    ):
        key = f"h_{name}{UNSIGNED}" if values.dtype.kind == "u" else f"h_{name}"
        cols[key] = _column(values, h_rows)
    for name in ("completed", "recent"):
        cols[f"h_{name}"] = _sparse_rows(getattr(history, name), h_rows)
    return pa.table(cols)


def decode_state(
    table: pa.Table, catalog: Catalog, window: int, initial: TracingState
) -> tuple[TracingState, StudentHistory]:
    """The tracer state and history of a table written by `encode_state` (rows with no tracer
    state, or no history, are dropped from that part). `initial` is the model's empty state:
    its arrays give the widths and dtypes when the table is empty."""
    ids = table.column("student_id").to_pylist()
    n_s, n_a = len(catalog.skills), len(catalog.activities)
    arrays = {}
    for f in table.schema:
        if f.name.startswith("t_"):
            arrays[f.name[2:]] = _array(table, f.name)
    for name, empty in initial.arrays.items():
        got = arrays.get(name)
        if (
            got is None
            or (got.ndim != empty.ndim or got.shape[1:] != empty.shape[1:])
            and not (len(got) and got.any())
        ):  # no student of this table has the array: the model's empty one, at full width
            arrays[name] = np.zeros((len(ids),) + empty.shape[1:], empty.dtype)
    t_keep = _present(table, [f.name for f in table.schema if f.name.startswith("t_")])
    tracer = TracingState(
        [s for s, k in zip(ids, t_keep, strict=True) if k],
        {name: _fill(values, len(ids))[t_keep] for name, values in arrays.items()},
    )
    _record_placement(tracer, table, t_keep)
    h_keep = _present(table, ["h_n_responses"])
    fields = {}
    for name, dtype, fill in (
        ("n_responses", np.int32, 0),
        ("last_practiced", np.float64, np.nan),
        ("streak", np.int32, 0),
        ("outcomes", np.uint64, 0),
        ("first_correct", np.int8, -1),
    ):
        key = f"h_{name}{UNSIGNED}" if np.dtype(dtype).kind == "u" else f"h_{name}"
        values = _array(table, key) if key in table.column_names else None
        if values is None or len(values) == 0:
            values = np.full((len(ids), n_s), fill, dtype)
        fields[name] = values.astype(dtype, copy=False)[h_keep]
    for name in ("completed", "recent"):
        fields[name] = _sparse(table, f"h_{name}", n_a)[h_keep]
    history = StudentHistory(
        students=[s for s, k in zip(ids, h_keep, strict=True) if k], window=window, **fields
    )
    return tracer, history


#: The column of each student's placement words (the tracer state's `PLACED_FROM` codes are
#: indices into a vocabulary, `TracingState.sources`, that the table does not hold).
PLACEMENT_COLUMN = "placement"


def _placement_words(tracer: TracingState, rows: np.ndarray) -> pa.Array:
    """Where each student of `rows` was placed from, in words ("" where unsaid; null for a
    row the state does not hold): a night not given the table keeps its students' reasons."""
    have = rows >= 0
    words = np.full(len(rows), "", dtype=object)
    words[have] = tracer.placed_from(rows[have])
    return pa.array(words.tolist(), pa.string(), mask=~have)


def _record_placement(tracer: TracingState, table: pa.Table, keep: np.ndarray) -> None:
    """The decoded state's placement codes, from the table's words (a snapshot written before
    they were kept: unsaid)."""
    if PLACED_FROM in tracer.arrays:
        tracer.arrays[PLACED_FROM][:] = -1
    if PLACEMENT_COLUMN not in table.column_names:
        return
    words = np.asarray(table.column(PLACEMENT_COLUMN).fill_null("").to_pylist(), dtype=object)
    words = words[keep]
    said = np.flatnonzero(words != "")
    grades = tracer.arrays.get(PLACED_GRADE)  # decoded with the other arrays (`t_placed_grade`)
    tracer.record_placement(said, words[said].tolist(), None if grades is None else grades[said])


def _column(values: np.ndarray, rows: np.ndarray) -> pa.Array:
    """Rows of a (n,) or (n, w) array as a value / list column; -1 rows are null."""
    have = rows >= 0
    picked = (
        values[np.where(have, rows, 0)]
        if len(values)
        else np.zeros((len(rows),) + values.shape[1:], values.dtype)
    )
    if picked.dtype.kind == "u":
        picked = picked.view(picked.dtype.str.replace("u", "i"))
    mask = pa.array(~have)
    if picked.ndim == 1:
        return pa.array(picked, mask=~have)
    if picked.ndim != 2:
        raise ValueError(f"state arrays must be (n,) or (n, w), got {picked.shape}")
    width = picked.shape[1]
    flat = pa.array(np.ascontiguousarray(picked).reshape(-1))
    offsets = pa.array(np.arange(len(rows) + 1, dtype=np.int32) * width)
    return pa.ListArray.from_arrays(offsets, flat, mask=mask)


def _array(table: pa.Table, name: str) -> np.ndarray:
    """A column written by `_column` back as a numpy array (null rows as zeros)."""
    col = table.column(name).combine_chunks()
    n = len(col)
    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        values = col.values.to_numpy(zero_copy_only=False)
        lengths = col.value_lengths().fill_null(0).to_numpy()
        width = int(lengths.max()) if n else 0
        out = np.zeros((n, width), values.dtype)
        have = lengths > 0
        starts = col.offsets.to_numpy()[:-1][have] - col.offsets[0].as_py()
        if have.any():
            out[have] = values[starts[:, None] + np.arange(width)]
    else:
        out = col.fill_null(0).to_numpy(zero_copy_only=False)
    if name.endswith(UNSIGNED):
        out = out.view(out.dtype.str.replace("i", "u"))
    return out


def _fill(values: np.ndarray, n: int) -> np.ndarray:
    """An array with `n` rows (an empty decoded column keeps its width)."""
    if len(values) == n:
        return values
    return np.zeros((n,) + values.shape[1:], values.dtype)


def _present(table: pa.Table, names: list[str]) -> np.ndarray:
    """Rows where any of these columns is not null."""
    keep = np.zeros(table.num_rows, bool)
    for name in names:
        keep |= table.column(name).is_valid().to_numpy(zero_copy_only=False)
    return keep


def _sparse_rows(m: sparse.csr_matrix, rows: np.ndarray) -> pa.Array:
    """Rows of a CSR matrix as lists of column codes (null for -1 rows)."""
    have = rows >= 0
    m = sparse.csr_matrix(m)
    m.sort_indices()
    picked = (
        m[np.where(have, rows, 0)] if m.shape[0] else sparse.csr_matrix((len(rows), m.shape[1]))
    )
    picked = sparse.csr_matrix(picked)
    picked.sort_indices()
    offsets = pa.array(picked.indptr.astype(np.int32))
    return pa.ListArray.from_arrays(
        offsets, pa.array(picked.indices.astype(np.int32)), mask=pa.array(~have)
    )


def _sparse(table: pa.Table, name: str, n_cols: int) -> sparse.csr_matrix:
    """A column of code lists back as a bool CSR matrix."""
    col = table.column(name).combine_chunks()
    n = len(col)
    lengths = col.value_lengths().fill_null(0).to_numpy() if n else np.zeros(0, np.int64)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    starts = col.offsets.to_numpy()[:-1] - (col.offsets[0].as_py() if n else 0)
    flat = col.values.to_numpy(zero_copy_only=False) if n else np.zeros(0, np.int32)
    take = np.repeat(starts, lengths) + (np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths))
    indices = flat[take].astype(np.int32)
    return sparse.csr_matrix((np.ones(len(indices), bool), indices, indptr), shape=(n, n_cols))
