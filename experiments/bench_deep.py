"""Deep knowledge tracing against the field: our DKT / SAKT / AKT beside pyKT, same split, same run.

    python -m experiments.bench_deep                       # everything (long: see the flags)
    python -m experiments.bench_deep --models dkt --pykt-epochs 2 --max-epochs 20

What it measures (each job runs in its own process, so peak memory is that job's):
- `--datasets assist2015`: pyKT's ASSIST2015 split (`../shared/datasets/assist2015/pykt/`):
  ours trained on folds 1-4 with fold 0 for early stopping, test AUC on its test file; pyKT
  0.0.38 (if installed: it is not a project dependency) trained with its `kt_config.json`
  hyperparameters on the same folds for `--pykt-epochs` epochs, and ours again capped at the same
  number of epochs, so that the AUC after equal epochs and the time per epoch compare directly.
  pyKT scores windows of 200 without each window's first response and drops windows shorter
  than 3: our "pyKT protocol" column applies the same selection to our predictions.
- `--datasets assist2009`: Gervet et al.'s ASSIST2009 split, its training students cut into 5
  seeded folds (fold 0 for early stopping), written in pyKT's format for pyKT. pyKT's models
  take one concept per response, so a multi-skill response's concept is its skill combination
  (the same number of responses as ours). `--pykt-patience` lets pyKT stop early by the same
  rule as ours, for the time to convergence of both.
- DKT online: single-student `update` latency (p50/p99) and batched inference throughput.
- Peak memory training one epoch on ASSIST2017 (941k responses, long sequences).
Every job's result is kept in `experiments/results/70_deep.json` with the command and time of
the run that measured it, and `experiments/results/70_deep.md` is rendered from all of them: a
run that measures some models (say `--models akt`) replaces only their rows, and each row names
its run. `--fresh` starts from an empty store. `--out PATH` puts the page at PATH and the store
beside it (PATH with `.json`). With `--folds 0,1,2,3,4` our model is trained once
per validation fold (the other four train it), as pyKT's published figures average the five.
Torch uses `--threads` (default 2) threads. The deep models beside BKT and the logistic models on
every dataset, Gervet et al.'s splits included, are in `experiments.bench_table`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.paths import shared_datasets_dir
from experiments.bench_gervet import PUBLISHED as PUBLISHED_GERVET
from experiments.bench_gervet import load_split
from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = shared_datasets_dir(must_exist=False)  # $ADAPTIVE_SHARED_DATASETS, else ../shared
RESULTS = HERE / "results" / "70_deep.md"
STORE = HERE / "results" / "70_deep.json"
PYKT_WINDOW = 200
# pyKT's configs/kt_config.json (pykt-team/pykt-toolkit); batch sizes as measured in issue 8.
PYKT_CONFIG = {
    "dkt": ({"emb_size": 200, "dropout": 0.1}, 1e-3, 256),
    "sakt": (
        {"emb_size": 256, "num_attn_heads": 8, "dropout": 0.2, "num_en": 1, "seq_len": 200},
        1e-3,
        64,
    ),
    "akt": ({"d_model": 256, "n_blocks": 1, "dropout": 0.05, "d_ff": 256}, 1e-5, 64),
}
PUBLISHED_PYKT = {"dkt": 0.7271, "sakt": 0.7114, "akt": 0.7281}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


# -- data ------------------------------------------------------------------------------------------
def pykt_logs(fold: int = 0):
    """(train, validation, test): pyKT's folds other than `fold`, `fold`, its test file."""
    from adaptive.data.pykt import read_pykt

    log, folds = read_pykt(DATA / "assist2015" / "pykt" / "train_valid.csv.gz")
    test, _ = read_pykt(DATA / "assist2015" / "pykt" / "test.csv.gz")
    valid_ids = folds.index[folds == fold]
    return log.take_students(folds.index[folds != fold]), log.take_students(valid_ids), test


