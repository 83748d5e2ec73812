"""The honest table: deep models beside BKT, IRT, PFA and Best-LR on every dataset, same split.

    python -m experiments.bench_table [--datasets assist2009,statics2011,assist2015]
        [--models bkt,bkt-forgets,irt,pfa,best-lr,dkt,sakt,akt] [--max-epochs 20] [--patience 3]
        [--deep-items] [--bootstrap 1000] [--threads 1] [--out PATH]

For each dataset and model spec (`adaptive/specs/models/NAME.toml`): fit on the training students, predict every
test response from the student's earlier responses only, and report test AUC with a 95 %
bootstrap interval over test students, RMSE, log-loss, ECE, fit time, the epochs a deep model
trained, and the published AUC on the same split beside it.

* ASSIST2009 and Statics 2011: Gervet et al.'s own train / test files (`bench_gervet.load_split`);
  published AUC from Gervet et al. 2020.
* ASSIST2015: pyKT's split; every model trains on folds 1-4, deep models stop early on fold 0,
  all score pyKT's test file (all responses; the pyKT-protocol AUC, which the pyKT leaderboard
  reports, beside it). Published AUC from the pyKT leaderboard, for DKT, SAKT and AKT only.

Deep specs are capped at `--max-epochs` with `--patience`. With `--deep-items`, on datasets whose
items differ from their skills, the spec `NAME-items` (e.g. `dkt-items`: item embeddings as in
Gervet et al.'s DKT and SAKT) runs beside `NAME` where that file exists, so the table shows what
item identity adds. Each (dataset, model) runs in its own process (peak
memory is that job's; a crash loses only that row) and the markdown is rewritten after each job.
Writes `experiments/results/80_table.md`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from adaptive.data.log import ResponseLog
from adaptive.evaluation.metrics import auc
from adaptive.tracing.specs import MODELS_DIR, build_model
from experiments.bench_deep import PUBLISHED_PYKT, child, pykt_logs, pykt_protocol_mask, run_job
from experiments.bench_gervet import PUBLISHED, evaluate_model, load_split
from experiments.settings import add_out, write_section

RESULTS = Path(__file__).resolve().parent / "results" / "80_table.md"
PYKT_SPLIT = "assist2015"
REFERENCE = "best-lr"  # the strong non-deep baseline each deep model is compared with


# -- data ------------------------------------------------------------------------------------------
def table_split(dataset: str) -> tuple[ResponseLog, ResponseLog | None, ResponseLog, str]:
    """(train, validation for early stopping or None, test, description of the split)."""
    if dataset == PYKT_SPLIT:
        train, valid, test = pykt_logs()
        return train, valid, test, "pyKT's split (train folds 1-4, fold 0 for early stopping)"
    train, test, note = load_split(dataset)
    return train, None, test, note


def items_are_skills(log: ResponseLog) -> bool:
    """True when every response's item is its one skill (no item information to use)."""
    if not np.all(log.n_skills_per_response == 1):
        return False
    return bool(np.all(log.items[log.item] == log.skills[log.skill]))


def specs_for(name: str, train: ResponseLog, deep_items: bool) -> list[str]:
    """`NAME`, and `NAME-items` beside it when asked, items carry information and that spec
    exists."""
    items_spec = f"{name}-items"
    if deep_items and (MODELS_DIR / f"{items_spec}.toml").exists() and not items_are_skills(train):
        return [name, items_spec]
    return [name]


def published(dataset: str, name: str) -> float | None:
    """The published AUC of the model `name` (a `-items` variant: its model's) on this split."""
    name = name.removesuffix("-items")
    if dataset == PYKT_SPLIT:
        return PUBLISHED_PYKT.get(name)
    return PUBLISHED.get(name, {}).get(dataset)


