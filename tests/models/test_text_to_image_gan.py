import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test
from conftest import JAX_GAP
from conftest import tensorflow_only

import keras_mmgan as mm

CAPTIONS = mm.datasets.shapes(64, image_size=8, seed=0)["captions"]


def make_gan(vectorizer=True, encoder=True, architecture="mlp", seed=1, fusion=None):
    shape = (8, 8, 3)
    vocab = mm.datasets.text_vectorizer(CAPTIONS, vocab_size=50) if vectorizer else None
    if fusion is None:
        generator = mm.build_generator(16, 128, image_shape=shape, architecture=architecture)
    else:
        generator = mm.build_generator(16, 128, image_shape=shape, fusion=fusion, base_filters=8)
    return mm.build_gan(
        mm.build_encoder(shape, latent_dim=16) if encoder else None,
        mm.build_text_encoder(50, return_words=fusion == "attention"),
        generator,
        mm.build_discriminator(shape, 50, architecture=architecture),
        vectorizer=vocab,
        seed=seed,
        fusion=fusion,
    )


FUSIONS = [None, "concat", "film", "attention"]


def compile_gan(gan, **kwargs):
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3), **kwargs
    )
    return gan


def batch(n=16, strings=False, gan=None):
    data = mm.datasets.shapes(n, image_size=8, seed=3)
    captions = np.array(data["captions"])
    if not strings:
        captions = np.asarray(gan.vectorizer(captions))
    return data["images"], captions


@pytest.mark.parametrize("architecture", ["mlp", "dcgan"])
def test_step_phases_and_save(tmp_path, architecture):
    gan = compile_gan(make_gan(architecture=architecture))
    loaded = run_gan_step_test(
        gan, batch(gan=gan), tmp_path, expected_logs=("d_loss", "g_loss", "latent_loss")
    )
    assert isinstance(loaded, mm.models.TextToImageGAN)
    assert loaded.adversarial_loss.from_logits == (architecture == "dcgan")