def student_folds(log, n_folds: int = 5, seed: int = 0) -> pd.Series:
    """A seeded fold (0..n_folds-1) for each student id of `log`, in equal shares."""
    rng = np.random.default_rng(seed)
    return pd.Series(rng.permutation(log.n_students) % n_folds, index=pd.Index(log.students))


def folded_split(dataset: str) -> tuple:
    """(train, fold of each training student, test) of one of Gervet et al.'s splits."""
    train, test, _ = load_split(dataset)
    return train, student_folds(train), test


def split_logs(dataset: str, fold: int = 0):
    """(train, validation, test) of `dataset`: its folds other than `fold`, `fold`, its test."""
    if dataset == "assist2015":
        return pykt_logs(fold)
    train, folds, test = folded_split(dataset)
    return (
        train.take_students(folds.index[folds != fold]),
        train.take_students(folds.index[folds == fold]),
        test,
    )


def skill_combinations(log) -> pd.Series:
    """Each response's skill combination as one string (its skill ids sorted, joined by `_`)."""
    rows, codes = log.exploded()
    names = pd.Series(np.asarray(log.skills, dtype=str)[codes])
    return names.groupby(rows).agg(lambda s: "_".join(sorted(s))).reset_index(drop=True)


def pykt_tables(dataset: str) -> dict[str, pd.DataFrame]:
    """pyKT's one-row-per-student tables (`train_valid` with its folds, `test` with fold -1)."""
    if dataset == "assist2015":
        return {
            part: pd.read_csv(DATA / "assist2015" / "pykt" / f"{part}.csv.gz")
            for part in ("train_valid", "test")
        }
    train, folds, test = folded_split(dataset)
    combos = {part: skill_combinations(log) for part, log in (("train", train), ("test", test))}
    # concept codes over both parts: pyKT's embedding tables need every test concept too
    vocabulary = pd.Index(sorted(set(combos["train"]) | set(combos["test"])))
    return {
        "train_valid": pykt_table(train, vocabulary.get_indexer(combos["train"]), folds),
        "test": pykt_table(test, vocabulary.get_indexer(combos["test"]), None),
    }


def pykt_table(log, concepts: np.ndarray, folds: pd.Series | None) -> pd.DataFrame:
    """One row per student: `fold`, `uid`, `concepts` and `responses` as comma-joined lists."""
    rows = pd.DataFrame(
        {
            "student": log.student,
            "concepts": concepts.astype(str),
            "responses": log.correct.astype(str),
        }
    )
    lists = rows.groupby("student", sort=True).agg(",".join)
    uid = np.asarray(log.students, dtype=str)[lists.index]
    fold = -1 if folds is None else folds.loc[uid].to_numpy()
    return pd.DataFrame(
        {"fold": fold, "uid": uid, "concepts": lists["concepts"], "responses": lists["responses"]}
    ).reset_index(drop=True)


