"""Fitting BKT through pyBKT (the field's reference implementation, C++ build).

`fit_pybkt_model` hands pyBKT the exploded (response, skill) entries and reads its fitted
parameters back per class, in the same class order as our own EM, so that prediction, online
updates and artifacts all go through our engine. pyBKT's conventions, mapped:

* `prior` -> p_init; `learns[r]` / `forgets[r]` -> p_learn / p_forget of resource r; `guesses[g]`
  / `slips[g]` -> p_guess / p_slip of guess class g.
* multigs / multilearn: the item column is the class column; `gs_names` (0-based) and
  `resource_names` (1-based) map an item to its class.
* multiprior: pyBKT fixes the prior at 0 and inserts a phantom first step whose resource is the
  class of the student's first item in the skill: that resource's `learns` *is* the prior of the
  class; resource 1 ("Default") holds the real p_learn / p_forget. We use the item as the prior
  column (pyBKT's default, the `correct` column, would leak the first answer into its prior).

Known pyBKT 1.4.3 defects this module works around or documents:

* its compiled E-step reads a class's guess/slip (and learn/forget) into variables initialised
  to -1 once, outside the loop over classes, so every class is *filtered* with class 0's values
  (its Python prediction step then uses the per-class guess/slip): multigs, multilearn and
  multiprior fit and predict a different model than the parameters it reports. Imported into
  our engine, those parameters are used as the model defines them. (Shown exactly in
  `tests/tracing/test_bkt_pybkt.py`.)
* it sorts the frame it is given in place (we pass a copy) and fails on a duplicated index;
* its E-step returns the total log-likelihood truncated to an integer, which is what its EM
  convergence test (`tol=1e-3`) compares.

Skill names are passed as codes (`s0`, `s1`, ...): pyBKT selects skills with a regular expression
built from the names, which silently drops names with special characters (e.g. parentheses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adaptive.errors import ConfigError

PYBKT_NAMES = {
    "p_learn": "learns",
    "p_forget": "forgets",
    "p_guess": "guesses",
    "p_slip": "slips",
    "p_init": "prior",
}


@dataclass(frozen=True)
class ClassKeys:
    """Class keys (`skill * n_items + item`, or the skill code when the variant is off)."""

    emit: np.ndarray
    trans: np.ndarray
    prior: np.ndarray
    multigs: bool
    multilearn: bool
    multiprior: bool
    n_items: int


def pybkt_is_compiled() -> bool:
    """True when pyBKT's E-step is its compiled C++ extension (not the slow pure-Python build)."""
    import pyBKT.fit.E_step as e_step

    return str(getattr(e_step, "__file__", "")).endswith(".so")


def pybkt_frame(
    student: np.ndarray, skill: np.ndarray, item: np.ndarray, correct: np.ndarray
) -> pd.DataFrame:
    """pyBKT's input frame for (response, skill) entries given as codes, in time order per student.

    Columns user_id, skill_name (`s<code>`), correct, order_id (the entry position) and item;
    a fresh RangeIndex (pyBKT fails on a duplicated index).
    """
    return pd.DataFrame(
        {
            "user_id": np.asarray(student, dtype=np.int64),
            "skill_name": np.char.add("s", np.asarray(skill).astype(str)).astype(object),
            "correct": np.asarray(correct, dtype=np.int64),
            "order_id": np.arange(len(student), dtype=np.int64),
            "item": np.asarray(item, dtype=np.int64),
        }
    )


def fit_pybkt_model(
    frame: pd.DataFrame,
    keys: ClassKeys,
    *,
    forgets: bool,
    fixed: dict[str, np.ndarray],
    num_fits: int,
    seed: int,
):
    """Fit a `pyBKT.models.Model` on `pybkt_frame(...)` with the variants of `keys`; returns it.

    `fixed[name]` holds our per-class values (NaN = free); pyBKT fixes per skill, so a fixed value
    must be the same for every class of a skill.
    """
    from pyBKT.models import Model

    if keys.multilearn and keys.multiprior:
        raise ConfigError("pyBKT cannot combine multilearn and multiprior; use fitter='native'")
    variants: dict[str, object] = {"forgets": forgets}
    for flag, name in (
        (keys.multigs, "multigs"),
        (keys.multilearn, "multilearn"),
        (keys.multiprior, "multiprior"),
    ):
        if flag:
            variants[name] = "item"
    pyfixed = _pybkt_fixed(fixed, frame, keys)
    if pyfixed:
        variants["fixed"] = pyfixed
    # One thread: pyBKT's OpenMP threads sum their soft counts in a critical section whose order
    # varies between runs (parameters then differ in the last bits), and they slow down badly
    # when the cores are shared. Note: pyBKT's `parallel=False` is process-wide from then on.
    model = Model(seed=int(seed), num_fits=int(num_fits), parallel=False)
    model.fit(data=frame.copy(), **variants)  # pyBKT sorts the frame it is given in place
    return model


