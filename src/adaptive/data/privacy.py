"""Pseudonymization for data leaving the district: keyed hashes instead of student ids.

`pseudonymize(ids)` maps each id to HMAC-SHA256(key, id), hex, truncated to `length` characters
(default 32 hex = 128 bits). The key comes from the environment variable
`ADAPTIVE_PSEUDONYM_KEY` (or is passed in), so the same student gets the same pseudonym in every
export of the district, while nobody without the key can recompute or test a guess. Unlike a
plain hash, a keyed hash cannot be reversed by hashing every possible student number.

Each distinct id is hashed once (ids repeat in a response log); the result keeps the input's
shape and order.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError

KEY_ENV = "ADAPTIVE_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16


def pseudonym_key(key: str | bytes | None = None) -> bytes:
    """The secret key: `key` if given, else `$ADAPTIVE_PSEUDONYM_KEY`; at least 16 bytes."""
    if key is None:
        key = os.environ.get(KEY_ENV)
        if not key:
            raise ConfigError(
                f"no pseudonymization key: set the environment variable {KEY_ENV} to a secret of "
                f"at "
                f"least {MIN_KEY_BYTES} characters (keep it out of the exported data), e.g. "
                f"export {KEY_ENV}=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the pseudonymization key is too short: expected at least {MIN_KEY_BYTES} bytes"
        )
    return raw


def pseudonymize(
    ids: Iterable[object] | pd.Series | pd.Index | np.ndarray,
    key: str | bytes | None = None,
    length: int = 32,
) -> np.ndarray:
    """Keyed pseudonyms (hex strings) of `ids`, same order and length; stable for a given key."""
    if not 8 <= length <= 64:
        raise ConfigError(f"pseudonym length must be between 8 and 64 hex characters, got {length}")
    secret = pseudonym_key(key)
    values = (
        ids.astype(str)
        if isinstance(ids, pd.Series | pd.Index)
        else pd.Series(list(ids)).astype(str)
    )
    codes, uniques = pd.factorize(pd.Series(values), sort=False)
    if (codes < 0).any():
        raise ConfigError("cannot pseudonymize a missing id")
    hashed = np.array(
        [hmac.new(secret, u.encode("utf-8"), hashlib.sha256).hexdigest()[:length] for u in uniques],
        dtype=object,
    )
    return hashed[codes]


def pseudonymize_log(
    log: ResponseLog, key: str | bytes | None = None, length: int = 32
) -> ResponseLog:
    """A copy of `log` whose student ids are keyed pseudonyms (everything else unchanged)."""
    frame = log.frame.copy()
    frame["student_id"] = pseudonymize(log.students, key, length)[log.student]
    return ResponseLog.from_frame(frame, source=log.source)
