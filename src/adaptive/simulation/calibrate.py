"""Fit per-skill BKT parameters on ASSISTments 2009 with pyBKT: the BKT-style simulator's priors.

The simulated learners of `adaptive.simulation.learners.BKTLearners` draw each skill's
`p_init`, `p_learn`, `p_guess`, `p_slip` and `p_forget` from real fits, so that simulated
students learn, slip and forget at rates seen in a real tutor. This module fits pyBKT (the
compiled build) with forgetting on every ASSIST2009 skill and writes one JSON file:

    python -m adaptive.simulation.calibrate --out src/adaptive/simulation/assist2009_bkt.json

The committed `src/adaptive/simulation/assist2009_bkt.json` (shipped with the package) was
written by exactly that command
(seed 0, 5 EM restarts per skill; `tests/simulation/test_calibrate.py` checks it reproduces).
Multi-skill repeats (consecutive rows of one student with the same problem and correctness and
another skill) are dropped first, keeping the first row: 274,585 responses, as the dataset
README counts. pyBKT's `forgets` is per opportunity; the simulator turns it into a per-day
hazard (see `LearningParams.forget_scale`).
Skills whose fit is degenerate (guess or slip >= 0.5: the "known" state no longer means
knowing) or with fewer than `min_responses` responses are kept in the file but flagged
`usable: false`, with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adaptive.files import atomic_write_bytes
from adaptive.paths import shared_datasets_dir

PARAMS = ("p_init", "p_learn", "p_guess", "p_slip", "p_forget")
DEFAULT_OUT = Path(__file__).resolve().parent / "assist2009_bkt.json"
COMMAND = (
    "python -m adaptive.simulation.calibrate --out src/adaptive/simulation/assist2009_bkt.json"
)


def assist2009_path() -> Path:
    """`../shared/datasets/assist2009/assist2009_responses.csv.gz` beside the project root."""
    shared = shared_datasets_dir(must_exist=False)
    return shared / "assist2009" / "assist2009_responses.csv.gz"


def load_assist2009_single_skill(path: Path) -> pd.DataFrame:
    """One row per response: drop the consecutive multi-skill repeats (keep the first row)."""
    df = pd.read_csv(path, usecols=["user_id", "seq_idx", "problem_id", "skill_name", "correct"])
    df = df.sort_values(["user_id", "seq_idx"], kind="stable").reset_index(drop=True)
    prev = df.shift()
    # a problem tagged with k skills: k consecutive rows, same problem and correct, other skill;
    # a genuine re-attempt (same skill again) is kept
    repeat = (
        df["user_id"].eq(prev["user_id"])
        & df["problem_id"].eq(prev["problem_id"])
        & df["correct"].eq(prev["correct"])
        & df["skill_name"].ne(prev["skill_name"])
    )
    df = df.loc[~repeat.to_numpy()].reset_index(drop=True)
    df["order_id"] = np.arange(len(df), dtype=np.int64)
    return df


def fit_bkt(df: pd.DataFrame, seed: int = 0, num_fits: int = 5) -> pd.DataFrame:
    """pyBKT fit with forgets, one row per skill: the five BKT probabilities and the count."""
    from pyBKT.models import Model

    model = Model(seed=seed, num_fits=num_fits, parallel=False)
    data = df[["order_id", "user_id", "skill_name", "correct"]].reset_index(drop=True)
    model.fit(data=data, forgets=True)
    params = model.params().reset_index()
    wide = params.pivot_table(index="skill", columns="param", values="value", aggfunc="first")
    out = pd.DataFrame(
        {
            "skill": wide.index.astype(str),
            "p_init": wide["prior"].to_numpy(float),
            "p_learn": wide["learns"].to_numpy(float),
            "p_guess": wide["guesses"].to_numpy(float),
            "p_slip": wide["slips"].to_numpy(float),
            "p_forget": wide["forgets"].to_numpy(float),
        }
    )
    counts = df.groupby("skill_name").size()
    out["n_responses"] = counts.reindex(out["skill"]).fillna(0).astype(int).to_numpy()
    return out.sort_values("skill", kind="stable").reset_index(drop=True)


def calibration_document(fits: pd.DataFrame, min_responses: int, source: str) -> dict[str, Any]:
    """The JSON document: per-skill fits with usability flags, plus quantiles of usable ones."""
    reasons = np.full(len(fits), "", dtype=object)
    few = fits["n_responses"].to_numpy() < min_responses
    reasons[few] = f"fewer than {min_responses} responses"
    degenerate = (fits["p_guess"] >= 0.5) | (fits["p_slip"] >= 0.5)
    reasons[(reasons == "") & degenerate.to_numpy()] = "degenerate fit (guess or slip >= 0.5)"
    fits = fits.assign(usable=reasons == "", reason=reasons)
    usable = fits.loc[fits["usable"]]
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    summary = {
        p: {
            "mean": round(float(usable[p].mean()), 6),
            **{f"q{int(q * 100):02d}": round(float(usable[p].quantile(q)), 6) for q in quantiles},
        }
        for p in PARAMS
    }
    skills = [
        {
            "skill": r.skill,
            "n_responses": int(r.n_responses),
            **{p: round(float(getattr(r, p)), 6) for p in PARAMS},
            "usable": bool(r.usable),
            "reason": r.reason,
        }
        for r in fits.itertuples(index=False)
    ]
    return {
        "source": source,
        "model": "pyBKT 1.4.3 standard BKT with forgets, one fit per skill",
        "command": COMMAND,
        "n_skills": len(fits),
        "n_usable": int(fits["usable"].sum()),
        "summary": summary,
        "skills": skills,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="assist2009_responses.csv.gz")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-fits", type=int, default=5)
    parser.add_argument("--min-responses", type=int, default=200)
    args = parser.parse_args(argv)
    path = args.data or assist2009_path()
    df = load_assist2009_single_skill(path)
    fits = fit_bkt(df, seed=args.seed, num_fits=args.num_fits)
    source = "ASSISTments 2009-10 skill builder (AKT rebuild)"
    doc = calibration_document(fits, args.min_responses, source)
    atomic_write_bytes(args.out, (json.dumps(doc, indent=1) + "\n").encode())
    print(f"wrote {args.out}: {doc['n_usable']} usable of {doc['n_skills']} skills")


if __name__ == "__main__":
    main()
