"""Scoring speed: end to end, model only, the command line and its cold start.

Run from the repository root::

    .venv/bin/python benchmarks/predict.py [--accounts 20000] [--days 180] [--repeat 3]
    .venv/bin/python benchmarks/predict.py --against 3aaa913   # side by side

It simulates a training set and a scoring set in a scratch folder, trains an influencer
model and an account model there (its own MLflow store, as ``make demo`` does) and
exports them. Then it measures, in a fresh Python process whose ``PYTHONPATH`` is this
checkout's ``src``:

- end to end: accounts/s from the dataset folder (Parquet) to a scores file with the top
  3 reasons (load and validate, features, audience share, calibrated scores, TreeSHAP,
  sentences, atomic write), median of ``--repeat`` rounds; twice: with the audience
  samples scored by the rule ``profile_rules_v1``, and by the account model (one
  account-model prediction per sampled follower);
- model only: accounts/s of calibrated probabilities plus TreeSHAP contributions on a
  ready feature matrix;
- command line: wall time of ``python -m fakedetect predict DIR --model FOLDER --out
  FILE`` in a fresh process (once a round), which adds starting Python and importing
  the libraries;
- cold start: wall time of ``python -m fakedetect predict - --model FOLDER`` for one
  account read as JSON on stdin (twice a round);
- ``python -m fakedetect --help`` (twice a round).

With ``--against REV`` the same measurements also run, on the same data and models,
with the source of revision REV (checked out into a temporary git worktree), one round
of each in turn, and both are printed with their ratios (this checkout / REV; above 1
is faster here). Each round first compiles the revision's numba kernels, as its ``make
install`` does.

Floors on 2 cores: end to end with reasons at least 0.8x of the revision before the
scoring engine moved onto LightGBM, cold start under 3 s, ``--help`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--train-accounts", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", metavar="REV",
                        help="also measure git revision REV on the same data")
    parser.add_argument("--measure", type=Path, metavar="WORKDIR",
                        help=argparse.SUPPRESS)  # the child process: measure and print JSON
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.repeat)))
        return
    with tempfile.TemporaryDirectory(prefix="fakedetect-bench-") as tmp:
        root = Path(tmp)
        setup(root, args)
        sources = {"this checkout": ROOT / "src"}
        other = root / "against"
        if args.against:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                            str(other), args.against], check=True)
            sources[args.against] = other / "src"
        try:  # one run of each in turn, so that both see the same machine load
            rounds = [{name: run_measure(src, root) for name, src in sources.items()}
                      for _ in range(args.repeat)]
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(other)], check=False)
        runs = {name: _merged([r[name] for r in rounds]) for name in sources}
        report(runs, args.accounts)


def setup(root: Path, args: argparse.Namespace) -> None:
    """Simulate the data, train and export the models into ``root``."""
    from fakedetect.config import Config
    from fakedetect.demo import profiles_dataset
    from fakedetect.experiment import load_experiment
    from fakedetect.simulate import simulate
    from fakedetect.train import train

    cfg = Config(root=root, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                 artifact_location=root / "mlruns", output_dir=root / "out")
    print(f"setup: simulating {args.train_accounts:,} + {args.accounts:,} accounts x "
          f"{args.days} days, training the models ...", flush=True)
    simulate(root / "train", accounts=args.train_accounts, days=args.days, seed=1)
    simulate(root / "score", accounts=args.accounts, days=args.days, seed=2)
    exp = replace(load_experiment(ROOT / "training" / "influencer.yaml"), folds=3)
    train(root / "train", exp, cfg).model.save(root / "influencer-rules")
    profiles_dataset(root / "profiles", genuine=3000, fake=1000, seed=11)
    acc_exp = replace(load_experiment(ROOT / "training" / "account-demo.yaml"), folds=3)
    train(root / "profiles", acc_exp, cfg).model.save(root / "account")  # the champion
    # Trained again, the influencer model's audience features come from the account
    # model, as in `make demo`; it must be scored the same way.
    train(root / "train", exp, cfg).model.save(root / "influencer-account")


def run_measure(src: Path, root: Path) -> dict[str, object]:
    """One round of :func:`measure` in a fresh process that imports fakedetect from
    ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    print(f"measuring {src} ...", flush=True)
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure",
                           str(root), "--repeat", "1"], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {src} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _merged(rounds: list[dict[str, object]]) -> dict[str, object]:
    """The rounds of one source as one: lists of times concatenated, stages per round."""
    out = dict(rounds[0])
    for key, value in rounds[0].items():
        if isinstance(value, list):
            out[key] = [x for r in rounds for x in r[key]]  # type: ignore[attr-defined]
    out["stages"] = {folder: {stage: statistics.median(
        r["stages"][folder][stage] for r in rounds)  # type: ignore[index]
        for stage in st} for folder, st in rounds[0]["stages"].items()}  # type: ignore[attr-defined]
    return out


def _account_scorer_from():  # type: ignore[no-untyped-def]
    """The account scorer factory, where this revision keeps it."""
    try:
        from fakedetect.scoring import account_scorer_from
    except ImportError:  # revisions before fakedetect.scoring
        from fakedetect.train import account_scorer_from  # type: ignore[no-redef]
    return account_scorer_from


def _warm_kernels() -> None:
    """Compile the revision's numba kernels, as its ``make install`` does (a fresh
    worktree has no cached machine code)."""
    import importlib

    for module in ("fakedetect._compiled.warm", "fakedetect.treeshap"):
        try:
            warm = importlib.import_module(module).compile_kernels
        except (ImportError, AttributeError):
            continue
        warm()
        return


