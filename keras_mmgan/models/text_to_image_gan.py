"""Text-to-image GAN: matching-aware discriminator plus latent regression.

Reference:
    Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016
    (GAN-CLS: the discriminator also rejects real images with mismatched text).
    Zhu et al., "Toward Multimodal Image-to-Image Translation", NeurIPS 2017
    (latent regression E(G(z, t)) = z, the cLR-GAN term, keeps z in use).
"""

import keras
import numpy as np
from keras import ops

from keras_mmgan import regularizers
from keras_mmgan.models.gan import GAN
from keras_mmgan.validation import check_weight


def _dtype_kind(values):
    """'string', 'int' or 'float', for NumPy arrays, tensors and KerasTensors."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype):
        return {"U": "string", "S": "string", "O": "string", "i": "int", "u": "int"}.get(
            dtype.kind, "float"
        )
    name = str(getattr(dtype, "name", dtype))
    if name == "string":
        return "string"
    return "int" if "int" in name else "float"


def _sentence_dim(text_encoder):
    return text_encoder.outputs[-1].shape[-1]


def _check_text_networks(generator, text_encoder, latent_dim, reads_words):
    """The generator's inputs must fit the latent size and the text encoder's outputs."""
    text_dim = _sentence_dim(text_encoder)
    expected = latent_dim + text_dim
    if generator.inputs[0].shape[-1] != expected:
        raise ValueError(
            f"generator must take latent_dim + text_dim = {latent_dim} + "
            f"{text_dim} = {expected} inputs; its input shape is "
            f"{generator.input_shape}"
        )
    if len(generator.inputs) not in (1, 3):
        raise ValueError(
            "generator must take latents_and_text, or [latents_and_text, words, word_mask] "
            f"(fusion='attention'); it takes {len(generator.inputs)} inputs"
        )
    if not reads_words:
        return
    if len(text_encoder.outputs) != 2:
        raise ValueError(
            "the generator reads words (fusion='attention'), so text_encoder must output "
            "[words (N, T, D), sentence (N, D)], as networks.text_encoder(..., "
            f"return_words=True) does; it has {len(text_encoder.outputs)} output(s)"
        )
    words_shape = tuple(text_encoder.outputs[0].shape[1:])
    if tuple(generator.inputs[1].shape[1:]) != words_shape:
        raise ValueError(
            f"generator must take words of shape {(None,) + words_shape} like the text "
            f"encoder's; its words input has shape {tuple(generator.inputs[1].shape)}"
        )


@keras.saving.register_keras_serializable(package="keras_mmgan")
class TextToImageGAN(GAN):
    """A GAN that draws images for captions.

    The generator sees `concat(z, sentence)`, the caption's sentence feature;
    a generator with three inputs (`networks.text_to_image_generator(...,
    fusion="attention")`) also sees the word features and their mask
    (`tokens != 0`), and then the text encoder must output `[words, sentence]`
    (`networks.text_encoder`). The discriminator
    sees `[images, tokens]` and is *matching-aware* (GAN-CLS): its negatives are
    generated images with their captions and real images paired with another
    sample's caption, so it can only be fooled by images that follow their
    text. An optional `image_encoder` maps images back to z and is trained in
    the generator phase to regress the latent, `E(G(z, t)) ~ z` (L1, weight
    `latent_weight`); this keeps the generator from ignoring z (diversity), and
    lets `generate(images=x, captions=...)` redraw a picture's style `E(x)`
    with another caption.

    Args:
        generator: `keras.Model`, `(N, latent_dim + text_dim)` -> images, or
            `[latents_and_text, words (N, T, D), word_mask (N, T)]` -> images.
        discriminator: `keras.Model`, `[images, tokens]` -> one logit or
            probability per sample.
        text_encoder: `keras.Model`, tokens `(N, sequence_length)` ->
            `(N, text_dim)`, or `[words (N, sequence_length, D), sentence
            (N, text_dim)]`; trained in the generator phase.
        latent_dim: size of z.
        image_encoder: optional `keras.Model`, images -> `(N, latent_dim)`.
        vectorizer: optional adapted `keras.layers.TextVectorization`; with
            it, `fit` takes `(images, caption strings)`, `generate` takes
            strings, and the exported model serves raw strings.
        latent_weight: weight of the latent regression loss.
        seed: int seed of the latent noise stream.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    import keras, keras_mmgan as mm
    data = mm.datasets.shapes(4000, image_size=28)
    vectorizer = mm.datasets.text_vectorizer(data["captions"])
    gan = mm.build_gan(mm.build_encoder((28, 28, 3)), mm.build_text_encoder(10000),
                       mm.build_generator(32, 128, image_shape=(28, 28, 3)),
                       mm.build_discriminator((28, 28, 3), 10000), vectorizer=vectorizer)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(mm.datasets.make_dataset(data["images"], vectorizer(data["captions"])), epochs=5)
    images = gan.generate(captions=["a red circle at the top left"] * 8, seed=0)
    ```

    Reference:
        Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016.
    """

    conditional = True

    def __init__(
        self,
        generator,
        discriminator,
        text_encoder,
        latent_dim,
        image_encoder=None,
        vectorizer=None,
        latent_weight=1.0,
        seed=None,
        **kwargs,
    ):
        if not isinstance(text_encoder, keras.Model):
            raise TypeError(
                f"text_encoder must be a keras.Model; got {type(text_encoder).__name__}"
            )
        if image_encoder is not None and not isinstance(image_encoder, keras.Model):
            raise TypeError(
                "image_encoder must be a keras.Model or None; got "
                f"{type(image_encoder).__name__}"
            )
        self.text_encoder = text_encoder
        self.image_encoder = image_encoder
        super().__init__(generator, discriminator, latent_dim, seed=seed, **kwargs)
        self.vectorizer = vectorizer
        self.latent_weight = check_weight("latent_weight", latent_weight)
        self.reads_words = len(generator.inputs) == 3
        d_inputs = discriminator.inputs
        self.discriminator_reads_features = len(d_inputs) == 2 and "float" in str(
            d_inputs[1].dtype
        )
        if self.discriminator_reads_features and d_inputs[1].shape[-1] != _sentence_dim(
            text_encoder
        ):
            raise ValueError(
                "discriminator must take sentence features of the text encoder's size "
                f"{_sentence_dim(text_encoder)} as its second input; it takes shape "
                f"{tuple(d_inputs[1].shape)}"
            )
        _check_text_networks(generator, text_encoder, self.latent_dim, self.reads_words)
        if image_encoder is not None and image_encoder.output_shape[-1] != self.latent_dim:
            raise ValueError(
                f"image_encoder must output latent_dim={self.latent_dim} values; "
                f"its output shape is {image_encoder.output_shape}"
            )

    def auxiliary_loss_names(self):
        return ("latent_loss",) if self.image_encoder is not None else ()

    def generator_networks(self):
        networks = [self.generator, self.text_encoder]
        if self.image_encoder is not None:
            networks.append(self.image_encoder)
        return networks

    # ------------------------------------------------------------------ #
    # Batches and conditions.
    # ------------------------------------------------------------------ #
    def tokenize(self, captions, name="captions"):
        """Caption strings (with the vectorizer) or token ids -> int token ids."""
        kind = _dtype_kind(captions)
        if kind == "string":
            if self.vectorizer is None:
                raise ValueError(
                    f"{name} are strings but the model has no vectorizer; pass "
                    "vectorizer=mm.datasets.text_vectorizer(captions) to build_gan "
                    "(or TextToImageGAN), or pass token ids."
                )
            return self.vectorizer(captions)
        if kind != "int":
            raise TypeError(
                f"{name} must be int token ids (batch, sequence_length) or "
                f"strings; got dtype {captions.dtype}"
            )
        return ops.convert_to_tensor(captions)

    def check_batch(self, data):
        images, captions = self.check_pair(data, "captions")
        kind = _dtype_kind(captions)
        expected_rank = 1 if kind == "string" else 2
        if kind == "float":
            raise TypeError(
                "captions must be int token ids (batch, sequence_length) or "
                f"strings (batch,); got dtype {captions.dtype}"
            )
        if kind == "string" and self.vectorizer is None:
            self.tokenize(captions)  # raises the no-vectorizer error
        if len(captions.shape) != expected_rank:
            raise ValueError(
                f"captions must be rank {expected_rank} "
                f"({'batch,' if kind == 'string' else 'batch, sequence_length'}); "
                f"got shape {tuple(captions.shape)}"
            )
        n_images, n_captions = images.shape[0], captions.shape[0]
        if n_images is not None and n_captions is not None and n_images != n_captions:
            raise ValueError(
                f"captions must have one entry per image: got {n_captions} "
                f"captions for {n_images} images"
            )

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        batch["tokens"] = self.tokenize(data[1])
        return batch

    def text_features(self, tokens, training=False):
        """The text encoder's features of token ids.

        Args:
            tokens: int token ids `(N, sequence_length)`, 0 for padding.
            training: the text encoder's mode.

        Returns:
            A dict with `sentence` `(N, text_dim)`, and, when the text encoder
            outputs words, `words` `(N, sequence_length, D)` and `word_mask`
            `(N, sequence_length)` bool, false at padding.

        Example:

        ```python
        features = gan.text_features(gan.tokenize(["a red circle at the top left"]))
        ```
        """
        outputs = self.text_encoder(tokens, training=training)
        if not isinstance(outputs, (list, tuple)):
            return {"sentence": outputs}
        words, sentence = outputs
        word_mask = ops.not_equal(tokens, 0)
        # Zero at padding; also a plain tensor, without the Keras mask the
        # encoder attached (the generator takes the mask as its own input).
        words = ops.where(word_mask[..., None], words, ops.zeros_like(words))
        return {"sentence": sentence, "words": words, "word_mask": word_mask}

    def text_embedding(self, tokens, training=False):
        """The text encoder's sentence embedding of token ids."""
        return self.text_features(tokens, training=training)["sentence"]

    def generator_inputs(self, latents, features):
        """What the generator takes for latents and a caption's features.

        Args:
            latents: `(N, latent_dim)`.
            features: the dict `text_features` returns.

        Returns:
            `concat(latents, sentence)`, or, for a generator that reads words,
            `[concat(latents, sentence), words, word_mask]`.

        Example:

        ```python
        images = gan.generator(gan.generator_inputs(z, gan.text_features(tokens)))
        ```
        """
        vector = ops.concatenate(
            [latents, ops.cast(features["sentence"], latents.dtype)], axis=-1
        )
        if not self.reads_words:
            return vector
        return [vector, ops.cast(features["words"], latents.dtype), features["word_mask"]]

    def generate_images(self, latents, batch, training=False):
        features = self.text_features(batch["tokens"], training=training)
        return self.generator(self.generator_inputs(latents, features), training=training)

    def discriminator_inputs(self, images, batch):
        """`[images, tokens]`, or `[images, sentence]` for a D that takes text features.

        A discriminator whose second input is float reads the text encoder's
        sentence feature (held constant: D's loss does not train the text
        encoder), as DF-GAN's does; its matching-aware gradient penalty
        (`regularizers.MatchingAwareGradientPenalty`) then covers the text too.

        Args:
            images: images `(N, H, W, C)` to judge.
            batch: the batch dict; its `tokens` are the captions.

        Returns:
            The discriminator's inputs, a list of two tensors.

        Example:

        ```python
        logits = gan.discriminator(gan.discriminator_inputs(images, {"tokens": tokens}))
        ```
        """
        if not self.discriminator_reads_features:
            return [images, batch["tokens"]]
        sentence = ops.stop_gradient(self.text_embedding(batch["tokens"], training=False))
        return [images, ops.cast(sentence, images.dtype)]

    def sample_latents(self, num_samples, batch=None, seed=None):
        if batch is not None and "style_images" in batch:
            return self.image_encoder(batch["style_images"], training=False)
        return super().sample_latents(num_samples, batch, seed)

    # ------------------------------------------------------------------ #
    # Phase losses.
    # ------------------------------------------------------------------ #
    def discriminator_loss(self, batch):
        real, tokens = batch["images"], batch["tokens"]
        fake = ops.stop_gradient(self.generate_fakes(batch))
        batch["fakes"] = fake
        real_output = self.discriminate(real, batch)
        # GAN-CLS: real images with another sample's caption are negatives.
        mismatched = dict(batch, tokens=ops.roll(tokens, 1, axis=0))
        loss = 0.5 * (
            self.adversarial_loss.discriminator_loss(
                real_output, self.discriminate(fake, batch)
            )
            + self.adversarial_loss.discriminator_loss(
                real_output, self.discriminate(real, mismatched)
            )
        )
        return loss, {"d_loss": loss, **self.augmentation_logs(real_output)}

    def generator_loss(self, batch):
        loss, logs = super().generator_loss(batch)
        if self.image_encoder is None:
            return loss, logs
        logs["latent_loss"] = regularizers.LatentRegression()(self, batch)
        return loss + self.latent_weight * logs["latent_loss"], logs

    # ------------------------------------------------------------------ #
    # Inference.
    # ------------------------------------------------------------------ #
    def call(self, inputs, training=False):
        """Generates one image per caption (token ids or, with a vectorizer, strings).

        Also accepts an `(images, captions)` training batch, and, as Keras
        passes when building on a batch, images alone (drawn for an empty
        caption).
        """
        if isinstance(inputs, (tuple, list)):
            inputs = inputs[1]
        if len(ops.shape(inputs)) == len(self.generator.output_shape):
            sequence_length = self.text_encoder.input_shape[-1] or 1
            inputs = ops.zeros((ops.shape(inputs)[0], sequence_length), "int32")
        tokens = self.tokenize(inputs)
        latents = self.sample_latents(ops.shape(tokens)[0])
        return self.generate_images(latents, {"tokens": tokens}, training=training)

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        if labels is not None:
            raise ValueError("TextToImageGAN conditions on captions: labels must be None")
        if captions is None:
            raise ValueError("captions are required: a list of strings or token ids")
        if isinstance(captions, str):
            captions = [captions] * (num_samples or 1)
        captions = np.asarray(captions)
        tokens = ops.convert_to_numpy(self.tokenize(captions))
        if tokens.ndim != 2:
            raise ValueError(
                "captions must be a list of strings or token ids "
                f"(N, sequence_length); got shape {captions.shape}"
            )
        if num_samples is not None and num_samples != len(tokens):
            raise ValueError(
                f"num_samples={num_samples} differs from the {len(tokens)} captions"
            )
        conditions = {"tokens": tokens}
        if images is not None:
            if self.image_encoder is None:
                raise ValueError("images (style) need a model with an image_encoder")
            images = np.asarray(images, dtype="float32")
            self.check_images(images)
            if len(images) != len(tokens):
                raise ValueError(
                    f"images must have one entry per caption: got {len(images)} "
                    f"images for {len(tokens)} captions"
                )
            conditions["style_images"] = images
        return len(tokens), conditions

    def serving_condition(self):
        # Raw strings with a vectorizer, token ids otherwise.
        if self.vectorizer is not None:
            spec = ((None,), "string")
        else:
            spec = ((None, self.text_encoder.input_shape[-1]), "int32")
        return spec, lambda captions: {"tokens": self.tokenize(captions)}

    def get_config(self):
        config = super().get_config()
        serialize = keras.saving.serialize_keras_object
        config.update(
            text_encoder=serialize(self.text_encoder),
            image_encoder=serialize(self.image_encoder) if self.image_encoder else None,
            vectorizer=serialize(self.vectorizer) if self.vectorizer else None,
            latent_weight=self.latent_weight,
        )
        return config

