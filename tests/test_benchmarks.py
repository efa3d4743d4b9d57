"""Smoke tests of the benchmark scripts: each one's `--quick` mode runs and writes its results."""

import json
import os
import subprocess
import sys

import keras
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="starts both backends in subprocesses: run once, from the TensorFlow suite",
)
def test_backends_quick(tmp_path):
    """`benchmarks/backends.py --quick`: one model timed on TensorFlow and JAX side by side."""
    pytest.importorskip("jax")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "backends.py"), "--quick",
         "--output", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "results.json") as file:
        results = json.load(file)
    assert {w["backend"] for w in results["workers"].values()} == {"tensorflow", "jax"}
    assert results["machine"]["cpu_model"]
    rows = results["models"]["text"]["variants"]
    assert sorted(rows) == ["jax", "tensorflow"]
    for row in rows.values():
        assert row["steps_per_second"] > 0 and row["compile_seconds"] is not None
        assert len(row["blocks"]) == results["arguments"]["repeats"]
    ratio = rows["jax"]["ratio_to_tensorflow"]
    assert ratio["min"] <= ratio["median"] <= ratio["max"]
    # Both started from the same initial weights: the TF worker wrote them, JAX read them.
    assert set(rows["jax"]["first_logs"]) == set(rows["tensorflow"]["first_logs"])
    table = (tmp_path / "table.md").read_text()
    assert "JAX / TF" in table and results["machine"]["cpu_model"] in table
