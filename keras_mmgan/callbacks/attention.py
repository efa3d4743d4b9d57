"""Where did the generator look? Word-region attention maps of a text-to-image GAN.

For a `TextToImageGAN` whose generator attends to words (`fusion="attention"`, built from
`keras_mmgan.layers.TextImageAttention`), `attention_maps` draws one image for a caption and
returns, for each attention layer and each real (unpadded) word, the weight every region of
that layer's feature map gave the word, averaged over heads; `plot_attention` shows them as
heat maps over the image, one column per word (AttnGAN's figure 2).

Reference:
    Xu et al., "AttnGAN: Fine-Grained Text to Image Generation with Attentional Generative
    Adversarial Networks", CVPR 2018.
"""

import keras
import numpy as np
from keras import ops

from keras_mmgan.layers.text_image_attention import TextImageAttention


def _attention_layers(generator):
    found = [layer for layer in generator.layers if isinstance(layer, TextImageAttention)]
    if not found:
        raise ValueError(
            f"the generator {generator.name!r} has no TextImageAttention layer; build it with "
            "fusion='attention' to see where it looks"
        )
    return found


def attention_maps(model, caption, seed=0):
    """Generates one image for `caption` and returns each attention layer's word maps.

    Args:
        model: a `keras_mmgan.models.TextToImageGAN` with an attention generator.
        caption: one caption string (the model needs a vectorizer), or token ids
            `(sequence_length,)`.
        seed: int seed of the latent z.

    Returns:
        A dict with `image` `(H, W, 3)` in [-1, 1]; `words`, the caption's real words (or
        token ids as strings, without a vectorizer); and `maps`, a dict
        `layer name -> (num_words, h, w)` array: the attention each region of that layer's
        `h x w` feature map gave each word, averaged over heads (each region's weights sum
        to 1 over the words).

    Example:

    ```python
    maps = attention_maps(gan, "a red circle at the top left")
    maps["words"], {name: m.shape for name, m in maps["maps"].items()}
    ```

    Reference:
        Xu et al., "AttnGAN", CVPR 2018.
    """
    layers = _attention_layers(model.generator)
    if isinstance(caption, str):
        tokens = model.tokenize(np.array([caption]))
    else:
        tokens = ops.convert_to_tensor(np.asarray(caption, dtype="int32").reshape(1, -1))
    token_ids = ops.convert_to_numpy(tokens)[0]
    real = token_ids != 0
    if model.vectorizer is not None:
        vocabulary = model.vectorizer.get_vocabulary()
        words = [vocabulary[i] for i in token_ids[real]]
    else:
        words = [str(i) for i in token_ids[real]]
    latents = model.sample_latents(1, seed=int(seed))
    inputs = model.generator_inputs(latents, model.text_features(tokens))
    # A model from the generator's inputs to every attention layer's inputs.
    probe = keras.Model(model.generator.inputs, [layer.input for layer in layers])
    layer_inputs = probe(inputs, training=False)
    if len(layers) == 1:
        layer_inputs = [layer_inputs]
    maps = {}
    for layer, (features, word_features, word_mask) in zip(layers, layer_inputs):
        _, scores = layer(features, word_features, word_mask, return_attention_scores=True)
        _, height, width, _ = features.shape
        scores = ops.convert_to_numpy(scores)[0].mean(axis=0)  # (h * w, T)
        maps[layer.name] = scores[:, real].T.reshape(-1, height, width)
    image = ops.convert_to_numpy(model.generate_images(latents, {"tokens": tokens}))[0]
    return {"image": image, "words": words, "maps": maps}


def plot_attention(model, caption, seed=0, layer=None, scale=3):
    """Plots, for each word of a caption, where the generator looked while drawing it.

    One row per attention layer: the generated image, then one panel per real word showing
    the image darkened where the layer's regions gave that word little weight (the map is
    scaled to its own maximum and upsampled to the image, nearest neighbour).

    Args:
        model: a `TextToImageGAN` with an attention generator (`fusion="attention"`).
        caption: one caption string, or token ids.
        seed: int seed of the latent z.
        layer: optional name of one attention layer to show; all by default.
        scale: inches per panel.

    Returns:
        A `matplotlib.figure.Figure` (shows inline in a notebook).

    Example:

    ```python
    plot_attention(gan, "a red circle at the top left").savefig("attention.png")
    ```

    Reference:
        Xu et al., "AttnGAN", CVPR 2018, figure 2.
    """
    from matplotlib.figure import Figure

    result = attention_maps(model, caption, seed=seed)
    maps = result["maps"]
    if layer is not None:
        if layer not in maps:
            raise ValueError(f"layer must be one of {sorted(maps)}; got {layer!r}")
        maps = {layer: maps[layer]}
    image = (result["image"] + 1.0) / 2.0
    size = image.shape[0]
    words = result["words"]
    figure = Figure(figsize=(scale * (len(words) + 1), scale * len(maps)))
    for row, (name, layer_maps) in enumerate(maps.items()):
        axes = figure.add_subplot(len(maps), len(words) + 1, row * (len(words) + 1) + 1)
        axes.imshow(np.clip(image, 0, 1), interpolation="nearest")
        axes.set_title(name, fontsize=8)
        axes.axis("off")
        for column, (word, word_map) in enumerate(zip(words, layer_maps)):
            factor = size // word_map.shape[0]
            upsampled = np.kron(word_map, np.ones((factor, factor)))
            weight = upsampled / max(float(upsampled.max()), 1e-12)
            axes = figure.add_subplot(
                len(maps), len(words) + 1, row * (len(words) + 1) + column + 2
            )
            axes.imshow(np.clip(image, 0, 1) * (0.15 + 0.85 * weight[..., None]),
                        interpolation="nearest")
            axes.set_title(word, fontsize=10)
            axes.axis("off")
    figure.tight_layout()
    return figure
