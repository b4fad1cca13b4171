"""Scoring speed: end to end, model only, and the cold start of ``fakedetect predict``.

Run from the repository root::

    .venv/bin/python benchmarks/predict.py [--accounts 20000] [--days 180] [--repeat 3]

It simulates a training set and a scoring set in a scratch folder, trains an influencer
model and an account model there (its own MLflow store, as ``make demo`` does), exports
them, and prints:

- end to end: accounts/s from the dataset folder (Parquet) to a scores file with the top
  3 reasons (load and validate, features, audience share, calibrated scores, TreeSHAP,
  sentences, atomic write), median of ``--repeat`` runs in this process; twice: with the
  audience samples scored by the rule ``profile_rules_v1``, and by the account model (what
  ``fakedetect predict`` does when an account champion is registered or exported beside
  the influencer model: one account-model prediction per sampled follower);
- model only: accounts/s of calibrated probabilities plus TreeSHAP contributions on a
  ready feature matrix;
- command line: wall time of ``fakedetect predict DIR --model FOLDER --out FILE`` in a
  fresh process (median of 3): the same work plus starting Python, importing the
  libraries (pandas, pyarrow, numba; LightGBM is not imported at this size) and touching
  fresh memory, a fixed cost of about 1.3 s that the in-process figures leave out;
- cold start: wall time of ``fakedetect predict - --model FOLDER`` for one account read as
  JSON on stdin, in a fresh process (median of 5).

The in-process figures are those of the command minus its start-up. It also prints the
median time of each stage of the end-to-end runs (models, load and validate, features,
scores, explanations, write).

Goals on 2 cores: at least 10,000 accounts/s end to end, cold start under 3 s.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
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
    args = parser.parse_args()

    from fakedetect.config import Config
    from fakedetect.demo import profiles_dataset
    from fakedetect.experiment import load_experiment
    from fakedetect.features import build_features
    from fakedetect.model import FakeModel
    from fakedetect.predict import score_dataset, write_scores
    from fakedetect.simulate import simulate
    from fakedetect.train import account_scorer_from, train
    from fakedetect.validate import load_dataset

    with tempfile.TemporaryDirectory(prefix="fakedetect-bench-") as tmp:
        root = Path(tmp)
        cfg = Config(root=root, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                     artifact_location=root / "mlruns", output_dir=root / "out")
        print(f"setup: simulating {args.train_accounts:,} + {args.accounts:,} accounts x "
              f"{args.days} days, training the models ...", flush=True)
        simulate(root / "train", accounts=args.train_accounts, days=args.days, seed=1)
        simulate(root / "score", accounts=args.accounts, days=args.days, seed=2)
        exp = replace(load_experiment(ROOT / "training" / "influencer.yaml"), folds=3)
        result = train(root / "train", exp, cfg)
        folder = result.model.save(root / "model")
        model = FakeModel.load(folder)
        profiles_dataset(root / "profiles", genuine=3000, fake=1000, seed=11)
        acc_exp = replace(load_experiment(ROOT / "training" / "account-demo.yaml"), folds=3)
        account = train(root / "profiles", acc_exp, cfg).model  # now the account champion
        # Trained again, the influencer model's audience features come from the account
        # model, as in `make demo`; it must be scored the same way.
        with_account = train(root / "train", exp, cfg).model
        rows = {t: len(f) for t, f in load_dataset(root / "score").tables.items()}
        print(f"scoring set rows: {rows}")

        rule_folder = folder
        acc_folder = with_account.save(root / "influencer-account")
        account_folder = account.save(root / "account")

        stages: dict[str, list[dict[str, float]]] = {}

        def end_to_end(influencer_folder: Path, audience_folder: Path | None) -> list[float]:
            """Each run loads the models afresh, as one `fakedetect predict` call does
            (no state carried over from the run before)."""
            times = []
            for k in range(args.repeat):
                marks: list[tuple[str, float]] = [("models", time.perf_counter())]
                influencer = FakeModel.load(influencer_folder)
                audience_scorer = (account_scorer_from(FakeModel.load(audience_folder))
                                   if audience_folder is not None else None)
                marks.append(("load", time.perf_counter()))
                ds = load_dataset(root / "score")
                scored = score_dataset(ds, influencer, top_reasons=3,
                                       account_scorer=audience_scorer,
                                       on_stage=functools.partial(_mark, marks))
                marks.append(("write", time.perf_counter()))
                write_scores(scored.scores, root / "out" / f"scores{k}.parquet")
                marks.append(("", time.perf_counter()))
                times.append(marks[-1][1] - marks[0][1])
                stages.setdefault(str(influencer_folder), []).append(
                    {a: b - t for (a, t), (_, b) in itertools.pairwise(marks)})
            return times

        def stage_line(folder: Path) -> str:
            runs = stages[str(folder)]
            return ", ".join(f"{name} {statistics.median(r[name] for r in runs):.2f}"
                             for name in runs[0])

        e2e = end_to_end(rule_folder, None)
        e2e_acc = end_to_end(acc_folder, account_folder)
        rule_stages, acc_stages = stage_line(rule_folder), stage_line(acc_folder)
        X = build_features(load_dataset(root / "score"), "influencer")[model.features]
        only: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            model.predict_proba(X)
            model.contributions(X)
            only.append(time.perf_counter() - t0)

        exe = Path(sys.executable).parent / "fakedetect"
        cli: list[float] = []
        for _ in range(3):
            t0 = time.perf_counter()
            proc = subprocess.run([str(exe), "predict", str(root / "score"), "--model",
                                   str(rule_folder), "--out", str(root / "out" / "cli.parquet")],
                                  capture_output=True, text=True, check=False)
            cli.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"command line run failed: {proc.stderr}")

        one = load_dataset(root / "score").accounts.iloc[0]
        doc = json.dumps({"account_id": str(one["account_id"]),
                          "followers": int(one["followers"]),
                          "following": int(one["following"]), "posts": int(one["posts"])})
        cold: list[float] = []
        for _ in range(5):
            t0 = time.perf_counter()
            proc = subprocess.run([str(exe), "predict", "-", "--model", str(folder)],
                                  input=doc, capture_output=True, text=True, check=False)
            cold.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"cold start run failed: {proc.stderr}")

    n = args.accounts
    med_e2e = statistics.median(e2e)
    med_acc = statistics.median(e2e_acc)
    med_only = statistics.median(only)
    med_cold = statistics.median(cold)
    med_cli = statistics.median(cli)
    print()
    print(f"accounts scored             {n:,} (influencer model, {len(model.features)} features, "
          f"{model.booster.num_trees()} trees)")
    print(f"end to end, rule audience   {med_e2e:.2f} s  = {n / med_e2e:,.0f} accounts/s  "
          f"(goal >= 10,000; ratio {n / med_e2e / 10_000:.2f}x)")
    print(f"end to end, model audience  {med_acc:.2f} s  = {n / med_acc:,.0f} accounts/s  "
          f"(goal >= 10,000; ratio {n / med_acc / 10_000:.2f}x; account model "
          f"{account.booster.num_trees()} trees)")
    print(f"command line, fresh process {med_cli:.2f} s  = {n / med_cli:,.0f} accounts/s  "
          f"(ratio {n / med_cli / 10_000:.2f}x; rule audience)")
    print(f"model only (median)         {med_only:.3f} s = {n / med_only:,.0f} accounts/s")
    print(f"cold start, one account     {med_cold:.2f} s median of 5  (goal < 3 s; ratio "
          f"{med_cold / 3:.2f} of the budget)")
    print(f"stage medians (s), rule audience: {rule_stages}")
    print(f"stage medians (s), model audience: {acc_stages}")
    print(f"runs: end to end {[round(x, 2) for x in e2e]}, with the account model "
          f"{[round(x, 2) for x in e2e_acc]}, command line {[round(x, 2) for x in cli]}, "
          f"cold {[round(x, 2) for x in cold]}")


def _mark(marks: list[tuple[str, float]], name: str) -> None:
    """Note when a stage of ``score_dataset`` starts."""
    marks.append((name, time.perf_counter()))


if __name__ == "__main__":
    main()
