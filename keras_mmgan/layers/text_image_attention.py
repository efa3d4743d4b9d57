"""Word-region cross-attention: image features look up the words of their caption.

AttnGAN's attention module: every position (region) of an image feature map is a query; the
caption's word features are keys and values; each region receives a word-context vector, a
weighted mean of the words it attends to, and the context is fused back into the features
(here residually, `x + W_o context`, through `keras.layers.MultiHeadAttention`'s output
projection). Padding words are masked out of the softmax, so a caption's padding never changes
the image. A learned positional embedding is added to the queries, so that a region can ask
for the words that name its place ("top left"), which a translation-equivariant convolution
alone cannot.

Reference:
    Xu et al., "AttnGAN: Fine-Grained Text to Image Generation with Attentional Generative
    Adversarial Networks", CVPR 2018, section 3.1 (the attention model F^attn, eq. 2).
"""

import keras
from keras import ops

from keras_mmgan.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_mmgan")
class TextImageAttention(keras.layers.Layer):
    """Fuses word features into image features by word-region attention (AttnGAN).

    `(N, H, W, C)` image features and `(N, T, D)` word features with a `(N, T)` mask
    (true for real words, false for padding) give `(N, H, W, C)` features:
    `x + MultiHeadAttention(query=x + positions, key=value=words)`. With
    `return_attention_scores=True` the call also returns the attention weights
    `(N, num_heads, H * W, T)`, which `keras_mmgan.plot_attention` draws. A caption whose
    words are all padding gets zero weights (no context), not NaN.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head's queries and keys; by default the number of image
            channels divided by `num_heads` (at least 8).
        positional: add a learned positional embedding `(H * W, C)` to the queries.
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        image_features: `(N, H, W, C)`.
        words: `(N, T, D)` word features (e.g. the first output of
            `keras_mmgan.networks.text_encoder`).
        word_mask: optional `(N, T)` bool (or 0/1) mask, false at padding.
        return_attention_scores: also return the weights `(N, num_heads, H * W, T)`.

    Example:
        >>> import numpy as np
        >>> layer = TextImageAttention(num_heads=2)
        >>> x = np.zeros((3, 4, 4, 16), "float32")
        >>> words = np.random.default_rng(0).normal(size=(3, 6, 8)).astype("float32")
        >>> mask = np.arange(6)[None, :] < np.array([[2], [6], [4]])
        >>> out, scores = layer(x, words, mask, return_attention_scores=True)
        >>> tuple(out.shape), tuple(scores.shape)
        ((3, 4, 4, 16), (3, 2, 16, 6))
        >>> float(np.asarray(scores)[0, :, :, 2:].max())  # padding gets no attention
        0.0

    Reference:
        Xu et al., "AttnGAN: Fine-Grained Text to Image Generation with Attentional
        Generative Adversarial Networks", CVPR 2018.
    """

    def __init__(self, num_heads=1, key_dim=None, positional=True, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = check_positive_int("num_heads", num_heads)
        self.key_dim = None if key_dim is None else check_positive_int("key_dim", key_dim)
        if not isinstance(positional, bool):
            raise TypeError(f"positional must be a bool; got {positional!r}")
        self.positional = positional

    def build(self, image_features_shape, words_shape, word_mask_shape=None):
        image_features_shape, words_shape = tuple(image_features_shape), tuple(words_shape)
        if len(image_features_shape) != 4 or None in image_features_shape[1:]:
            raise ValueError(
                "TextImageAttention image_features must be rank 4 (batch, height, width, "
                f"channels) with known height, width and channels; got {image_features_shape}"
            )
        if len(words_shape) != 3 or words_shape[-1] is None:
            raise ValueError(
                "TextImageAttention words must be rank 3 (batch, words, features); "
                f"got shape {words_shape}"
            )
        _, height, width, channels = image_features_shape
        key_dim = self.key_dim or max(8, channels // self.num_heads)
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, key_dim, name="attention", dtype=self.dtype_policy
        )
        self.attention.build(
            (image_features_shape[0], height * width, channels), words_shape
        )
        if self.positional:
            self.positions = self.add_weight(
                shape=(height * width, channels),
                initializer=keras.initializers.RandomNormal(stddev=0.02),
                name="positions",
            )

    def call(self, image_features, words, word_mask=None, return_attention_scores=False):
        shape = ops.shape(image_features)
        height, width, channels = image_features.shape[1:]
        queries = ops.reshape(image_features, (shape[0], height * width, channels))
        if self.positional:
            queries = queries + ops.cast(self.positions, queries.dtype)
        words = ops.cast(words, queries.dtype)
        attention_mask = None
        if word_mask is not None:
            word_mask = ops.cast(word_mask, "bool")
            attention_mask = ops.broadcast_to(
                word_mask[:, None, :], (shape[0], height * width, ops.shape(words)[1])
            )
        context, scores = self.attention(
            queries, words, attention_mask=attention_mask, return_attention_scores=True
        )
        outputs = image_features + ops.reshape(context, shape)
        if return_attention_scores:
            return outputs, scores
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "positional": self.positional,
        }
