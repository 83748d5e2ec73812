"""The held-out students that promotion compares models on.

A student is held out by a keyed hash of their id, not by a random draw over today's roster, so
the same student stays held out as the log grows and models trained on different days never saw
the students they are compared on. Training runs exclude them; `promote` scores on them.

The hash reads the student, not the spelling of their id (`student_key`): '931' and '000931',
' 931', an id in upper or lower case are one student, held out on every export that writes it
either way (a September export of numeric ids and an October one padded to six digits once
trained on 381 of the 479 students promotion was scored on). An id already in that form keeps
the hash it always had, so a split recorded before this rule is unchanged for it.

A version records the rule its training used (`RULE_TAG` = `HOLDOUT_RULE`); a version without
the tag was trained under the earlier rule, the hash of the id's text (`TEXT_RULE`).
`promote` compares such a version on the students held out under both rules (`split_holdout`
with both), which neither model trained on.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import ArgumentError

HOLDOUT_FRACTION = 0.2
HOLDOUT_KEY = "adaptive-holdout"  # 16 bytes: pandas' hash key length
#: The rule of this version: the hash of `student_key`. Recorded on every version trained.
HOLDOUT_RULE = "student-key"
#: The rule of versions trained before it: the hash of the id's text as written.
TEXT_RULE = "id-text"
RULES = (HOLDOUT_RULE, TEXT_RULE)
#: The version tag (and training-run param `holdout_rule`) naming the rule a version used.
RULE_TAG = "adaptive.holdout_rule"


def student_key(student_ids: pd.Index | np.ndarray | Iterable[str]) -> np.ndarray:
    """Each id as the student it names, for the holdout hash: trimmed, case folded, and an
    all-digit id without its leading zeros ('000931' -> '931', '000' -> '0'): the spellings an
    export changes (a number read as a number and padded again, a UUID in upper case), the
    "leading zeros or case" the nightly job and the placement readers already read as one
    student (`adaptive.errors.look_alike`, which also reads look-alike letters and zeros inside
    an id: hints for a typing slip, not a different export's spelling). Vectorized (pandas'
    string methods over the distinct ids)."""
    text = pd.Series(pd.Index(student_ids).astype(str), dtype=object).str.strip().str.casefold()
    digits = text.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(bool)
    unpadded = text.str.replace(r"^0+(?=[0-9])", "", regex=True)
    return np.where(digits, unpadded.to_numpy(object), text.to_numpy(object))


def holdout_mask(
    student_ids: pd.Index | np.ndarray,
    fraction: float = HOLDOUT_FRACTION,
    rule: str = HOLDOUT_RULE,
) -> np.ndarray:
    """True for the students held out for promotion (stable across runs, machines and days).

    `rule`: `HOLDOUT_RULE` (the student, `student_key`) or `TEXT_RULE` (the id's text: the
    split of versions trained before the student key, for `promote` to honour)."""
    if not 0.0 <= fraction < 1.0:
        raise ArgumentError(f"holdout fraction {fraction}, expected in [0, 1)")
    if rule not in RULES:
        raise ArgumentError(f"holdout rule {rule!r}, expected one of {', '.join(RULES)}")
    if rule == HOLDOUT_RULE:
        ids = student_key(student_ids)
    else:
        ids = np.asarray(pd.Index(student_ids).astype(str), dtype=object)
    hashed = pd.util.hash_array(ids, hash_key=HOLDOUT_KEY.ljust(16)[:16])
    return (hashed % np.uint64(1_000_000)) < np.uint64(round(fraction * 1_000_000))


def split_holdout(
    log: ResponseLog, fraction: float = HOLDOUT_FRACTION, rules: Iterable[str] = (HOLDOUT_RULE,)
) -> tuple[ResponseLog, ResponseLog]:
    """(training log, held-out log): every student on exactly one side. With several `rules`,
    a student is held out when every rule holds them out (the students no model trained under
    any of them saw); the training side is the rest."""
    held = np.ones(len(log.students), bool)
    for rule in dict.fromkeys(rules):
        held &= holdout_mask(log.students, fraction, rule)
    rows = held[log.student]
    return log.take_rows(~rows), log.take_rows(rows)


def version_rule(tags: dict[str, str] | None) -> str:
    """The holdout rule a registered version was trained under, from its tags (`RULE_TAG`;
    none: a version trained before rules were recorded, `TEXT_RULE`)."""
    return (tags or {}).get(RULE_TAG, TEXT_RULE)
