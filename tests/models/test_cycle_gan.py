import collections
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test

from keras_mmgan import datasets, losses, models, schedules

SHAPE = (8, 8, 3)


def tiny_generator(name, in_shape=SHAPE, out_shape=SHAPE):
    images = keras.Input(in_shape)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(images)
    x = keras.layers.Conv2D(out_shape[-1], 3, padding="same", activation="tanh")(x)
    return keras.Model(images, x, name=name)


def tiny_discriminator(name, shape=SHAPE):
    images = keras.Input(shape)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same")(images)
    return keras.Model(images, keras.layers.Conv2D(1, 3, padding="same")(x), name=name)


def make_model(lr=2e-3, run_eagerly=False, **kwargs):
    model = models.CycleGAN(
        tiny_generator("g"), tiny_generator("f"), tiny_discriminator("d_x"),
        tiny_discriminator("d_y"), seed=0, **kwargs,
    )
    model.compile(
        d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        run_eagerly=run_eagerly,
    )
    return model


def phase(model, name):
    return next(p for p in model.phases() if p.name == name)


def domains(n=8, seed=0):
    """X: images of one colour pattern; Y: the same patterns with channels reversed."""
    x = np.random.default_rng(seed).uniform(-1, 1, (n, *SHAPE)).astype("float32")
    return x, x[..., ::-1].copy()


def test_step_phases_and_save(tmp_path):
    model = make_model()
    assert isinstance(model.adversarial_loss, losses.LSGAN)  # the paper's default
    loaded = run_gan_step_test(
        model, domains(), tmp_path,
        expected_logs=("d_loss", "g_loss", "cycle_loss", "identity_loss"),
    )
    assert isinstance(loaded, models.CycleGAN)
    assert (loaded.cycle_weight, loaded.identity_weight, loaded.pool_x.size) == (10.0, 0.5, 50)
    assert loaded.reuse_fakes
    # One phase updates both generators, the other both discriminators.
    def ids(*networks):
        return {id(v) for network in networks for v in network.trainable_variables}

    g_phase, d_phase = model.phases()  # reuse_fakes: the generator phase first
    assert (g_phase.name, d_phase.name) == ("generator", "discriminator")
    assert {id(v) for v in g_phase.variables} == ids(model.generator_g, model.generator_f)
    assert {id(v) for v in d_phase.variables} == ids(model.discriminator_x, model.discriminator_y)
    np.testing.assert_array_equal(np.array(loaded.pool_y.buffer), np.array(model.pool_y.buffer))


def test_generator_loss_terms():
    model = make_model(cycle_weight=3.0, identity_weight=0.5)
    x, y = domains()
    total, logs = model._phase_loss(phase(model, "generator"), model.prepare_batch((x, y)))
    g, f = model.generator_g, model.generator_f
    cycle = np.abs(np.array(f(g(x))) - x).mean() + np.abs(np.array(g(f(y))) - y).mean()
    identity = np.abs(np.array(g(y)) - y).mean() + np.abs(np.array(f(x)) - x).mean()
    np.testing.assert_allclose(float(logs["cycle_loss"]), cycle, rtol=1e-5)
    np.testing.assert_allclose(float(logs["identity_loss"]), identity, rtol=1e-5)
    np.testing.assert_allclose(
        float(total), float(logs["g_loss"]) + 3.0 * cycle + 0.5 * 3.0 * identity, rtol=1e-5
    )


def count_generator_calls(model, monkeypatch):
    """Counts the generators' calls during each phase loss, in the order the phases run."""
    counts = []
    for network in (model.generator_g, model.generator_f):
        def counted(*args, _call=network.call, **kwargs):
            counts[-1][1] += 1
            return _call(*args, **kwargs)

        monkeypatch.setattr(network, "call", counted)
    for name in ("generator_loss", "discriminator_loss"):
        def loss(batch, _loss=getattr(model, name), _name=name.split("_")[0]):
            counts.append([_name, 0])
            return _loss(batch)

        monkeypatch.setattr(model, name, loss)
    return counts


@pytest.mark.parametrize("reuse_fakes, expected", [
    # G(x), F(y), the two cycles and the two identities; D judges the recorded fakes.
    (True, [["generator", 6], ["discriminator", 0]]),
    # D's phase first, with fakes of its own: two generator passes more per step.
    (False, [["discriminator", 2], ["generator", 6]]),
])
def test_the_discriminator_phase_reuses_the_generator_phase_fakes(
    monkeypatch, reuse_fakes, expected
):
    model = make_model(reuse_fakes=reuse_fakes, run_eagerly=True)
    x, y = domains(4)
    g_before = np.array(model.generator_g(x))
    counts = count_generator_calls(model, monkeypatch)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert counts == expected
    # Either way D judged the fakes of the generators as they were before the step's update.
    np.testing.assert_allclose(np.array(model.pool_y.buffer)[:4], g_before, rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.array(model.generator_g(x)), g_before)  # G did train


