"""Progressive growing of GANs (Karras et al. 2018).

Training starts at 4x4 and doubles the resolution stage by stage up to a target resolution;
each new block fades in with a weight `alpha` rising from 0 to 1 (section 2, figure 2). The
model owns the growth state (`stage`, `alpha`, and the number of real images trained on)
as variables saved with it; `callbacks.ProgressiveGrowing` schedules it from the image
count. The networks are `networks.ProgressiveGenerator` and
`networks.ProgressiveDiscriminator`: pixel normalization (section 4.2), minibatch standard
deviation (section 3) and equalized learning rate (section 4.1), each an option. The loss
is WGAN-GP with the drift term (appendix A.1) by default.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, https://arxiv.org/abs/1710.10196.
"""

import keras
import numpy as np
from keras import ops

from keras_mmgan import backend
from keras_mmgan import losses as losses_module
from keras_mmgan import regularizers as regularizers_module
from keras_mmgan.models.gan import GAN
from keras_mmgan.networks.progressive_gan import ProgressiveDiscriminator
from keras_mmgan.networks.progressive_gan import ProgressiveGenerator
from keras_mmgan.networks.progressive_gan import check_resolution
from keras_mmgan.validation import check_positive_int


def _upsample(images, factor):
    """Nearest-neighbour upsampling of `(N, H, W, C)` by an int factor."""
    return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)


