"""Built features kept on disk, so training, evaluation and repeated experiments on the same
data compute them once.

A :class:`FeatureCache` keeps what :func:`~fakedetect.features.build_features` returns in
a folder, through :class:`joblib.Memory`, under a key made of everything the features
depend on:

- the dataset: the SHA-256 of every file it was read from, the accounts kept and the rows
  of every table (so lenient mode dropping other accounts is another dataset);
- the feature code: the SHA-256 of the sources of :mod:`fakedetect.features`,
  :mod:`fakedetect.validate`, :mod:`fakedetect.dataset` and :mod:`fakedetect.contract`
  with the package version, so any change to a feature, the registry or the typing of
  the data is a new key;
- the task and the account model that scores the audience sample: a checksum of its
  LightGBM text, features, calibration and metadata, or the rule-based fallback.

A dataset built in memory (no files) or an audience scorer that is not an account model
has no key, and its features are built every time. The folder defaults to
``.cache/fakedetect`` under the project (``paths: cache:`` in ``mlflow.yml``);
``--no-cache`` builds without it and ``make clean`` deletes it. joblib stores each result
as a pickle, which is read back on a hit: keep the folder writable only by you, as the
project's own virtual environment is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.config import Config
    from fakedetect.dataset import Dataset

AccountScorer = Callable[["pd.DataFrame"], np.ndarray]

#: Where the cache lives under the project when ``mlflow.yml`` does not say.
DEFAULT_FOLDER = Path(".cache") / "fakedetect"
#: Bytes read at a time while hashing files.
_CHUNK = 1 << 20
#: Packages and modules whose sources decide what the features of a dataset are.
_CODE = ("features", "validate", "dataset.py", "contract.py")


class FeatureCache:
    """Features of datasets kept in a folder, keyed by what they depend on.

    Parameters
    ----------
    folder : path-like or None
        Where the cache lives (created on first use); ``None`` turns caching off.
    """

    def __init__(self, folder: str | os.PathLike[str] | None) -> None:
        self.folder = None if folder is None else Path(folder)

    @classmethod
    def from_config(cls, cfg: Config, *, enabled: bool = True) -> FeatureCache:
        """The project's cache (``cfg.cache_dir``), or none when ``enabled`` is false.

        Parameters
        ----------
        cfg : Config
        enabled : bool, default True
            ``False`` for ``--no-cache``.

        Returns
        -------
        FeatureCache
        """
        return cls(cfg.root / cfg.cache_dir if enabled else None)

    def build(self, dataset: Dataset, task: str = "influencer", *,
              account_scorer: AccountScorer | None = None, n_jobs: int = 1) -> pd.DataFrame:
        """:func:`~fakedetect.features.build_features`, read from the cache when the same
        features were built before.

        Parameters
        ----------
        dataset : Dataset
        task : {"account", "influencer"}
        account_scorer : callable, optional
            As for :func:`~fakedetect.features.build_features`.
        n_jobs : int
            Threads building the features on a miss (the result does not depend on it).

        Returns
        -------
        pandas.DataFrame
            Equal to what :func:`~fakedetect.features.build_features` returns.
        """
        key = None if self.folder is None else feature_key(dataset, task, account_scorer)
        if key is None:
            return _build(None, dataset, task, account_scorer, n_jobs)
        import joblib

        memory = joblib.Memory(self.folder, verbose=0)
        cached = memory.cache(_build, ignore=["dataset", "account_scorer", "n_jobs"])
        return cached(key, dataset, task, account_scorer, n_jobs)

    def clear(self) -> None:
        """Delete every cached result (the folder itself)."""
        if self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder)


#: A cache that is always off.
NO_CACHE = FeatureCache(None)


def _build(key: dict[str, str] | None, dataset: Dataset, task: str,
           account_scorer: AccountScorer | None, n_jobs: int) -> pd.DataFrame:
    """The features of ``dataset``; ``key`` only names the result in the cache."""
    from fakedetect import features

    return features.build_features(dataset, task, account_scorer=account_scorer,
                                   n_jobs=n_jobs)


def feature_key(dataset: Dataset, task: str,
                account_scorer: AccountScorer | None) -> dict[str, str] | None:
    """What the features of ``dataset`` depend on, as text; ``None`` if it cannot be told.

    Parameters
    ----------
    dataset : Dataset
    task : str
    account_scorer : callable or None

    Returns
    -------
    dict or None
        ``dataset``, ``code``, ``task`` and ``account_model`` digests.
    """
    data = dataset_digest(dataset)
    scorer = scorer_digest(account_scorer)
    if data is None or scorer is None:
        return None
    return {"dataset": data, "code": code_digest(), "task": task, "account_model": scorer}


def dataset_digest(dataset: Dataset) -> str | None:
    """SHA-256 of a loaded dataset's files and of what loading kept of them.

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    str or None
        ``None`` for a dataset with no files (built in memory).
    """
    import pandas as pd

    if not dataset.files:
        return None
    h = hashlib.sha256()
    for name in sorted(dataset.files):
        path = Path(dataset.files[name])
        parts = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for part in parts:
            h.update(f"{name}\0{part.relative_to(path.parent)}\0".encode())
            with part.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
    for name in sorted(dataset.tables):
        h.update(f"{name}\0{len(dataset.tables[name])}\0".encode())
    ids = pd.util.hash_pandas_object(pd.Series(dataset.account_ids.astype(str)), index=False)
    h.update(ids.to_numpy().tobytes())
    return h.hexdigest()


def code_digest() -> str:
    """SHA-256 of the sources that turn files into features, and the package version.

    Returns
    -------
    str
    """
    import fakedetect

    root = Path(fakedetect.__file__).parent
    h = hashlib.sha256(fakedetect.__version__.encode())
    for entry in _CODE:
        path = root / entry
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(str(source.relative_to(root)).encode() + b"\0" + source.read_bytes())
    return h.hexdigest()


def scorer_digest(account_scorer: AccountScorer | None) -> str | None:
    """What scores the audience sample, as text.

    Parameters
    ----------
    account_scorer : callable or None
        ``None`` (the rule-based fallback) or an account model wrapped as a scorer (an
        object with the model as its ``model`` attribute).

    Returns
    -------
    str or None
        ``rules`` for the fallback, the SHA-256 of the account model (LightGBM text,
        features, calibration, metadata), or ``None`` for any other callable.
    """
    if account_scorer is None:
        return "rules"
    model: Any = getattr(account_scorer, "model", None)
    booster = getattr(model, "booster", None)
    if booster is None:
        return None
    h = hashlib.sha256(booster.model_to_string().encode())
    described = {"features": list(model.features), "calibration": model.calibration.to_dict(),
                 "metadata": {k: v for k, v in model.metadata.items() if k != "model_folder"}}
    h.update(json.dumps(described, sort_keys=True, default=str).encode())
    return h.hexdigest()
