"""Exact resume with `BackupAndRestore`, mixed precision and Keras's LR callbacks."""

import errno
import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
import resume_run
import tensorflow as tf
import test_cycle_gan
import test_distribution
import test_pix2pix

from conftest import JAX_GAP  # noqa: E402
from conftest import tensorflow_only  # noqa: E402

import keras_mmgan as mm

BATCH, BATCHES, EPOCHS = 8, 3, 2
RESUME_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resume_run.py")


class Interrupt(keras.callbacks.Callback):
    """Stops training with an error after a given batch of a given epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise RuntimeError("interrupted")


def pooled_gan():
    gan, _ = test_distribution.unconditional()
    gan = mm.models.GAN(gan.generator, gan.discriminator, gan.latent_dim, seed=1, pool_size=4)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-2),
        g_optimizer=keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9),
        regularizers=[mm.regularizers.GradientPenalty(1.0)],
    )
    return gan, test_distribution.unconditional()[1]


def cycle_gan():
    return test_cycle_gan.make_model(pool_size=4), test_cycle_gan.domains(n=BATCH * BATCHES)


FAMILIES = [
    pooled_gan,
    test_distribution.conditional,
    test_distribution.text_to_image,
    test_distribution.pix2pix,
    cycle_gan,
    test_distribution.mode_seeking_pix2pix,
]


def _state(model):
    """Every value training changes: weights (pools, seed states) and optimizers."""
    return [np.array(v) for v in model.weights] + [
        np.array(v) for o in (model.d_optimizer, model.g_optimizer) for v in o.variables
    ] + [np.array(g.state) for g in model._seed_generators]


def _fit(factory, callbacks=()):
    keras.utils.set_random_seed(0)
    model, data = factory()
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(BATCH)
    model.fit(dataset, epochs=EPOCHS, callbacks=list(callbacks), verbose=0)
    return model


@tensorflow_only(JAX_GAP + "resuming in the middle of an epoch")
@pytest.mark.parametrize("factory", FAMILIES, ids=lambda f: f.__name__)
def test_a_run_interrupted_mid_epoch_resumes_exactly(factory, tmp_path):
    expected = _state(_fit(factory))
    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(factory, [mm.callbacks.BackupAndRestore(backup, save_freq=1), Interrupt(1, 0)])
    with open(os.path.join(backup, "training_metadata.json")) as f:
        assert json.load(f)["keras_mmgan_batches_in_epoch"] == 1  # epoch 1, after 1 batch
    resumed = _fit(factory, [mm.callbacks.BackupAndRestore(backup, save_freq=1)])
    assert int(resumed.g_optimizer.iterations) == EPOCHS * BATCHES
    for a, b in zip(expected, _state(resumed)):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert not os.path.exists(backup)  # deleted once training ends


def test_restore_backup_loads_the_state_a_backup_holds(tmp_path):
    backup = str(tmp_path / "backup")
    keras.utils.set_random_seed(0)
    gan, data = pooled_gan()
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(BATCH)
    callbacks = [mm.callbacks.BackupAndRestore(backup, save_freq=1), Interrupt(1, 0)]
    with pytest.raises(RuntimeError, match="interrupted"):
        gan.fit(dataset, epochs=EPOCHS, callbacks=callbacks, verbose=0)
    restored = mm.callbacks.restore_backup(pooled_gan()[0], backup)  # saved just before the stop
    for a, b in zip(_state(gan), _state(restored)):
        np.testing.assert_array_equal(b, a)
    with pytest.raises(FileNotFoundError, match="no backup"):
        mm.callbacks.restore_backup(pooled_gan()[0], str(tmp_path / "elsewhere"))


def test_a_backup_that_does_not_fit_the_model_is_refused(tmp_path):
    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(pooled_gan, [mm.callbacks.BackupAndRestore(backup, save_freq=1), Interrupt(1, 0)])

    def without_ema():  # one optimizer variable per generator weight fewer than the backup's
        gan, data = pooled_gan()
        gan.compile(
            d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2)
        )
        return gan, data

    with pytest.raises(ValueError, match="backup .* does not fit this model"):
        _fit(without_ema, [mm.callbacks.BackupAndRestore(backup, save_freq=1)])
    with pytest.raises(ValueError, match="backup .* does not fit this model"):
        mm.callbacks.restore_backup(without_ema()[0], backup)


# ---------------------------------------------------------------------- #
# A process killed (SIGKILL) and started again with the same line.
# ---------------------------------------------------------------------- #
def _run_line(family, backup, out, *flags):
    """Runs `resume_run.py` (the user's training line) in a fresh process."""
    return subprocess.run(
        [sys.executable, RESUME_RUN, family, str(backup), str(out), *flags],
        capture_output=True, text=True, timeout=300,
    )


def _trained(run, out):
    assert run.returncode == 0, run.stderr[-3000:]
    with np.load(out) as saved:
        return {key: saved[key] for key in saved.files}


def _assert_same_run(resumed, expected):
    """Bit-equal where the machine allows; at most 1e-6 apart in any case."""
    assert resumed.keys() == expected.keys()
    worst = max(
        float(np.max(np.abs(resumed[key] - expected[key]), initial=0.0))
        for key in expected if not key.startswith("run_")
    )
    assert worst <= 1e-6, f"resumed run is {worst:.3g} away from the uninterrupted one"


def _kill_and_resume(family, tmp_path, *kill):
    expected = _trained(_run_line(family, tmp_path / "b0", tmp_path / "expected.npz"),
                        tmp_path / "expected.npz")
    killed = _run_line(family, tmp_path / "b1", tmp_path / "killed.npz", *kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not os.path.exists(tmp_path / "killed.npz")
    resumed = _trained(_run_line(family, tmp_path / "b1", tmp_path / "resumed.npz"),
                       tmp_path / "resumed.npz")
    _assert_same_run(resumed, expected)
    assert not os.path.exists(tmp_path / "b1")  # deleted once training ends
    return resumed


@pytest.mark.slow  # three fresh processes that import TensorFlow: 20-30 s each
@pytest.mark.parametrize("family", resume_run.FAMILIES)
def test_a_process_killed_in_epoch_2_resumes_exactly_with_make_dataset(family, tmp_path):
    # 5 steps an epoch, a backup every 3: killed after step 13 (epoch 2), it restarts from
    # step 12's backup and trains epoch 2 on the order an uninterrupted run drew for it.
    resumed = _kill_and_resume(family, tmp_path, "--kill-at-step", "13")
    assert resumed["run_restored_step"] == 12 and resumed["run_final_step"] == 15


@pytest.mark.slow  # three fresh processes: 18 s on 2 idle cores, up to a minute on busy ones
def test_a_process_killed_while_writing_a_backup_resumes_from_the_previous_one(tmp_path):
    # Killed with half of the 4th backup (step 12) written: step 9's backup is whole. The run
    # resumes in epoch 1 and goes on into epoch 2, so the order of epoch 2 is checked too.
    resumed = _kill_and_resume("gan", tmp_path, "--kill-in-backup", "4")
    assert resumed["run_restored_step"] == 9 and resumed["run_final_step"] == 15


@tensorflow_only(JAX_GAP + "a backup that fails to write")
def test_a_backup_that_fails_to_write_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    backup = str(tmp_path / "backup")
    expected = _state(_fit(pooled_gan))
    writes = []
    save_weights = keras.Model.save_weights

    def disk_full_at_the_4th(self, filepath, *args, **kwargs):
        writes.append(filepath)
        save_weights(self, filepath, *args, **kwargs)
        if len(writes) == 4:  # step 4 (epoch 1): half written, then the disk is full
            with open(filepath, "r+b") as f:
                f.truncate(os.path.getsize(filepath) // 2)
            raise OSError(errno.ENOSPC, "No space left on device", filepath)

    monkeypatch.setattr(keras.Model, "save_weights", disk_full_at_the_4th)
    with pytest.raises(OSError, match="No space left"):
        _fit(pooled_gan, [mm.callbacks.BackupAndRestore(backup, save_freq=1)])
    monkeypatch.undo()
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]
    with open(os.path.join(backup, "training_metadata.json")) as f:
        assert json.load(f) == {"epoch": 0, "batch": 2, "keras_mmgan_batches_in_epoch": 3}
    restored = mm.callbacks.restore_backup(pooled_gan()[0], backup)
    assert int(restored.g_optimizer.iterations) == BATCHES  # step 3's backup, whole
    resumed = _fit(pooled_gan, [mm.callbacks.BackupAndRestore(backup, save_freq=1)])
    for a, b in zip(expected, _state(resumed)):
        np.testing.assert_array_equal(b, a)


@tensorflow_only(JAX_GAP + "the double checkpoint")
def test_double_checkpoint_resumes_from_the_previous_backup_when_the_latest_is_damaged(
        tmp_path):
    backup = str(tmp_path / "backup")
    expected = _state(_fit(pooled_gan))

    def backup_callback():
        return mm.callbacks.BackupAndRestore(backup, save_freq=1, double_checkpoint=True)

    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(pooled_gan, [backup_callback(), Interrupt(1, 1)])  # backups of steps 4 and 5
    with open(os.path.join(backup, "latest.weights.h5"), "wb") as f:
        f.write(b"damaged after it was written")
    resumed = _fit(pooled_gan, [backup_callback()])  # from step 4's backup
    for a, b in zip(expected, _state(resumed)):
        np.testing.assert_array_equal(b, a)


def test_keras_own_backup_replays_the_interrupted_epoch(tmp_path):
    """Why the subclass exists: Keras restarts the epoch, training its batches twice."""
    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError):
        _fit(pooled_gan, [keras.callbacks.BackupAndRestore(backup, save_freq=1), Interrupt(1, 0)])
    resumed = _fit(pooled_gan, [keras.callbacks.BackupAndRestore(backup, save_freq=1)])
    assert int(resumed.g_optimizer.iterations) == EPOCHS * BATCHES + 1


def test_model_checkpoint_keeps_the_best_weights_by_a_loss(tmp_path):
    path = str(tmp_path / "best.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="d_loss", mode="min", save_best_only=True, save_weights_only=True
    )
    model = _fit(pooled_gan, [checkpoint])
    restored, _ = pooled_gan()
    restored.load_weights(path)
    assert int(restored.g_optimizer.iterations) in (BATCHES, EPOCHS * BATCHES)
    assert int(restored.image_pool.count) == int(model.image_pool.count)


# ---------------------------------------------------------------------- #
# Mixed precision.
# ---------------------------------------------------------------------- #
@pytest.fixture
def policy(request):
    keras.mixed_precision.set_dtype_policy(request.param)
    yield request.param
    keras.mixed_precision.set_dtype_policy("float32")


FLOAT16_ON_JAX = pytest.mark.skipif(
    keras.backend.backend() == "jax", reason=JAX_GAP + "mixed_float16's loss scaling"
)


@pytest.mark.parametrize(
    "policy", [pytest.param("mixed_float16", marks=FLOAT16_ON_JAX), "mixed_bfloat16"],
    indirect=True,
)
@pytest.mark.parametrize("factory", FAMILIES,
                         ids=lambda f: f.__name__)
def test_mixed_precision_trains_in_half_precision_with_float32_weights(policy, factory, tmp_path):
    keras.utils.set_random_seed(0)
    model, data = factory()
    half = policy.split("_")[1]
    assert model.compute_dtype == half
    assert all(v.dtype == "float32" for v in model.trainable_weights)
    for optimizer in (model.d_optimizer, model.g_optimizer):
        # float16 needs loss scaling; bfloat16 has float32's range.
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (half == "float16")
    before = [np.array(v) for v in model.trainable_weights]
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(BATCH)
    logs = model.fit(dataset, epochs=1, verbose=0).history
    assert all(np.isfinite(values).all() for values in logs.values())
    assert any(not np.array_equal(a, np.array(b)) for a, b in zip(before, model.trainable_weights))

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.d_optimizer) is type(model.d_optimizer)
    assert int(loaded.g_optimizer.iterations) == int(model.g_optimizer.iterations)


