"""KerasTuner integration: grid / random / Bayesian search scored by GANEvaluator logs."""

import configparser
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

keras_tuner = pytest.importorskip("keras_tuner")

import keras_mmgan as mm
from keras_mmgan import tuning
from keras_mmgan.callbacks import GANEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def points():
    return mm.datasets.gaussian_mixture("ring", 256, seed=0)


@pytest.fixture(scope="module")
def point_extractor():
    # The points themselves as features (2-D FID), through a keras.Model as GANEvaluator wants.
    inputs = keras.Input((2,))
    return keras.Model(inputs, keras.layers.Identity()(inputs), name="identity")


def build_points_gan(hp):
    """A tiny MLP GAN on 2-D points whose learning rate and loss are searched."""
    learning_rate = hp.Choice("lr", [1e-3, 3e-3])
    loss = hp.Choice("loss", ["non_saturating", "lsgan", "hinge"])
    gan = mm.models.GAN(
        mm.networks.mlp_generator(latent_dim=2, output_dim=2, units=16, num_layers=1),
        mm.networks.mlp_discriminator(input_dim=2, units=16, num_layers=1),
        latent_dim=2,
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate),
        g_optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
    )
    return gan


class RecordScores(keras.callbacks.Callback):
    """Records the FID each epoch's logs hold, one list per trial (shared across tuner copies)."""

    trials = []

    def on_train_begin(self, logs=None):
        RecordScores.trials.append([])

    def on_epoch_end(self, epoch, logs=None):
        RecordScores.trials[-1].append(logs["fid"])


def points_search(points, extractor, tmp_path, **kwargs):
    options = {
        "dataset": points,
        "epochs": 2,
        "batch_size": 64,
        "evaluator": {"extractor": extractor, "num_samples": 256, "metrics": ("fid", "kid")},
        "directory": str(tmp_path),
        "seed": 0,
        "verbose": 0,
    }
    options.update(kwargs)
    return tuning.tune(build_points_gan, **options)


def test_grid_search_runs_every_choice_and_reads_the_objective_from_the_logs(
    points, point_extractor, tmp_path
):
    def build_fn(hp):
        hp.Fixed("loss", "non_saturating")
        return build_points_gan(hp)

    RecordScores.trials = []
    result = tuning.tune(
        build_fn,
        points,
        method="grid",
        epochs=2,
        batch_size=64,
        evaluator={"extractor": point_extractor, "num_samples": 256, "metrics": ("fid", "kid")},
        directory=str(tmp_path),
        seed=0,
        verbose=0,
        callbacks=[RecordScores()],
    )
    # A 2-value Choice: exactly 2 trials, one per value.
    assert len(result.rows) == 2
    assert sorted(row["lr"] for row in result.rows) == [1e-3, 3e-3]
    assert all(row["status"] == "COMPLETED" for row in result.rows)
    # Each trial's score is its best epoch's FID as GANEvaluator logged it (lower is better).
    assert len(RecordScores.trials) == 2
    for row, logged in zip(result.rows, RecordScores.trials):
        assert len(logged) == 2
        assert row["fid"] == pytest.approx(min(logged))
        assert row["epoch"] == 1 + int(np.argmin(logged))
        assert np.isfinite(row["kid"]) and row["seconds"] > 0
    best = min(result.rows, key=lambda row: row["fid"])
    assert result.direction == "min"
    assert result.best_score == pytest.approx(best["fid"])
    assert result.best_hyperparameters == {"lr": best["lr"], "loss": "non_saturating"}
    assert result.protocol["num_generated"] == 256
    table = result.table().splitlines()
    assert len(table) == 4 and "| lr |" in table[0] and "fid" in table[0]
    assert "best fid=" in repr(result)


@pytest.mark.filterwarnings("ignore:The optimal value found for dimension")
@pytest.mark.parametrize("method, max_trials", [("random", 2), ("bayesian", 3)])
def test_random_and_bayesian_respect_max_trials(
    method, max_trials, points, point_extractor, tmp_path
):
    # The evaluator may also come as a callback: tune takes it out and copies it per trial.
    # every=5 > epochs: it scores the first and the last epoch of each trial only.
    evaluator = GANEvaluator(points, point_extractor, metrics=("fid",), num_samples=256, every=5)
    RecordScores.trials = []
    result = points_search(
        points,
        point_extractor,
        tmp_path,
        method=method,
        max_trials=max_trials,
        evaluator=None,
        callbacks=[RecordScores(), evaluator],
    )
    assert len(result.rows) == max_trials  # of 6 combinations
    assert all(row["status"] == "COMPLETED" for row in result.rows)
    assert all(np.isfinite(row["fid"]) for row in result.rows)
    assert evaluator.scores == {}  # the caller's evaluator is left alone
    # Each trial starts with no scores: its first epoch is its own, not the last trial's.
    for previous, logged in zip(RecordScores.trials, RecordScores.trials[1:]):
        assert logged[0] != previous[-1]
    for row, logged in zip(result.rows, RecordScores.trials):
        assert row["fid"] == pytest.approx(min(logged))
    best = min(result.rows, key=lambda row: row["fid"])
    assert result.best_hyperparameters == {"lr": best["lr"], "loss": best["loss"]}
    if method == "bayesian":
        # A small budget keeps Gaussian-process trials: half of them are random at most.
        assert result.tuner.oracle.num_initial_points == 2


