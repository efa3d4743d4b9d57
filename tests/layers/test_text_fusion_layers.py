"""FiLM and TextImageAttention: shapes, identity start, masks honoured, save round trip."""

import os

import keras
import numpy as np
import pytest

from keras_mmgan.layers import FiLM
from keras_mmgan.layers import TextImageAttention


def random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def round_trip(model, tmp_path, inputs):
    path = os.path.join(tmp_path, "layer.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded(inputs), model(inputs), atol=1e-6)


def test_film_starts_as_the_identity_then_scales_and_shifts_per_channel():
    film = FiLM(hidden_units=4)
    x, condition = random((2, 3, 3, 5)), random((2, 6), seed=1)
    np.testing.assert_allclose(film(x, condition), x)
    scale_hidden, scale = film.scale_layers
    shift_hidden, shift = film.shift_layers
    scale.bias.assign(np.full(5, 2.0, "float32"))
    shift.bias.assign(np.arange(5, dtype="float32"))
    np.testing.assert_allclose(film(x, condition), 2.0 * x + np.arange(5), rtol=1e-6)
    assert film.get_config()["hidden_units"] == 4


def test_film_condition_changes_the_output_once_trained(tmp_path):
    features, condition = keras.Input((4, 4, 3)), keras.Input((6,))
    model = keras.Model([features, condition], FiLM(8)(features, condition))
    film = model.layers[-1]
    film.scale_layers[1].kernel.assign(random((8, 3), seed=2))
    x = random((2, 4, 4, 3))
    a, b = model([x, random((2, 6), seed=3)]), model([x, random((2, 6), seed=4)])
    assert not np.allclose(a, b)
    round_trip(model, tmp_path, [x, random((2, 6), seed=3)])


def test_film_errors_name_the_argument():
    with pytest.raises(ValueError, match="hidden_units must be a positive int"):
        FiLM(hidden_units=0)
    with pytest.raises(ValueError, match="condition must be rank 2"):
        FiLM()(random((2, 4, 4, 3)), random((2, 1, 6)))


def test_attention_shapes_and_scores_sum_to_one_over_real_words():
    layer = TextImageAttention(num_heads=2)
    x, words = random((3, 4, 4, 16)), random((3, 6, 8), seed=1)
    mask = np.arange(6)[None, :] < np.array([[2], [6], [4]])
    out, scores = layer(x, words, mask, return_attention_scores=True)
    scores = np.asarray(scores)
    assert out.shape == (3, 4, 4, 16) and scores.shape == (3, 2, 16, 6)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)
    assert scores[0, ..., 2:].max() == 0.0 and scores[2, ..., 4:].max() == 0.0


def test_attention_ignores_padded_words():
    layer = TextImageAttention(num_heads=2)
    x, words = random((2, 4, 4, 8)), random((2, 5, 8), seed=1)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool)
    changed = words.copy()
    changed[~mask] = random((int((~mask).sum()), 8), seed=9) * 10
    np.testing.assert_allclose(layer(x, words, mask), layer(x, changed, mask), atol=1e-6)
    # A real word does change the image.
    changed[0, 0] += 5.0
    assert not np.allclose(layer(x, words, mask), layer(x, changed, mask))


def test_attention_of_an_empty_caption_is_finite():
    layer = TextImageAttention()
    out = layer(random((2, 2, 2, 8)), random((2, 3, 8)), np.zeros((2, 3), bool))
    assert np.isfinite(np.asarray(out)).all()


def test_attention_round_trips_in_a_model(tmp_path):
    x, words, mask = keras.Input((4, 4, 8)), keras.Input((5, 6)), keras.Input((5,), dtype="bool")
    model = keras.Model(
        [x, words, mask], TextImageAttention(2, key_dim=4, name="attn")(x, words, mask)
    )
    config = model.get_layer("attn").get_config()
    assert (config["num_heads"], config["key_dim"], config["positional"]) == (2, 4, True)
    inputs = [random((2, 4, 4, 8)), random((2, 5, 6), seed=1), np.ones((2, 5), bool)]
    round_trip(model, tmp_path, inputs)


def test_attention_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        TextImageAttention(num_heads=0)
    with pytest.raises(ValueError, match="image_features must be rank 4"):
        TextImageAttention()(random((2, 16, 8)), random((2, 3, 8)))
    with pytest.raises(ValueError, match="words must be rank 3"):
        TextImageAttention()(random((2, 4, 4, 8)), random((2, 8)))


@pytest.mark.parametrize("layer", [FiLM, TextImageAttention])
def test_a_mixed_precision_model_reloads_under_a_float32_global_policy(layer, tmp_path):
    # Saved from a mixed_bfloat16 run (the command line's `--precision auto` on AMX CPUs) and
    # loaded where the global policy is float32: the layer's sublayers keep its policy.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        text_shape = (3, 6) if layer is TextImageAttention else (6,)
        features, text = keras.Input((4, 4, 8)), keras.Input(text_shape)
        model = keras.Model([features, text], layer()(features, text))
    finally:
        keras.config.set_dtype_policy(previous)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    inputs = [np.ones((2, 4, 4, 8), "float32"), np.ones((2,) + tuple(text.shape[1:]), "float32")]
    np.testing.assert_allclose(
        np.asarray(loaded(inputs), "float32"), np.asarray(model(inputs), "float32"), atol=1e-2
    )
