"""What every deep knowledge tracer shares: fitting with early stopping, weights as artifacts.

A concrete model (DKT, SAKT, AKT) provides `_network()` (a `torch.nn.Module` whose
`forward(batch)` returns the logit of each target position of a `Batch`, in `batch.rows` order:
P(correct) of that response from the positions before it), `_predict_encoded(enc)` and the
online-state methods.

Fitting: a seeded split of the training *students* (`validation_fraction`) is held out; each
epoch trains on windowed chunks (see `sequences`) in length buckets with Adam, every response
weighing the same in the loss whatever the length of its bucket, then scores the validation
students with the same prediction path as `predict_proba`; training stops after
`patience` epochs without a better validation AUC (at most `max_epochs`) and keeps the best
weights. After each epoch without improvement the learning rate is multiplied by `lr_decay`
(1: constant), so that training near the best epoch takes smaller steps instead of
overshooting it. Seeded: the same data and hyperparameters give the same weights on CPU.

CPU speed while training (the CPU's defaults restored after): torch's deterministic mode runs
without its NaN fill of new memory (a debugging aid; the LSTM's workspace on a long window is
gigabytes), and denormal floats are flushed to zero: gradients that fade back through a long
window and its burn-in reach the denormal range, where CPU arithmetic is far slower. Together:
one DKT epoch on Gervet's ASSIST2009 split took 28 s instead of 53 s (one thread, a busy
machine). Results do not change: the first epochs of DKT, SAKT and AKT on pyKT's ASSIST2015
folds gave the same loss and validation AUC to the last bit, and DKT's 15 epochs on ASSIST2009
the same test AUC, RMSE and calibration.

Mixed precision (`precision`, see `PRECISIONS`): where the CPU multiplies bfloat16 natively
(AMX), training runs its matrix products in bfloat16 and keeps weights, updates and loss in
float32; prediction always runs in float32, so the online state replays it exactly. On Gervet's
ASSIST2009 split (`experiments.bench_deep --datasets assist2009`, one thread, two runs at once)
a DKT epoch took 3.4 s instead of 5.7 s and a SAKT epoch 10.3 s instead of 13.7 s, at test AUC
0.7500 against 0.7502 and 0.7231 against 0.7228 (`experiments/RESULTS.md`, deep section).

Mastery: the network predicts P(correct); `predict_skill_proba` is that on a typical item of
each skill (subclasses' `_skill_proba`). `mastery` is the latent state: P(known) of a standard
BKT fitted on the same training log at `fit`, traced in the same state and saved in `arrays.npz`
(`adaptive.tracing.calibration`, shared with the logistic models).

Artifacts: the network's weights (its `state_dict`) go into `weights.safetensors`, a file of
named tensors and nothing else, so loading it never executes code; the skill and item
vocabularies go into `arrays.npz`. `KnowledgeTracer.save` records the sha256 of both in
`model.json` and `load` checks them first: a missing, truncated or altered file raises
`ArtifactError` naming it, and so do weights that do not fit the saved hyperparameters.
"""

from __future__ import annotations

import copy
import inspect
import time
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import numpy as np
import pandas as pd
import safetensors.torch
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from safetensors import SafetensorError
from sklearn.metrics import roc_auc_score

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ArtifactError, ConfigError, FitWarning
from adaptive.progress import progress_shown
from adaptive.records import Range
from adaptive.tracing.base import KnowledgeTracer, TracingState, require_log, require_responses
from adaptive.tracing.calibration import LatentMastery, LatentMasteryMixin
from adaptive.tracing.deep.sequences import (
    Encoded,
    count_batches,
    encode_log,
    iter_batches,
    plan_chunks,
    split_students,
    take_students,
)
from adaptive.tracing.specs import WHOLE, ParamsRefused, value_problems

WEIGHTS_FILE = "weights.safetensors"
# Training arithmetic. "float32": everywhere. "bfloat16": mixed precision, the matrix products
# (LSTM, linear layers, attention) in bfloat16 under torch's autocast, the weights, their updates
# and the loss in float32. "auto": bfloat16 where the hardware multiplies it natively (a GPU, or a
# CPU with AMX or AVX512-BF16), float32 elsewhere. Prediction and the online state always run
# in float32.
PRECISIONS = ("auto", "float32", "bfloat16")
DEVICES = ("cpu", "cuda")

