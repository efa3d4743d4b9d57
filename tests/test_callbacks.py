import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan import models
from keras_mmgan.callbacks import PreciseBatchNorm
from keras_mmgan.callbacks import SampleGrid
from keras_mmgan.callbacks import image_grid
from keras_mmgan.callbacks import recompute_batch_norm
from keras_mmgan.callbacks import save_image_grid

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_image_grid_shape_dtype_and_values():
    images = np.zeros((5, 2, 3, 3), dtype="float32")
    images[0] = -1.0
    images[1] = 1.0
    images[2] = 0.0
    images[3] = 2.0  # clipped to 1
    images[4, :, :, 0] = 0.5
    grid = image_grid(images, num_columns=3)
    assert grid.shape == (2 * 2, 3 * 3, 3)
    assert grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[0:2, 0:3], 0)
    np.testing.assert_array_equal(grid[0:2, 3:6], 255)
    np.testing.assert_array_equal(grid[0:2, 6:9], 128)  # round(127.5)
    np.testing.assert_array_equal(grid[2:4, 0:3], 255)
    np.testing.assert_array_equal(grid[2:4, 3:6, 0], 191)  # round(1.5 * 127.5)
    np.testing.assert_array_equal(grid[2:4, 3:6, 1:], 128)
    # The empty last cell is black.
    np.testing.assert_array_equal(grid[2:4, 6:9], 0)


def test_image_grid_default_columns_and_placement():
    images = np.linspace(-1, 1, 10 * 4 * 4 * 3).reshape(10, 4, 4, 3)
    grid = image_grid(images)  # ceil(sqrt(10)) = 4 columns, 3 rows
    assert grid.shape == (12, 16, 3)
    expected = np.round((images[5] + 1) * 127.5).astype("uint8")
    np.testing.assert_array_equal(grid[4:8, 4:8], expected)  # row 1, column 1


def test_image_grid_turns_grayscale_into_rgb():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 5, 5, 1))
    grid = image_grid(images, num_columns=2)
    assert grid.shape == (10, 10, 3)
    np.testing.assert_array_equal(grid[..., 0], grid[..., 1])
    np.testing.assert_array_equal(grid[..., 0], grid[..., 2])
    np.testing.assert_array_equal(
        grid[0:5, 5:10, 0], np.round((images[1, ..., 0] + 1) * 127.5).astype("uint8")
    )


@pytest.mark.parametrize("shape", [(4, 5, 5), (4, 5, 5, 2), (5, 5)])
def test_image_grid_refuses_bad_shapes(shape):
    with pytest.raises(ValueError, match="images must be rank 4"):
        image_grid(np.zeros(shape))


def test_save_image_grid_without_labels(tmp_path):
    import matplotlib.pyplot as plt

    images = np.random.default_rng(0).uniform(-1, 1, (6, 7, 7, 3))
    path = str(tmp_path / "grid.png")
    assert save_image_grid(path, images, num_columns=3) == path
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    pixels = plt.imread(path)
    assert pixels.shape[:2] == (2 * 7, 3 * 7)
    np.testing.assert_allclose(
        pixels[..., :3] * 255, image_grid(images, num_columns=3), atol=0.5
    )


def test_save_image_grid_with_row_labels(tmp_path):
    import matplotlib.pyplot as plt

    images = np.random.default_rng(0).uniform(-1, 1, (6, 7, 7, 1))
    path = str(tmp_path / "labelled.png")
    save_image_grid(path, images, num_columns=3, row_labels=["a red circle", "a blue square"])
    assert os.path.getsize(path) > 0
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    pixels = plt.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 0 and pixels.shape[1] > 0


