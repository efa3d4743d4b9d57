"""Text preprocessing for text-conditioned GANs: captions -> integer token ids."""

import keras
import numpy as np
import tensorflow as tf


def text_vectorizer(captions, vocab_size=10000, sequence_length=10):
    """Builds a `TextVectorization` layer adapted on a list of captions.

    The layer lower-cases, strips punctuation and splits on whitespace, then maps each caption
    to `sequence_length` integer token ids (0 pads, 1 is the out-of-vocabulary token). Pass it
    to `keras_mmgan.build_gan(..., vectorizer=...)` so the model takes raw strings, or use it to
    turn captions into token ids once, up front (`keras_mmgan.datasets.shapes_dataset` does).

    Args:
        captions: the captions to learn the vocabulary from: a list of str, or a numpy array of
            strings (unicode, bytes or object dtype holding str).
        vocab_size: the largest vocabulary, padding and out-of-vocabulary tokens included
            (`max_tokens` of the layer), a positive int.
        sequence_length: the number of token ids per caption (longer captions are truncated,
            shorter ones padded with 0), a positive int.

    Returns:
        An adapted `keras.layers.TextVectorization` with `output_mode="int"`.

    Example:
        >>> from keras_mmgan.datasets.shapes import all_captions
        >>> vectorizer = text_vectorizer(all_captions(), sequence_length=10)
        >>> vectorizer(["a red circle at the top left"]).shape
        TensorShape([1, 10])
    """
    captions = _as_string_array("captions", captions)
    for name, value in (("vocab_size", vocab_size), ("sequence_length", sequence_length)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a positive int; got {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be a positive int; got {value}")
    vectorizer = keras.layers.TextVectorization(
        max_tokens=int(vocab_size),
        output_mode="int",
        output_sequence_length=int(sequence_length),
    )
    vectorizer.adapt(tf.constant(captions))
    return vectorizer


def _as_string_array(name, captions):
    """Checks that `captions` holds strings; returns a 1-D numpy array of str."""
    if isinstance(captions, (str, bytes)):
        raise TypeError(
            f"{name} must be a list or numpy array of strings, not a single string; "
            f"got {captions!r}"
        )
    if isinstance(captions, np.ndarray):
        array = captions
    else:
        try:
            array = np.asarray(list(captions), dtype=object)
        except TypeError:
            raise TypeError(
                f"{name} must be a list or numpy array of strings; "
                f"got {type(captions).__name__}"
            ) from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one string per caption); got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one caption; got an empty sequence")
    if array.dtype.kind == "S":
        array = np.char.decode(array, "utf-8")
    elif array.dtype.kind == "O":
        for item in array:
            if not isinstance(item, (str, bytes)):
                raise TypeError(
                    f"{name} must hold strings; got an element {item!r} of type "
                    f"{type(item).__name__}"
                )
        array = np.array(
            [item.decode("utf-8") if isinstance(item, bytes) else item for item in array]
        )
    elif array.dtype.kind != "U":
        raise TypeError(f"{name} must hold strings; got a numpy array of dtype {array.dtype}")
    return array
