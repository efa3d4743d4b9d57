"""The word-level text encoder and the text-to-image generator's three fusions."""

import keras
import numpy as np
import pytest

import keras_mmgan as mm
from keras_mmgan.layers import FiLM
from keras_mmgan.layers import TextImageAttention


def tokens():
    ids = np.zeros((2, 8), "int32")
    ids[0, :5] = [3, 4, 5, 6, 7]
    ids[1, :3] = [8, 9, 2]
    return ids


def test_text_encoder_words_and_sentence_ignore_padding():
    encoder = mm.networks.text_encoder(20, sequence_length=8, output_dim=12)
    words, sentence = (np.asarray(x) for x in encoder(tokens()))
    assert words.shape == (2, 8, 12) and sentence.shape == (2, 12)
    assert np.abs(words[0, 5:]).max() == 0.0 and np.abs(words[1, 3:]).max() == 0.0
    # The sentence is the mean of the real words.
    np.testing.assert_allclose(sentence[1], words[1, :3].mean(0), atol=1e-6)
    embedding = encoder.get_layer("word_embedding")
    table = np.array(embedding.embeddings)
    table[0] = 7.0  # the padding token's embedding
    embedding.embeddings.assign(table)
    new_words, new_sentence = encoder(tokens())
    np.testing.assert_allclose(new_words, words, atol=1e-6)
    np.testing.assert_allclose(new_sentence, sentence, atol=1e-6)


def test_text_encoder_reads_word_order():
    encoder = mm.networks.text_encoder(20, sequence_length=8, output_dim=12)
    swapped = tokens()
    swapped[0, [1, 3]] = swapped[0, [3, 1]]
    _, a = encoder(tokens())
    _, b = encoder(swapped)
    assert not np.allclose(a[0], b[0])  # a bag of words would not see the swap


def test_text_encoder_errors_name_the_argument():
    with pytest.raises(ValueError, match="output_dim must be even"):
        mm.networks.text_encoder(20, output_dim=7)
    with pytest.raises(ValueError, match="vocab_size must be a positive int"):
        mm.networks.text_encoder(0)


@pytest.mark.parametrize("fusion", ["concat", "film", "attention"])
def test_generator_shapes_and_layers_per_fusion(fusion):
    generator = mm.networks.text_to_image_generator(
        8, 12, (16, 16, 3), fusion=fusion, base_filters=4, sequence_length=8
    )
    assert generator.output_shape == (None, 16, 16, 3)
    assert mm.networks.generator_fusion(generator) == fusion
    kinds = [type(layer) for layer in generator.layers]
    assert kinds.count(FiLM) == (2 if fusion == "film" else 0)  # one per upsampling block
    assert kinds.count(TextImageAttention) == (2 if fusion == "attention" else 0)
    vector = np.random.default_rng(0).normal(size=(2, 20)).astype("float32")
    inputs = vector
    if fusion == "attention":
        words = np.random.default_rng(1).normal(size=(2, 8, 12)).astype("float32")
        inputs = [vector, words, tokens() != 0]
    images = np.asarray(generator(inputs))
    assert images.shape == (2, 16, 16, 3) and np.abs(images).max() <= 1.0


def test_film_generator_starts_as_the_concat_generator():
    keras.utils.set_random_seed(0)
    film = mm.networks.text_to_image_generator(8, 12, (8, 8, 3), fusion="film", base_filters=4)
    keras.utils.set_random_seed(0)
    concat = mm.networks.text_to_image_generator(8, 12, (8, 8, 3), base_filters=4)
    film_layers = [layer for layer in film.layers if not isinstance(layer, FiLM)]
    assert len(film_layers) == len(concat.layers)
    for source, target in zip(film_layers, concat.layers):
        # Same convolutions; batch norm's own scale and shift are 1 and 0 at start.
        named = {w.path.split("/")[-1]: w for w in target.weights}
        for weight in source.weights:
            named[weight.path.split("/")[-1]].assign(weight)
    vector = np.random.default_rng(0).normal(size=(3, 20)).astype("float32")
    np.testing.assert_allclose(film(vector), concat(vector), atol=1e-5)


def test_attention_generator_ignores_padded_words():
    generator = mm.networks.text_to_image_generator(
        8, 12, (8, 8, 3), fusion="attention", base_filters=4, sequence_length=8
    )
    vector = np.random.default_rng(0).normal(size=(2, 20)).astype("float32")
    words = np.random.default_rng(1).normal(size=(2, 8, 12)).astype("float32")
    mask = tokens() != 0
    changed = words.copy()
    changed[~mask] = 9.0
    np.testing.assert_allclose(
        generator([vector, words, mask]), generator([vector, changed, mask]), atol=1e-6
    )
    changed[0, 0] = 9.0
    assert not np.allclose(generator([vector, words, mask]), generator([vector, changed, mask]))


def test_generator_errors_name_the_argument():
    with pytest.raises(ValueError, match="fusion must be one of"):
        mm.networks.text_to_image_generator(8, 12, fusion="sum")
    with pytest.raises(ValueError, match="attention_resolutions must be heights"):
        mm.networks.text_to_image_generator(
            8, 12, (16, 16, 3), fusion="attention", attention_resolutions=[5]
        )
    with pytest.raises(ValueError, match="image_shape must be"):
        mm.networks.text_to_image_generator(8, 12, (10, 10, 3), fusion="film")