# -- one job (in its own process) ---------------------------------------------------------------
def job_row(dataset: str, name: str, max_epochs: int, patience: int, n_boot: int) -> dict:
    """Fit one spec on one split and score its test students (a JSON-able row)."""
    from adaptive.tracing.deep.tracer import DeepTracer  # torch: only in the job's process

    train, validation, test, note = table_split(dataset)
    model = build_model(name)
    deep = isinstance(model, DeepTracer)
    fit_params = {}
    if deep:
        model.set_params(max_epochs=max_epochs, patience=patience, progress=False)
        if validation is not None:
            fit_params["validation"] = validation
    res = evaluate_model(model, train, test, n_boot, **fit_params)
    row = {
        "spec": name,
        "deep": deep,
        **{k: res[k] for k in ("auc", "auc_ci", "rmse", "logloss", "ece", "fit_s")},
        "split": f"{note}; train {len(train):,} responses / {train.n_students:,} students, "
        f"test {len(test):,} / {test.n_students:,}",
    }
    if deep:
        val_auc = [h["val_auc"] for h in model.history_]
        row["epochs"] = len(val_auc)
        row["best_epoch"] = int(np.nanargmax(val_auc)) + 1 if np.isfinite(val_auc).any() else None
    if dataset == PYKT_SPLIT:
        mask = pykt_protocol_mask(test)
        row["auc_pykt"] = auc(test.correct[mask], res["p"][mask])
    return row


JOBS = {"row": job_row}