def _class_skill_item(
    class_keys: np.ndarray, by_item: bool, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    if by_item:
        return class_keys // n_items, class_keys % n_items
    return class_keys, np.full(len(class_keys), -1)


def read_classes(fit_model: dict, keys: ClassKeys) -> dict[str, np.ndarray]:
    """pyBKT's fitted parameters as our per-class arrays, in `keys` order."""
    out = {
        name: np.full(len(k), np.nan)
        for name, k in (
            ("p_guess", keys.emit),
            ("p_slip", keys.emit),
            ("p_learn", keys.trans),
            ("p_forget", keys.trans),
            ("p_init", keys.prior),
        )
    }
    skills, items = _class_skill_item(keys.emit, keys.multigs, keys.n_items)
    for i, (k, it) in enumerate(zip(skills.tolist(), items.tolist(), strict=True)):
        fm = fit_model[f"s{k}"]
        g = fm["gs_names"][it] if keys.multigs else 0
        out["p_guess"][i], out["p_slip"][i] = fm["guesses"][g], fm["slips"][g]
    skills, items = _class_skill_item(keys.trans, keys.multilearn, keys.n_items)
    for i, (k, it) in enumerate(zip(skills.tolist(), items.tolist(), strict=True)):
        fm = fit_model[f"s{k}"]
        r = fm["resource_names"][it] - 1 if keys.multilearn else 0
        out["p_learn"][i], out["p_forget"][i] = fm["learns"][r], fm["forgets"][r]
    skills, items = _class_skill_item(keys.prior, keys.multiprior, keys.n_items)
    for i, (k, it) in enumerate(zip(skills.tolist(), items.tolist(), strict=True)):
        fm = fit_model[f"s{k}"]
        if keys.multiprior:
            out["p_init"][i] = fm["learns"][fm["resource_names"][it] - 1]
        else:
            out["p_init"][i] = fm["prior"]
    return out


def _pybkt_fixed(fixed: dict[str, np.ndarray], frame: pd.DataFrame, keys: ClassKeys) -> dict:
    """Our per-class fixed arrays -> pyBKT's {skill: {'slips': array, 'prior': float, ...}}."""
    result: dict[str, dict] = {}
    sizes = frame.groupby("skill_name")["item"].nunique()
    class_keys = {
        "p_init": (keys.prior, keys.multiprior),
        "p_learn": (keys.trans, keys.multilearn),
        "p_forget": (keys.trans, keys.multilearn),
        "p_guess": (keys.emit, keys.multigs),
        "p_slip": (keys.emit, keys.multigs),
    }
    for name, values in fixed.items():
        if not np.any(~np.isnan(values)):
            continue
        if keys.multiprior and name in ("p_init", "p_learn", "p_forget"):
            raise ConfigError(
                f"fixing {name} with multiprior is not supported by pyBKT; use fitter='native'"
            )
        k_arr, by_item = class_keys[name]
        skills = k_arr // keys.n_items if by_item else k_arr
        for k in np.unique(skills[~np.isnan(values)]).tolist():
            vals = values[skills == k]
            if np.any(np.isnan(vals)) or np.ptp(vals) > 0:
                raise ConfigError(
                    f"pyBKT fixes {name} per skill: give one value for all classes of a skill"
                )
            sname = f"s{k}"
            per = result.setdefault(sname, {})
            if name == "p_init":
                per["prior"] = float(vals[0])
            else:
                n = int(sizes[sname]) if by_item else 1
                per[PYBKT_NAMES[name]] = np.full(n, float(vals[0]))
    return result
