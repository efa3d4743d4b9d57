"""Text encoder with word features, and a text-to-image generator with three fusions.

`text_encoder` reads every word: token ids -> word features `(N, T, D)` (a bidirectional GRU
over masked embeddings, AttnGAN's text encoder with a GRU for its LSTM) and a sentence
feature `(N, D)` (the mean over the real words). `text_to_image_generator` is one
convolutional generator family whose `fusion` argument says how the caption enters it:

- `"concat"`: `[z, sentence]` is the generator's input, and nothing more (Reed et al. 2016);
- `"film"`: also, in every upsampling block, a per-channel scale and shift predicted from
  `[z, sentence]` (DF-GAN's deep fusion, a FiLM layer after affine-free batch norm);
- `"attention"`: also, at chosen resolutions, every region attends to the masked word
  features and adds their context (AttnGAN's word-region attention).

References:
    Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016.
    Xu et al., "AttnGAN: Fine-Grained Text to Image Generation with Attentional Generative
    Adversarial Networks", CVPR 2018.
    Tao et al., "DF-GAN: A Simple and Effective Baseline for Text-to-Image Synthesis",
    CVPR 2022.
    Perez et al., "FiLM: Visual Reasoning with a General Conditioning Layer", AAAI 2018.
"""

import keras
from keras import layers

from keras_mmgan.layers.film import FiLM
from keras_mmgan.layers.text_image_attention import TextImageAttention
from keras_mmgan.networks.dcgan import _check_image_shape
from keras_mmgan.validation import check_positive_int

FUSIONS = ("concat", "film", "attention")
"""The generator's ways of reading the caption, for `text_to_image_generator(fusion=...)`."""


def check_fusion(fusion):
    """Returns `fusion` if it is one of `FUSIONS`; raises a `ValueError` naming it otherwise.

    Args:
        fusion: the fusion name to check.

    Returns:
        `fusion`.

    Example:

    >>> check_fusion("film")
    'film'
    """
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}; got {fusion!r}")
    return fusion


