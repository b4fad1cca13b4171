"""A scikit-learn transformer around :func:`~fakedetect.features.build_features`.

A pipeline ``FeatureBuilder -> classifier`` takes a dataset (or a path, or a frame of
account rows) and can be logged as one model, so training and scoring always share the
feature code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from fakedetect.features.registry import TASKS, feature_names

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.dataset import Dataset


class FeatureBuilder(TransformerMixin, BaseEstimator):
    """Build the registry's features for a task.

    Parameters
    ----------
    task : {"account", "influencer"}
        Which features to build.
    account_scorer : callable, optional
        Scores audience samples (see :func:`~fakedetect.features.build_features`).

    Attributes
    ----------
    feature_names_out_ : numpy.ndarray
        The output columns, set by :meth:`fit`.
    """

    def __init__(self, *, task: str = "influencer",
                 account_scorer: Callable[[pd.DataFrame], np.ndarray] | None = None) -> None:
        self.task = task
        self.account_scorer = account_scorer

    def fit(self, X: Any, y: Any = None) -> FeatureBuilder:
        """Check the task and record the output columns (the features learn nothing)."""
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        self.feature_names_out_ = np.asarray(feature_names(self.task), dtype=object)
        return self

    def transform(self, X: Dataset | str | os.PathLike[str] | pd.DataFrame
                  | dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Features of every account in ``X``.

        Parameters
        ----------
        X : Dataset, path, DataFrame or dict of DataFrames
            A loaded dataset; a dataset folder (loaded and validated); a frame of
            account rows (the accounts table; rows keep their order and index); or a
            dict of tables.

        Returns
        -------
        pandas.DataFrame
            The columns of ``feature_names(task)`` only, float64.
        """
        import pandas as pd

        from fakedetect.dataset import Dataset
        from fakedetect.features.build import build_features, dataset_from_frames
        from fakedetect.validate import load_dataset

        names = feature_names(self.task)
        if isinstance(X, Dataset):
            return build_features(X, self.task, account_scorer=self.account_scorer)[names]
        if isinstance(X, str | os.PathLike):
            ds = load_dataset(X)
            return build_features(ds, self.task, account_scorer=self.account_scorer)[names]
        if isinstance(X, dict):
            ds = dataset_from_frames(X)
            return build_features(ds, self.task, account_scorer=self.account_scorer)[names]
        if isinstance(X, pd.DataFrame):
            frame = X
            if "account_id" not in frame:
                frame = frame.assign(account_id=[f"row-{i}" for i in range(len(frame))])
            ids = frame["account_id"].astype("string")
            if ids.duplicated().any() or ids.isna().any():
                raise ValueError("account rows need unique, non-missing account_id values")
            ds = dataset_from_frames({"accounts": frame})
            out = build_features(ds, self.task, account_scorer=self.account_scorer)[names]
            out = out.loc[np.asarray(ids, dtype=object)]
            out.index = X.index
            return out
        raise TypeError(f"cannot build features from {type(X).__name__}; pass a Dataset, "
                        "a dataset folder, a frame of accounts or a dict of tables")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output column names."""
        return np.asarray(feature_names(self.task), dtype=object)
