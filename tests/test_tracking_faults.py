"""A tracking store that is not there fails in seconds with a message, and a read-only
command never creates one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fakedetect", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env}, cwd=cwd)


def test_an_unreachable_server_fails_fast_before_any_work(tmp_path: Path) -> None:
    started = time.perf_counter()
    done = _cli("train", "--task", "account", "--data", str(tmp_path),
                env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}, cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert done.returncode == 2, done.stderr
    assert "tracking server http://127.0.0.1:9 does not answer" in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 30  # (the probe itself: well under 10 s; the rest is start-up)
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,followers\na,100\n")
    for command in (("models",), ("predict", str(data), "--out", str(tmp_path / "s.csv"))):
        done = _cli(*command, env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"},
                    cwd=tmp_path)
        assert done.returncode == 2 and "does not answer" in done.stderr, done.stderr
        assert "nothing was trained" not in done.stderr


def test_a_mistyped_store_is_not_created_by_a_read_only_command(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    done = _cli("models", env={"MLFLOW_TRACKING_URI": f"sqlite:///{missing}"}, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no such store" in done.stderr
    assert not (tmp_path / "no").exists()


def test_two_first_contacts_with_a_new_store_both_succeed(tmp_path: Path) -> None:
    """Two processes creating the same new SQLite store race in MLflow's migration."""
    code = ("import sys; from pathlib import Path; from fakedetect.config import Config; "
            "from fakedetect.tracking import connect; r = Path(sys.argv[1]); "
            "connect(Config(root=r, tracking_uri=f'sqlite:///{r / \"mlflow.db\"}', "
            "artifact_location=r / 'mlruns', output_dir=r / 'out', "
            "report_dir=r / 'out' / 'review', data_dir=r / 'data', models_dir=r / 'm')); "
            "print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
