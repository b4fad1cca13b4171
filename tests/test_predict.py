"""Scoring, explanations and serving: every account out, reasons that match SHAP, clear
errors for bad input and tampered models, and the pyfunc served over HTTP."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.cli import main
from fakedetect.config import Config
from fakedetect.errors import UserError
from fakedetect.features import build_features
from fakedetect.features.registry import FEATURES
from fakedetect.intervals import authenticity_score
from fakedetect.model import FakeModel
from fakedetect.predict import score_dataset
from fakedetect.validate import load_dataset


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fakedetect.simulate import simulate

    out = tmp_path_factory.mktemp("fresh") / "new"
    simulate(out, accounts=150, days=60, seed=77, coverage="full")
    return out


@pytest.fixture(scope="module")
def folder(trained) -> Path:
    return trained.folder


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_scores_every_account(fresh: Path, folder: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scores.csv"
    code, stdout, _ = run(["predict", str(fresh), "--out", str(out), "--model", str(folder)],
                          capsys)
    assert code == 0, stdout
    scores = pd.read_csv(out)
    accounts = pd.read_parquet(fresh / "accounts.parquet")
    assert sorted(scores["account_id"]) == sorted(accounts["account_id"])
    scored = scores[scores["status"] == "scored"]
    assert len(scored) == len(scores)
    assert set(scored["verdict"]) <= {"authentic", "review", "likely fake"}
    np.testing.assert_allclose(scored["authenticity_score"], authenticity_score(
        scored["fake_probability"], scored["fake_probability_low"],
        scored["fake_probability_high"]))
    assert (scored["fake_probability_low"] <= scored["fake_probability"]).all()
    assert (scored["fake_probability"] <= scored["fake_probability_high"]).all()
    for col in ("reason_1", "reason_2", "reason_3", "contribution_1", "coverage",
                "model_name", "model_version", "fake_follower_share",
                "fake_follower_share_low", "fake_follower_share_high"):
        assert col in scores
    assert (scored["fake_follower_share_low"] <= scored["fake_follower_share"]).all()
    assert (scored["fake_follower_share"] <= scored["fake_follower_share_high"]).all()
    assert not list(tmp_path.glob(".*tmp")), "no temporary file left behind"


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_predict_writes_each_format(fresh: Path, folder: Path, tmp_path: Path, suffix: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"scores{suffix}"
    code, _, _ = run(["predict", str(fresh), "--out", str(out), "--model", str(folder)],
                     capsys)
    assert code == 0
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_json(out, lines=True)
    assert len(frame) == 150


def test_write_scores_takes_a_string_path(fresh: Path, folder: Path, tmp_path: Path) -> None:
    from fakedetect.predict import write_scores

    scored = score_dataset(load_dataset(fresh), FakeModel.load(folder))
    written = write_scores(scored.scores, str(tmp_path / "scores.csv"))
    assert written == tmp_path / "scores.csv"
    back = pd.read_csv(written, keep_default_na=False, na_values=[""])
    assert len(back) == 150
    # the file states the spike multiple to one decimal, the frame keeps full precision
    ratio = scored.scores["spike_vs_usual"].astype(float)
    assert ratio.notna().any()
    np.testing.assert_allclose(back["spike_vs_usual"], ratio.round(1), equal_nan=True)
    # no method is named where no follower was sampled
    method = back["audience_method"].fillna("").astype(str)
    assert (method[back["audience_sample_size"] == 0] == "").all()
    assert (method[back["audience_sample_size"] > 0] != "").all()
    with pytest.raises(UserError, match="unknown output format"):
        write_scores(scored.scores, str(tmp_path / "scores.txt"))


def test_contributions_add_up_and_agree_with_shap(fresh: Path, folder: Path) -> None:
    import shap

    model = FakeModel.load(folder)
    X = build_features(load_dataset(fresh), "influencer")[model.features]
    contrib, base = model.contributions(X)
    np.testing.assert_allclose(contrib.sum(axis=1) + base, model.margin(X), atol=1e-6)
    explainer = shap.TreeExplainer(model.booster)
    values = np.asarray(explainer.shap_values(X.to_numpy(dtype=np.float64)))
    if values.ndim == 3:  # older shap returns one array per class
        values = values[-1]
    np.testing.assert_allclose(values, contrib, atol=1e-4)


def test_reasons_match_shap_signs(fresh: Path, folder: Path) -> None:
    model = FakeModel.load(folder)
    scored = score_dataset(load_dataset(fresh), model, top_reasons=3, all_reasons=True)
    r = scored.reasons
    computed = r["value"].notna()
    raises = r["sentence"].str.endswith("push toward fake")
    assert (raises[computed] == (r.loc[computed, "contribution"] > 0)).all()
    # a signal that could not be computed is not assessed: no direction, ranked last
    gone = r[~computed]
    assert gone["sentence"].str.startswith("Not assessed:").all()
    assert not gone["sentence"].str.contains("push toward").any()
    from fakedetect.explain import is_reason

    # reasons (computed behaviour), then not assessed, then amount-of-data features
    shown = pd.Series(is_reason(r["feature"], r["value"]), index=r.index)
    last_computed = r[shown].groupby("account_id")["rank"].max()
    first_gone = gone.groupby("account_id")["rank"].min()
    both = first_gone.index.intersection(last_computed.index)
    assert (first_gone.loc[both] > last_computed.loc[both]).all()
    context = r[computed & ~shown]
    assert set(context["feature"]) <= {f.name for f in FEATURES if f.context}
    last_gone = gone.groupby("account_id")["rank"].max()
    first_context = context.groupby("account_id")["rank"].min()
    both = last_gone.index.intersection(first_context.index)
    assert (first_context.loc[both] > last_gone.loc[both]).all()
    reasons = scored.scores.filter(regex=r"^reason_\d$").stack()
    assert not reasons.str.contains("follower history covers|audience sample holds").any()
    rc = r[shown]
    top = rc[rc["rank"] == 1].set_index("account_id")["contribution"].abs()
    second = rc[rc["rank"] == 2].set_index("account_id")["contribution"].abs()
    assert (top >= second.loc[top.index]).all()
    # the scores file holds the three strongest reasons (in display order: those that
    # read against their push after the others)
    wide = scored.scores.set_index("account_id")
    for a in top.index[:40]:
        want = sorted(rc.loc[(rc["account_id"] == a) & (rc["rank"] <= 3), "contribution"])
        got = sorted(float(wide.loc[a, f"contribution_{i}"]) for i in (1, 2, 3)
                     if wide.loc[a, f"contribution_{i}"] == wide.loc[a, f"contribution_{i}"])
        np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("keep", [1, 3, 6, 7])
def test_strongest_contributions_are_a_stable_sort(keep: int) -> None:
    from fakedetect.explain import _strongest

    rng = np.random.default_rng(5)
    contrib = rng.choice([-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0], size=(400, 7))
    contrib[:50] = rng.normal(size=(50, 7))
    contrib[7, 3] = -np.inf
    want = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :keep]
    np.testing.assert_array_equal(_strongest(contrib, keep), want)
    contrib[9, 2] = np.nan  # NaN sorts last: the sort itself is used
    np.testing.assert_array_equal(
        _strongest(contrib, keep),
        np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :keep])


def _broken(tmp_path: Path) -> Path:
    d = tmp_path / "broken"
    d.mkdir()
    (d / "accounts.csv").write_text(
        "account_id,followers,following,posts\nok1,1200,300,40\nbad1,-5,10,3\nok2,900,80,12\n"
        "thin,500,50,1\n")
    ok1 = "".join(f"ok1,p{k},2025-01-{k + 1:02d}T10:00:00Z,{40 + k},2\n" for k in range(8))
    (d / "posts.csv").write_text(
        "account_id,post_id,posted_at,likes,comments\n" + ok1
        + "ok2,q1,2025-01-03T10:00:00Z,x,1\nthin,t1,2025-01-03T10:00:00Z,5,1\n")
    return d


def test_bad_input_fails_clearly(tmp_path: Path, folder: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["predict", str(_broken(tmp_path)), "--out",
                          str(tmp_path / "s.csv"), "--model", str(folder)], capsys)
    assert code == 2
    assert "accounts.csv" in err and "line 3" in err and "followers" in err
    assert "posts.csv" in err and "likes" in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "s.csv").exists()


def test_lenient_predict_keeps_every_account(tmp_path: Path, folder: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.csv"
    code, _, err = run(["predict", str(_broken(tmp_path)), "--out", str(out), "--model",
                        str(folder), "--lenient"], capsys)
    assert code == 0, err
    s = pd.read_csv(out, keep_default_na=False).set_index("account_id")
    assert sorted(s.index) == ["bad1", "ok1", "ok2", "thin"]
    assert s.loc["bad1", "status"] == "not_scored"
    assert "followers" in s.loc["bad1", "status_reason"]
    assert s.loc["ok2", "status"] == "not_scored"  # its only post was invalid
    assert s.loc["ok1", "status"] == "scored"
    assert s.loc["thin", "status"] == "not_scored"
    assert "too little history" in s.loc["thin", "status_reason"]


@pytest.mark.parametrize("victim", ["model.txt", "metadata.json"])
def test_tampered_model_is_refused(tmp_path: Path, folder: Path, fresh: Path, victim: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "m"
    shutil.copytree(folder, copy)
    with (copy / victim).open("a") as fh:
        fh.write("\n")
    code, _, err = run(["predict", str(fresh), "--out", str(tmp_path / "s.csv"),
                        "--model", str(copy)], capsys)
    assert code == 2
    assert "does not match its checksum" in err and "Traceback" not in err


def test_predict_one_account_from_stdin(folder: Path, fresh: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    snaps = pd.read_parquet(fresh / "snapshots.parquet")
    acc = pd.read_parquet(fresh / "accounts.parquet").iloc[0]
    mine = snaps[snaps["account_id"] == acc["account_id"]]
    doc = {
        "account": {"account_id": acc["account_id"], "followers": int(acc["followers"]),
                    "following": int(acc["following"]), "posts": int(acc["posts"])},
        "snapshots": [{"date": str(d)[:10], "followers": int(f), "following": int(g)}
                      for d, f, g in zip(mine["date"], mine["followers"], mine["following"],
                                         strict=True)],
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    code, out, err = run(["predict", "-", "--model", str(folder)], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["account_id"] == acc["account_id"]
    assert 0 <= result["fake_probability"] <= 1
    assert result["reason_1"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("{not json"))
    code, _, err = run(["predict", "-", "--model", str(folder)], capsys)
    assert code == 2 and "not valid JSON" in err


def test_registry_champion_is_the_default(fresh: Path, store: Config, trained,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.tracking_uri)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "s.csv"
    code, stdout, err = run(["predict", str(fresh), "--out", str(out)], capsys)
    assert code == 0, err
    assert f"fakedetect-influencer v{trained.version}" in stdout
    code, stdout, err = run(["explain", str(pd.read_csv(out)["account_id"].iloc[0]),
                             "--data", str(fresh), "--html", str(tmp_path / "a.html")],
                            capsys)
    assert code == 0, err
    assert "Top reasons" in stdout
    assert "<html" in (tmp_path / "a.html").read_text()
    code, stdout, err = run(["report", str(fresh), "--out", str(tmp_path / "review"),
                             "--max-pages", "5"], capsys)
    assert code == 0, err
    assert (tmp_path / "review" / "index.html").is_file()
    assert len(list((tmp_path / "review" / "accounts").glob("*.html"))) == 5
    code, stdout, err = run(["models"], capsys)
    assert "champion" in stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_served_pyfunc_returns_scores_and_reasons(trained, store: Config, fresh: Path
                                                  ) -> None:
    model = FakeModel.load(trained.folder)
    X = build_features(load_dataset(fresh), "influencer")[model.features].iloc[:4]
    port = _free_port()
    mlflow_bin = Path(sys.executable).parent / "mlflow"
    # mlflow starts uvicorn from PATH: put the virtual environment's bin first.
    env = {**os.environ, "MLFLOW_TRACKING_URI": store.tracking_uri,
           "PATH": f"{mlflow_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen(
        [str(mlflow_bin), "models", "serve", "-m",
         "models:/fakedetect-influencer@champion", "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"server did not start: {err[-2000:]}")
                time.sleep(0.5)
        records = json.loads(X.to_json(orient="records"))
        body = json.dumps({"dataframe_records": records}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    rows = answer["predictions"]
    assert len(rows) == 4
    expected = model.predict_proba(X)
    got = np.array([r["fake_probability"] for r in rows])
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert all(r["reason_1"] and r["verdict"] in {"authentic", "review", "likely fake"}
               for r in rows)


def test_account_model_that_needs_absent_fields_does_not_score_audiences(
        trained, caplog: pytest.LogCaptureFixture) -> None:
    import copy

    from fakedetect.scoring import account_scorer_from, audience_gaps

    model = copy.copy(trained.model)
    model.metadata = {**model.metadata,
                      "never_missing": ["accounts__log_followers", "accounts__like_rate_pct"]}
    assert audience_gaps(model) == ["accounts__like_rate_pct"]
    with caplog.at_level("WARNING", logger="fakedetect"):
        assert account_scorer_from(model) is None
    assert "like_rate_pct" in caplog.text
    model.metadata["never_missing"] = ["accounts__log_followers"]
    assert account_scorer_from(model) is not None


def test_scores_warn_when_trained_features_are_missing(fresh: Path, folder: Path) -> None:
    model = FakeModel.load(folder)
    assert model.metadata.get("never_missing"), "training records never-missing features"
    ds = load_dataset(fresh)
    del ds.tables["audience"]  # audience features become missing for every account
    scored = score_dataset(ds, model, top_reasons=1)
    lacking = [f for f in model.metadata["never_missing"] if f.startswith("audience__")]
    assert lacking, "the simulated training data always has an audience sample"
    from fakedetect.drift import feature_label

    assert scored.notes and feature_label(lacking[0]) in scored.notes[0]
    assert scored.drifted
    full = score_dataset(load_dataset(fresh), model, top_reasons=1)
    assert not any("never missing" in n for n in full.notes)


def test_evaluate_logs_a_run_and_writes_a_summary(fresh: Path, store: Config, trained,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.tracking_uri)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "eval"
    code, _, err = run(["evaluate", "--model", "models:/fakedetect-influencer@champion",
                             "--data", str(fresh), "--out", str(out)], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.7 < metrics["roc_auc"] <= 1.0  # fresh simulated accounts, never trained on
    assert metrics["n"] == 150
    assert "ROC-AUC" in (out / "summary.md").read_text()
    for name in ("roc_curve.png", "calibration_curve.png", "confusion_matrix.png"):
        assert (out / name).is_file()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.tracking_uri)
    exp = client.get_experiment_by_name("fakedetect-evaluation")
    runs = client.search_runs([exp.experiment_id])
    assert runs and runs[0].data.metrics["roc_auc"] == pytest.approx(metrics["roc_auc"])
    unlabelled = tmp_path / "unlabelled"
    shutil.copytree(fresh, unlabelled)
    (unlabelled / "labels.parquet").unlink()
    code, _, err = run(["evaluate", "--model", str(trained.folder), "--data",
                        str(unlabelled)], capsys)
    assert code == 2 and "labels" in err