#: The size knobs of the deep models (each a whole number >= 1 where a model has it).
MODEL_SIZES = (
    "embedding_size",
    "hidden_size",
    "d_model",
    "n_heads",
    "num_layers",
    "num_blocks",
    "d_ff",
    "final_size",
)
SHARE = Range(0.0, 1.0, high_open=True, what="a share")
#: The numeric knobs and their valid values (a model checks those it has).
KNOB_RANGES = {
    **dict.fromkeys(MODEL_SIZES, WHOLE),
    **dict.fromkeys(("window", "max_skills", "batch_size", "max_epochs", "patience"), WHOLE),
    "learning_rate": Range(0.0, low_open=True),
    "lr_decay": Range(0.0, 1.0, low_open=True, what="a factor"),
    "validation_fraction": SHARE,
    "dropout": SHARE,
    "l2": Range(0.0),
    "seed": Range(0, whole=True, what="a whole number"),
}


class DeepTracer(LatentMasteryMixin, KnowledgeTracer):
    """Base of the torch models. Subclasses store their hyperparameters in `__init__` (plain
    JSON values) including the common ones read here: `window`, `max_skills`, `batch_size`,
    `learning_rate`, `lr_decay`, `max_epochs`, `patience`, `validation_fraction`, `seed`,
    `device`, `precision`, `progress`."""

    window: int
    max_skills: int
    batch_size: int
    learning_rate: float
    lr_decay: float
    max_epochs: int
    patience: int
    validation_fraction: float
    seed: int
    device: str
    precision: str
    progress: bool
    # Attention models bound a batch by its (batch, length, length) cells; None: no bound.
    max_attention_cells: int | None = None

    # -- subclass hooks --------------------------------------------------------------------------
    @abstractmethod
    def _network(self) -> torch.nn.Module:
        """A freshly initialised network for the fitted vocabularies (`n_skills_`, `n_items_`)."""

    @abstractmethod
    def _predict_encoded(self, enc: Encoded) -> np.ndarray:
        """P(correct) of every encoded row from the earlier rows of its student block."""

    # -- hyperparameters -------------------------------------------------------------------------
    def _accept_params(self, params: dict[str, Any]) -> None:
        """`__init__` of every deep model: store each hyperparameter under its own name, then
        check them (`check_params(machine=False)`), so that `DKT(hidden_size=0)` is refused where
        it is written instead of at `fit`, after the data are read."""
        for key, value in params.items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)
        self.check_params(machine=False)
        self._warn_idle_knobs(stacklevel=4)

    def _check_set_params(self) -> None:
        """The constructor's checks of the values `set_params` set: the values alone (not this
        machine's), then the warning for a knob that does nothing with the others."""
        self.check_params(machine=False)
        self._warn_idle_knobs(stacklevel=4)

    def check_params(self, machine: bool = True) -> None:
        """Refuse hyperparameters this model cannot be trained with, before any data is read.

        One `ParamsRefused` (a `ConfigError`) naming the model, the knob, its value and what it
        takes: a value of the wrong type (`items = "yes"`, `window = 1.5`), a number out of range
        (`hidden_size = 0`, `dropout = 1.5`, `learning_rate = -1`), heads that do not divide the
        model size, an unknown device or precision. Then the network itself is built on a
        one-skill, one-item vocabulary, so that whatever torch would still refuse is named here,
        not mid-fit.

        The constructor runs it with `machine=False`: the values alone, so that a model saved
        on a GPU or AMX machine still loads elsewhere. `fit` adds this machine's checks
        (`check_machine`: `device='cuda'` without a GPU, bfloat16 the CPU cannot run).
        """
        try:
            self._check_values()
        except ConfigError as exc:  # named as BKT's are: "DKT: window = 0 (expected ...)"
            raise ParamsRefused(type(self).__name__, str(exc)) from None
        if machine:
            self.check_machine()
        probe = copy.copy(self)  # not `clone()`: the constructor runs this check
        probe.skills_, probe.items_ = pd.Index(["skill"]), pd.Index(["item"])
        with torch.random.fork_rng(devices=[]):  # the caller's random stream stays as it was
            try:
                probe._network()
            except (RuntimeError, ArithmeticError, TypeError, ValueError) as exc:
                refused = ParamsRefused(type(self).__name__, f"cannot build its network: {exc}")
                raise refused from exc

    def check_machine(self) -> None:
        """Whether this machine can train with these settings, the part of `check_params` the
        constructor leaves out (`build_model` runs it on the model it built, whose values and
        network the constructor checked already): one `ParamsRefused` naming the model."""
        try:
            self._check_machine()
        except ConfigError as exc:
            raise ParamsRefused(type(self).__name__, str(exc)) from None

    def _check_values(self) -> None:
        """Each knob's type and range, in a spec's words ("window = 0 (expected a whole number
        >= 1)"): a negative learning rate crashed mid-fit, a `validation_fraction` of 1.5 left
        the model untrained, a text size reached torch (seen in a researcher's trial). Types as
        a spec's are checked, then the ranges of the knobs of the right type (`value_problems`,
        shared with BKT and the logistic models), so that a mistake reads the same from a spec
        and from Python. Every wrong knob is named in one `ConfigError` (a spec with two
        mistakes named only the first)."""
        wrong = value_problems(self, KNOB_RANGES, {"device": DEVICES, "precision": PRECISIONS})
        heads = getattr(self, "n_heads", 1)
        sizes_read = not {"d_model", "n_heads"} & set(wrong)  # whole numbers >= 1, where set
        if sizes_read and getattr(self, "d_model", 0) % heads:
            wrong["n_heads"] = (
                f"d_model = {self.d_model!r}, n_heads = {heads!r} (expected d_model a multiple "
                "of n_heads: each head takes an equal share of the model size)"
            )
        if wrong:
            raise ConfigError("; ".join(wrong.values()))

    def _warn_idle_knobs(self, stacklevel: int) -> None:
        """Say so where a knob is set that does nothing with the others (once, where the model
        is specified). `stacklevel` is `warnings.warn`'s, counted from here: 4 from a helper of a
        method the user called (the constructor's `_accept_params`, `set_params`'s
        `_check_set_params`), so that the warning names the user's line and a module's warning
        filter matches it."""
        default = inspect.signature(type(self).__init__).parameters.get("l2")
        set_l2 = default is not None and getattr(self, "l2", 0) != default.default
        if set_l2 and not getattr(self, "items", True):  # the default says nothing
            warnings.warn(
                f"l2={self.l2!r}: it penalizes the item embeddings, which items=False leaves "
                "out: it does nothing here (set items=True, or leave l2 at 0)",
                FitWarning,
                stacklevel=stacklevel,
            )

    def _check_machine(self) -> None:
        """Whether this machine can train with these settings (a subclass adds its own)."""
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device='cuda' but torch sees no GPU; use device='cpu'")

    @property
    def torch_device(self) -> torch.device:
        """Where the network runs: `device`, except that a model trained on a GPU and read
        back where torch sees none (the nightly job's CPU machine) predicts on the CPU with the
        same weights; `fit` still refuses device='cuda' there."""
        if self.device == "cuda" and not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device(self.device)

    @property
    def mixed_precision(self) -> bool:
        """Whether training multiplies in bfloat16 (see `PRECISIONS`)."""
        if self.precision == "auto":
            return self.device == "cuda" or native_bfloat16_cpu()
        return self.precision == "bfloat16"

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, log: ResponseLog, validation: ResponseLog | None = None) -> Self:
        """Train on `log` with early stopping; returns self.

        Early stopping scores a seeded `validation_fraction` of the students of `log`, held out
        from training, or, when given, the students of `validation` (e.g. a published fold).
        """
        require_log(log, "fit")
        self.check_params()
        require_responses(log, type(self).__name__)
        self.skills_ = pd.Index(log.skills)
        self.items_ = pd.Index(log.items)
        self._maps = None
        self.max_skills_ = int(min(self.max_skills, log.n_skills_per_response.max()))
        enc = encode_log(log, self.skills_, self.items_, self.max_skills_)
        if validation is None:
            train_ids, val_ids = split_students(log.n_students, self.validation_fraction, self.seed)
            train, val = take_students(enc, train_ids), take_students(enc, val_ids)
        else:
            train, val = enc, self._encode(validation)
        with training_mode(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net_ = self._network().to(self.torch_device)
            self.history_ = self._train(train, val)
        self.net_.eval()
        self.latent_ = LatentMastery.fit(log, self.skills_, seed=self.seed)
        self._finish_fit(log)
        return self

    def _train(self, train: Encoded, val: Encoded) -> list[dict[str, float]]:
        net = self.net_
        optimizer = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        chunks = plan_chunks(train.offsets, self.window)
        n_batches = count_batches(chunks, self.batch_size, self.max_attention_cells)
        # Batches are length buckets, so their response counts differ a hundredfold; dividing
        # each batch's summed loss by the *mean* count per batch (not its own count) gives every
        # response the same weight, as a random batching would.
        per_batch = max(float((chunks.end - chunks.target).sum()) / max(n_batches, 1), 1.0)
        loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
        bfloat16 = self.mixed_precision
        history: list[dict[str, float]] = []
        best_score, best_state, stale = -np.inf, None, 0
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        shown = self.progress and progress_shown()  # `--quiet` silences every model
        with Progress(
            *columns, console=Console(stderr=True), disable=not shown, transient=False
        ) as bar:
            task = bar.add_task(self.name, total=n_batches)
            for epoch in range(1, self.max_epochs + 1):
                started = time.perf_counter()
                net.train()
                total, count = 0.0, 0
                bar.reset(task, total=n_batches, description=f"{self.name} epoch {epoch}")
                batches = iter_batches(
                    train, chunks, self.batch_size, rng, self.max_attention_cells
                )
                for _, batch in batches:
                    batch = batch.to(self.torch_device)
                    with torch.autocast(self.torch_device.type, torch.bfloat16, enabled=bfloat16):
                        logits = net(batch).float()
                    labels = batch.correct[batch.target].to(logits.dtype)
                    loss = loss_fn(logits, labels)
                    n = int(labels.numel())
                    objective = loss / per_batch + net.penalty()
                    optimizer.zero_grad(set_to_none=True)
                    objective.backward()
                    optimizer.step()
                    total, count = total + loss.item(), count + n
                    bar.update(
                        task,
                        advance=1,
                        description=f"{self.name} epoch {epoch} loss {total / count:.4f}",
                    )
                train_s = time.perf_counter() - started
                net.eval()
                val_auc, val_loss = self._score(val)
                row = {
                    "epoch": epoch,
                    "loss": total / max(count, 1),
                    "val_auc": val_auc,
                    "val_loss": val_loss,
                    "learning_rate": optimizer.param_groups[0]["lr"],
                    "train_seconds": train_s,
                }
                history.append(row)
                if shown:
                    bar.console.print(
                        f"{self.name} epoch {epoch}: loss {row['loss']:.4f}  val AUC {val_auc:.4f} "
                        f"val loss {val_loss:.4f}  ({train_s:.1f} s)"
                    )
                score = val_auc if np.isfinite(val_auc) else -val_loss
                if score > best_score + 1e-6 or best_state is None:
                    best_score, stale = score, 0
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                else:
                    stale += 1
                    if stale >= self.patience:
                        break
                    for group in optimizer.param_groups:
                        group["lr"] *= self.lr_decay
        net.load_state_dict(best_state)
        return history

    def _score(self, val: Encoded) -> tuple[float, float]:
        """(AUC, mean log loss) of the validation students; AUC is NaN with one class only."""
        if len(val) == 0:
            return float("nan"), float("nan")
        p = np.clip(self._predict_encoded(val), 1e-7, 1 - 1e-7)
        y = val.correct
        loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")
        return auc, loss

    # -- prediction ------------------------------------------------------------------------------
    def _encode(self, log: ResponseLog) -> Encoded:
        return encode_log(log, self.skills_, self.items_, self.max_skills_)

    @property
    def uses_items(self) -> bool:
        """True where the network takes item embeddings (`items=True`; AKT always: its
        per-item difficulty)."""
        return bool(getattr(self, "items", False))

    def _predict_proba(self, log: ResponseLog) -> np.ndarray:
        return self._predict_encoded(self._encode(log))

    def _responses(self, responses: ResponseLog | Response) -> Encoded:
        """The responses encoded for `update` (one block per student of the log)."""
        if isinstance(responses, ResponseLog):
            return self._encode(responses)
        skill_map, item_map = self._code_maps()
        unknown_skill, unknown_item = len(skill_map) + 1, len(item_map) + 1
        skill_codes = np.zeros((1, self.max_skills_), dtype=np.int64)
        for slot, skill in enumerate(list(responses.skill_ids)[: self.max_skills_]):
            skill_codes[0, slot] = skill_map.get(str(skill), unknown_skill)
        enc = Encoded(
            item=np.asarray([item_map.get(str(responses.item_id), unknown_item)], dtype=np.int64),
            skills=skill_codes,
            correct=np.asarray([int(responses.correct)], dtype=np.int64),
            offsets=np.asarray([0, 1], dtype=np.int64),
        )
        return enc

    def _code_maps(self) -> tuple[dict[str, int], dict[str, int]]:
        """id -> model code dictionaries for the single-response path (built once per fit)."""
        if getattr(self, "_maps", None) is None:
            self._maps = (
                {str(s): i + 1 for i, s in enumerate(self.skills_)},
                {str(s): i + 1 for i, s in enumerate(self.items_)},
            )
        return self._maps

    @abstractmethod
    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_skills) P(correct) on a typical item of each skill, as the next response."""

    # -- artifacts -------------------------------------------------------------------------------
    @property
    def n_skills_(self) -> int:
        return len(self.skills_)

    @property
    def n_items_(self) -> int:
        return len(self.items_)

    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        return {
            "skills": np.asarray(self.skills_.astype(str), dtype=np.str_),
            "items": np.asarray(self.items_.astype(str), dtype=np.str_),
            **self.latent_.arrays(),
        }

    def _fitted_files(self) -> dict[str, bytes]:
        weights = {k: v.detach().cpu().contiguous() for k, v in untied_state(self.net_).items()}
        return {WEIGHTS_FILE: safetensors.torch.save(weights)}

    def _fitted_json(self) -> dict[str, Any]:
        return {
            "max_skills": self.max_skills_,
            "history": self.history_,
            "latent": self.latent_.fitted_json(),
        }

    def _restore(self, fitted: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        try:
            self.skills_ = pd.Index(arrays["skills"].tolist(), dtype=object)
            self.items_ = pd.Index(arrays["items"].tolist(), dtype=object)
            self.max_skills_ = int(fitted["max_skills"])
            self.latent_ = LatentMastery.restore(arrays, fitted.get("latent"), self.skills_)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"saved {self.name} vocabularies or mastery calibration are incomplete ({exc})"
            ) from exc
        self._maps = None
        self.history_ = list(fitted.get("history", []))

    def _restore_files(self, files: dict[str, bytes]) -> None:
        if WEIGHTS_FILE not in files:
            raise ArtifactError(f"model.json of this {self.name} model lists no {WEIGHTS_FILE}")
        try:
            weights = safetensors.torch.load(files[WEIGHTS_FILE])
        except SafetensorError as exc:
            raise ArtifactError(f"{WEIGHTS_FILE}: not a readable safetensors file ({exc})") from exc
        net = self._network()
        try:
            load_untied_state(net, weights)
        except RuntimeError as exc:
            raise ArtifactError(
                f"{WEIGHTS_FILE}: the saved {self.name} weights do not fit its hyperparameters "
                f"({exc})"
            ) from exc
        self.net_ = net.to(self.torch_device).eval()


@contextmanager
def training_mode() -> Iterator[None]:
    """Torch deterministic (same data and seed, same weights) and fast on CPU inside the block;
    the previous settings come back after. Deterministic mode's NaN fill of new memory is off
    (a debugging aid; the LSTM's workspace on a long window is gigabytes) and denormal floats
    are flushed to zero (see the module docstring)."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    fills = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True)
    torch.utils.deterministic.fill_uninitialized_memory = False
    flushing = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.utils.deterministic.fill_uninitialized_memory = fills
        if flushing:
            torch.set_flush_denormal(False)


def native_bfloat16_cpu() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX tiles or AVX512-BF16); elsewhere
    torch emulates it, slower than float32."""
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def untied_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """`net.state_dict()` with each tied parameter once (AKT ties its key and query maps):
    safetensors stores no aliases."""
    aliases = {n for n, _ in net.named_parameters(remove_duplicate=False)}
    aliases -= {n for n, _ in net.named_parameters()}
    return {k: v for k, v in net.state_dict().items() if k not in aliases}


def load_untied_state(net: torch.nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Load what `untied_state` saved; RuntimeError when the names or shapes differ."""
    expected = set(untied_state(net))
    if set(weights) != expected:
        raise RuntimeError(
            f"missing {sorted(expected - set(weights))}, "
            f"unexpected {sorted(set(weights) - expected)}"
        )
    net.load_state_dict(weights, strict=False)  # a tied name shares its twin's loaded tensor
