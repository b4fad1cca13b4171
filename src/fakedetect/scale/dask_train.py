"""Training on Dask through ``lightgbm.dask.DaskLGBMClassifier``.

The Dask estimator has two known limits, handled here:

- **No early stopping.** The number of rounds is fixed before any Dask fit: from the
  experiment file when its ``lightgbm`` block sets one (``num_iterations`` or any of its
  LightGBM aliases), else from a local cross-validation with early stopping on a
  stratified sample of the training accounts (the median of the folds' best rounds, as
  local training chooses them). The folds and the final booster then all train for
  that many rounds.
- **Concurrent fits hang.** Fits run one at a time, under a cluster-wide Dask lock, so
  two training jobs on the same cluster wait for each other instead of deadlocking.

Everything else (split, folds, calibration on out-of-fold margins, thresholds, test
metrics, MLflow tracking, registry and the champion gate) is the local code:
:class:`DaskFit` plugs into :func:`fakedetect.train.train` as its ``fit``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import lightgbm as lgb
    from distributed import Client

    from fakedetect.config import Config
    from fakedetect.experiment import Experiment
    from fakedetect.model import FakeModel
    from fakedetect.train import Prepared, TrainResult

#: LightGBM's names for the number of boosting rounds.
ROUND_ALIASES = ("num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees",
                 "num_round", "num_rounds", "nrounds", "num_boost_round", "n_estimators",
                 "max_iter")
#: Parameters the Dask estimator sets itself (threads come from each worker).
_DASK_OWNED = ("num_threads", "num_thread", "nthread", "nthreads", "n_jobs")
#: Training accounts in the local cross-validation that picks the number of rounds.
SAMPLE = 50_000
#: Name of the cluster-wide lock around LightGBM fits.
LOCK_NAME = "fakedetect-lightgbm-fit"
#: Data chunks per worker.
CHUNKS_PER_WORKER = 2


def rounds_from_experiment(experiment: Experiment) -> int | None:
    """The number of rounds the experiment's ``lightgbm`` block fixes, if any."""
    for key in ROUND_ALIASES:
        if key in experiment.params:
            return max(1, int(experiment.params[key]))
    return None


