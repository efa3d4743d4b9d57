"""One model definition, two backends: TensorFlow and JAX train and generate alike.

`cross_backend.py` runs in a subprocess per backend (a process has one backend); this
module runs once, from the TensorFlow suite.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from cross_backend import FAMILIES

pytest.importorskip("jax")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        keras.backend.backend() != "tensorflow",
        reason="starts both backends in subprocesses: run once, from the TensorFlow suite",
    ),
]

SCRIPT = os.path.join(os.path.dirname(__file__), "cross_backend.py")


def run(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, SCRIPT, *map(str, args)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross_backend")
    initial, on_tf, on_jax = root / "initial", root / "tensorflow", root / "jax"
    run("tensorflow", "save", initial)
    run("tensorflow", "step", initial, on_tf)
    run("jax", "step", initial, on_jax)
    run("tensorflow", "generate", initial, on_jax)  # JAX's files, back on TensorFlow
    return on_tf, on_jax


def load(directory, name):
    return np.load(os.path.join(directory, name))


# Open (#21): the projection ConditionalGAN's discriminator step differs by about 1e-3
# relative between the backends (d_loss agrees to 1e-7, g_loss after D's update does not; with
# or without DRAGAN); the other families agree within 4e-7.
PROJECTION_GAP = pytest.mark.xfail(reason="projection cGAN's D update differs ~1e-3 (#21)")
CASES = [pytest.param(f, marks=PROJECTION_GAP) if f == "conditional" else f for f in FAMILIES]


def test_every_family_ran_on_both_backends(runs):
    on_tf, on_jax = (json.load(open(os.path.join(d, "logs.json"))) for d in runs)
    assert sorted(on_tf) == sorted(on_jax) == sorted(FAMILIES)


@pytest.mark.parametrize("family", CASES)
def test_first_step_losses_match_within_1e_4(runs, family):
    on_tf, on_jax = (json.load(open(os.path.join(d, "logs.json")))[family] for d in runs)
    assert on_tf.keys() == on_jax.keys()
    assert len(on_tf) >= 2  # d_loss, g_loss and the family's own terms
    for name, value in on_tf.items():
        np.testing.assert_allclose(on_jax[name], value, rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_tensorflow_file_generates_the_same_images_on_jax(runs, family):
    on_tf, on_jax = runs
    before = load(on_tf, f"{family}_before.npy")
    assert before.std() > 0
    np.testing.assert_allclose(load(on_jax, f"{family}_before.npy"), before, atol=1e-5)


@pytest.mark.parametrize("family", CASES)
def test_one_step_moves_both_alike_and_a_jax_file_loads_on_tensorflow(runs, family):
    on_tf, on_jax = runs
    after = load(on_jax, f"{family}_after.npy")
    assert not np.allclose(after, load(on_jax, f"{family}_before.npy"))  # the step trained G
    np.testing.assert_allclose(after, load(on_tf, f"{family}_after.npy"), atol=1e-3)
    np.testing.assert_allclose(load(on_jax, f"{family}_reloaded.npy"), after, atol=1e-5)