def _half_networks_in_float32_model(family):
    """Networks built under mixed_float16, wrapped by a model built under float32."""
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        if family == "pix2pix":
            networks = (test_pix2pix.tiny_generator(), test_pix2pix.tiny_discriminator())
        else:
            networks = tuple(test_cycle_gan.tiny_generator(n) for n in "gf") + tuple(
                test_cycle_gan.tiny_discriminator(n) for n in ("d_x", "d_y"))
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    if family == "pix2pix":
        return mm.models.Pix2Pix(*networks, seed=0), test_pix2pix.pairs(n=BATCH)
    return mm.models.CycleGAN(*networks, seed=0), test_cycle_gan.domains(n=BATCH)


@pytest.mark.parametrize("family", ["pix2pix", "cycle_gan"])
def test_l1_terms_take_mixed_dtypes(family):
    # float16 generator outputs against the float32 model's targets: the L1 terms cast each
    # operand before subtracting (they used to subtract first, which TensorFlow refuses).
    model, data = _half_networks_in_float32_model(family)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    assert model.compute_dtype == "float32" and model.generator.compute_dtype == "float16"
    logs = model.fit(*data, batch_size=BATCH, epochs=1, verbose=0).history
    l1 = logs["l1_loss"] if family == "pix2pix" else logs["cycle_loss"]
    assert np.isfinite(l1).all() and l1[0] > 0


