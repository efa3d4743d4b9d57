"""Translation with several outputs per input: Pix2Pix with a latent code and mode seeking."""

import keras
import numpy as np
from keras import ops

from keras_mmgan import regularizers
from keras_mmgan.models.pix2pix import Pix2Pix
from keras_mmgan.validation import check_positive_int, check_weight


@keras.saving.register_keras_serializable(package="keras_mmgan")
class MultimodalPix2Pix(Pix2Pix):
    """One input, many plausible outputs: Pix2Pix driven by a latent code z.

    The model tiles `z ~ N(0, I)` over the image and concatenates it to the
    source's channels (BicycleGAN's "add to input"), so the generator takes
    `source_channels + latent_dim` channels. Pix2Pix's generator learns to
    ignore such noise, because the L1 term rewards the one mean output; the
    mode-seeking term of Mao et al. 2019 (`regularizers.ModeSeeking`, logged
    as `mode_seeking`) rewards outputs that move as much as z does, so
    different codes give different outputs. `generate(images=x,
    num_samples=k)` gives k outputs per input.

    Args:
        generator: a `keras.Model` taking `(H, W, source_channels + latent_dim)`
            (e.g. `networks.unet_generator((H, W, C + latent_dim), output_channels=3)`).
        discriminator: a `keras.Model` taking `[source, image]` -> logits.
        latent_dim: size of the code z.
        l1_weight: weight of the L1 term (10: lower than Pix2Pix's 100,
            which would leave no room for variety).
        mode_seeking_weight: weight of the mode-seeking term.
        mode_seeking_max_ratio: `None`, or the output/latent distance ratio
            above which the mode-seeking term stops pushing
            (`regularizers.ModeSeeking(max_ratio=...)`): set it where the
            plausible outputs differ in a small part of the image, or the
            term buys distance with noise everywhere else.
        seed: int seed of the latent noise stream.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    latent_dim = 8
    generator = mm.networks.unet_generator((32, 32, 1 + latent_dim), output_channels=3)
    discriminator = mm.networks.patchgan_discriminator((32, 32, 3), source_shape=(32, 32, 1))
    model = mm.models.MultimodalPix2Pix(generator, discriminator, latent_dim)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    model.fit(mm.datasets.make_dataset(outlines, filled), epochs=10)
    styles = model.generate(images=outlines[:4], num_samples=5)   # (4 * 5, 32, 32, 3)
    ```

    Reference:
        Mao et al., "Mode Seeking Generative Adversarial Networks for Diverse
        Image Synthesis", CVPR 2019; Zhu et al., "Toward Multimodal
        Image-to-Image Translation", NeurIPS 2017.
    """

    uses_latents = True

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        l1_weight=10.0,
        mode_seeking_weight=1.0,
        mode_seeking_max_ratio=None,
        seed=None,
        **kwargs,
    ):
        latent_dim = check_positive_int("latent_dim", latent_dim)
        channels = generator.input_shape[-1]
        if channels is None or channels <= latent_dim:
            raise ValueError(
                f"generator must take source channels + latent_dim={latent_dim} channels; "
                f"its input shape is {generator.input_shape}"
            )
        super().__init__(
            generator, discriminator, l1_weight=l1_weight, seed=seed, latent_dim=latent_dim,
            **kwargs,
        )
        self.mode_seeking_weight = check_weight("mode_seeking_weight", mode_seeking_weight)
        self._mode_seeking = regularizers.ModeSeeking(
            self.mode_seeking_weight, max_ratio=mode_seeking_max_ratio
        )

    def auxiliary_loss_names(self):
        return ("l1_loss", "mode_seeking")

    @property
    def source_shape(self):
        shape = tuple(self.generator.input_shape[1:])
        return shape[:-1] + (shape[-1] - self.latent_dim,)

    def generate_images(self, latents, batch, training=False):
        source = ops.convert_to_tensor(batch["source"])
        codes = ops.reshape(ops.cast(latents, source.dtype), (-1, 1, 1, self.latent_dim))
        codes = ops.broadcast_to(codes, tuple(ops.shape(source)[:-1]) + (self.latent_dim,))
        return self.generator(ops.concatenate([source, codes], axis=-1), training=training)

    def generator_loss(self, batch):
        loss, logs = super().generator_loss(batch)
        logs["mode_seeking"] = self._mode_seeking(self, batch)
        return loss + self.mode_seeking_weight * logs["mode_seeking"], logs

    def call(self, inputs, training=False):
        """Translates source images with fresh codes."""
        if isinstance(inputs, (tuple, list)):
            inputs = inputs[0]
        latents = self.sample_latents(ops.shape(inputs)[0])
        return self.generate_images(latents, {"source": inputs}, training=training)

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        """`num_samples` is the number of outputs per input image (1 by default)."""
        count, conditions = super().generation_inputs(None, labels, captions, images)
        per_input = 1 if num_samples is None else check_positive_int("num_samples", num_samples)
        source = np.repeat(conditions["source"], per_input, axis=0)
        return count * per_input, {"source": source}

    def generate(self, num_samples=None, images=None, **kwargs):
        """Generates `num_samples` outputs per source image.

        Args:
            num_samples: outputs per input image (1 by default).
            images: the source images `(N, H, W, C)`.
            **kwargs: as `GAN.generate` (`seed`, `latents` for `N *
                num_samples` codes, `batch_size`, `use_ema`).

        Returns:
            A float32 array `(N * num_samples, H, W, C_out)`: the outputs for
            image i are rows `i * num_samples ... (i + 1) * num_samples - 1`.
        """
        latents = kwargs.get("latents")
        if latents is not None and num_samples is not None and images is not None:
            if len(latents) != len(images) * num_samples:
                raise ValueError(
                    f"latents must hold num_samples x images = {len(images) * num_samples} "
                    f"codes; got {len(latents)}"
                )
        if latents is not None and num_samples is None and images is not None:
            num_samples = max(1, len(latents) // max(len(images), 1))
        return super().generate(num_samples=num_samples, images=images, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            mode_seeking_weight=self.mode_seeking_weight,
            mode_seeking_max_ratio=self._mode_seeking.max_ratio,
        )
        return config
