"""The project configuration: one typed, immutable object loaded from ``mlflow.yml``.

The file is read once by the command line and the resulting :class:`Config` is passed
down explicitly. ``MLFLOW_TRACKING_URI`` in the environment overrides ``tracking_uri``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fakedetect.errors import UserError

DEFAULT_CONFIG_NAME = "mlflow.yml"
TASKS = ("account", "influencer")


@dataclass(frozen=True, kw_only=True)
class Config:
    """Where fakedetect tracks runs, registers models and reads and writes files.

    Attributes
    ----------
    root : Path
        Folder that relative paths are resolved against (the folder of the YAML file).
    tracking_uri : str
        MLflow tracking URI; relative ``sqlite:///`` paths are made absolute under ``root``.
    artifact_location : Path
        Folder for run artifacts of newly created experiments.
    experiments : dict
        Experiment name per task (``account``, ``influencer``) and for ``evaluation``.
    registered_models : dict
        Registered model name per task.
    champion_alias, challenger_alias : str
        Registry aliases of the serving model and of the newest candidate.
    data_dir, output_dir, report_dir, models_dir : Path
        Default folders for datasets, outputs, the review report and exported models.
    source : Path or None
        The YAML file this was loaded from, ``None`` for the built-in defaults.
    """

    root: Path
    tracking_uri: str = "sqlite:///mlflow.db"
    artifact_location: Path = Path("mlruns")
    experiments: dict[str, str] = field(
        default_factory=lambda: {
            "account": "fakedetect-account",
            "influencer": "fakedetect-influencer",
            "evaluation": "fakedetect-evaluation",
        }
    )
    registered_models: dict[str, str] = field(
        default_factory=lambda: {
            "account": "fakedetect-account",
            "influencer": "fakedetect-influencer",
        }
    )
    champion_alias: str = "champion"
    challenger_alias: str = "challenger"
    data_dir: Path = Path("data/demo")
    output_dir: Path = Path("out")
    report_dir: Path = Path("out/review")
    models_dir: Path = Path("models")
    source: Path | None = None

    def model_name(self, task: str) -> str:
        """Registered model name for ``task`` (``account`` or ``influencer``)."""
        if task not in self.registered_models:
            raise UserError(
                f"unknown task {task!r}",
                hint=f"use one of: {', '.join(sorted(self.registered_models))}",
            )
        return self.registered_models[task]

    def champion_uri(self, task: str) -> str:
        """``models:/NAME@champion`` for ``task``."""
        return f"models:/{self.model_name(task)}@{self.champion_alias}"


def _resolve_uri(uri: str, root: Path) -> str:
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        rel = uri[len(prefix) :]
        if rel and rel != ":memory:":
            return prefix + str((root / rel).resolve())
    return uri


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the configuration from ``path`` (default: ``./mlflow.yml`` if it exists).

    Parameters
    ----------
    path : path-like, optional
        The YAML file. When omitted, ``mlflow.yml`` in the working directory is used if
        present, otherwise the built-in defaults rooted at the working directory.

    Returns
    -------
    Config
        Immutable configuration with every path made absolute.

    Raises
    ------
    UserError
        If the file is missing, is not valid YAML, or has a key of the wrong type.
    """
    import yaml

    if path is None:
        candidate = Path.cwd() / DEFAULT_CONFIG_NAME
        raw: dict[str, Any] = {}
        source: Path | None = None
        if candidate.is_file():
            path = candidate
    if path is not None:
        source = Path(path).resolve()
        if not source.is_file():
            raise UserError(
                f"configuration file {source} not found",
                hint="pass --config PATH to an existing mlflow.yml",
            )
        try:
            loaded = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise UserError(f"{source}: not valid YAML ({exc})", hint="fix the file") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise UserError(f"{source}: expected a mapping at the top level")
        raw = loaded
    root = source.parent if source is not None else Path.cwd()
    cfg = Config(root=root, source=source)
    updates: dict[str, Any] = {}

    def _get(key: str, typ: type, where: dict[str, Any], name: str) -> Any:
        value = where.get(key)
        if value is not None and not isinstance(value, typ):
            raise UserError(
                f"{source}: key {name!r} should be a {typ.__name__}, found {value!r}",
                hint="see the comments in the shipped mlflow.yml",
            )
        return value

    if (v := _get("tracking_uri", str, raw, "tracking_uri")) is not None:
        updates["tracking_uri"] = v
    if (v := _get("artifact_location", str, raw, "artifact_location")) is not None:
        updates["artifact_location"] = Path(v)
    if (v := _get("experiments", dict, raw, "experiments")) is not None:
        updates["experiments"] = {**cfg.experiments, **{str(k): str(x) for k, x in v.items()}}
    if (v := _get("registered_models", dict, raw, "registered_models")) is not None:
        updates["registered_models"] = {
            **cfg.registered_models,
            **{str(k): str(x) for k, x in v.items()},
        }
    aliases = _get("aliases", dict, raw, "aliases") or {}
    if "champion" in aliases:
        updates["champion_alias"] = str(aliases["champion"])
    if "challenger" in aliases:
        updates["challenger_alias"] = str(aliases["challenger"])
    paths = _get("paths", dict, raw, "paths") or {}
    for key, attr in (
        ("data", "data_dir"),
        ("output", "output_dir"),
        ("report", "report_dir"),
        ("models", "models_dir"),
    ):
        if key in paths:
            updates[attr] = Path(str(paths[key]))
    cfg = replace(cfg, **updates)
    env_uri = os.environ.get("MLFLOW_TRACKING_URI")
    tracking = env_uri if env_uri else cfg.tracking_uri
    return replace(
        cfg,
        tracking_uri=_resolve_uri(tracking, root),
        artifact_location=(root / cfg.artifact_location).resolve(),
        data_dir=(root / cfg.data_dir).resolve(),
        output_dir=(root / cfg.output_dir).resolve(),
        report_dir=(root / cfg.report_dir).resolve(),
        models_dir=(root / cfg.models_dir).resolve(),
    )
