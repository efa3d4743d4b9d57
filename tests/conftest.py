"""Shared test helpers (keras-hub style): one GAN step test for every model."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

# Two logical CPUs, for the MirroredStrategy tests; must precede any TF op.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_mmgan import backend  # noqa: E402


def tensorflow_only(reason):
    """Skips a test off TensorFlow: it uses TensorFlow's own machinery, or (said in `reason`)
    covers what the JAX backend does not do yet."""
    return pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason=reason)


TAPE = "computes gradients with tf.GradientTape"
JAX_GAP = "not yet on JAX (#21): "


def _weights(networks, trainable_only=False):
    return [
        np.array(v)
        for network in networks
        for v in (network.trainable_weights if trainable_only else network.weights)
    ]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def run_gan_step_test(model, data, tmp_path, expected_logs=("d_loss", "g_loss")):
    """Fits two steps, checks the logs, isolates the phases, round-trips the save.

    Args:
        model: a compiled GAN.
        data: one batch as `fit` would yield it (a tuple of arrays or an array).
        tmp_path: a directory for the saved model.
        expected_logs: log names that must be reported.

    Returns:
        The reloaded model.
    """
    history = model.fit(
        keras_dataset(data), epochs=1, steps_per_epoch=2, verbose=0
    )
    assert set(expected_logs) <= set(history.history)
    for name in expected_logs:
        assert np.isfinite(history.history[name][-1]), name
    assert int(model.g_optimizer.iterations) == 2
    assert int(model.d_optimizer.iterations) == 2 * model.d_steps

    # Each phase trains its own networks and nothing else. (Batch-norm moving
    # statistics of G do move when D's phase draws fakes in training mode.)
    batch = model.prepare_batch(data)
    for phase in model.phases():
        if phase.name == "discriminator":
            own, others = model.discriminator_networks(), model.generator_networks()
        else:
            own, others = model.generator_networks(), model.discriminator_networks()
        own_before, others_before = _weights(own, True), _weights(others, True)
        backend.apply_phase(
            lambda: model._phase_loss(phase, batch), phase.variables, phase.optimizer
        )
        assert _same(others_before, _weights(others, True)), f"{phase.name} moved others"
        assert not _same(own_before, _weights(own, True)), f"{phase.name} did not train"

    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert _same(_weights([model]), _weights([loaded]))
    assert int(loaded.g_optimizer.iterations) == int(model.g_optimizer.iterations)
    for a, b in zip(model.d_optimizer.variables, loaded.d_optimizer.variables):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    return loaded


def keras_dataset(data, repeat=True):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensors(data)
    return dataset.repeat() if repeat else dataset


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
