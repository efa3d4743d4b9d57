"""attention_maps and plot_attention on a small attention text-to-image GAN."""

import numpy as np
import pytest

import keras_mmgan as mm

CAPTIONS = mm.datasets.all_captions()


def attention_gan(fusion="attention"):
    shape = (16, 16, 3)
    return mm.build_gan(
        None,
        mm.build_text_encoder(40, return_words=True),
        mm.build_generator(16, 128, image_shape=shape, fusion=fusion, base_filters=4),
        mm.build_discriminator(shape, 40),
        vectorizer=mm.datasets.text_vectorizer(CAPTIONS, vocab_size=40),
    )


def test_attention_maps_cover_each_real_word():
    gan = attention_gan()
    result = mm.callbacks.attention_maps(gan, "a red circle at the top left", seed=1)
    assert result["words"] == ["a", "red", "circle", "at", "the", "top", "left"]
    assert result["image"].shape == (16, 16, 3)
    # Default attention resolutions for 16x16 with two upsamplings: 8 and 16.
    shapes = sorted(m.shape for m in result["maps"].values())
    assert shapes == [(7, 8, 8), (7, 16, 16)]
    for maps in result["maps"].values():
        np.testing.assert_allclose(maps.sum(axis=0), 1.0, rtol=1e-5)  # no weight on padding
    same = mm.callbacks.attention_maps(gan, "a red circle at the top left", seed=1)
    np.testing.assert_array_equal(same["image"], result["image"])
    np.testing.assert_allclose(
        result["image"],
        gan.generate(captions=["a red circle at the top left"], seed=1)[0],
        atol=1e-6,
    )


def test_plot_attention_draws_one_panel_per_word_and_layer():
    gan = attention_gan()
    figure = mm.callbacks.plot_attention(gan, "a blue square at the center")
    assert len(figure.axes) == 2 * (1 + 6)
    figure = mm.callbacks.plot_attention(gan, "a blue square at the center", layer="block0_attention")
    assert len(figure.axes) == 7
    with pytest.raises(ValueError, match="layer must be one of"):
        mm.callbacks.plot_attention(gan, "a blue square at the center", layer="nope")


def test_a_generator_without_attention_is_refused():
    with pytest.raises(ValueError, match="has no TextImageAttention layer"):
        mm.callbacks.attention_maps(attention_gan("film"), "a red circle at the top left")