def measure(root: Path, repeat: int) -> dict[str, object]:
    """Every figure, with the fakedetect on ``sys.path`` (run by :func:`run_measure`)."""
    _warm_kernels()
    try:  # revisions that set up the process in the command do it here too
        from fakedetect.memory import keep_freed_memory  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        keep_freed_memory()
    import fakedetect
    from fakedetect.features import build_features
    from fakedetect.model import FakeModel
    from fakedetect.predict import score_dataset, write_scores
    from fakedetect.validate import load_dataset

    account_scorer_from = _account_scorer_from()
    stages: dict[str, list[dict[str, float]]] = {}

    def end_to_end(influencer_folder: Path, audience_folder: Path | None) -> list[float]:
        """Each run loads the models afresh, as one `fakedetect predict` call does."""
        times = []
        for k in range(repeat):
            marks: list[tuple[str, float]] = [("models", time.perf_counter())]
            influencer = FakeModel.load(influencer_folder)
            scorer = (account_scorer_from(FakeModel.load(audience_folder))
                      if audience_folder is not None else None)
            marks.append(("load", time.perf_counter()))
            ds = load_dataset(root / "score")
            scored = score_dataset(ds, influencer, top_reasons=3, account_scorer=scorer,
                                   on_stage=functools.partial(_mark, marks))
            marks.append(("write", time.perf_counter()))
            write_scores(scored.scores, root / "out" / f"scores{k}.parquet")
            marks.append(("", time.perf_counter()))
            times.append(marks[-1][1] - marks[0][1])
            stages.setdefault(influencer_folder.name, []).append(
                {a: b - t for (a, t), (_, b) in itertools.pairwise(marks)})
        return times

    e2e = end_to_end(root / "influencer-rules", None)
    e2e_acc = end_to_end(root / "influencer-account", root / "account")
    model = FakeModel.load(root / "influencer-rules")
    X = build_features(load_dataset(root / "score"), "influencer")[model.features]
    only: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.predict_proba(X)
        model.contributions(X)
        only.append(time.perf_counter() - t0)

    cmd = [sys.executable, "-m", "fakedetect"]
    cli = _timed([*cmd, "predict", str(root / "score"), "--model",
                  str(root / "influencer-rules"), "--out", str(root / "out" / "cli.parquet")],
                 1)
    one = load_dataset(root / "score").accounts.iloc[0]
    doc = json.dumps({"account_id": str(one["account_id"]),
                      "followers": int(one["followers"]),
                      "following": int(one["following"]), "posts": int(one["posts"])})
    cold = _timed([*cmd, "predict", "-", "--model", str(root / "influencer-rules")], 2,
                  stdin=doc)
    help_ = _timed([*cmd, "--help"], 2)
    return {
        "source": str(Path(fakedetect.__file__).parent),
        "features": len(model.features), "trees": model.booster.num_trees(),
        "end_to_end": e2e, "end_to_end_account": e2e_acc, "model_only": only,
        "command_line": cli, "cold_start": cold, "help": help_,
        "stages": {name: {s: statistics.median(r[s] for r in runs) for s in runs[0]}
                   for name, runs in stages.items()},
    }


def _timed(command: list[str], times: int, stdin: str | None = None) -> list[float]:
    """Wall times of ``command`` run ``times`` times (it must succeed)."""
    out = []
    for _ in range(times):
        t0 = time.perf_counter()
        proc = subprocess.run(command, input=stdin, capture_output=True, text=True,
                              check=False)
        out.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {proc.stderr}")
    return out


def _mark(marks: list[tuple[str, float]], name: str) -> None:
    """Note when a stage of ``score_dataset`` starts."""
    marks.append((name, time.perf_counter()))


def report(runs: dict[str, dict[str, object]], n: int) -> None:
    """Print every figure of every run, with ratios against the second run."""
    names = list(runs)
    first = runs[names[0]]
    print()
    print(f"accounts scored: {n:,} (influencer model, {first['features']} features, "
          f"{first['trees']} trees); medians; source: "
          + ", ".join(f"{k} = {v['source']}" for k, v in runs.items()))
    rows = [("end to end, rule audience", "end_to_end", True),
            ("end to end, model audience", "end_to_end_account", True),
            ("model only", "model_only", True),
            ("command line, fresh process", "command_line", True),
            ("cold start, one account", "cold_start", False),
            ("fakedetect --help", "help", False)]
    header = f"{'':30}" + "".join(f"{k[:24]:>26}" for k in names)
    print(header + ("   ratio" if len(names) == 2 else ""))
    for label, key, rate in rows:
        cells = []
        medians = []
        for name in names:
            med = statistics.median(runs[name][key])  # type: ignore[arg-type]
            medians.append(med)
            cells.append(f"{med:7.2f} s = {n / med:8,.0f}/s" if rate else f"{med:7.2f} s")
        line = f"{label:30}" + "".join(f"{c:>26}" for c in cells)
        if len(names) == 2:  # throughput ratio for rates, time ratio for latencies
            ratio = medians[1] / medians[0] if rate else medians[0] / medians[1]
            line += f"   {ratio:.2f}x" + (" (throughput)" if rate else " (time)")
        print(line)
    for name in names:
        for folder, st in runs[name]["stages"].items():  # type: ignore[attr-defined]
            print(f"stage medians (s), {name}, {folder}: "
                  + ", ".join(f"{k or 'end'} {v:.2f}" for k, v in st.items() if k))
    cold = statistics.median(first["cold_start"])  # type: ignore[arg-type]
    help_ = statistics.median(first["help"])  # type: ignore[arg-type]
    print(f"floors here: cold start {cold:.2f} s (< 3 s: {'met' if cold < 3 else 'MISSED'}), "
          f"--help {help_:.2f} s (< 0.3 s: {'met' if help_ < 0.3 else 'MISSED'})")


if __name__ == "__main__":
    main()
