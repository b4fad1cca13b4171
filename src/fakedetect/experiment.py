"""Experiment files: which data, features, LightGBM parameters, split, operating point and
validation criteria a training run uses.

Experiments are YAML files in ``training/``. :func:`load_experiment` reads one into an
immutable :class:`Experiment`; unknown keys and wrong types are errors that name the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakedetect.errors import UserError

#: LightGBM parameters every run uses unless the experiment overrides them. Threads and
#: determinism are fixed so that the same data and seed give the same model file.
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "is_unbalance": True,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 2,
    "verbosity": -1,
}


@dataclass(frozen=True)
class Criterion:
    """A validation criterion: ``metric`` must be at least (or at most) ``threshold``."""

    metric: str
    threshold: float
    higher_is_better: bool = True

    def passes(self, value: float) -> bool:
        """Whether ``value`` satisfies the criterion."""
        if value != value:  # NaN never passes
            return False
        return value >= self.threshold if self.higher_is_better else value <= self.threshold

    def __str__(self) -> str:
        return f"{self.metric} {'>=' if self.higher_is_better else '<='} {self.threshold:g}"


#: Ways to weight accounts in training (``balance:`` in an experiment file).
BALANCE = ("none", "sources", "sources_and_classes")


@dataclass(frozen=True)
class Holdout:
    """Groups of accounts kept out of training and measured apart.

    Attributes
    ----------
    column : str
        ``source`` or ``world`` (columns of the labels table).
    match : str
        A shell pattern (``fnmatch``) of the group names held out, e.g. ``h*``.
    """

    column: str
    match: str

    def __str__(self) -> str:
        return f"{self.column} matching {self.match!r}"


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """One training experiment.

    Attributes
    ----------
    name : str
        Experiment name (also the run name prefix).
    task : str
        ``account`` or ``influencer``.
    data : tuple of Path
        Default dataset folders (``--data`` overrides); several folders are trained on
        together, each account keeping its ``source``.
    shared_features : bool
        ``features: shared``: keep only the features every source provides.
    holdout : Holdout or None
        Accounts kept out of training entirely and measured apart (``heldout_*``).
    balance : {"none", "sources", "sources_and_classes"}
        Weights that give every source (and, with ``sources_and_classes``, each class
        within it) the same total weight in training and calibration: no source's size
        or share of fakes becomes the model's prior.
    features : tuple of str or None
        Feature names to use; ``None`` for every registered feature of the task.
    params : dict
        LightGBM parameters (merged over :data:`BASE_PARAMS`).
    max_rounds, early_stopping_rounds : int
        Boosting rounds cap and patience on the validation part of each fold.
    monotone : bool
        Apply monotone constraints to features whose direction is certain.
    test_size : float
        Held-out test share; never used for early stopping, calibration or thresholds.
    folds : int
        Cross-validation folds on the rest.
    valid_fraction : float
        Share of each fold's training part kept aside for early stopping.
    seed : int
        Seeds the split, the folds and LightGBM.
    calibration : str
        ``sigmoid`` or ``isotonic`` (fitted on out-of-fold margins).
    max_fpr : float
        The operating point: the ``likely fake`` threshold keeps the out-of-fold
        false-positive rate at or below this.
    review_fpr : float
        The ``review`` threshold keeps the out-of-fold false-positive rate at or below this.
    criteria : tuple of Criterion
        Test metrics a model must reach to become champion.
    primary_metric : str
        Metric a challenger must beat the champion on, on the same test data.
    source : Path or None
        The YAML file.
    """

    name: str
    task: str
    data: tuple[Path, ...] = ()
    features: tuple[str, ...] | None = None
    shared_features: bool = False
    holdout: Holdout | None = None
    balance: str = "none"
    params: dict[str, Any] = field(default_factory=lambda: dict(BASE_PARAMS))
    max_rounds: int = 2000
    early_stopping_rounds: int = 50
    monotone: bool = True
    test_size: float = 0.2
    folds: int = 5
    valid_fraction: float = 0.15
    seed: int = 42
    calibration: str = "sigmoid"
    max_fpr: float = 0.02
    review_fpr: float = 0.10
    criteria: tuple[Criterion, ...] = ()
    primary_metric: str = "roc_auc"
    source: Path | None = None

    def to_params(self) -> dict[str, Any]:
        """Flat parameters for MLflow."""
        out: dict[str, Any] = {
            "experiment": self.name, "task": self.task, "max_rounds": self.max_rounds,
            "early_stopping_rounds": self.early_stopping_rounds, "monotone": self.monotone,
            "test_size": self.test_size, "folds": self.folds,
            "valid_fraction": self.valid_fraction, "seed": self.seed,
            "calibration": self.calibration, "max_fpr": self.max_fpr,
            "review_fpr": self.review_fpr, "primary_metric": self.primary_metric,
            "criteria": "; ".join(map(str, self.criteria)) or "none",
            "features": "shared" if self.shared_features else "listed" if self.features
            else "all",
            "holdout": str(self.holdout) if self.holdout else "none",
            "balance": self.balance,
        }
        out.update({f"lgb_{k}": v for k, v in self.params.items()})
        return out


_KNOWN = {"name", "task", "data", "features", "lightgbm", "max_rounds",
          "early_stopping_rounds", "monotone", "split", "seed", "calibration",
          "operating_point", "validation_criteria", "primary_metric", "description",
          "holdout", "balance"}


def default_experiment(task: str) -> Experiment:
    """The built-in experiment for ``task`` (used when no file is given)."""
    if task not in {"account", "influencer"}:
        raise UserError(f"unknown task {task!r}", hint="use --task account or influencer")
    return Experiment(name=f"{task}-default", task=task,
                      criteria=(Criterion("roc_auc", 0.8),))


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read an experiment YAML file.

    Parameters
    ----------
    path : path-like
        The file, e.g. ``training/influencer.yaml``.

    Returns
    -------
    Experiment

    Raises
    ------
    UserError
        Missing file, invalid YAML, an unknown key or a value of the wrong type.
    """
    import yaml

    src = Path(path)
    if not src.is_file():
        raise UserError(f"{src}: experiment file not found",
                        hint="pass --experiment training/NAME.yaml")
    try:
        raw = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserError(f"{src}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{src}: expected a mapping at the top level")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise UserError(f"{src}: unknown key(s) {', '.join(unknown)}",
                        hint=f"known keys: {', '.join(sorted(_KNOWN))}")

    def get(mapping: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str,
            default: Any = None) -> Any:
        value = mapping.get(key, default)
        if value is not None and not isinstance(value, typ):
            raise UserError(f"{src}: {where}{key} should be "
                            f"{getattr(typ, '__name__', typ)}, found {value!r}")
        return value

    task = get(raw, "task", str, "")
    if task not in {"account", "influencer"}:
        raise UserError(f"{src}: task should be account or influencer, found {task!r}")
    base = default_experiment(task)
    split = get(raw, "split", dict, "", {}) or {}
    op = get(raw, "operating_point", dict, "", {}) or {}
    lgb_params = get(raw, "lightgbm", dict, "", {}) or {}
    features = get(raw, "features", (list, str), "", None)
    shared = features == "shared"
    if features in ("all", "shared"):
        features = None
    elif isinstance(features, str):
        raise UserError(f"{src}: features should be all, shared or a list of feature "
                        f"names, found {features!r}")
    hold = get(raw, "holdout", dict, "", None)
    holdout = None
    if hold is not None:
        column, match = hold.get("column"), hold.get("match")
        if column not in ("source", "world") or not isinstance(match, str) or not match:
            raise UserError(f"{src}: holdout needs column (source or world) and match "
                            f"(a pattern such as h*), found {hold!r}")
        holdout = Holdout(column, match)
    criteria_raw = get(raw, "validation_criteria", list, "", []) or []
    criteria = []
    for i, c in enumerate(criteria_raw):
        if not isinstance(c, dict) or "metric" not in c or "threshold" not in c:
            raise UserError(f"{src}: validation_criteria[{i}] needs metric and threshold")
        criteria.append(Criterion(str(c["metric"]), float(c["threshold"]),
                                  bool(c.get("higher_is_better", True))))
    balance = str(get(raw, "balance", str, "", "none"))
    if balance not in BALANCE:
        raise UserError(f"{src}: balance should be one of {', '.join(BALANCE)}, "
                        f"found {balance!r}")
    data = get(raw, "data", (str, list), "")
    folders = [data] if isinstance(data, str) else list(data or [])
    num = (int, float)
    return Experiment(
        name=str(get(raw, "name", str, "", src.stem)),
        task=task,
        data=tuple(Path(str(d)) for d in folders if d),
        features=tuple(map(str, features)) if isinstance(features, list) else None,
        shared_features=shared,
        holdout=holdout,
        balance=balance,
        params={**BASE_PARAMS, **lgb_params},
        max_rounds=int(get(raw, "max_rounds", int, "", base.max_rounds)),
        early_stopping_rounds=int(get(raw, "early_stopping_rounds", int, "",
                                      base.early_stopping_rounds)),
        monotone=bool(get(raw, "monotone", bool, "", base.monotone)),
        test_size=float(get(split, "test_size", num, "split.", base.test_size)),
        folds=int(get(split, "folds", int, "split.", base.folds)),
        valid_fraction=float(get(split, "valid_fraction", num, "split.",
                                 base.valid_fraction)),
        seed=int(get(raw, "seed", int, "", base.seed)),
        calibration=str(get(raw, "calibration", str, "", base.calibration)),
        max_fpr=float(get(op, "max_fpr", num, "operating_point.", base.max_fpr)),
        review_fpr=float(get(op, "review_fpr", num, "operating_point.", base.review_fpr)),
        criteria=tuple(criteria) or base.criteria,
        primary_metric=str(get(raw, "primary_metric", str, "", base.primary_metric)),
        source=src.resolve(),
    )
