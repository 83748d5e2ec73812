"""MLflow pyfunc for any `adaptive` knowledge-tracing model, logged with models-from-code.

MLflow stores this file's source beside the model and runs it on load; the model's weights are the
`tracer` artifact (our checksummed `model.json` + `arrays.npz`, and `weights.safetensors` for deep
models), read by `KnowledgeTracer.load`. Nothing is unpickled.

    model = mlflow.pyfunc.load_model("models:/demo-district@champion")
    p = model.predict(responses)   # responses: canonical columns; P(correct) per row, input order
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

from adaptive.data.log import ResponseLog
from adaptive.tracing.base import KnowledgeTracer

TRACER_ARTIFACT = "tracer"


def predict_in_input_order(model: KnowledgeTracer, responses: pd.DataFrame) -> np.ndarray:
    """P(correct) of every row of `responses` (each from that student's earlier rows only),
    returned in the caller's row order (a `ResponseLog` sorts by student then time). No
    note on the skills per request (`from_frame(notes=False)`): a served caller cannot act on it."""
    responses = responses.reset_index(drop=True)
    log = ResponseLog.from_frame(responses, notes=False)
    time = log.time_column
    when = responses[time]
    when = pd.to_datetime(when, utc=True) if time == "timestamp" else when.astype(np.int64)
    keys = pd.DataFrame({"student_id": responses["student_id"].astype(str), "time": when})
    order = keys.sort_values(["student_id", "time"], kind="stable").index.to_numpy()
    out = np.empty(len(responses), dtype=np.float64)
    out[order] = model.predict_proba(log)
    return out


class TracerModel(PythonModel):
    """Loads the saved tracer from the model's artifacts; predicts P(correct) per response."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.tracer = KnowledgeTracer.load(context.artifacts[TRACER_ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:  # noqa: ARG002
        return pd.Series(predict_in_input_order(self.tracer, model_input), name="p_correct")


set_model(TracerModel())