def test_maximised_objective_picks_the_highest(points, point_extractor, tmp_path):
    def build_fn(hp):
        hp.Fixed("loss", "non_saturating")
        return build_points_gan(hp)

    result = tuning.tune(
        build_fn,
        points,
        method="grid",
        objective="recall",
        epochs=1,
        batch_size=64,
        evaluator={"extractor": point_extractor, "num_samples": 256},
        directory=str(tmp_path),
        verbose=0,
    )
    assert result.direction == "max"
    best = max(result.rows, key=lambda row: row["recall"])
    assert result.best_hyperparameters["lr"] == best["lr"]


def test_best_digit_model_reloads_with_its_best_epoch_weights(tmp_path):
    images = mm.datasets.digits()["images"][:256]
    extractor = mm.metrics.digit_extractor()

    def build_fn(hp):
        gan = mm.models.GAN(
            mm.networks.dcgan_generator(16, base_filters=8),
            mm.networks.dcgan_discriminator(base_filters=8),
            latent_dim=16,
            seed=0,
        )
        learning_rate = hp.Float("lr", 1e-4, 1e-3, sampling="log")
        gan.compile(
            d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
        )
        return gan

    result = tuning.tune(
        build_fn,
        images,
        method="random",
        max_trials=1,
        epochs=2,
        batch_size=64,
        evaluator={"extractor": extractor, "num_samples": 256},
        directory=str(tmp_path),
        project_name="digits",
        seed=1,
        verbose=0,
    )
    trial_dir = result.tuner.get_trial_dir(result.rows[0]["trial"])
    assert os.path.exists(os.path.join(trial_dir, "checkpoint.weights.h5"))
    gan = result.best_model()
    assert isinstance(gan, mm.models.GAN)
    # KerasTuner's checkpoint holds the best epoch: re-scoring it gives the trial's score.
    evaluator = GANEvaluator(images, extractor, num_samples=256)
    evaluator.set_model(gan)
    evaluator.on_train_begin()
    assert evaluator.evaluate()["fid"] == pytest.approx(result.best_score, rel=1e-4)
    # Or rebuild from the best hyperparameters and train afresh.
    best_hp = result.tuner.get_best_hyperparameters(1)[0]
    rebuilt = result.tuner.hypermodel.build(best_hp)
    assert float(rebuilt.g_optimizer.learning_rate) == pytest.approx(
        result.best_hyperparameters["lr"]
    )


def test_get_objective_directions():
    # Every score GANEvaluator can log has a known direction.
    assert set(tuning.OBJECTIVE_DIRECTIONS) == set(GANEvaluator._METRICS)
    for name in ("fid", "kid"):
        assert tuning.get_objective(name).direction == "min"
    for name in ("precision", "recall", "density", "coverage", "inception_score"):
        assert tuning.get_objective(name).direction == "max"
    assert tuning.get_objective("fid", direction="max").direction == "max"
    assert tuning.get_objective("my_score", direction="min").name == "my_score"
    with pytest.raises(ValueError, match="objective 'my_score'.*direction="):
        tuning.get_objective("my_score")
    with pytest.raises(ValueError, match="direction must be 'min' or 'max'"):
        tuning.get_objective("fid", direction="lower")


def _not_a_gan(hp):
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])


def _uncompiled(hp):
    return mm.models.GAN(
        mm.networks.mlp_generator(2, 2, units=4, num_layers=1),
        mm.networks.mlp_discriminator(2, units=4, num_layers=1),
        latent_dim=2,
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"method": "sgd"}, ValueError, "method must be one of"),
        ({"objective": "fdi"}, ValueError, "objective 'fdi'"),
        ({"direction": "up"}, ValueError, "direction must be"),
        ({"max_trials": 0}, ValueError, "max_trials must be a positive int"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int"),
        ({"build_fn": "gan"}, TypeError, "build_fn must be a function"),
        ({"build_fn": _not_a_gan}, TypeError, "build_fn must return a compiled keras_mmgan GAN"),
        ({"build_fn": _uncompiled}, ValueError, "call gan.compile"),
        ({"evaluator": None}, ValueError, "objective 'fid' is a GANEvaluator score"),
        ({"evaluator": {"num_samples": 8}}, ValueError, "evaluator needs an 'extractor'"),
        ({"evaluator": "fid"}, TypeError, "evaluator must be a GANEvaluator"),
        ({"objective": "kid"}, ValueError, "objective 'kid' is not among the evaluator's"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, match, points, point_extractor, tmp_path):
    options = {
        "build_fn": build_points_gan,
        "dataset": points,
        "evaluator": GANEvaluator(points, point_extractor, metrics=("fid",)),
        "directory": str(tmp_path),
    }
    options.update(kwargs)
    with pytest.raises(error, match=match):
        tuning.tune(**options)


def test_keras_tuner_is_optional():
    # `import keras_mmgan` does not import KerasTuner.
    code = "import sys, keras_mmgan; print('keras_tuner' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert output.strip().splitlines()[-1] == "False"


def test_missing_keras_tuner_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras_tuner", None)  # import keras_tuner -> ImportError
    monkeypatch.delitem(sys.modules, "keras_mmgan.tuning")
    with pytest.raises(ImportError, match=r"pip install 'keras-mmgan\[tuning\]'"):
        import keras_mmgan.tuning  # noqa: F401


def test_setup_cfg_declares_the_tuning_extra():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    extras = config["options.extras_require"]
    assert "keras-tuner>=1.4" in extras["tuning"].split()
    assert "keras-tuner>=1.4" in extras["test"].split()
