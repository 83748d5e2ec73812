"""Deep models' artifacts: weights in `weights.safetensors` (named tensors only, checksummed in
model.json beside `arrays.npz`), so loading never executes code and a damaged file is refused."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest
from safetensors.numpy import load as load_numpy
from test_contract import synthetic_log

from adaptive.errors import ArtifactError
from adaptive.files import sealed_json
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.calibration import LATENT_PREFIX
from adaptive.tracing.deep.tracer import WEIGHTS_FILE
from adaptive.tracing.specs import build_model

DEEP = ("dkt", "sakt", "akt")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def logs():
    return synthetic_log(30, seed=5), synthetic_log(8, seed=13, first=500)


@pytest.fixture(scope="module", params=DEEP)
def fitted(request, logs):
    return build_model(f"{request.param}-tiny").set_params(max_epochs=1).fit(logs[0])


@pytest.fixture
def saved(fitted, tmp_path):
    return fitted.save(tmp_path / fitted.name)


def test_round_trip_gives_identical_predictions(fitted, saved, logs):
    loaded = KnowledgeTracer.load(saved)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.predict_proba(logs[1]), fitted.predict_proba(logs[1]))
    state, state_again = fitted.init_state(), loaded.init_state()
    np.testing.assert_array_equal(
        loaded.update(state_again, logs[1]), fitted.update(state, logs[1])
    )


def test_weights_are_a_checksummed_safetensors_file_of_tensors_only(fitted, saved):
    meta = json.loads((saved / "model.json").read_text())
    assert set(meta["files"]) == {"arrays.npz", WEIGHTS_FILE}
    blob = (saved / WEIGHTS_FILE).read_bytes()
    (header_size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_size])
    header.pop("__metadata__", None)
    assert all(set(entry) == {"dtype", "shape", "data_offsets"} for entry in header.values())
    weights, state = load_numpy(blob), fitted.net_.state_dict()
    assert set(dict(fitted.net_.named_parameters())) <= set(weights) <= set(state)  # tied: once
    for name, value in weights.items():
        np.testing.assert_array_equal(value, state[name].numpy())
    with np.load(saved / "arrays.npz", allow_pickle=False) as data:
        expected = {"skills", "items", "mastery_guess", "mastery_slip"}  # vocabularies, calibration
        own = {name for name in data.files if not name.startswith(LATENT_PREFIX)}
        assert own == expected, "weights belong in the safetensors file"
        cut = len(LATENT_PREFIX)  # the rest: the latent BKT's tables
        latent = {name[cut:] for name in data.files if name.startswith(LATENT_PREFIX)}
        assert latent == set(fitted.latent_.bkt._fitted_arrays())


@pytest.mark.parametrize("damage", ["truncated", "altered", "missing"])
def test_damaged_weights_file_raises_an_error_naming_it(saved, damage):
    path = saved / WEIGHTS_FILE
    blob = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "altered":
        path.write_bytes(blob[:-1] + bytes([blob[-1] ^ 0xFF]))
    else:
        path.unlink()
    with pytest.raises(ArtifactError, match=WEIGHTS_FILE):
        KnowledgeTracer.load(saved)


def set_file_entry(directory, name: str, sha256: str | None) -> None:
    """Rewrite model.json's `files` map: record `sha256` for `name`, or drop it (None); the file
    is resealed (its own checksum recomputed), so the check under test is the one that fails."""
    path = directory / "model.json"
    meta = json.loads(path.read_text())
    meta["files"].pop(name, None)
    if sha256 is not None:
        meta["files"][name] = sha256
    path.write_bytes(sealed_json(meta))


def test_unparseable_weights_with_a_matching_checksum_raise(saved):
    """Even when model.json is rewritten to match, a file that is not safetensors is refused."""
    garbage = b"\x00" * 64
    (saved / WEIGHTS_FILE).write_bytes(garbage)
    set_file_entry(saved, WEIGHTS_FILE, hashlib.sha256(garbage).hexdigest())
    with pytest.raises(ArtifactError, match=WEIGHTS_FILE):
        KnowledgeTracer.load(saved)


def test_weights_unlisted_in_model_json_raise(saved):
    set_file_entry(saved, WEIGHTS_FILE, None)
    with pytest.raises(ArtifactError, match=WEIGHTS_FILE):
        KnowledgeTracer.load(saved)


def test_file_names_in_model_json_stay_inside_the_folder(saved):
    set_file_entry(saved, "../outside.bin", "0" * 64)
    with pytest.raises(ArtifactError, match="bad file name"):
        KnowledgeTracer.load(saved)