@tensorflow_only(
    "strings cannot enter a JAX step: vectorize captions in tf.data (make_dataset does)"
)
def test_fit_takes_raw_strings_with_a_vectorizer():
    gan = compile_gan(make_gan())
    images, captions = batch(strings=True)
    history = gan.fit(images, captions, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


@pytest.mark.parametrize("fusion", ["concat", "film", "attention"])
def test_step_phases_and_save_per_fusion(tmp_path, fusion):
    gan = compile_gan(make_gan(fusion=fusion))
    loaded = run_gan_step_test(
        gan, batch(gan=gan), tmp_path, expected_logs=("d_loss", "g_loss", "latent_loss")
    )
    assert mm.networks.generator_fusion(loaded.generator) == fusion


@pytest.mark.parametrize("fusion", FUSIONS)
def test_generate_same_seed_same_images_across_save_load(tmp_path, fusion):
    gan = compile_gan(make_gan(fusion=fusion))
    gan.fit(*batch(gan=gan), batch_size=8, epochs=1, verbose=0)
    captions = ["a red circle at the top left", "a blue square at the center"] * 3
    first = gan.generate(captions=captions, seed=7)
    np.testing.assert_array_equal(first, gan.generate(captions=captions, seed=7))
    assert not np.allclose(first, gan.generate(captions=captions, seed=8))
    assert first.shape == (6, 8, 8, 3) and first.min() >= -1 and first.max() <= 1
    path = os.path.join(tmp_path, "t2i.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(first, loaded.generate(captions=captions, seed=7))
    # Without a seed the model's own noise stream continues after loading.
    np.testing.assert_array_equal(
        gan.generate(captions=captions), loaded.generate(captions=captions)
    )


def test_fit_after_load_continues_exactly(tmp_path):
    images, captions = batch(32, gan=make_gan())
    dataset = tf.data.Dataset.from_tensor_slices((images, captions)).batch(8)

    keras.utils.set_random_seed(5)
    straight = compile_gan(make_gan())
    straight.fit(dataset, epochs=2, verbose=0)

    keras.utils.set_random_seed(5)
    resumed = compile_gan(make_gan())
    resumed.fit(dataset, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "half.keras")
    resumed.save(path)
    resumed = keras.saving.load_model(path)
    assert int(resumed.g_optimizer.iterations) == 4
    resumed.fit(dataset, epochs=1, verbose=0)

    assert int(resumed.g_optimizer.iterations) == 8
    for a, b in zip(straight.weights, resumed.weights):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)


@tensorflow_only(JAX_GAP + "an export that takes caption strings")
@pytest.mark.parametrize("fusion", FUSIONS)
def test_export_serves_raw_strings(tmp_path, fusion):
    gan = compile_gan(make_gan(fusion=fusion))
    gan.fit(*batch(gan=gan), batch_size=8, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "export")
    gan.export(path)
    served = tf.saved_model.load(path)
    captions = tf.constant(["a red circle at the top left", "a cyan triangle at the center"])
    noise = np.random.default_rng(0).normal(size=(2, 16)).astype("float32")
    expected = gan.generate_images(noise, {"tokens": gan.vectorizer(captions)})
    np.testing.assert_allclose(
        served.serve_with_noise(captions, noise).numpy(), np.array(expected), atol=1e-5
    )
    images = served.serve(captions).numpy()
    assert images.shape == (2, 8, 8, 3) and np.abs(images).max() <= 1.0


def test_style_transfer_uses_the_image_encoder():
    gan = compile_gan(make_gan())
    images, _ = batch(4, gan=gan)
    captions = ["a red circle at the top left"] * 4
    styled = gan.generate(captions=captions, images=images)
    latents = gan.image_encoder(images)
    expected = gan.generate_images(latents, {"tokens": gan.vectorizer(np.array(captions))})
    np.testing.assert_allclose(styled, np.array(expected), atol=1e-5)


def test_bad_input_is_named_before_training():
    gan = compile_gan(make_gan())
    images, tokens = batch(gan=gan)
    with pytest.raises(ValueError, match="images must be rank 4"):
        gan.fit(images[0], tokens[0], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="images must have shape"):
        gan.fit(np.zeros((16, 9, 9, 3), "float32"), tokens, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="one entry per image: got 8 captions for 16 images"):
        gan.fit(keras_pairs(images, tokens[:8]), epochs=1, verbose=0)
    with pytest.raises(TypeError, match="captions must be int token ids"):
        gan.fit(images, tokens.astype("float32"), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0
    no_vectorizer = compile_gan(make_gan(vectorizer=False))
    with pytest.raises(ValueError, match="no vectorizer"):
        no_vectorizer.fit(images, np.array(CAPTIONS[:16]), epochs=1, verbose=0)


def keras_pairs(images, tokens):
    return tf.data.Dataset.from_tensors((images, tokens))


def test_nan_in_data_stops_with_the_step_number():
    gan = compile_gan(make_gan())
    images, tokens = batch(32, gan=gan)
    images[20, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"images contain NaN or Inf .*step 3"):
        gan.fit(images, tokens, batch_size=8, shuffle=False, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2  # the bad step applied nothing
    assert all(np.isfinite(np.array(w)).all() for w in gan.weights)


def test_constructor_and_generate_errors():
    gan = make_gan(vectorizer=False)
    with pytest.raises(ValueError, match="no vectorizer"):
        gan.generate(captions=["a red circle at the top left"])
    with pytest.raises(ValueError, match="captions are required"):
        gan.generate(num_samples=3)
    with pytest.raises(ValueError, match="generator must take latent_dim"):
        mm.models.TextToImageGAN(
            mm.build_generator(8, 128, (8, 8, 3)),
            mm.build_discriminator((8, 8, 3), 50),
            mm.build_text_encoder(50),
            latent_dim=16,
        )


def test_latent_weight_must_be_a_finite_number_at_least_zero():
    shape = (8, 8, 3)
    with pytest.raises(ValueError, match="latent_weight must be a number >= 0; got -0.5"):
        mm.build_gan(
            mm.build_encoder(shape, latent_dim=16), mm.build_text_encoder(50),
            mm.build_generator(16, 128, image_shape=shape), mm.build_discriminator(shape, 50),
            latent_weight=-0.5,
        )


def test_attention_gan_feeds_words_and_their_mask():
    gan = make_gan(fusion="attention")
    captions = ["a red circle at the top left", "a blue square at the center"]
    tokens = np.asarray(gan.vectorizer(np.array(captions)))
    assert (tokens == 0).any()  # the captions are padded
    features = gan.text_features(tokens)
    np.testing.assert_array_equal(np.asarray(features["word_mask"]), tokens != 0)
    before = gan.generate(captions=captions, seed=3)
    # The padding token's embedding does not reach the images.
    embedding = gan.text_encoder.get_layer("word_embedding")
    table = np.array(embedding.embeddings)
    table[0] = 3.0
    embedding.embeddings.assign(table)
    np.testing.assert_allclose(gan.generate(captions=captions, seed=3), before, atol=1e-6)
    # A word does.
    table[tokens[0, 1]] += 3.0
    embedding.embeddings.assign(table)
    assert not np.allclose(gan.generate(captions=captions, seed=3), before)