def sample_rows(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a stratified sample of ``size`` rows (all rows if fewer)."""
    n = len(y)
    if n <= size:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(n), train_size=size, random_state=seed, stratify=y)
    return np.sort(keep)


def subset(prep: Prepared, rows: np.ndarray) -> Prepared:
    """The prepared rows at ``rows``."""
    return prep.rows(rows)


def local_cv_rounds(prep: Prepared, experiment: Experiment, *, sample: int = SAMPLE
                    ) -> tuple[int, str]:
    """Rounds chosen by local cross-validation with early stopping on a sample.

    Returns
    -------
    rounds : int
    source : str
        How they were chosen, in plain words.
    """
    from fakedetect.train import fit_model

    rows = sample_rows(prep.y, sample, experiment.seed)
    model, _, _ = fit_model(subset(prep, rows), experiment)
    rounds = int(model.metadata["num_rounds"])
    folds = model.metadata.get("fold_best_rounds", [])
    which = "all" if len(rows) == len(prep.y) else "a stratified sample of"
    return rounds, (f"local {experiment.folds}-fold CV with early stopping on {which} "
                    f"{len(rows):,} labelled accounts (best rounds {folds}, median {rounds})")


def dask_params(params: dict[str, Any]) -> dict[str, Any]:
    """LightGBM parameters for the Dask estimator: no round count, no thread count."""
    return {k: v for k, v in params.items()
            if k not in ROUND_ALIASES and k not in _DASK_OWNED}


def dask_fitter(client: Client, *, chunks_per_worker: int = CHUNKS_PER_WORKER
                ) -> Callable[[dict[str, Any], np.ndarray, np.ndarray, list[str], int],
                              lgb.Booster]:
    """A :data:`fakedetect.train.Fitter` that trains on the cluster.

    The rows are scattered in chunks over the workers (each worker trains on the
    chunks it holds, LightGBM's data-parallel learner), the fit holds the cluster-wide
    lock :data:`LOCK_NAME`, and the result is an ordinary booster.
    """

    def fit(params: dict[str, Any], X: np.ndarray, y: np.ndarray, names: list[str],
            rounds: int) -> lgb.Booster:
        import dask
        import dask.array as da
        from distributed import Lock
        from lightgbm.dask import DaskLGBMClassifier

        from fakedetect.scale.engine import worker_count

        pieces = max(1, worker_count(client)) * chunks_per_worker
        bounds = np.array_split(np.arange(len(y)), min(pieces, max(1, len(y))))
        xs = client.scatter([np.ascontiguousarray(X[b]) for b in bounds])
        ys = client.scatter([np.asarray(y[b]) for b in bounds])
        dX = da.concatenate([da.from_delayed(dask.delayed(f), shape=(len(b), X.shape[1]),
                                             dtype=X.dtype) for f, b in zip(xs, bounds,
                                                                             strict=True)])
        dy = da.concatenate([da.from_delayed(dask.delayed(f), shape=(len(b),),
                                             dtype=y.dtype) for f, b in zip(ys, bounds,
                                                                            strict=True)])
        estimator = DaskLGBMClassifier(client=client, n_estimators=int(rounds),
                                       **dask_params(params))
        try:
            with client.as_current(), Lock(LOCK_NAME), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "n_jobs will be ignored"
                estimator.fit(dX, dy, feature_name=list(names))
        finally:
            client.cancel([*xs, *ys])
        return estimator.booster_

    return fit


class DaskFit:
    """``fit(prep, experiment)`` for :func:`fakedetect.train.train` on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
    sample : int
        Training accounts in the local cross-validation that picks the number of rounds
        (when the experiment does not fix it).
    log : callable, optional
        Receives progress lines.
    """

    def __init__(self, client: Client, *, sample: int = SAMPLE,
                 log: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.sample = sample
        self.log = log

    def __call__(self, prep: Prepared, experiment: Experiment
                 ) -> tuple[FakeModel, dict[str, float], dict[str, np.ndarray]]:
        """Choose the rounds, then cross-validate and fit on the cluster."""
        from fakedetect.scale.engine import worker_count
        from fakedetect.train import fit_model

        rounds = rounds_from_experiment(experiment)
        if rounds is not None:
            source = f"fixed by the experiment file ({rounds})"
        else:
            rounds, source = local_cv_rounds(prep, experiment, sample=self.sample)
        if self.log is not None:
            self.log(f"Dask: {worker_count(self.client)} worker(s), {rounds} rounds: {source}")
        exp = replace(experiment, params=dask_params(experiment.params))
        model, metrics, held = fit_model(prep, exp, fitter=dask_fitter(self.client),
                                         fixed_rounds=rounds)
        model.metadata.update({"engine": "dask", "rounds_source": source})
        metrics["dask_workers"] = float(worker_count(self.client))
        return model, metrics, held


def train_on_dask(data: str | os.PathLike[str], experiment: Experiment, cfg: Config, *,
                  scheduler: str | None = None, promote: bool = False, lenient: bool = False,
                  sample: int = SAMPLE, log: Callable[[str], None] = lambda s: None
                  ) -> TrainResult:
    """``fakedetect train --engine dask``: :func:`fakedetect.train.train` with the
    boosters fitted on the cluster (see :class:`DaskFit`).

    Features are built on this machine, as for local training (labelled sets are far
    smaller than the sets that are scored); the fits run on the workers.
    """
    from fakedetect.scale.engine import dask_client
    from fakedetect.train import train

    with dask_client(scheduler) as client:
        return train(data, experiment, cfg, promote=promote, lenient=lenient, log=log,
                     fit=DaskFit(client, sample=sample, log=log))