# -- report ----------------------------------------------------------------------------------------
def cell(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def epochs_cell(row: dict, max_epochs: int) -> str:
    if not row.get("deep"):
        return ""
    text = f"{row['epochs']} (best {row['best_epoch'] or '-'})"
    return text + (" cap" if row["epochs"] == max_epochs else "")


def dataset_table(dataset: str, rows: dict[str, dict], args: argparse.Namespace) -> list[str]:
    """One markdown table: a row per requested model, in the order given."""
    pykt = dataset == PYKT_SPLIT
    head = "| model (spec) | AUC | 95 % CI | " + ("AUC, pyKT protocol | " if pykt else "")
    head += "RMSE | log-loss | ECE | published AUC | fit s | epochs (best) |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for name, r in rows.items():
        if "error" in r:
            lines.append(f"| {name} | {r['error']} |" + " |" * (head.count("|") - 3))
            continue
        label = r["spec"]
        lo, hi = r["auc_ci"]
        lines.append(
            f"| {label} | {cell(r['auc'])} | [{cell(lo)}, {cell(hi)}] | "
            + (f"{cell(r['auc_pykt'])} | " if pykt else "")
            + f"{cell(r['rmse'])} | {cell(r['logloss'])} | {cell(r['ece'])} | "
            f"{published(dataset, name) or '-'} | {r['fit_s']:.1f} | "
            f"{epochs_cell(r, args.max_epochs)} |"
        )
    return lines


def verdicts(dataset: str, rows: dict[str, dict], max_epochs: int) -> str:
    """Where deep models win and where they do not on one dataset, read off the numbers."""
    done = {name: r for name, r in rows.items() if "error" not in r}
    if not done:
        return f"- {dataset}: no results yet."
    best = max(done.values(), key=lambda r: r["auc"])
    parts = [f"best AUC **{best['spec']}** {best['auc']:.4f}"]
    shallow = {name: r for name, r in done.items() if not r["deep"]}
    ref = (
        REFERENCE
        if REFERENCE in shallow
        else max(shallow, key=lambda n: shallow[n]["auc"], default=None)
    )
    if ref is not None:
        parts += [versus(r, ref, shallow[ref], max_epochs) for r in done.values() if r["deep"]]
    return f"- {dataset}: " + "; ".join(parts) + "."


def versus(row: dict, ref_name: str, ref: dict, max_epochs: int) -> str:
    """One deep row against the reference row: AUC difference and whether the CIs overlap."""
    (lo, hi), (ref_lo, ref_hi) = row["auc_ci"], ref["auc_ci"]
    if lo > ref_hi:
        verdict = "wins (intervals disjoint)"
    elif hi < ref_lo:
        verdict = "loses (intervals disjoint)"
    else:
        verdict = "no clear difference (intervals overlap)"
    still = row["epochs"] == max_epochs and row["best_epoch"] == max_epochs
    return f"{row['spec']} vs {ref_name}: {row['auc'] - ref['auc']:+.4f}, {verdict}" + (
        ", still improving at the epoch cap" if still else ""
    )


def report(args: argparse.Namespace, results: dict[str, dict[str, dict]], started: float) -> str:
    command = "python -m experiments.bench_table " + " ".join(sys.argv[1:])
    lines = [
        "## Deep models beside BKT, IRT, PFA and Best-LR, same splits",
        "",
        f"Command: `{command.strip()}` ({time.time() - started:.0f} s so far). Machine: "
        f"{platform.platform()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"torch {version('torch')} with {args.threads} thread(s) per job. Deep models: epoch cap "
        f"{args.max_epochs}, patience {args.patience}"
        + (", `NAME-items` specs beside `NAME` on datasets with items" if args.deep_items else "")
        + f". 95 % CI: percentile bootstrap over test students, {args.bootstrap:,} replicates.",
        "",
        "Every model fits on the same training students and predicts each test response from that "
        "student's earlier responses only. `published` is the AUC reported on the same split "
        "(Gervet et al. 2020 for ASSIST2009 / Statics 2011; the pyKT leaderboard for ASSIST2015, "
        "on its protocol: windows of 200 without their first response). `epochs (best)`: epochs "
        "trained and the one kept; `cap` when training stopped at the epoch limit. Fit times are "
        "wall-clock on a shared machine.",
    ]
    for dataset, rows in results.items():
        split = next((r["split"] for r in rows.values() if "split" in r), "")
        lines += ["", f"### {dataset}", "", f"{split}.", "", *dataset_table(dataset, rows, args)]
        if dataset == PYKT_SPLIT:
            lines += [
                "",
                "The published figures of the non-deep models (Gervet et al.) are on a different "
                "split of ASSIST2015, so none is shown for them here.",
            ]
    lines += [
        "",
        "### Where deep models win and where they do not",
        "",
        f"Each deep model against {REFERENCE} (else the best non-deep model): AUC difference and "
        "whether the two 95 % intervals overlap (a conservative test: the models score the same "
        "students, so a paired test would separate smaller differences).",
        "",
        *(verdicts(d, rows, args.max_epochs) for d, rows in results.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--datasets", default="assist2009,statics2011,assist2015")
    parser.add_argument("--models", default="bkt,bkt-forgets,irt,pfa,best-lr,dkt,sakt,akt")
    parser.add_argument("--max-epochs", type=int, default=20, help="cap for deep models")
    parser.add_argument("--patience", type=int, default=3, help="early stopping of deep models")
    parser.add_argument(
        "--deep-items",
        action="store_true",
        help="run NAME-items specs beside NAME on datasets whose items differ from skills",
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per job")
    add_out(parser, RESULTS)
    args = parser.parse_args(argv)
    if args.job:
        child(args.job, JOBS)
        return 0
    started = time.time()
    results: dict[str, dict[str, dict]] = {}
    for dataset in [d for d in args.datasets.split(",") if d]:
        results[dataset] = {}
        train = table_split(dataset)[0] if args.deep_items else None
        names = [m for m in args.models.split(",") if m]
        for name in [s for m in names for s in specs_for(m, train, args.deep_items)]:
            results[dataset][name] = run_job(
                "row",
                args.threads,
                module="experiments.bench_table",
                dataset=dataset,
                name=name,
                max_epochs=args.max_epochs,
                patience=args.patience,
                n_boot=args.bootstrap,
            )
            write_section(args.out, report(args, results, started))
    print(args.out.read_text())
    return int(any("error" in r for rows in results.values() for r in rows.values()))


if __name__ == "__main__":
    raise SystemExit(main())
