"""Hyperparameter choices of the deep specs, on pyKT's ASSIST2015 validation fold.

    python -m experiments.tune_deep dkt --set dropout=0.3 --set lr_decay=0.5 [--fold 0]

Trains `adaptive/specs/models/MODEL.toml` with the `--set` overrides on pyKT's training folds but `--fold`, and
records the validation curve (the number a choice is made on) and, for information, the test AUC
under pyKT's protocol. Every trial is kept in `experiments/results/71_deep_tuning.json` with the
command that reproduces it (training is deterministic on CPU), and
`experiments/results/71_deep_tuning.md` lists them all, so that each value in a spec's comments can
be traced to its trial. A trial measured by an earlier version of the training code keeps a `note`
saying so; a rerun of its command is stored beside it. `--out PATH` puts the page at PATH and
the store beside it (PATH with `.json`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

from experiments.bench_deep import fit_on_split
from experiments.settings import add_out, name_values, write_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "71_deep_tuning.md"


def trial(model: str, fold: int, overrides: dict) -> dict:
    _, _, figures = fit_on_split(model, fold, **{"progress": False, **overrides})
    return {"model": model, "overrides": overrides, **figures}


def report(trials: list[dict]) -> str:
    lines = [
        "## Deep specs: hyperparameter trials on pyKT's ASSIST2015 validation fold",
        "",
        "Each row trains the spec `adaptive/specs/models/MODEL.toml` of the time with the overrides shown, on "
        "pyKT's training folds but the validation one; choices are made on the best validation "
        "AUC, the test AUC (pyKT protocol) is shown for information only. Reproduce a row with "
        "its command (deterministic on CPU, one torch thread).",
        "",
        "| model | overrides | fold | epochs | best epoch | best validation AUC "
        "| test AUC (pyKT protocol) | s / epoch | command | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(trials, key=lambda t: ("note" in t, t["model"], -t["best_val_auc"]))
    for t in order:
        sets = ", ".join(f"{k}={v}" for k, v in t["overrides"].items()) or "(the spec)"
        lines.append(
            f"| {t['model']} | {sets} | {t['fold']} | {t['epochs']} | {t['best_epoch']} "
            f"| {t['best_val_auc']:.4f} | {t['test_auc_pykt']:.4f} | {t['s_per_epoch']:.1f} "
            f"| `{t['command']}` | {t.get('note', '')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a spec in adaptive/specs/models/, e.g. dkt")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--fold", type=int, default=0, help="pyKT's validation fold (0-4)")
    parser.add_argument("--threads", type=int, default=1)
    add_out(parser, RESULTS, companions="its store of trials (the same name, .json) goes")
    args = parser.parse_args(argv)
    overrides = name_values(args.set, parser, "--set")
    torch.set_num_threads(args.threads)
    result = trial(args.model, args.fold, overrides)
    result["command"] = "python -m experiments.tune_deep " + shlex.join(sys.argv[1:])
    store = args.out.with_suffix(".json")
    trials = json.loads(store.read_text()) if store.exists() else []
    trials = [t for t in trials if t["command"] != result["command"] or "note" in t] + [result]
    write_section(store, json.dumps(trials, indent=1) + "\n")
    write_section(args.out, report(trials))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
