import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test

import keras_mmgan as mm

SHAPE, CLASSES, LATENT = (8, 8, 1), 3, 8


def make_gan(conditioning="projection", auxiliary_classifier=False, seed=1, **options):
    if conditioning == "concat":
        generator = mm.networks.dcgan_generator(LATENT + CLASSES, SHAPE, base_filters=8)
    else:
        generator = mm.networks.dcgan_generator(
            LATENT, SHAPE, base_filters=8, num_classes=CLASSES
        )
    if auxiliary_classifier:
        discriminator = mm.networks.dcgan_discriminator(
            SHAPE, base_filters=8, num_classes=CLASSES, auxiliary_classifier=True
        )
    elif conditioning == "concat":
        discriminator = mm.networks.dcgan_discriminator(
            SHAPE[:2] + (SHAPE[2] + CLASSES,), base_filters=8
        )
    else:
        discriminator = mm.networks.dcgan_discriminator(
            SHAPE, base_filters=8, num_classes=CLASSES, spectral_normalization=True
        )
    gan = mm.models.ConditionalGAN(
        generator,
        discriminator,
        LATENT,
        CLASSES,
        auxiliary_classifier=auxiliary_classifier,
        conditioning=conditioning,
        seed=seed,
        **options,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
    )
    return gan


def batch(n=12):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    return images, (np.arange(n) % CLASSES).astype("int32")


VARIANTS = [("concat", False), ("projection", False), ("projection", True), ("concat", True)]


@pytest.mark.parametrize("conditioning,auxiliary_classifier", VARIANTS)
def test_step_phases_and_save(tmp_path, conditioning, auxiliary_classifier):
    gan = make_gan(conditioning, auxiliary_classifier)
    logs = ("d_loss", "g_loss") + (("d_class_loss", "g_class_loss") if auxiliary_classifier else ())
    loaded = run_gan_step_test(gan, batch(), tmp_path, expected_logs=logs)
    assert (loaded.conditioning, loaded.auxiliary_classifier) == (conditioning, auxiliary_classifier)
    labels = [0, 1, 2, 2]
    np.testing.assert_array_equal(
        gan.generate(labels=labels, seed=3), loaded.generate(labels=labels, seed=3)
    )


def test_labels_switch_the_mode():
    gan = make_gan()
    latents = np.random.default_rng(1).normal(size=(2, LATENT)).astype("float32")
    zeros = gan.generate_images(latents, {"labels": np.array([0, 0])})
    twos = gan.generate_images(latents, {"labels": np.array([2, 2])})
    assert not np.allclose(np.array(zeros), np.array(twos))
    same = gan.generate(labels=[1, 1], seed=0)
    assert same.shape == (2,) + SHAPE
    assert gan.generate(labels=1, num_samples=5, seed=0).shape == (5,) + SHAPE


def test_export_serves_labels(tmp_path):
    gan = make_gan()
    path = os.path.join(tmp_path, "export")
    gan.export(path)
    served = tf.saved_model.load(path)
    labels = tf.constant([0, 2], tf.int32)
    noise = np.random.default_rng(0).normal(size=(2, LATENT)).astype("float32")
    np.testing.assert_allclose(
        served.serve_with_noise(labels, noise).numpy(),
        np.array(gan.generate_images(noise, {"labels": labels})),
        atol=1e-5,
    )
    assert served.serve(labels).shape == (2,) + SHAPE


def test_bad_labels_are_named_before_training():
    gan = make_gan()
    images, labels = batch()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\); got values from 1 to 3"):
        gan.fit(images, labels + 1, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        gan.fit(images, labels - 1, epochs=1, verbose=0)
    with pytest.raises(TypeError, match="labels must be int class ids"):
        gan.fit(images, labels.astype("float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(batch,\) \(not one-hot\)"):
        gan.fit(images, np.eye(CLASSES, dtype="int32")[labels], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="one entry per image: got 6 labels for 12 images"):
        gan.fit(tf.data.Dataset.from_tensors((images, labels[:6])), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0


def test_out_of_range_labels_in_a_later_batch_stop_before_the_update():
    gan = make_gan()
    images, labels = batch(24)
    labels[20] = 7
    first = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) \(met at training step 3\)"):
        gan.fit(first, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2


def test_constructor_checks_the_networks():
    with pytest.raises(ValueError, match="conditioning must be one of"):
        make_gan(conditioning="film")
    with pytest.raises(ValueError, match="latent_dim \\+ num_classes = 11"):
        mm.models.ConditionalGAN(
            mm.networks.dcgan_generator(LATENT, SHAPE),
            mm.networks.dcgan_discriminator((8, 8, 4)),
            LATENT,
            CLASSES,
        )
    with pytest.raises(ValueError, match="outputs \\[logit, class logits"):
        mm.models.ConditionalGAN(
            mm.networks.dcgan_generator(LATENT, SHAPE, num_classes=CLASSES),
            mm.networks.dcgan_discriminator(SHAPE),
            LATENT,
            CLASSES,
            auxiliary_classifier=True,
            conditioning="projection",
        )
    gan = make_gan()
    with pytest.raises(ValueError, match="labels are required"):
        gan.generate(num_samples=2)


def test_generate_with_given_latents_keeps_style_and_switches_digit():
    gan = make_gan()
    latents = np.repeat(np.random.default_rng(2).normal(size=(1, LATENT)), CLASSES, 0)
    images = gan.generate(labels=np.arange(CLASSES), latents=latents)
    expected = gan.generate_images(latents.astype("float32"), {"labels": np.arange(CLASSES)})
    np.testing.assert_allclose(images, np.array(expected), atol=1e-6)
    with pytest.raises(ValueError, match="differs from the 3 labels"):
        gan.generate(labels=np.arange(CLASSES), latents=latents[:2])


@pytest.mark.parametrize("classify_fakes", [False, True])
def test_acgan_discriminator_class_loss(classify_fakes):
    gan = make_gan(auxiliary_classifier=True, classify_fakes=classify_fakes)
    images, labels = batch()
    data = gan.prepare_batch((images, labels))
    keras.utils.set_random_seed(4)
    gan.seed_generator.state.assign([4, 0])
    _, logs = gan.discriminator_loss(data)
    real_ce = gan._class_loss(data["labels"], gan.discriminator_outputs(data["images"], data)[1])
    if classify_fakes:
        assert float(logs["d_class_loss"]) > float(real_ce)
    else:
        np.testing.assert_allclose(float(logs["d_class_loss"]), float(real_ce), rtol=1e-6)


def test_class_weight_must_be_a_finite_number_at_least_zero():
    with pytest.raises(ValueError, match="class_weight must be a number >= 0; got nan"):
        make_gan(auxiliary_classifier=True, class_weight=float("nan"))
