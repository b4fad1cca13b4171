"""The MLflow pyfunc model, logged as code (no pickled Python object, no pickled booster).

MLflow executes this file when it loads a registered fakedetect model; the booster comes
from the model folder's LightGBM text file, verified against its checksums. Input: a frame
of feature columns (one row per account, as ``fakedetect features`` writes them). Output:
the fake probability, authenticity score, verdict and top reasons per row.

    mlflow models serve -m models:/fakedetect-influencer@champion --env-manager local
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.models import set_model


class FakedetectPyfunc(mlflow.pyfunc.PythonModel):
    """Score feature rows with a verified fakedetect model folder."""

    def load_context(self, context: Any) -> None:
        """Load and verify the model folder logged as the ``fakedetect_model`` artifact."""
        from fakedetect.model import FakeModel

        self.model = FakeModel.load(context.artifacts["fakedetect_model"])

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Scores and the top reasons for each input row."""
        from fakedetect.scoring import score_frame

        top = int((params or {}).get("top_reasons", 3))
        return score_frame(self.model, pd.DataFrame(model_input), top_reasons=top)


set_model(FakedetectPyfunc())
