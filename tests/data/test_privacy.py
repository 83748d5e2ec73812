"""Pseudonymization: keyed, stable, distinct, and a clear error without a key."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog
from adaptive.data.privacy import KEY_ENV, pseudonymize, pseudonymize_log
from adaptive.errors import ConfigError

KEY = "a-district-secret-of-some-length"


def test_pseudonyms_are_keyed_hmac_sha256_and_stable(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    ids = ["s1", "s2", "s1", "42"]
    out = pseudonymize(ids)
    assert out[0] == out[2] and len(set(out)) == 3 and all(len(p) == 32 for p in out)
    assert out[1] == hmac.new(KEY.encode(), b"s2", hashlib.sha256).hexdigest()[:32]
    np.testing.assert_array_equal(pseudonymize(pd.Series(ids)), out)
    other = pseudonymize(ids, key="another-secret-of-some-length")
    assert not set(other) & set(out)
    assert "s1" not in "".join(out)


def test_missing_or_short_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=KEY_ENV):
        pseudonymize(["s1"])
    with pytest.raises(ConfigError, match="too short"):
        pseudonymize(["s1"], key="short")


def test_pseudonymize_log_replaces_only_student_ids():
    log = ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": ["b", "a", "a"],
                "item_id": ["x", "y", "x"],
                "skill_ids": ["k", "k", "k"],
                "correct": [1, 0, 1],
                "order": [0, 0, 1],
            }
        )
    )
    out = pseudonymize_log(log, key=KEY)
    assert set(out.students) == set(pseudonymize(["a", "b"], key=KEY))
    assert sorted(out.frame["item_id"]) == sorted(log.frame["item_id"])
    assert np.bincount(out.student).tolist() in ([1, 2], [2, 1])
