"""The project configuration: one typed, immutable object loaded from ``mlflow.yml``.

The file is read once by the command line and the resulting :class:`Config` is passed
down explicitly. ``MLFLOW_TRACKING_URI`` in the environment overrides ``tracking_uri``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from fakedetect.errors import UserError

DEFAULT_CONFIG_NAME = "mlflow.yml"
TASKS = ("account", "influencer")


class FrozenDict(dict[str, str]):
    """A ``dict`` that refuses changes, so a :class:`Config` is immutable all the way down.

    It is still a ``dict``: it serialises to JSON and YAML and copies like one.
    """

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("the configuration is read-only; build a new one instead")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = __ior__ = _read_only  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self) -> tuple[type, tuple[dict[str, str]]]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> FrozenDict:
        return self


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
        Experiment name per task (``account``, ``influencer``) and for ``evaluation``
        (read-only).
    registered_models : dict
        Registered model name per task (read-only).
    champion_alias, challenger_alias : str
        Registry aliases of the serving model and of the newest candidate.
    data_dir, output_dir, report_dir, models_dir : Path
        Default folders for datasets, outputs, the review report and exported models.
    cache_dir : Path
        Folder of the feature cache (:mod:`fakedetect.cache`).
    source : Path or None
        The YAML file this was loaded from, ``None`` for the built-in defaults.
    """

    root: Path
    tracking_uri: str = "sqlite:///mlflow.db"
    artifact_location: Path = Path("mlruns")
    experiments: dict[str, str] = field(
        default_factory=lambda: FrozenDict({
            "account": "fakedetect-account",
            "influencer": "fakedetect-influencer",
            "evaluation": "fakedetect-evaluation",
        })
    )
    registered_models: dict[str, str] = field(
        default_factory=lambda: FrozenDict({
            "account": "fakedetect-account",
            "influencer": "fakedetect-influencer",
        })
    )
    champion_alias: str = "champion"
    challenger_alias: str = "challenger"
    data_dir: Path = Path("data/demo")
    output_dir: Path = Path("out")
    report_dir: Path = Path("out/review")
    models_dir: Path = Path("models")
    cache_dir: Path = Path(".cache/fakedetect")
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

    def named(self, task: str, *, model: str | None = None,
              experiment: str | None = None) -> Config:
        """This configuration with another registered model or experiment for ``task``.

        Parameters
        ----------
        task : str
            ``account`` or ``influencer``.
        model, experiment : str, optional
            The registered model and the MLflow experiment to use instead of the
            configured ones (``train --model-name`` and ``--experiment-name``).

        Returns
        -------
        Config
            A new configuration; this one is unchanged.
        """
        from dataclasses import replace

        self.model_name(task)  # an unknown task fails here
        for what, value in (("model name", model), ("experiment name", experiment)):
            if value is not None and not value.strip():
                raise UserError(f"empty {what}", hint=f"give a {what}, e.g. my-{task}")
        return replace(
            self,
            registered_models=FrozenDict({**self.registered_models,
                                          **({task: model} if model else {})}),
            experiments=FrozenDict({**self.experiments,
                                    **({task: experiment} if experiment else {})}),
        )