def tiny_gan():
    latents = keras.Input((4,))
    x = keras.layers.Dense(16, activation="tanh")(latents)
    generator = keras.Model(latents, keras.layers.Reshape((4, 4, 1))(x))
    images = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(images)
    discriminator = keras.Model(images, keras.layers.Dense(1)(x))
    gan = models.GAN(generator, discriminator, latent_dim=4, seed=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def test_sample_grid_writes_a_png_every_n_epochs(tmp_path):
    import matplotlib.pyplot as plt

    gan = tiny_gan()
    directory = str(tmp_path / "grids")
    data = np.random.default_rng(0).uniform(-1, 1, (8, 4, 4, 1)).astype("float32")
    gan.fit(
        data,
        batch_size=8,
        epochs=4,
        verbose=0,
        callbacks=[SampleGrid(directory, num_samples=9, every=2, seed=3)],
    )
    assert sorted(os.listdir(directory)) == ["samples_epoch_0002.png", "samples_epoch_0004.png"]
    pixels = plt.imread(os.path.join(directory, "samples_epoch_0004.png"))
    assert pixels.shape[:2] == (3 * 4, 3 * 4)  # 9 samples, 3 x 3 of 4 x 4
    # The last grid shows the trained model's fixed-seed samples.
    np.testing.assert_allclose(
        pixels[..., :3] * 255, image_grid(gan.generate(9, seed=3)), atol=0.5
    )


def test_image_grid_padding_separates_cells_in_grey():
    grid = image_grid(np.ones((5, 4, 4, 3), "float32"), num_columns=3, padding=1)
    assert grid.shape == (9, 14, 3)
    assert (grid[4, :, :] == 128).all() and (grid[:, 4, :] == 128).all()
    assert (grid[:4, :4] == 255).all()
    assert (grid[5:, 10:] == 0).all()  # the sixth cell is empty


def test_gan_evaluator_writes_scores_that_model_checkpoint_monitors(tmp_path):
    from keras_mmgan.callbacks import GANEvaluator

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(256, 4)).astype("float32")
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    gan = models.GAN(generator, discriminator, latent_dim=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    extractor = keras.Sequential([keras.Input((4,)), keras.layers.Identity()], name="identity")
    evaluator = GANEvaluator(real, extractor, metrics=("fid", "kid", "precision", "recall"),
                             num_samples=128, every=2)
    path = str(tmp_path / "best.keras")
    history = gan.fit(real, batch_size=64, epochs=5, verbose=0, callbacks=[
        evaluator, keras.callbacks.ModelCheckpoint(path, monitor="fid", mode="min",
                                                   save_best_only=True)])
    assert set(history.history) >= {"fid", "kid", "precision", "recall"}
    fid = history.history["fid"]
    # Scored after epochs 1 (first), 2, 4 and 5 (last); epoch 3 repeats epoch 2's.
    assert fid[0] > 0 and fid[1] != fid[0] and fid[2] == fid[1] and fid[3] != fid[2]
    assert fid[4] != fid[3]
    expected = mm_metrics().frechet_distance(real, gan.generate(128, seed=0))
    np.testing.assert_allclose(fid[4], expected, rtol=1e-6)
    assert os.path.exists(path)
    assert evaluator.protocol["num_real"] == 256 and evaluator.protocol["num_generated"] == 128
    with pytest.raises(ValueError, match="metrics must be names among"):
        GANEvaluator(real, extractor, metrics=("fjd",))


def mm_metrics():
    from keras_mmgan import metrics

    return metrics


def vector_gan():
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    gan = models.GAN(generator, discriminator, latent_dim=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


@pytest.mark.parametrize("activation", [None, "softmax"])  # logits, then probabilities
def test_gan_evaluator_writes_density_coverage_and_inception_score(activation):
    from keras_mmgan.callbacks import GANEvaluator

    keras.utils.set_random_seed(0)
    real = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
    gan = vector_gan()
    extractor = keras.Sequential([keras.Input((4,)), keras.layers.Identity()], name="identity")
    classifier = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation=activation)], name="tiny_classifier"
    )
    evaluator = GANEvaluator(real, extractor, num_samples=64, classifier=classifier,
                             metrics=("fid", "density", "coverage", "inception_score"))
    history = gan.fit(real, batch_size=64, epochs=2, verbose=0, callbacks=[evaluator])
    assert set(history.history) >= {"fid", "density", "coverage", "inception_score"}
    assert not {"kid", "precision", "recall"} & set(history.history)
    metrics = mm_metrics()
    fake = gan.generate(64, seed=0)
    expected = metrics.density_coverage(real, fake)
    assert history.history["density"][-1] == pytest.approx(expected["density"], rel=1e-6)
    assert history.history["coverage"][-1] == pytest.approx(expected["coverage"], rel=1e-6)
    outputs = classifier.predict(fake, verbose=0)
    expected_is = metrics.inception_score(outputs, num_splits=10, from_logits=activation is None)
    assert history.history["inception_score"][-1] == pytest.approx(expected_is[0], rel=1e-5)
    assert 1.0 <= history.history["inception_score"][-1] <= 3.0
    assert evaluator.protocol["classifier"] == "tiny_classifier"
    assert evaluator.protocol["extractor"] == "identity"