def test_losses_are_float32_under_float16():
    logits = keras.ops.convert_to_tensor([[30.0], [-30.0]], dtype="float16")
    for name in mm.losses.names():
        loss = mm.losses.get(name).discriminator_loss(logits, -logits)
        assert loss.dtype == "float32", name


# ---------------------------------------------------------------------- #
# Keras's learning-rate callbacks act on both optimizers.
# ---------------------------------------------------------------------- #
def _ttur_gan():
    gan, data = pooled_gan()
    gan.compile(d_optimizer=keras.optimizers.Adam(4e-4), g_optimizer=keras.optimizers.Adam(1e-4))
    return gan, data


def _rates(model):
    return [float(keras.ops.convert_to_numpy(o.learning_rate)) for o in model.optimizer.optimizers]


def test_learning_rate_scheduler_scales_both_optimizers_keeping_their_ratio():
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
    model = _fit(_ttur_gan, [halve])
    np.testing.assert_allclose(_rates(model), [2e-4, 5e-5], rtol=1e-6)
    assert model.optimizer.optimizers == [model.d_optimizer, model.g_optimizer]
    assert model.optimizer.iterations is model.g_optimizer.iterations


def test_reduce_lr_on_plateau_reduces_both_optimizers():
    never_better = keras.callbacks.ReduceLROnPlateau(
        monitor="d_loss", mode="min", factor=0.5, patience=0, min_delta=1e9
    )
    model = _fit(_ttur_gan, [never_better])
    # The first epoch sets the reference; the second fails to beat it by 1e9.
    np.testing.assert_allclose(_rates(model), [2e-4, 5e-5], rtol=1e-6)
