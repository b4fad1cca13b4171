"""MLflow: the tracking store, experiments, the model registry and its aliases.

Everything that talks to MLflow goes through here, so the rest of the code works with
:class:`~fakedetect.model.FakeModel` objects and plain values.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from fakedetect.config import Config
    from fakedetect.model import FakeModel

#: Folder name of the fakedetect model inside a logged MLflow model.
ARTIFACT_KEY = "fakedetect_model"
#: Model version tag holding the SHA-256 of the logged folder's ``MANIFEST.sha256``: the
#: registry's own record of which files the version is, checked on every download.
MANIFEST_TAG = "fakedetect.manifest_sha256"


def manifest_digest(folder: Path) -> str:
    """SHA-256 of a model folder's ``MANIFEST.sha256`` (which lists every file's own)."""
    import hashlib

    from fakedetect.model import MANIFEST_FILE

    return hashlib.sha256((folder / MANIFEST_FILE).read_bytes()).hexdigest()


#: Seconds the probe of a tracking server waits for an answer.
PROBE_TIMEOUT = 5.0


def _probe_server(uri: str) -> None:
    """Ask an HTTP tracking server for its health once, without retries, so a dead
    address fails in seconds instead of after MLflow's retries."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=PROBE_TIMEOUT):
            pass
    except urllib.error.HTTPError:
        return  # it answered: a server is there (older ones have no /health)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"tracking server {uri} does not answer ({reason})",
                        hint="start the server (mlflow server ...), check the address, or "
                             "set MLFLOW_TRACKING_URI to a local store such as "
                             "sqlite:///mlflow.db; nothing was done") from exc


def _first_contact(uri: str, client_type: type[MlflowClient]) -> MlflowClient:
    """The client, after one query. For a local SQLite store the first query, which may
    create the store and run MLflow's schema migration, holds an exclusive lock on a file
    beside it: two processes creating the same new store at once would otherwise both
    migrate it and break it."""
    import contextlib

    lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if uri.startswith("sqlite:///"):
        lock = _file_lock(Path(uri[len("sqlite:///"):] + ".lock"))
    with lock:
        client = client_type(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
    return client


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (POSIX; nothing elsewhere)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def connect(cfg: Config, *, create: bool = True) -> MlflowClient:
    """Point MLflow at the configured store and prove it answers, before any work.

    Parameters
    ----------
    cfg : Config
    create : bool, default True
        Create a local SQLite store that does not exist yet. Commands that only read
        (``models``, ``predict``, ``export``) pass False, so a mistyped path creates no
        folders and no empty store.

    Raises
    ------
    UserError
        The store cannot be reached, is locked, does not exist (``create=False``), or its
        folder is not writable.
    """
    import os

    import mlflow
    from mlflow.tracking import MlflowClient

    uri = cfg.tracking_uri
    if uri.startswith(("http://", "https://")):
        _probe_server(uri)
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///"):])
        parent = db.parent
        if not create and not db.is_file():
            raise UserError(f"tracking store {uri}: no such store ({db} does not exist)",
                            hint="train a model first (`make demo` or `fakedetect train`), "
                                 "or point MLFLOW_TRACKING_URI at the store that has them")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"tracking store {uri}: cannot create {parent} ({exc})",
                            hint="set tracking_uri in mlflow.yml or MLFLOW_TRACKING_URI "
                                 "to a writable place") from exc
        probe = db if db.exists() else parent
        if not os.access(probe, os.W_OK):
            raise UserError(f"tracking store {uri}: {probe} is not writable",
                            hint="fix the permissions or point MLFLOW_TRACKING_URI "
                                 "elsewhere")
    mlflow.set_tracking_uri(uri)
    try:
        client = _first_contact(uri, MlflowClient)
    except Exception as exc:  # MLflow raises many kinds for a dead or locked store
        raise UserError(
            f"tracking store {uri} is unreachable or locked: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300]}",
            hint="start the tracking server, wait for the other writer to finish, or set "
                 "MLFLOW_TRACKING_URI to a local store such as sqlite:///mlflow.db; "
                 "nothing was done",
        ) from exc
    return client


