"""Model lifecycle in MLflow: tracked training runs, the registry, promotion, loading the champion.

    result = train_model("bkt", "demo", registered_name="demo-district")
    decision = promote("demo-district", result.version)
    model = load_champion("demo-district")

Default store: SQLite in the library's data folder (`adaptive.paths.data_dir()`, see
`store.py`); `tracking_uri=` or `MLFLOW_TRACKING_URI` point at an MLflow server instead.
`promote` refuses a candidate of another skill vocabulary than the champion's (unless
`new_skills=True`). On a local store promotions of one model are serialized by a lock; through
a server concurrent promotes converge on the best candidate that passed the same gate (a
failed promote's candidate is out of the running); a champion moved by anything else meanwhile
(a rollback, the UI) is never replaced (`promotion.py`).
"""

from __future__ import annotations

from adaptive.registry.fingerprint import data_fingerprint
from adaptive.registry.holdout import holdout_mask, split_holdout
from adaptive.registry.loading import LoadedModel, load_champion, load_version
from adaptive.registry.promotion import PromotionDecision, PromotionRule, promote, rollback
from adaptive.registry.store import CHAMPION_ALIAS, default_tracking_uri, resolve_tracking_uri
from adaptive.registry.tracking import TrainResult, train_model

__all__ = [
    "CHAMPION_ALIAS",
    "LoadedModel",
    "PromotionDecision",
    "PromotionRule",
    "TrainResult",
    "data_fingerprint",
    "default_tracking_uri",
    "holdout_mask",
    "load_champion",
    "load_version",
    "promote",
    "resolve_tracking_uri",
    "rollback",
    "split_holdout",
    "train_model",
]