def pykt_protocol_mask(log) -> np.ndarray:
    """Responses pyKT scores: not the first of a window of 200, window of at least 3."""
    pos = log.position_in_student()
    n = np.repeat(np.diff(log.student_offsets), np.diff(log.student_offsets))
    window_len = np.minimum(PYKT_WINDOW, n - (pos // PYKT_WINDOW) * PYKT_WINDOW)
    return (pos % PYKT_WINDOW != 0) & (window_len >= 3)


def assist2017_log():
    from adaptive.data.log import ResponseLog

    df = pd.read_csv(DATA / "assist2017" / "assist2017_responses.csv.gz", keep_default_na=False)
    frame = pd.DataFrame(
        {
            "student_id": df["user_id"].astype(str),
            "item_id": df["problem_id"].astype(str),
            "skill_ids": df["skill_name"].astype(str).replace("", "unknown"),
            "correct": df["correct"],
            "order": df["seq_idx"],
        }
    )
    return ResponseLog.from_frame(frame)


# -- jobs (each in its own process) ----------------------------------------------------------
def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def fit_on_split(model: str, fold: int = 0, dataset: str = "assist2015", **params) -> tuple:
    """(model, test log, figures): the spec `model` with `params`, trained on the folds of
    `dataset` but `fold`, early-stopped on `fold`, scored on its test students (every response,
    and pyKT's protocol). Shared by this benchmark and `experiments.tune_deep`."""
    from adaptive.tracing.specs import build_model

    train, valid, test = split_logs(dataset, fold)
    est = build_model(model).set_params(**params)
    started = time.perf_counter()
    est.fit(train, validation=valid)
    fit_s = time.perf_counter() - started
    t0 = time.perf_counter()
    p = est.predict_proba(test)
    predict_s = time.perf_counter() - t0
    mask = pykt_protocol_mask(test)
    val = [h["val_auc"] for h in est.history_]
    return (
        est,
        test,
        {
            "test_auc_all": auc(test.correct, p),
            "test_auc_pykt": auc(test.correct[mask], p[mask]),
            "fold": fold,
            "epochs": len(val),
            "best_epoch": int(np.nanargmax(val)) + 1,
            "best_val_auc": float(np.nanmax(val)),
            "val_auc": [round(v, 4) for v in val],
            "s_per_epoch": float(np.mean([h["train_seconds"] for h in est.history_])),
            "mixed_precision": est.mixed_precision,
            "fit_s": fit_s,
            "predict_responses_per_s": len(test) / predict_s,
        },
    )


def job_ours(
    model: str, max_epochs: int, patience: int, fold: int = 0, dataset: str = "assist2015"
) -> dict:
    est, test, out = fit_on_split(model, fold, dataset, max_epochs=max_epochs, patience=patience)
    out["peak_gb"] = peak_rss_gb()
    if model == "dkt" and fold == 0 and dataset == "assist2015":
        out.update(online_latency(est, test))
    return out


def job_online(model: str, n_updates: int) -> dict:
    """The online figures alone, for a run on a quiet machine: the latency depends on the
    network's size, not on how well it is trained, so one training epoch suffices."""
    from adaptive.tracing.specs import build_model

    train, valid, test = pykt_logs()
    est = build_model(model).set_params(max_epochs=1, progress=False)
    est.fit(train, validation=valid)
    return {"load": os.getloadavg()[0], **online_latency(est, test, n_updates)}


def online_latency(est, test, n_updates: int = 2800) -> dict:
    """Single-student `update` latency over `n_updates` real responses, after a warm-up of 200."""
    from adaptive.data.log import Response

    frame = test.frame.head(n_updates + 200)
    responses = [
        Response(str(r.student_id), str(r.item_id), tuple(r.skill_ids), int(r.correct))
        for r in frame.itertuples()
    ]
    state = est.init_state()
    for r in responses[:200]:
        est.update(state, r)
    times = []
    for r in responses[200:]:
        t0 = time.perf_counter()
        est.update(state, r)
        times.append(time.perf_counter() - t0)
    ms = np.asarray(times) * 1e3
    state = est.init_state()
    t0 = time.perf_counter()
    est.update(state, test)
    batch_s = time.perf_counter() - t0
    return {
        "updates_timed": len(ms),
        "update_p50_ms": float(np.percentile(ms, 50)),
        "update_p99_ms": float(np.percentile(ms, 99)),
        "update_batch_responses_per_s": len(test) / batch_s,
    }


def job_pykt(
    model: str,
    epochs: int,
    max_batches: int,
    dataset: str = "assist2015",
    patience: int | None = None,
) -> dict:
    """pyKT's own training loop pieces on the same split. With `max_batches` > 0, only that many
    training batches run: their mean time, times the batches of a full epoch, estimates the time
    per epoch (no AUC then: a partial epoch's AUC would not compare). Otherwise at most `epochs`
    epochs, stopping after `patience` epochs without a better validation AUC (None: never);
    the best epoch's weights are scored on the test file."""
    try:
        import pykt  # noqa: F401
    except ImportError:
        return {
            "skipped": "pykt-toolkit is not installed: pip install --no-deps pykt-toolkit==0.0.38"
        }
    import pykt.datasets.data_loader as loader
    import torch
    from torch.utils.data import DataLoader

    loader.LongTensor, loader.FloatTensor = torch.LongTensor, torch.FloatTensor  # CPU, not cuda
    from pykt.datasets.data_loader import KTDataset
    from pykt.models.evaluate_model import evaluate
    from pykt.models.init_model import init_model
    from pykt.models.train_model import model_forward
    from pykt.preprocess.split_datasets import generate_sequences

    torch.manual_seed(0)
    np.random.seed(0)
    keys = ["fold", "uid", "concepts", "responses"]
    with tempfile.TemporaryDirectory() as tmp:
        paths, n_concepts = {}, 0
        for part, df in pykt_tables(dataset).items():
            paths[part] = os.path.join(tmp, f"{part}_sequences.csv")
            seqs = generate_sequences(df, keys, min_seq_len=3, maxlen=PYKT_WINDOW)
            seqs.to_csv(paths[part], index=False)
            concepts = df["concepts"].astype(str).str.split(",").explode().astype(int)
            n_concepts = max(n_concepts, int(concepts.max()) + 1)
        config, lr, batch = PYKT_CONFIG[model]
        train_set = KTDataset(paths["train_valid"], ["concepts"], {1, 2, 3, 4})
        train = DataLoader(train_set, batch, shuffle=True)
        data_config = {"num_c": n_concepts, "num_q": 0, "emb_path": ""}
        net = init_model(model, dict(config), data_config, "qid")
        opt = torch.optim.Adam(net.parameters(), lr)

        def train_batches(limit: int) -> tuple[float, int]:
            net.train()
            t0, done = time.perf_counter(), 0
            for data in train:
                loss = model_forward(net, data)
                opt.zero_grad()
                loss.backward()
                opt.step()
                done += 1
                if done == limit:
                    break
            return time.perf_counter() - t0, done

        if max_batches > 0:
            seconds, done = train_batches(max_batches)
            return {
                "epochs": 0,
                "batches_timed": done,
                "batches_per_epoch": len(train),
                "s_per_epoch": seconds / done * len(train),
                "peak_gb": peak_rss_gb(),
            }
        valid = DataLoader(KTDataset(paths["train_valid"], ["concepts"], {0}), batch)
        test = DataLoader(KTDataset(paths["test"], ["concepts"], {-1}), batch)
        started = time.perf_counter()  # training and validation, as our `fit_s`
        history, best, best_epoch, best_state = [], -1.0, 0, None
        for epoch in range(1, epochs + 1):
            seconds, _ = train_batches(-1)
            val_auc, _ = evaluate(net, valid, model)
            history.append({"epoch": epoch, "val_auc": float(val_auc), "train_seconds": seconds})
            if val_auc > best:
                best, best_epoch = val_auc, epoch
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
            elif patience is not None and epoch - best_epoch >= patience:
                break
        fit_s = time.perf_counter() - started
        net.load_state_dict(best_state)
        test_auc, _ = evaluate(net, test, model)
    return {
        "test_auc_pykt": float(test_auc),
        "patience": patience,
        "epochs": len(history),
        "best_epoch": best_epoch,
        "s_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
        "fit_s": fit_s,
        "val_auc": [round(h["val_auc"], 4) for h in history],
        "peak_gb": peak_rss_gb(),
    }


def job_assist2017(model: str) -> dict:
    from adaptive.tracing.specs import build_model

    log = assist2017_log()
    est = build_model(model).set_params(max_epochs=1)
    est.fit(log)
    return {
        "responses": len(log),
        "s_per_epoch": est.history_[0]["train_seconds"],
        "mixed_precision": est.mixed_precision,
        "peak_gb": peak_rss_gb(),
    }


JOBS = {
    "ours": job_ours,
    "online": job_online,
    "pykt": job_pykt,
    "assist2017": job_assist2017,
}


def run_job(kind: str, threads: int, module: str = "experiments.bench_deep", **kwargs) -> dict:
    """Run one job in a fresh interpreter (`python -m MODULE --job SPEC`, whose `main` hands SPEC
    to `child`), so that peak memory is that job's and a crash loses only it; returns its JSON
    result (or the error)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        spec = json.dumps({"kind": kind, "kwargs": kwargs, "threads": threads, "out": str(out)})
        print(f"== {kind} {kwargs}", flush=True)
        rc = subprocess.call([sys.executable, "-m", module, "--job", spec], cwd=ROOT)
        if rc != 0 or not out.exists():
            return {"error": f"job failed with exit code {rc}"}
        result = json.loads(out.read_text())
        print(f"   {result}", flush=True)
        return result


def child(spec_json: str, jobs: dict = JOBS) -> None:
    """Run the job that `run_job` described, with torch on its number of threads."""
    import torch

    spec = json.loads(spec_json)
    torch.set_num_threads(spec["threads"])
    result = jobs[spec["kind"]](**spec["kwargs"])
    Path(spec["out"]).write_text(json.dumps(result))


# -- results store and report ---------------------------------------------------------------------
def load_store(store: Path = STORE) -> dict:
    return json.loads(store.read_text()) if store.exists() else {}


def record(key: str, result: dict, command: str, out: Path = RESULTS) -> None:
    """Keep one job's result with the run that measured it; rewrite the store (`out`'s .json)
    and the report (`out`).

    An entry may carry a `note` (added by hand, e.g. a run stopped early), shown with its run.

    The store is read again first, so that two runs at once (say one per model) keep each
    other's results."""
    path = out.with_suffix(".json")
    store = load_store(path)
    store[key] = {
        "result": result,
        "command": command,
        "finished": time.strftime("%Y-%m-%d %H:%M"),
        "load": round(os.getloadavg()[0], 1),
    }
    write_section(path, json.dumps(store, indent=1, sort_keys=True) + "\n")
    write_section(out, report(store))


def fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


SPLITS = {
    "assist2015": (
        "pyKT's ASSIST2015 split (its test file; training on its folds but the validation one)",
        "pyKT",
    ),
    "assist2009": (
        "Gervet et al.'s ASSIST2009 split (its test students; its training students in 5 seeded "
        "folds, fold 0 for early stopping; pyKT's concept of a response = its skill combination)",
        "Gervet et al. 2020",
    ),
}


def published(dataset: str, model: str) -> float | None:
    if dataset == "assist2015":
        return PUBLISHED_PYKT.get(model)
    return PUBLISHED_GERVET.get(model, {}).get(dataset)


def epochs_cell(r: dict) -> str:
    if not r.get("epochs"):
        return "-"
    return f"{r['epochs']} (best {r['best_epoch']})" if "best_epoch" in r else str(r["epochs"])


def precision_note(result: dict) -> str:
    """How our run multiplied: bfloat16 mixed precision, float32, or not recorded (older runs,
    all float32)."""
    return ", bfloat16 products" if result.get("mixed_precision") else ", float32"


def model_rows(store: dict, dataset: str, model: str, run, get) -> list[str]:
    """Table rows of one model on one split: ours per validation fold (and their mean, as pyKT
    publishes), ours capped at pyKT's epochs, pyKT's."""
    pub = fmt(published(dataset, model))
    rows = []
    folds = sorted(k for k in store if k.startswith(f"{dataset}/ours/{model}/"))
    for key in folds:
        r = get(key)
        rows.append(
            f"| {model} | adaptive (early stopping{precision_note(r)}) | {r.get('fold', 0)} "
            f"| {epochs_cell(r)} "
            f"| {fmt(r.get('test_auc_pykt'))} | {fmt(r.get('test_auc_all'))} "
            f"| {fmt(r.get('s_per_epoch'), 1)} | {fmt(r.get('fit_s'), 0)} "
            f"| {fmt(r.get('peak_gb'), 2)} | {pub} | {run(key)} |"
        )
    aucs = [get(k)["test_auc_pykt"] for k in folds if "test_auc_pykt" in get(k)]
    if len(aucs) > 1:
        named = ", ".join(dict.fromkeys(run(k) for k in folds))
        rows.append(
            f"| {model} | adaptive, **mean over {len(aucs)} validation folds** (as pyKT "
            f"publishes) | - | - | **{np.mean(aucs):.4f}** (sd {np.std(aucs, ddof=1):.4f}) "
            f"| - | - | - | - | {pub} | {named} |"
        )
    key = f"{dataset}/capped/{model}"
    if key in store:
        r = get(key)
        rows.append(
            f"| {model} | adaptive, capped at pyKT's epochs | 0 | {epochs_cell(r)} "
            f"| {fmt(r.get('test_auc_pykt'))} | {fmt(r.get('test_auc_all'))} "
            f"| {fmt(r.get('s_per_epoch'), 1)} | {fmt(r.get('fit_s'), 0)} "
            f"| {fmt(r.get('peak_gb'), 2)} | | {run(key)} |"
        )
    key = f"{dataset}/pykt/{model}"
    peer = get(key)
    if "skipped" in peer or "error" in peer:
        rows.append(
            f"| {model} | pyKT 0.0.38 | - | - | {peer.get('skipped', peer.get('error'))} "
            f"| | | | | | {run(key)} |"
        )
    elif peer.get("epochs"):
        how = "early stopping" if peer.get("patience") else f"cut at {peer['epochs']} epoch(s)"
        rows.append(
            f"| {model} | pyKT 0.0.38 ({how}) | 0 | {epochs_cell(peer)} "
            f"| {fmt(peer['test_auc_pykt'])} | - | {fmt(peer['s_per_epoch'], 1)} "
            f"| {fmt(peer.get('fit_s'), 0)} | {fmt(peer['peak_gb'], 2)} | {pub} | {run(key)} |"
        )
    elif peer:
        rows.append(
            f"| {model} | pyKT 0.0.38 (time only: {peer['batches_timed']} of "
            f"{peer['batches_per_epoch']} batches timed, epoch time extrapolated; no AUC) "
            f"| 0 | - | - | - | {fmt(peer['s_per_epoch'], 1)} | - | {fmt(peer['peak_gb'], 2)} "
            f"| {pub} | {run(key)} |"
        )
    return rows


def report(store: dict) -> str:
    by_time = sorted(store.values(), key=lambda e: e["finished"])
    runs = list(dict.fromkeys(e["command"] for e in by_time))

    def run(key: str) -> str:
        return f"[{runs.index(store[key]['command']) + 1}]"

    def get(key: str) -> dict:
        return store.get(key, {}).get("result", {})

    lines = [
        "## Deep knowledge tracing (DKT, SAKT, AKT) beside pyKT",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores. Each row names the run that "
        "measured it (commands at the end); ours and pyKT's rows of one model come from the same "
        "run, one after the other. The cores were shared with other work in some runs (load "
        "average at the end of each job in the run list): times are upper bounds. `fit s`: "
        "training and validation epochs to the early stop (time to convergence).",
    ]
    for dataset, (title, source) in SPLITS.items():
        if not any(k.startswith(f"{dataset}/") for k in store):
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| model | implementation | validation fold | epochs | test AUC (pyKT protocol) "
            "| test AUC (all responses) | s / epoch | fit s | peak memory GB "
            f"| published ({source}) | run |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        speed = []
        for model in ("dkt", "sakt", "akt"):
            lines += model_rows(store, dataset, model, run, get)
            ours, peer = get(f"{dataset}/ours/{model}/0"), get(f"{dataset}/pykt/{model}")
            if ours.get("s_per_epoch") and peer.get("s_per_epoch"):
                ratio = ours["s_per_epoch"] / peer["s_per_epoch"]
                line = (
                    f"- {model}: {ours['s_per_epoch']:.1f} s per epoch against pyKT's "
                    f"{peer['s_per_epoch']:.1f} s: **{ratio:.2f}x** (target <= 0.33x)"
                )
                if peer.get("fit_s"):
                    line += (
                        f"; to convergence {ours['fit_s']:.0f} s ({ours['epochs']} epochs) "
                        f"against {peer['fit_s']:.0f} s ({peer['epochs']} epochs)"
                    )
                speed.append(line + ".")
        if speed:
            lines += ["", "Training time, ours (validation fold 0) against pyKT's:", "", *speed]
    key = "assist2015/ours/dkt/0"
    dkt = get(key)
    if "update_p99_ms" in dkt:
        lines += [
            "",
            f"### Online and batch inference (our DKT, ASSIST2015 test students, run {run(key)})",
            "",
            f"- single-student `update(state, Response)`: p50 {dkt['update_p50_ms']:.3f} ms, "
            f"p99 {dkt['update_p99_ms']:.3f} ms (2,800 responses after a warm-up, in the training "
            "run; the latency measured alone is below)",
            f"- batched `predict_proba`: {dkt['predict_responses_per_s']:,.0f} responses/s; "
            "batched `update` from fresh state: "
            f"{dkt['update_batch_responses_per_s']:,.0f} responses/s",
        ]
    mem = sorted(k for k in store if k.startswith("assist2017/"))
    if mem:
        lines += [
            "",
            "### Peak memory, one training epoch on ASSIST2017 (target <= 4 GB)",
            "",
            "| model | responses | s / epoch | peak memory GB (whole process) | run |",
            "|---|---|---|---|---|",
        ]
        for key in mem:
            r = get(key)
            lines.append(
                f"| {key.split('/')[1]}{precision_note(r)} | {r.get('responses', '-')} "
                f"| {fmt(r.get('s_per_epoch'), 1)} | {fmt(r.get('peak_gb'), 2)} | {run(key)} |"
            )
    online = sorted(k for k in store if k.startswith("online/"))
    if online:
        lines += [
            "",
            "### Single-student `update` latency, measured alone (model trained 1 epoch; "
            "target p99 <= 1 ms)",
            "",
            "| model | updates timed | p50 ms | p99 ms | load average before | run |",
            "|---|---|---|---|---|---|",
        ]
        for key in online:
            r = get(key)
            lines.append(
                f"| {key.split('/')[1]} | {r.get('updates_timed', '-')} "
                f"| {fmt(r.get('update_p50_ms'), 3)} | {fmt(r.get('update_p99_ms'), 3)} "
                f"| {fmt(r.get('load'), 2)} | {run(key)} |"
            )
    lines += ["", "Runs (load average = 1-minute load when each job of the run ended):", ""]
    for i, command in enumerate(runs, 1):
        entries = [e for e in store.values() if e["command"] == command]
        loads = sorted(e["load"] for e in entries if e["load"] is not None)
        load = f"load {loads[0]}-{loads[-1]}" if loads else "load not recorded"
        notes = "".join(f" {e['note']}" for e in entries if e.get("note"))[:1000]
        finished = max(e["finished"] for e in entries)
        lines.append(f"{i}. `{command}` (finished {finished}, {load}){notes}")
    lines += [
        "",
        "Hyperparameters: ours from `adaptive/specs/models/{dkt,sakt,akt}.toml` at the time of the run; pyKT "
        "from its `configs/kt_config.json` (batch 256 for DKT, 64 for SAKT/AKT). `s / epoch` is "
        "training time only (no validation).",
    ]
    return "\n".join(lines) + "\n"


def measure_model(
    args: argparse.Namespace, data: str, model: str, folds: list[int], command: str
) -> None:
    """Ours on each validation fold, then pyKT (and ours capped at its epochs) on `data`."""
    cap = args.akt_max_epochs if model == "akt" and args.akt_max_epochs else args.max_epochs
    for fold in folds:
        result = run_job(
            "ours", args.threads, model=model, max_epochs=cap,
            patience=args.patience, fold=fold, dataset=data,
        )  # fmt: skip
        record(f"{data}/ours/{model}/{fold}", result, command, args.out)
    if args.pykt_epochs > 0:
        full = model in args.pykt_full.split(",")
        peer = run_job(
            "pykt",
            args.threads,
            model=model,
            epochs=args.pykt_epochs,
            max_batches=0 if full else args.pykt_batches,
            dataset=data,
            patience=args.pykt_patience,
        )
        record(f"{data}/pykt/{model}", peer, command, args.out)
        if "test_auc_pykt" in peer and args.pykt_patience is None:
            capped = run_job(
                "ours", args.threads, model=model, max_epochs=args.pykt_epochs,
                patience=args.pykt_epochs, dataset=data,
            )  # fmt: skip
            record(f"{data}/capped/{model}", capped, command, args.out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument(
        "--datasets", default=",".join(SPLITS), help=f"splits, among {', '.join(SPLITS)}"
    )
    parser.add_argument("--models", default="dkt,sakt,akt")
    parser.add_argument("--max-epochs", type=int, default=30, help="cap for our early-stopped runs")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--akt-max-epochs", type=int, default=None, help="cap for AKT (slowest)")
    parser.add_argument(
        "--folds", default="0", help="validation folds of our runs (0,1,2,3,4: pyKT's average)"
    )
    parser.add_argument(
        "--pykt-epochs", type=int, default=1, help="full epochs of pyKT's runs (0: skip pyKT)"
    )
    parser.add_argument("--pykt-full", default="dkt", help="models that pyKT trains in full epochs")
    parser.add_argument(
        "--pykt-patience",
        type=int,
        default=None,
        help="pyKT stops after this many epochs without a better validation AUC (default: never;"
        " ours is then also trained capped at its epochs, to compare AUC after equal epochs)",
    )
    parser.add_argument(
        "--pykt-batches", type=int, default=30, help="batches timed for pyKT's other models"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--assist2017", default="dkt", help="models for the ASSIST2017 memory run")
    parser.add_argument(
        "--online", default="dkt", help="models whose update latency is measured alone, last"
    )
    parser.add_argument("--fresh", action="store_true", help="forget the stored results first")
    add_out(parser, RESULTS, companions="its store of results (the same name, .json) goes")
    args = parser.parse_args(argv)
    if args.job:
        child(args.job)
        return
    command = "python -m experiments.bench_deep " + shlex.join(sys.argv[1:])
    if args.fresh:
        args.out.with_suffix(".json").unlink(missing_ok=True)
    folds = [int(f) for f in args.folds.split(",") if f]
    models = [m for m in args.models.split(",") if m]
    datasets = [d for d in args.datasets.split(",") if d]
    unknown = [d for d in datasets if d not in SPLITS]
    if unknown:
        parser.error(f"--datasets: unknown split(s) {unknown}; expected among {', '.join(SPLITS)}")
    for data in datasets:
        for model in models:
            measure_model(args, data, model, folds, command)
    for model in [m for m in args.assist2017.split(",") if m]:
        result = run_job("assist2017", args.threads, model=model)
        record(f"assist2017/{model}", result, command, args.out)
    for model in [m for m in args.online.split(",") if m]:
        result = run_job("online", args.threads, model=model, n_updates=10_000)
        record(f"online/{model}", result, command, args.out)
    print(args.out.read_text() if args.out.exists() else "nothing measured")


if __name__ == "__main__":
    main()