def test_gan_evaluator_refuses_inception_score_without_classifier():
    from keras_mmgan.callbacks import GANEvaluator

    extractor = keras.Sequential([keras.Input((4,)), keras.layers.Identity()])
    real = np.zeros((16, 4), "float32")
    with pytest.raises(ValueError, match="'inception_score', which needs classifier"):
        GANEvaluator(real, extractor, metrics=("fid", "inception_score"))
    GANEvaluator(real, extractor, metrics=("density", "coverage"))  # no classifier needed


def test_plot_losses_draws_one_line_per_log():
    from keras_mmgan.callbacks import plot_losses

    figure = plot_losses({"d_loss": [1.0, 0.8, 0.7], "g_loss": [0.5, 0.9, 1.1]})
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["d_loss", "g_loss"]
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.5, 0.9, 1.1])
    with pytest.raises(ValueError, match="not in the history"):
        plot_losses({"d_loss": [1.0]}, ["fid"])


def test_sample_grid_writes_a_tensorboard_image_summary(tmp_path):
    import tensorflow as tf

    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16),
                                  keras.layers.Reshape((4, 4, 1))])
    discriminator = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                                      keras.layers.Dense(1)])
    gan = models.GAN(generator, discriminator, latent_dim=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    logs = tmp_path / "tb"
    grid = SampleGrid(str(tmp_path / "png"), num_samples=4, tensorboard_dir=str(logs))
    gan.fit(np.zeros((8, 4, 4, 1), "float32"), batch_size=4, epochs=2, verbose=0, callbacks=[grid])
    events = [str(p) for p in logs.iterdir()]
    tags = [
        (value.tag, event.step)
        for path in events
        for event in tf.compat.v1.train.summary_iterator(path)
        for value in event.summary.value
    ]
    assert ("samples", 1) in tags and ("samples", 2) in tags


# ---------------------------------------------------------------------- #
# Precise batch norm.
# ---------------------------------------------------------------------- #
def bn_pix2pix(use_ema=False):
    """Pix2Pix whose generator normalizes its source first: the BN input is the data itself."""
    source = keras.Input((4, 4, 2))
    x = keras.layers.BatchNormalization(name="bn")(source)
    x = keras.layers.Dropout(0.5)(x)
    generator = keras.Model(source, keras.layers.Conv2D(3, 1, activation="tanh")(x))
    pair = [keras.Input((4, 4, 2)), keras.Input((4, 4, 3))]
    x = keras.layers.Concatenate()(pair)
    discriminator = keras.Model(pair, keras.layers.Conv2D(1, 2, strides=2)(x))
    model = models.Pix2Pix(generator, discriminator, seed=0)
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-2),
        g_optimizer=keras.optimizers.Adam(1e-2, use_ema=use_ema),
    )
    return model


def bn_pairs(n=24):
    rng = np.random.default_rng(0)
    source = rng.normal([0.5, -2.0], [1.0, 3.0], (n, 4, 4, 2)).astype("float32")
    return source, np.tanh(rng.normal(size=(n, 4, 4, 3))).astype("float32")