def test_reuse_fakes_round_trips_and_older_files_load_with_the_default(tmp_path):
    model = make_model(reuse_fakes=False)
    path = os.path.join(tmp_path, "separate.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.reuse_fakes is False
    assert [p.name for p in loaded.phases()] == ["discriminator", "generator"]
    config = model.get_config()
    del config["reuse_fakes"]  # as saved before the option existed
    assert models.CycleGAN.from_config(config).reuse_fakes is True
    with pytest.raises(TypeError, match="reuse_fakes must be True or False"):
        make_model(reuse_fakes="yes")


@pytest.mark.slow
def test_learns_a_cycle_consistent_translation():
    keras.utils.set_random_seed(0)
    model = make_model()
    x, y = domains(64)
    history = model.train(x, y, epochs=20, batch_size=8, verbose=0)
    cycle = history.history["cycle_loss"]
    assert cycle[-1] < 0.5 * cycle[0], cycle
    # Reconstruction of held-out X images.
    held_x, _ = domains(16, seed=1)
    back = model.translate(model.translate(held_x), direction="y_to_x")
    assert np.abs(back - held_x).mean() < 0.25


def test_different_shapes_need_identity_weight_zero():
    gray = (8, 8, 1)
    g = tiny_generator("g", gray, SHAPE)
    f = tiny_generator("f", SHAPE, gray)
    with pytest.raises(ValueError, match="identity_weight=0"):
        models.CycleGAN(g, f, tiny_discriminator("d_x", gray), tiny_discriminator("d_y"))
    model = models.CycleGAN(
        g, f, tiny_discriminator("d_x", gray), tiny_discriminator("d_y"), identity_weight=0
    )
    model.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    x = np.zeros((4, *gray), "float32")
    history = model.fit(tf.data.Dataset.from_tensors((x, np.zeros((4, *SHAPE), "float32"))),
                        epochs=1, verbose=0)
    assert history.history["identity_loss"][0] == 0.0


def test_generator_f_must_invert_the_shapes():
    with pytest.raises(ValueError, match="generator_f must map Y"):
        models.CycleGAN(
            tiny_generator("g"), tiny_generator("f", SHAPE, (8, 8, 1)),
            tiny_discriminator("d_x"), tiny_discriminator("d_y"),
        )


def test_bad_batches_are_named():
    model = make_model()
    with pytest.raises(ValueError, match="images_x, images_y"):
        model.fit(np.zeros((4, *SHAPE), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"images_y must have shape \(batch, 8, 8, 3\)"):
        model.fit(np.zeros((4, *SHAPE), "float32"), np.zeros((4, 4, 4, 3), "float32"), verbose=0)


def test_translate_both_ways_and_export(tmp_path):
    model = make_model()
    x, y = domains(3)
    np.testing.assert_allclose(model.generate(images=x), np.array(model.generator_g(x)), rtol=1e-6)
    np.testing.assert_allclose(
        model.translate(y, direction="y_to_x"), np.array(model.generator_f(y)), rtol=1e-6
    )
    with pytest.raises(ValueError, match="direction"):
        model.translate(y, direction="sideways")
    path = os.path.join(tmp_path, "cyclegan")
    model.export(path)
    served = tf.saved_model.load(path)
    np.testing.assert_allclose(served.serve(tf.constant(x)).numpy(), model.generate(images=x), rtol=1e-5)
    np.testing.assert_allclose(
        served.serve_y_to_x(tf.constant(y)).numpy(), model.translate(y, "y_to_x"), rtol=1e-5
    )


def test_unpaired_dataset_zips_two_sets():
    x, y = np.zeros((6, *SHAPE), "float32"), np.ones((10, 8, 8, 1), "float32")
    batches = list(datasets.unpaired_dataset(x, y, batch_size=2))
    assert len(batches) == 3  # the smaller side
    assert batches[0][0].shape == (2, *SHAPE) and batches[0][1].shape == (2, 8, 8, 1)


def test_constant_then_linear_decay_schedule():
    schedule = schedules.ConstantThenLinearDecay(2e-4, constant_steps=10, decay_steps=10)
    values = [float(schedule(step)) for step in (0, 10, 15, 20, 30)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-12)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert restored.get_config() == schedule.get_config()
    optimizer = keras.optimizers.Adam(schedule)
    assert float(optimizer.learning_rate) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ConstantThenLinearDecay(1e-3, 10, -1)


def test_evaluate_leaves_the_pools_alone():
    model = make_model()
    x, y = domains(4)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    counts = int(model.pool_x.count), int(model.pool_y.count)
    model.evaluate(x, y, batch_size=4, verbose=0)
    assert (int(model.pool_x.count), int(model.pool_y.count)) == counts == (4, 4)


@pytest.mark.parametrize("weights, error", [
    ({"cycle_weight": -1.0}, ValueError), ({"identity_weight": float("nan")}, ValueError),
    ({"cycle_weight": "10"}, TypeError),
])
def test_loss_weights_must_be_finite_numbers_at_least_zero(weights, error):
    name = next(iter(weights))
    with pytest.raises(error, match=f"{name} must be a number >= 0"):
        make_model(**weights)