def text_encoder(
    vocab_size, sequence_length=10, embedding_dim=128, output_dim=128, return_words=True
):
    """Text encoder that keeps every word: token ids -> `(words, sentence)`.

    `Embedding(vocab_size, embedding_dim, mask_zero=True) -> Bidirectional(GRU(output_dim /
    2, return_sequences=True))` gives one feature per word, which reads its neighbours (the
    "red" of "a red circle" knows it qualifies a circle); the sentence feature is their mean
    over the real words. Token id 0 is padding (as `TextVectorization` pads): it is masked, so
    neither output changes when a padding position's embedding does. The padded positions of
    `words` hold zeros (the GRU's masked steps output zeros); mask them downstream with
    `tokens != 0`, as `TextToImageGAN` does.

    Args:
        vocab_size: number of token ids.
        sequence_length: tokens per caption.
        embedding_dim: size of the token embeddings.
        output_dim: size of the word and sentence features, an even int.
        return_words: output `[words, sentence]`; with `False`, only `sentence`.

    Returns:
        A functional `keras.Model` named `"text_encoder"`: tokens `(N, sequence_length)` ->
        `[words (N, sequence_length, output_dim), sentence (N, output_dim)]`.

    Example:

    >>> encoder = text_encoder(50, sequence_length=12, output_dim=32)
    >>> encoder.output_shape
    [(None, 12, 32), (None, 32)]

    Reference:
        Xu et al., "AttnGAN", CVPR 2018, section 3.3 (the text encoder).
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    sequence_length = check_positive_int("sequence_length", sequence_length)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    output_dim = check_positive_int("output_dim", output_dim)
    if output_dim % 2:
        raise ValueError(
            f"output_dim must be even (two GRU directions of output_dim / 2); got {output_dim}"
        )
    tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="word_embedding")(tokens)
    words = layers.Bidirectional(
        layers.GRU(output_dim // 2, return_sequences=True), name="words"
    )(x)
    # The mask travels with `words`: the mean is over the real words only.
    sentence = layers.GlobalAveragePooling1D(name="sentence")(words)
    outputs = [words, sentence] if return_words else sentence
    return keras.Model(tokens, outputs, name="text_encoder")


def text_to_image_generator(
    latent_dim,
    text_dim,
    image_shape=(32, 32, 3),
    fusion="concat",
    base_filters=32,
    num_upsamplings=2,
    sequence_length=10,
    word_dim=None,
    attention_resolutions=None,
    num_heads=1,
    film_units=64,
):
    """A convolutional text-to-image generator that reads the caption by `fusion`.

    `[z, sentence] -> Dense -> (transposed conv 4x4 stride 2, batch norm, ReLU) x
    num_upsamplings -> Conv2D 3x3 tanh`, starting at `image_shape / 2**num_upsamplings` with
    `base_filters * 2**num_upsamplings` channels, halving the channels as it doubles the size.
    The three fusions differ only in how the text enters (see the module docstring):
    `"concat"` only at the input; `"film"` also by a `keras_mmgan.layers.FiLM` in every
    upsampling block (batch norm without its own scale and shift, then the text's);
    `"attention"` also by a `keras_mmgan.layers.TextImageAttention` after every block whose
    height is in `attention_resolutions`.

    Args:
        latent_dim: size of z.
        text_dim: size of the sentence feature.
        image_shape: output `(height, width, channels)`; height and width divisible by
            `2**num_upsamplings`.
        fusion: `"concat"`, `"film"` or `"attention"`.
        base_filters: channels of the last block.
        num_upsamplings: number of stride-2 transposed convolutions.
        sequence_length: words per caption (for `"attention"`).
        word_dim: size of the word features (for `"attention"`); `text_dim` by default.
        attention_resolutions: heights of the feature maps that attend to the words (for
            `"attention"`); by default every block output of height at most 16 (and, on
            small images, at least the first block).
        num_heads: attention heads (for `"attention"`).
        film_units: hidden width of the FiLM MLPs (for `"film"`).

    Returns:
        A functional `keras.Model` named `"generator"` with images in [-1, 1]: input
        `latents_and_text (N, latent_dim + text_dim)` for `"concat"` and `"film"`;
        `[latents_and_text, words (N, sequence_length, word_dim), word_mask
        (N, sequence_length) bool]` for `"attention"`.

    Example:

    >>> text_to_image_generator(16, 32, (16, 16, 3), fusion="film").output_shape
    (None, 16, 16, 3)
    >>> [tuple(i.shape) for i in text_to_image_generator(
    ...     16, 32, (16, 16, 3), fusion="attention", sequence_length=7).inputs]
    [(None, 48), (None, 7, 32), (None, 7)]

    References:
        Reed et al., ICML 2016; Tao et al., "DF-GAN", CVPR 2022; Perez et al., "FiLM",
        AAAI 2018; Xu et al., "AttnGAN", CVPR 2018.
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    text_dim = check_positive_int("text_dim", text_dim)
    fusion = check_fusion(fusion)
    base_filters = check_positive_int("base_filters", base_filters)
    num_upsamplings = check_positive_int("num_upsamplings", num_upsamplings)
    sequence_length = check_positive_int("sequence_length", sequence_length)
    word_dim = text_dim if word_dim is None else check_positive_int("word_dim", word_dim)
    num_heads = check_positive_int("num_heads", num_heads)
    film_units = check_positive_int("film_units", film_units)
    height, width, channels = _check_image_shape(image_shape, num_upsamplings)
    factor = 2**num_upsamplings
    block_heights = [height // factor * 2 ** (i + 1) for i in range(num_upsamplings)]
    if attention_resolutions is None:
        attention_resolutions = [h for h in block_heights if h <= 16] or block_heights[:1]
    else:
        if isinstance(attention_resolutions, int):
            attention_resolutions = [attention_resolutions]
        attention_resolutions = list(attention_resolutions)
        wrong = [h for h in attention_resolutions if h not in block_heights]
        if not attention_resolutions or wrong:
            raise ValueError(
                f"attention_resolutions must be heights of block outputs, from {block_heights}; "
                f"got {attention_resolutions}"
            )

    vector = keras.Input((latent_dim + text_dim,), name="latents_and_text")
    inputs = vector
    if fusion == "attention":
        words = keras.Input((sequence_length, word_dim), name="words")
        word_mask = keras.Input((sequence_length,), dtype="bool", name="word_mask")
        inputs = [vector, words, word_mask]
    filters = base_filters * factor
    x = layers.Dense((height // factor) * (width // factor) * filters, use_bias=False)(vector)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((height // factor, width // factor, filters))(x)
    for i, block_height in enumerate(block_heights):
        filters //= 2
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, name=f"block{i}_conv"
        )(x)
        if fusion == "film":
            x = layers.BatchNormalization(center=False, scale=False, name=f"block{i}_norm")(x)
            x = FiLM(film_units, name=f"block{i}_film")(x, vector)
        else:
            x = layers.BatchNormalization(name=f"block{i}_norm")(x)
        x = layers.ReLU()(x)
        if fusion == "attention" and block_height in attention_resolutions:
            x = TextImageAttention(num_heads, name=f"block{i}_attention")(x, words, word_mask)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="tanh", name="to_image")(x)
    return keras.Model(inputs, outputs, name="generator")


def generator_fusion(generator):
    """Says how a text-to-image generator reads its caption, from its inputs and layers.

    Args:
        generator: a `keras.Model`.

    Returns:
        `"attention"` if it takes `[latents_and_text, words, word_mask]`, `"film"` if it
        holds a `FiLM` layer, `"concat"` otherwise.

    Example:

    >>> generator_fusion(text_to_image_generator(8, 8, (8, 8, 3), fusion="film"))
    'film'
    """
    if len(generator.inputs) == 3:
        return "attention"
    if any(isinstance(layer, FiLM) for layer in generator.layers):
        return "film"
    return "concat"