def test_recompute_batch_norm_sets_the_average_of_the_batch_statistics():
    model = bn_pix2pix()
    source, target = bn_pairs()
    dataset = tf.data.Dataset.from_tensor_slices((source, target)).batch(8)
    model.fit(dataset, epochs=1, verbose=0)
    trained = [np.array(v) for v in model.trainable_weights]
    seed_state = np.array(model.seed_generator.state)
    bn = model.generator.get_layer("bn")
    dropout = next(l for l in model.generator.layers if isinstance(l, keras.layers.Dropout))

    assert recompute_batch_norm(model, dataset, num_batches=2) == 2
    batches = source[:16].reshape(2, 8 * 4 * 4, 2)
    np.testing.assert_allclose(np.array(bn.moving_mean), batches.mean(1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.array(bn.moving_variance), batches.var(1).mean(0), rtol=1e-4)
    # Weights, dropout, momentum and the model's noise stream are left as they were.
    for before, after in zip(trained, model.trainable_weights):
        np.testing.assert_array_equal(before, np.array(after))
    assert (bn.momentum, dropout.rate) == (0.99, 0.5)
    np.testing.assert_array_equal(seed_state, np.array(model.seed_generator.state))
    assert recompute_batch_norm(model, dataset, num_batches=100) == 3  # the data ran out first


def test_precise_batch_norm_callback_recomputes_after_each_epoch():
    model = bn_pix2pix(use_ema=True)
    source, target = bn_pairs()
    dataset = tf.data.Dataset.from_tensor_slices((source, target)).batch(8)
    model.fit(dataset, epochs=2, verbose=0, callbacks=[PreciseBatchNorm(dataset, num_batches=3)])
    bn = model.generator.get_layer("bn")
    pixels = source.reshape(3, -1, 2)
    np.testing.assert_allclose(np.array(bn.moving_mean), pixels.mean(1).mean(0), rtol=1e-5)
    # Keras's own running average after 6 steps would still sit near its start (0 and 1).
    assert abs(float(bn.moving_variance[1]) - pixels.var(1).mean(0)[1]) < 0.1


def test_recompute_batch_norm_checks_its_arguments():
    model = bn_pix2pix()
    with pytest.raises(ValueError, match="num_batches"):
        PreciseBatchNorm([], num_batches=0)
    with pytest.raises(ValueError, match="at least one batch"):
        recompute_batch_norm(model, [])
    assert recompute_batch_norm(tiny_gan(), [np.zeros((2, 4, 4, 1))]) == 0  # no batch norm


def test_recompute_batch_norm_runs_a_plain_keras_model_on_the_inputs():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    x = np.random.default_rng(1).normal(4.0, 2.0, (12, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, x)).batch(6)
    assert recompute_batch_norm(model, dataset) == 2
    np.testing.assert_allclose(np.array(model.layers[1].moving_mean), x.mean(0), rtol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_samples": 0}, "num_samples must be a positive int; got 0"),
    ({"every": 0}, "every must be a positive int; got 0"),
    ({"per_condition": 2.5}, "per_condition must be a positive int; got 2.5"),
])
def test_sample_grid_names_a_bad_count(tmp_path, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        SampleGrid(str(tmp_path), **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_samples": 0}, "num_samples must be a positive int; got 0"),
    ({"every": -1}, "every must be a positive int; got -1"),
])
def test_gan_evaluator_names_a_bad_count(kwargs, message):
    from keras_mmgan.callbacks import GANEvaluator

    extractor = keras.Sequential([keras.Input((4,)), keras.layers.Identity()])
    with pytest.raises(ValueError, match=message):
        GANEvaluator(np.zeros((16, 4), "float32"), extractor, **kwargs)


def test_sample_grid_takes_one_kind_of_condition(tmp_path):
    with pytest.raises(ValueError, match="at most one of captions, labels and images"):
        SampleGrid(str(tmp_path), labels=[0, 1], captions=["a red circle at the top left"])