def experiment_id(client: MlflowClient, cfg: Config, key: str) -> str:
    """Id of the configured experiment ``key`` (created under the artifact location)."""
    name = cfg.experiments.get(key, f"fakedetect-{key}")
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return str(exp.experiment_id)
    location = (cfg.artifact_location / name).as_uri()
    return str(client.create_experiment(name, artifact_location=location))


@dataclass(frozen=True)
class VersionInfo:
    """A registered model version with its aliases and headline metrics."""

    name: str
    version: str
    aliases: tuple[str, ...]
    run_id: str
    created: int
    tags: dict[str, str]
    description: str = ""


def _aliases(client: MlflowClient, name: str) -> dict[str, tuple[str, ...]]:
    """Version to aliases, read from the registered model (searches omit aliases)."""
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return {}
    out: dict[str, list[str]] = {}
    for alias, version in (getattr(model, "aliases", None) or {}).items():
        out.setdefault(str(version), []).append(str(alias))
    return {k: tuple(sorted(v)) for k, v in out.items()}


def list_versions(client: MlflowClient, name: str) -> list[VersionInfo]:
    """Every version of registered model ``name``, newest first (empty if none)."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException:
        return []
    aliases = _aliases(client, name)
    out = [VersionInfo(name=v.name, version=str(v.version),
                       aliases=aliases.get(str(v.version), ()), run_id=v.run_id or "",
                       created=int(v.creation_timestamp or 0), tags=dict(v.tags or {}),
                       description=str(getattr(v, "description", None) or ""))
           for v in versions]
    return sorted(out, key=lambda v: int(v.version), reverse=True)


def registered_names(client: MlflowClient) -> list[str]:
    """Every registered model in the store, sorted by name (empty if none)."""
    from mlflow.exceptions import MlflowException

    try:
        found = client.search_registered_models()
        names = [m.name for m in found]
        token = getattr(found, "token", None)
        while token:
            found = client.search_registered_models(page_token=token)
            names += [m.name for m in found]
            token = getattr(found, "token", None)
    except MlflowException:
        return []
    return sorted(set(names))


def check_model_name(client: MlflowClient, name: str) -> None:
    """Refuse a model name the registry does not hold, suggesting the closest one.

    Parameters
    ----------
    client : MlflowClient
    name : str
        The registered model the user named.

    Raises
    ------
    UserError
        ``no model named NAME; did you mean OTHER?`` (or the list of models).
    """
    names = registered_names(client)
    if name in names:
        return
    close = _closest(name, names)
    if close:
        raise UserError(f"no model named {name!r}; did you mean {close}?",
                        hint="`fakedetect models` lists the registered models")
    raise UserError(f"no model named {name!r}",
                    hint=(f"registered models: {', '.join(names)}" if names else
                          "no model is registered yet: train one with `fakedetect train`"))


def _closest(name: str, names: list[str]) -> str | None:
    """The registered name closest to a mistyped one (``None`` if none is close)."""
    import difflib

    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def alias_version(client: MlflowClient, name: str, alias: str) -> VersionInfo | None:
    """The version behind ``name@alias``, or ``None``."""
    for v in list_versions(client, name):
        if alias in v.aliases:
            return v
    return None


def _download(client: MlflowClient, name: str, version: str, cache: Path | None) -> Path:
    """The version's model folder, from the local cache when it holds this very version.

    Cache entries are named by the version and its run id (unique to the tracking store
    that made it), so a swapped or rebuilt store never serves another store's version 1;
    an entry is used only when its manifest matches the checksum the registry recorded at
    registration (:data:`MANIFEST_TAG`), else it is downloaded again.

    Raises
    ------
    UserError
        The registry holds no model folder for the version, or the downloaded folder does
        not match the registry's checksum.
    """
    import mlflow

    from fakedetect.model import MANIFEST_FILE

    mv = client.get_model_version(name, version)
    expected = (mv.tags or {}).get(MANIFEST_TAG)
    run = (mv.run_id or "norun")[:12]
    target = cache / f"{name}-v{version}-{run}" if cache is not None else None

    def matches(folder: Path) -> bool:
        return (folder / MANIFEST_FILE).is_file() and (
            expected is None or manifest_digest(folder) == expected)

    if target is not None and target.exists():
        if matches(target):
            return target
        shutil.rmtree(target, ignore_errors=True)  # stale or edited: fetch it again
    tmp = Path(tempfile.mkdtemp(prefix="fakedetect-model-"))
    try:
        folder = Path(mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version}/artifacts/{ARTIFACT_KEY}",
            dst_path=str(tmp)))
        if not folder.is_dir():
            raise UserError(f"models:/{name}/{version} holds no fakedetect model folder",
                            hint="register models with `fakedetect train`")
        if not matches(folder):
            raise UserError(f"models:/{name}/{version}: the stored model files do not match "
                            "the checksum recorded in the registry at registration",
                            hint="the artifact store was changed after registration; "
                                 "retrain, or restore the artifacts")
        if target is None:
            return folder
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        shutil.copytree(folder, staging / "m")
        (staging / "m").rename(target) if not target.exists() else None
        shutil.rmtree(staging, ignore_errors=True)
        return target
    finally:
        if target is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _version_list(versions: list[VersionInfo]) -> str:
    """``1, 2`` (oldest first), or ``none`` when the model has no versions."""
    return ", ".join(v.version for v in reversed(versions)) or "none"


def registry_version(client: MlflowClient, uri: str, *, defaults: tuple[str, ...] = ()
                     ) -> tuple[str, str]:
    """The registered model and version a ``models:/`` URI names, checked in the registry.

    Parameters
    ----------
    client : MlflowClient
    uri : str
        ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``.
    defaults : tuple of str
        The configured model names: one of them not registered yet is said so, with
        no "did you mean" another task's model.

    Returns
    -------
    (name, version)

    Raises
    ------
    UserError
        The URI is malformed, no model has that name (with the closest registered name,
        as ``promote`` and ``rollback`` say it: :func:`check_model_name`), the model has
        no such version, or no version carries the alias; each names the versions there
        are.
    """
    ref = uri[len("models:/"):]
    if "@" in ref:
        name, alias = ref.split("@", 1)
    elif "/" in ref:
        name, version = ref.split("/", 1)
        alias = ""
    else:
        raise UserError(f"{uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION",
                        hint=f"e.g. models:/{ref or 'fakedetect-influencer'}@champion")
    if not name:
        raise UserError(f"{uri}: no model name",
                        hint="e.g. models:/fakedetect-influencer@champion")
    if name in defaults and name not in registered_names(client):
        raise UserError(f"{uri}: no model named {name!r} is registered yet",
                        hint="train one with `fakedetect train` (or `make demo`); "
                             "`fakedetect models` lists the registered models")
    try:
        check_model_name(client, name)
    except UserError as exc:
        fixed = _closest(name, registered_names(client))
        hint = (f"--model models:/{fixed}{ref[len(name):]}; " if fixed else "") + str(exc.hint)
        raise UserError(f"{uri}: {exc.message}", hint=hint) from None
    versions = list_versions(client, name)
    known = _version_list(versions)
    if alias:
        for v in versions:
            if alias in v.aliases:
                return name, v.version
        held = sorted({f"@{a} (v{v.version})" for v in versions for a in v.aliases})
        hint = ("train one with `fakedetect train` (or `make demo`)" if not versions else
                f"name a version (models:/{name}/VERSION)"
                + (f" or an alias it has: {', '.join(held)}" if held else "")
                + (f"; or make one champion: fakedetect promote {name} VERSION"
                   if alias == "champion" else ""))
        raise UserError(
            f"{uri}: model {name} has versions {known}; none carries the alias {alias!r}",
            hint=hint)
    if version not in {v.version for v in versions}:
        raise UserError(f"{uri}: model {name} has versions {known}; no version {version}",
                        hint="`fakedetect models` lists the registered models and versions")
    return name, version


def check_model_uri(uri: str, cfg: Config) -> tuple[str, str] | None:
    """Check a ``--model`` value before any data is read, downloading nothing.

    Parameters
    ----------
    uri : str
        ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a model folder.
    cfg : Config
        Tracking store.

    Returns
    -------
    (name, version) or None
        The registered model and version; ``None`` for a folder (its files are
        verified when it is loaded).

    Raises
    ------
    UserError
        See :func:`registry_version`; for a folder that does not exist, with the
        ``models:/NAME@ALIAS`` the user probably meant when the value is a registered
        model's name (or close to one).
    """
    if uri.startswith("models:/"):
        return registry_version(connect(cfg, create=False), uri, defaults=_defaults(cfg))
    if Path(uri).is_dir():
        return None
    raise UserError(f"{uri}: no such model folder", hint=_folder_hint(uri, cfg))


def _defaults(cfg: Config) -> tuple[str, ...]:
    """The configured registered-model names of both tasks."""
    return tuple(cfg.model_name(task) for task in ("account", "influencer"))


def _folder_hint(uri: str, cfg: Config) -> str:
    """What to do about a model folder that does not exist: the registry URI when the
    value names a registered model (or nearly), else how to export a folder."""
    plain = ("give models:/NAME@ALIAS (e.g. models:/fakedetect-influencer@champion), "
             "or export a folder with `fakedetect export --model URI --out DIR`")
    if "/" in uri or "\\" in uri:
        return plain
    try:
        names = registered_names(connect(cfg, create=False))
    except UserError:  # no store: the plain hint
        return plain
    close = uri if uri in names else _closest(uri, names)
    if not close:
        return plain
    return (f"for the registered model, write --model models:/{close}@"
            f"{cfg.champion_alias} (or models:/{close}/VERSION)")


def resolve_model(uri: str, cfg: Config) -> FakeModel:
    """Load a model from a registry URI or an exported folder, verifying its checksums.

    Parameters
    ----------
    uri : str
        ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a folder written by
        ``fakedetect export``. Nothing is ever unpickled.
    cfg : Config
        Tracking store and cache location.

    Returns
    -------
    FakeModel
        With ``model_name`` and ``model_version`` set in its metadata.

    Raises
    ------
    UserError
        See :func:`check_model_uri`; also a folder whose files fail verification.
    """
    from fakedetect.model import FakeModel

    if not uri.startswith("models:/"):
        check_model_uri(uri, cfg)
        return FakeModel.load(Path(uri))
    client = connect(cfg, create=False)
    name, version = registry_version(client, uri, defaults=_defaults(cfg))
    folder = _download(client, name, version, cfg.output_dir / ".model-cache")
    model = FakeModel.load(folder)
    model.metadata["model_name"] = name
    model.metadata["model_version"] = version
    model.metadata["model_uri"] = uri
    model.metadata["model_folder"] = str(folder)
    return model


def set_alias(client: MlflowClient, name: str, alias: str, version: str) -> None:
    """Point ``name@alias`` at ``version``."""
    client.set_registered_model_alias(name, alias, version)


def version_metrics(info: VersionInfo) -> dict[str, Any]:
    """Headline metrics stored as ``metric.*`` tags on a version."""
    return {k.removeprefix("metric."): v for k, v in info.tags.items()
            if k.startswith("metric.")}


#: Version tags of the registry's own record: the training data's digest, its sources, the
#: champion a promotion replaced, and why an alias moved.
DATA_TAG = "fakedetect.data_sha256"
SOURCES_TAG = "fakedetect.sources"
PREVIOUS_TAG = "fakedetect.previous_champion"
REASON_TAG = "fakedetect.champion_reason"
#: Experiment key (``experiments:`` in ``mlflow.yml``) of the alias moves' runs.
REGISTRY_EXPERIMENT = "registry"


@dataclass(frozen=True)
class AliasMove:
    """An alias moved by :func:`move_champion`."""

    name: str
    alias: str
    version: str
    previous: str | None
    reason: str
    run_id: str
    changed: bool = True


def move_champion(client: MlflowClient, cfg: Config, name: str, version: str, *,
                  reason: str, action: str, record_previous: bool = True,
                  log_run: bool = True) -> AliasMove:
    """Point ``name@champion`` at ``version`` and log why.

    The version's model files are verified against the registry's checksum
    (:data:`MANIFEST_TAG`) first, so the alias never points at a version the scoring
    commands would refuse. The move is logged twice: as tags on the version
    (:data:`REASON_TAG`, and :data:`PREVIOUS_TAG` naming the champion it replaced, which
    ``rollback`` returns to) and, for a move by hand, as an MLflow run in the
    ``registry`` experiment with the model, both versions, the action and the reason
    (training records its own move in its run and the version's ``gate`` tag).

    Parameters
    ----------
    client : MlflowClient
    cfg : Config
    name : str
        Registered model.
    version : str
        The version to make champion.
    reason : str
        Why, in the user's words (or the gate's).
    action : str
        ``train``, ``promote`` or ``rollback``.
    record_previous : bool, default True
        Tag the version with the champion it replaces (``rollback`` passes False, so
        rolling back twice goes further back instead of in a circle).
    log_run : bool, default True
        Log the move as a run of the ``registry`` experiment.

    Returns
    -------
    AliasMove

    Raises
    ------
    UserError
        No such model or version, or its files do not match the registry's checksum.

    Notes
    -----
    When ``version`` already is the champion nothing is changed or logged; the move
    comes back with ``changed`` false.
    """
    import time

    from mlflow.exceptions import MlflowException

    check_model_name(client, name)
    try:
        mv = client.get_model_version(name, version)
    except MlflowException as exc:
        known = ", ".join(f"v{v.version}" for v in list_versions(client, name)) or "none"
        raise UserError(f"{name}: no version {version!r} (versions: {known})",
                        hint="`fakedetect models` lists the registered models and "
                             "versions") from exc
    _download(client, name, str(mv.version), cfg.output_dir / ".model-cache")
    current = alias_version(client, name, cfg.champion_alias)
    previous = current.version if current is not None else None
    if previous == str(mv.version):
        return AliasMove(name=name, alias=cfg.champion_alias, version=previous,
                         previous=previous, reason=reason, run_id="", changed=False)
    set_alias(client, name, cfg.champion_alias, str(mv.version))
    if record_previous and previous is not None and previous != str(mv.version):
        client.set_model_version_tag(name, str(mv.version), PREVIOUS_TAG, previous)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    client.set_model_version_tag(name, str(mv.version), REASON_TAG,
                                 f"{stamp} {action}: {reason}"[:4000])
    if not log_run:
        return AliasMove(name=name, alias=cfg.champion_alias, version=str(mv.version),
                         previous=previous, reason=reason, run_id="")
    run = client.create_run(experiment_id(client, cfg, REGISTRY_EXPERIMENT),
                            run_name=f"{action}-{name}-v{mv.version}",
                            tags={"fakedetect.action": action,
                                  "fakedetect.model": name})
    for key, value in (("model", name), ("alias", cfg.champion_alias),
                       ("version", str(mv.version)), ("previous", previous or "none"),
                       ("action", action)):
        client.log_param(run.info.run_id, key, value)
    client.set_tag(run.info.run_id, "mlflow.note.content", reason)
    client.set_tag(run.info.run_id, "fakedetect.reason", reason[:4000])
    client.set_terminated(run.info.run_id)
    return AliasMove(name=name, alias=cfg.champion_alias, version=str(mv.version),
                     previous=previous, reason=reason, run_id=run.info.run_id)


def rollback_target(client: MlflowClient, cfg: Config, name: str) -> str:
    """The version ``rollback`` returns to: the champion the current one replaced.

    Raises
    ------
    UserError
        No such model, the model has no champion, or the champion records no
        predecessor.
    """
    check_model_name(client, name)
    current = alias_version(client, name, cfg.champion_alias)
    if current is None:
        known = ", ".join(f"v{v.version}" for v in list_versions(client, name))
        raise UserError(f"{name}: no version carries the alias {cfg.champion_alias!r}, so "
                        "there is nothing to roll back",
                        hint=(f"make one champion: fakedetect promote {name} VERSION "
                              f"(versions: {known})") if known else
                        "`fakedetect models` lists the registered models")
    previous = current.tags.get(PREVIOUS_TAG)
    if not previous:
        raise UserError(f"{name}: champion v{current.version} records no earlier champion",
                        hint=f"choose one: fakedetect promote {name} VERSION (see "
                             "`fakedetect models`)")
    return previous


#: Internal source names in words (the simulator's influencers and follower profiles).
SOURCE_WORDS = {
    "sim": "simulated influencers",
    "profiles": "simulated follower profiles (fitted on the InstaFake and Purba profiles)",
}


def source_words(sources: list[str] | str) -> str:
    """Training sources in words: ``sim`` becomes "simulated influencers"; others as named.

    Parameters
    ----------
    sources : list of str or str
        Source names, or the comma-joined tag of a registered version.

    Returns
    -------
    str
    """
    names = ([s.strip() for s in sources.split(",")] if isinstance(sources, str)
             else [str(s) for s in sources])
    names = [n for n in names if n]
    if not names:
        return "unnamed sources"
    said = [SOURCE_WORDS.get(n, n) for n in names]
    return ("source " if len(said) == 1 and said[0] == names[0] else
            "sources " if all(s == n for s, n in zip(said, names, strict=True)) else ""
            ) + ", ".join(said)


def _held_out_words(metrics: dict[str, float]) -> str:
    """`` in the training worlds; 778 more (235 fake) in held-out worlds`` when the run
    held worlds out, else nothing."""
    n, k = metrics.get("heldout_n"), metrics.get("heldout_positives")
    if n is None or k is None or n != n or k != k:
        return ""
    return (f" in the training worlds; {int(n):,} more ({int(k):,} fake) in held-out worlds "
            "that only judged the model")


def describe_version(*, task: str, data: list[str], sources: list[str], labelled: int,
                     fake: int, digest: str, metrics: dict[str, float], experiment: str,
                     run_id: str, mlflow_experiment: str | None = None) -> str:
    """The version description the registry shows: data, sources and headline figures.

    The figures are in words, one per line (:func:`fakedetect.headline.metric_lines`), with
    the metric names in parentheses; the version's ``metric.*`` tags keep the raw values.
    ``experiment`` is the training setup's name; ``mlflow_experiment`` the MLflow
    experiment the run was logged in (``train --experiment-name``), named when given.
    """
    from fakedetect.headline import metric_lines, transfer_lines

    lines = [
        f"fakedetect {task} model, training setup {experiment}"
        + (f", MLflow experiment {mlflow_experiment}" if mlflow_experiment else "")
        + f" (MLflow run {run_id}).",
        "",
        f"Data: {labelled:,} labelled accounts ({fake:,} fake){_held_out_words(metrics)} "
        f"from {source_words(sources)}; "
        f"{'folders' if len(data) > 1 else 'folder'} {', '.join(data)}; "
        f"labels sha256 {digest[:16]}.",
        "",
        "On the test split (accounts kept out of training, from the same data) the model:",
        *(f"- {line}" for line in metric_lines(metrics, "test_")),
    ]
    extra = transfer_lines(metrics)
    if extra:
        lines += ["", "Populations it never trained on:"]
        lines += [f"- {line.strip()}" if not line.startswith("  ") else f"  - {line.strip()}"
                  for line in extra]
    return "\n".join(lines)