def _is_wgan(loss):
    return (isinstance(loss, str) and loss == "wgan") or type(loss) is losses_module.WGAN


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ProgressiveGAN(GAN):
    """A GAN that grows from 4x4 to a target resolution while it trains (ProGAN).

    Stage `s` works at `4 * 2**s` pixels, up to `target_resolution`. `fit` always takes
    full-resolution images; each step average-pools them to the current stage's
    resolution, and while a stage fades in, blends them with their own half-resolution
    version by `alpha` as the generator's output is blended (the paper's real-image fade).
    The growth state lives in three variables saved with the model: the stage
    (`stage_variable`), the fade-in weight (`alpha_variable`) and the number of real images
    trained on (`images_seen_variable`, one count per image of each batch). Use
    `callbacks.ProgressiveGrowing` to move through the stages in `fit`, or `set_growth`
    by hand. Changing `alpha` needs no new trace of the train function; changing the stage
    (it changes the image size) traces it again, which `set_growth` arranges, also in the
    middle of `fit`.

    Each step trains only the variables of the current stage (`stage_variables`). While a
    stage is stable (`alpha = 1`) the previous stage's toRGB / fromRGB layers still run with
    weight 0 and get zero gradients (with the paper's Adam `beta_1 = 0` they do not move).

    Defaults follow the paper: `compile` with no `loss` and no `regularizers` uses
    `loss="wgan"` with `regularizers.GradientPenalty(10)` and `regularizers.Drift(0.001)`;
    the paper trains with `Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)` for both
    networks and one critic step per generator step. The generator's output is linear, as
    in the paper; `generate`, `call` and `export` clip it to [-1, 1].

    Args:
        latent_dim: size of the latent vector z (512 in the paper).
        target_resolution: the final image side, a power of two >= 4 (e.g. 32, with
            `datasets.digits(image_size=32)`).
        channels: image channels.
        filters: channels per stage: an int (the same up to 32x32, halved per doubling
            above) or one int per stage, 4x4 first (`networks.progressive_gan.stage_filters`;
            the paper's is 512).
        pixel_norm: pixel normalization in the generator (section 4.2).
        minibatch_std: minibatch standard deviation in the discriminator (section 3).
        equalized_lr: equalized learning rate in both networks (section 4.1).
        seed: int seed of the latent noise stream (random if `None`).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    ```python
    import keras, keras_mmgan as mm
    images = mm.datasets.digits(image_size=32)["images"]         # resized to 32x32
    gan = mm.models.ProgressiveGAN(latent_dim=64, target_resolution=32, channels=1, filters=64)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
    growing = mm.callbacks.ProgressiveGrowing(images_per_stage=20_000, fade_images=20_000)
    gan.fit(images, batch_size=32, epochs=30, callbacks=[growing])
    gan.stage, gan.alpha, gan.current_resolution    # e.g. (3, 1.0, 32)
    samples = gan.generate(16, seed=0)              # (16, 32, 32, 1) at stage 3
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018.
    """

    def __init__(
        self,
        latent_dim,
        target_resolution,
        channels=3,
        filters=128,
        pixel_norm=True,
        minibatch_std=True,
        equalized_lr=True,
        seed=None,
        **kwargs,
    ):
        latent_dim = check_positive_int("latent_dim", latent_dim)
        target_resolution = check_resolution("target_resolution", target_resolution)
        channels = check_positive_int("channels", channels)
        generator = ProgressiveGenerator(
            latent_dim,
            target_resolution,
            channels,
            filters=filters,
            pixel_norm=pixel_norm,
            equalized_lr=equalized_lr,
        )
        discriminator = ProgressiveDiscriminator(
            target_resolution,
            channels,
            filters=filters,
            minibatch_std=minibatch_std,
            equalized_lr=equalized_lr,
        )
        super().__init__(generator, discriminator, latent_dim, seed=seed, **kwargs)
        self.target_resolution = target_resolution
        self.channels = channels
        self.filters = generator.filters
        self.pixel_norm = bool(pixel_norm)
        self.minibatch_std = bool(minibatch_std)
        self.equalized_lr = bool(equalized_lr)
        self.stage_variable = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="stage"
        )
        self.alpha_variable = self.add_weight(
            shape=(), dtype="float32", initializer="ones", trainable=False, name="alpha"
        )
        # Under a distribution strategy the first replica counts the global batch.
        self.images_seen_variable = self.add_weight(
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="images_seen",
        )
        # The stage as a Python int: it decides the traced graph (the image size).
        self._stage = 0

    # ------------------------------------------------------------------ #
    # Growth state.
    # ------------------------------------------------------------------ #
    @property
    def num_stages(self):
        """The number of stages, 4x4 to `target_resolution` (32 -> 4)."""
        return self.generator.num_stages

    @property
    def stage(self):
        """The current stage, an int in `[0, num_stages)`."""
        return self._stage

    @property
    def alpha(self):
        """The fade-in weight of the current stage's new block, a float in [0, 1]."""
        return float(ops.convert_to_numpy(self.alpha_variable))

    @property
    def images_seen(self):
        """The number of real images trained on (one per image of each training batch)."""
        return int(ops.convert_to_numpy(self.images_seen_variable))

    @property
    def current_resolution(self):
        """The image side at the current stage: `4 * 2**stage`."""
        return 4 * 2**self._stage

    @property
    def image_shape(self):
        """The shape of one image that `fit` takes: full resolution."""
        return (self.target_resolution, self.target_resolution, self.channels)

    def set_growth(self, stage, alpha=1.0):
        """Moves the model to `stage` with fade-in weight `alpha`.

        Assigning `alpha` is cheap and needs no new trace. A new stage makes the model trace
        its train function again (`make_train_function(force=True)`; Keras's `fit` reads
        `model.train_function` at every step, so this works in the middle of `fit`) and drop
        its test and predict functions.

        Args:
            stage: an int in `[0, num_stages)`.
            alpha: the weight of the stage's new block, in [0, 1] (ignored at stage 0).

        Returns:
            Whether the stage changed.

        Example:

        ```python
        gan.set_growth(2, alpha=0.5)   # 16x16, half faded in
        ```
        """
        if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not (
            0 <= stage < self.num_stages
        ):
            raise ValueError(
                f"stage must be an int in [0, {self.num_stages}) (4x4 to "
                f"{self.target_resolution}x{self.target_resolution}); got {stage!r}"
            )
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) or not (
            0.0 <= alpha <= 1.0
        ):
            raise ValueError(f"alpha must be a number in [0, 1]; got {alpha!r}")
        self.alpha_variable.assign(float(alpha))
        stage = int(stage)
        if stage == self._stage:
            return False
        self.stage_variable.assign(stage)
        self._stage = stage
        self._retrace()
        return True

    def _retrace(self):
        self.predict_function = None
        self.test_function = None
        if self.compiled:
            self.make_train_function(force=True)
        else:
            self.train_function = None

    def load_own_variables(self, store):
        super().load_own_variables(store)
        stage = int(ops.convert_to_numpy(self.stage_variable))
        if stage != self._stage:
            self._stage = stage
            self._retrace()

    def stage_variables(self):
        """The trainable variables that a training step at the current stage updates.

        Returns:
            A dict `{"generator": [...], "discriminator": [...]}` of variable lists (the
            networks' `stage_variables(stage)`).

        Example:

        ```python
        len(gan.stage_variables()["generator"])   # grows with the stage
        ```
        """
        return {
            "generator": self.generator.stage_variables(self._stage),
            "discriminator": self.discriminator.stage_variables(self._stage),
        }

    def _fade_alpha(self):
        """The fade-in weight as a tensor, or `None` at stage 0 (nothing to fade)."""
        return None if self._stage == 0 else ops.convert_to_tensor(self.alpha_variable)

    # ------------------------------------------------------------------ #
    # What the family says.
    # ------------------------------------------------------------------ #
    def real_images_at_stage(self, images):
        """Full-resolution images as the current stage trains on them.

        Average-pools to `current_resolution`; while the stage fades in (stage > 0), blends
        with the half-resolution version (pooled, then upsampled) by `alpha`:
        `(1 - alpha) * up(pool(x)) + alpha * x`, like the generator's output.

        Args:
            images: `(N, target_resolution, target_resolution, channels)`.

        Returns:
            `(N, current_resolution, current_resolution, channels)`.

        Example:

        ```python
        reals = gan.real_images_at_stage(images)   # what D sees at this stage
        ```
        """
        factor = self.target_resolution // self.current_resolution
        if factor > 1:
            images = ops.average_pool(images, factor, factor, padding="valid")
        alpha = self._fade_alpha()
        if alpha is None:
            return images
        alpha = ops.cast(alpha, images.dtype)
        coarse = _upsample(ops.average_pool(images, 2, 2, padding="valid"), 2)
        return (1.0 - alpha) * coarse + alpha * images

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        batch["images"] = self.real_images_at_stage(batch["images"])
        return batch

    def generate_images(self, latents, batch, training=False):
        images = self.generator(
            latents, stage=self._stage, alpha=self._fade_alpha(), training=training
        )
        # The paper's generator is linear; inference returns images in [-1, 1].
        return images if training else ops.clip(images, -1.0, 1.0)

    def discriminate(self, images, batch, training=True):
        images, batch = self.augment_for_discriminator(images, batch)
        return self.discriminator(
            self.discriminator_inputs(images, batch),
            stage=self._stage,
            alpha=self._fade_alpha(),
            training=training,
        )

    def phases(self):
        variables = self.stage_variables()
        return [phase._replace(variables=variables[phase.name]) for phase in super().phases()]

    def train_phases(self, data):
        logs = super().train_phases(data)
        images = data[0] if isinstance(data, (tuple, list)) else data
        # This replica's batch times the replicas: the global batch.
        count = ops.shape(images)[0] * backend.num_replicas()
        self.images_seen_variable.assign_add(ops.cast(count, "int64"))
        return logs

    def check_images(self, images, name="images", expected=None):
        if expected is not None:
            return super().check_images(images, name, expected)
        shape, expected = tuple(images.shape), self.image_shape
        if len(shape) != 4 or any(
            d is not None and d != e for d, e in zip(shape[1:], expected)
        ):
            raise ValueError(
                f"{name} must have shape (batch, {expected[0]}, {expected[1]}, {expected[2]}): "
                "full-resolution images (the model downsamples them to the current stage); "
                f"got shape {shape}"
            )

    # ------------------------------------------------------------------ #
    # compile: WGAN-GP + drift by default.
    # ------------------------------------------------------------------ #
    def compile(self, d_optimizer=None, g_optimizer=None, loss="wgan", regularizers=None, **kwargs):
        """Configures training; WGAN-GP with the drift term by default (the paper's loss).

        As `GAN.compile`, except for the defaults: `loss="wgan"`, and with a WGAN loss and
        `regularizers=None`, `[GradientPenalty(10.0), Drift(0.001)]` (pass `[]` for none).

        Args:
            d_optimizer: optimizer of the critic (required).
            g_optimizer: optimizer of the generator (required).
            loss: an adversarial loss (name, object or `{name: weight}` dict).
            regularizers: list of `keras_mmgan.regularizers.Regularizer`, or `None`.
            **kwargs: the other arguments of `GAN.compile` (`d_steps`, `jit_compile`,
                `steps_per_execution`, `run_eagerly`).

        Example:

        ```python
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99),
                    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
        [r.name for r in gan.regularizers]     # ['gp', 'drift']
        ```
        """
        if regularizers is None and _is_wgan(loss):
            regularizers = [
                regularizers_module.GradientPenalty(10.0),
                regularizers_module.Drift(0.001),
            ]
        super().compile(
            d_optimizer=d_optimizer,
            g_optimizer=g_optimizer,
            loss=loss,
            regularizers=regularizers,
            **kwargs,
        )

    # ------------------------------------------------------------------ #
    # Inference.
    # ------------------------------------------------------------------ #
    def generate(self, num_samples=None, full_resolution=False, **kwargs):
        """Generates images in [-1, 1] at the current stage's resolution, as a NumPy array.

        Args:
            num_samples: how many images.
            full_resolution: upsample (nearest neighbour) to `target_resolution`, so that
                images of every stage have the same shape.
            **kwargs: as `GAN.generate` (`seed`, `latents`, `batch_size`, `use_ema`; the model
                is unconditional, so `labels`, `captions` and `images` must be `None`).

        Returns:
            A float32 array `(N, r, r, channels)` with `r = current_resolution`, or
            `target_resolution` with `full_resolution=True`.

        Example:

        ```python
        samples = gan.generate(16, seed=0)                        # e.g. (16, 8, 8, 1)
        large = gan.generate(16, seed=0, full_resolution=True)    # (16, 32, 32, 1)
        ```
        """
        samples = super().generate(num_samples, **kwargs)
        factor = self.target_resolution // self.current_resolution
        if full_resolution and factor > 1:
            samples = np.repeat(np.repeat(samples, factor, axis=1), factor, axis=2)
        return samples

    # ------------------------------------------------------------------ #
    # Serialization.
    # ------------------------------------------------------------------ #
    def get_config(self):
        config = super().get_config()
        # The networks are built from the arguments below; packing and pools do not apply.
        for key in ("generator", "discriminator", "pack", "pool_size"):
            config.pop(key)
        config.update(
            target_resolution=self.target_resolution,
            channels=self.channels,
            filters=self.filters,
            pixel_norm=self.pixel_norm,
            minibatch_std=self.minibatch_std,
            equalized_lr=self.equalized_lr,
        )
        return config