def _resolve_uri(uri: str, root: Path) -> str:
    """Make a relative ``sqlite:///`` path absolute under ``root``."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        rel = uri[len(prefix) :]
        if rel and rel != ":memory:":
            return prefix + str((root / Path(rel).expanduser()).resolve())
    return uri


#: Top-level keys of ``mlflow.yml`` and the type each must have.
_KEYS: dict[str, type] = {
    "tracking_uri": str,
    "artifact_location": str,
    "experiments": dict,
    "registered_models": dict,
    "aliases": dict,
    "paths": dict,
}
#: Sub-keys allowed in each section (``None``: any name, e.g. a new experiment).
_SECTIONS: dict[str, tuple[str, ...] | None] = {
    "experiments": None,
    "registered_models": None,
    "aliases": ("champion", "challenger"),
    "paths": ("data", "output", "report", "models", "cache"),
}


def _read_yaml(source: Path) -> dict[str, Any]:
    import yaml

    if not source.exists():
        raise UserError(f"configuration file {source} not found",
                        hint="pass --config PATH to an existing mlflow.yml")
    if not source.is_file():
        raise UserError(f"configuration {source} is not a file",
                        hint="pass --config PATH to an mlflow.yml file")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{source}: not UTF-8 text", hint="re-save the file as UTF-8") from exc
    except OSError as exc:
        raise UserError(f"{source}: cannot read the file ({exc.strerror})",
                        hint="check the file's permissions") from exc
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{source}{where}: not valid YAML ({problem})",
                        hint="fix the file; the shipped mlflow.yml shows the layout") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise UserError(f"{source}: expected a mapping of keys at the top level, found a "
                        f"{type(loaded).__name__}",
                        hint="see the shipped mlflow.yml for the layout")
    return loaded


def _checked(raw: dict[str, Any], source: Path) -> dict[str, Any]:
    """Reject unknown keys and values of the wrong type, naming the key."""
    for key, value in raw.items():
        if key not in _KEYS:
            raise UserError(f"{source}: unknown key {key!r}",
                            hint=f"known keys: {', '.join(_KEYS)}")
        typ = _KEYS[key]
        if value is not None and not isinstance(value, typ):
            raise UserError(
                f"{source}: key {key!r} should be a {'mapping' if typ is dict else 'text'}, "
                f"found {value!r}", hint="see the comments in the shipped mlflow.yml")
        if typ is dict and value:
            for sub, item in value.items():
                allowed = _SECTIONS[key]
                if allowed is not None and sub not in allowed:
                    raise UserError(f"{source}: unknown key {key}.{sub}",
                                    hint=f"known: {', '.join(allowed)}")
                if not isinstance(item, str) or not item.strip():
                    raise UserError(f"{source}: key {key}.{sub} should be a non-empty text, "
                                    f"found {item!r}",
                                    hint="see the comments in the shipped mlflow.yml")
    return raw


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
        Immutable configuration with every path made absolute. Relative paths in the
        file are relative to the file's folder; ``MLFLOW_TRACKING_URI`` in the
        environment, when set, replaces ``tracking_uri`` (a relative path there is
        relative to the working directory, as MLflow reads it).

    Raises
    ------
    UserError
        If the file is missing, is not valid YAML, has an unknown key or a key of the
        wrong type.
    """
    source: Path | None = None
    if path is None:
        candidate = Path.cwd() / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            source = candidate.resolve()
    else:
        source = Path(path).expanduser().resolve()
    raw = _checked(_read_yaml(source), source) if source is not None else {}
    root = source.parent if source is not None else Path.cwd()
    defaults = Config(root=root, source=source)
    sections = {key: raw.get(key) or {} for key in _SECTIONS}
    paths = sections["paths"]
    aliases = sections["aliases"]
    env_uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env_uri:
        tracking = _resolve_uri(env_uri, Path.cwd())
    else:
        tracking = _resolve_uri(raw.get("tracking_uri") or defaults.tracking_uri, root)

    def where(value: str | None, default: Path) -> Path:
        return (root / (Path(value).expanduser() if value else default)).resolve()

    return Config(
        root=root,
        source=source,
        tracking_uri=tracking,
        artifact_location=where(raw.get("artifact_location"), defaults.artifact_location),
        experiments=FrozenDict({**defaults.experiments, **sections["experiments"]}),
        registered_models=FrozenDict(
            {**defaults.registered_models, **sections["registered_models"]}),
        champion_alias=aliases.get("champion", defaults.champion_alias),
        challenger_alias=aliases.get("challenger", defaults.challenger_alias),
        data_dir=where(paths.get("data"), defaults.data_dir),
        output_dir=where(paths.get("output"), defaults.output_dir),
        report_dir=where(paths.get("report"), defaults.report_dir),
        models_dir=where(paths.get("models"), defaults.models_dir),
        cache_dir=where(paths.get("cache"), defaults.cache_dir),
    )
