"""The GAN engine: a `keras.Model` whose training step runs phases.

A phase is (the variables it updates, its optimizer, its loss). `GAN` runs
`d_steps` discriminator phases, then one generator phase, per batch. A GAN
family (conditional, text-to-image, ...) subclasses `GAN` and only says how a
batch is read (`prepare_batch`), how images are generated and judged
(`generate_images`, `discriminate`) and, where it differs, its phase losses.
Loss math lives in `keras_mmgan.losses` and `keras_mmgan.regularizers`;
gradients and updates live in `keras_mmgan.backend`.
"""

import collections
import contextlib
import os

import keras
import numpy as np
from keras import ops

from keras_mmgan import backend
from keras_mmgan import losses as losses_module
from keras_mmgan import regularizers as regularizers_module
from keras_mmgan import saving
from keras_mmgan.datasets import pipeline
from keras_mmgan.layers.adaptive_augment import AdaptiveAugment
from keras_mmgan.layers.diff_augment import DiffAugment
from keras_mmgan.layers.image_pool import ImagePool
from keras_mmgan.layers.search import find_layers
from keras_mmgan.layers.seed_state import SavesSeedState
from keras_mmgan.validation import check_positive_int

Phase = collections.namedtuple("Phase", "name variables optimizer loss_fn repeats")

_DISCRIMINATOR, _GENERATOR = "discriminator", "generator"


def augmentation(augment, seed=None):
    """The discriminator augmentation a GAN's `augment=` names: a layer, or `None`.

    Args:
        augment: `None` (no augmentation), a DiffAugment policy string such as
            `"color,translation,cutout"`, `"ada"` (adaptive augmentation with its defaults),
            or a `layers.DiffAugment` / `layers.AdaptiveAugment` instance.
        seed: int seed for a layer built from a string.

    Returns:
        A `layers.DiffAugment` (or subclass), or `None`.

    Example:

    >>> type(augmentation("ada")).__name__, augmentation(None)
    ('AdaptiveAugment', None)
    """
    if augment is None or isinstance(augment, DiffAugment):
        return augment
    if augment == "ada":
        return AdaptiveAugment(seed=seed)
    if isinstance(augment, str):
        return DiffAugment(augment, seed=seed)
    raise TypeError(
        "augment must be None, a policy string such as 'color,translation,cutout', 'ada', or "
        f"a keras_mmgan.layers.DiffAugment / AdaptiveAugment; got {augment!r}"
    )


def _ends_in_sigmoid(model):
    """Whether a discriminator outputs probabilities (its last layer is a sigmoid)."""
    layers = getattr(model, "layers", None)
    if not layers:
        return False
    activation = getattr(layers[-1], "activation", None)
    return activation is keras.activations.sigmoid or (
        getattr(activation, "__name__", None) == "sigmoid"
    )


def _unique_variables(networks):
    seen, variables = set(), []
    for network in networks:
        for variable in network.trainable_variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
    return variables


def _training_state(networks):
    """What a training-mode call of `networks` writes: batch-norm running averages, seed and
    power-iteration states (the non-trainable variables), and the kernels that Keras's
    `SpectralNormalization` normalizes in place."""
    variables = [v for network in networks for v in network.non_trainable_variables]
    variables += [
        layer.kernel
        for layer in find_layers(networks, keras.layers.SpectralNormalization)
        if layer.built
    ]
    return list({id(v): v for v in variables}.values())


@contextlib.contextmanager
def _state_kept(networks):
    """Runs the block, then puts back the state a training-mode call of `networks` wrote."""
    variables = _training_state(networks)
    values = [ops.copy(v.value) for v in variables]
    yield
    for variable, value in zip(variables, values):
        variable.assign(value)


def _count(variable):
    """An int variable's value (also a replicated one, which `int()` refuses)."""
    return int(ops.convert_to_numpy(variable))


def _get_optimizer(name, optimizer):
    if optimizer is None:
        raise ValueError(
            f"{name} is required: pass a keras optimizer, e.g. "
            f"{name}=keras.optimizers.Adam(2e-4, beta_1=0.5)."
        )
    if isinstance(optimizer, (str, dict)):
        optimizer = keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"{name} must be a keras.optimizers.Optimizer (or its name); "
            f"got {type(optimizer).__name__}"
        )
    return optimizer



class PhaseOptimizers:
    """A GAN's `model.optimizer`: its phases' optimizers, as Keras callbacks expect.

    Keras callbacks act on each optimizer listed in `optimizer.optimizers`
    (the protocol of `keras.optimizers.MultiOptimizer`): `LearningRateScheduler`
    calls its schedule with each optimizer's own rate, so a D/G learning-rate
    ratio (TTUR) is kept; `ReduceLROnPlateau` scales each; `TensorBoard` logs
    each. The optimizers themselves are saved as the model's `d_optimizer`
    and `g_optimizer`.

    Args:
        d_optimizer: the discriminator phase's optimizer.
        g_optimizer: the generator phase's optimizer.

    Example:

    ```python
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
    gan.fit(images, epochs=3, callbacks=[halve])   # both optimizers' rates halve
    [float(o.learning_rate) for o in gan.optimizer.optimizers]
    ```
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer):
        self.optimizers = [d_optimizer, g_optimizer]

    @property
    def iterations(self):
        """Training steps: the generator phase steps once per batch."""
        return self.optimizers[-1].iterations

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]

    def build(self, variables):
        """Nothing to build: `GAN.compile` builds each optimizer on its phase's variables."""

    def __repr__(self):
        return f"PhaseOptimizers({', '.join(o.name for o in self.optimizers)})"


def _check_latent_input(generator, latent_dim):
    """A generator with one input of known size must take `latent_dim` values."""
    inputs = getattr(generator, "inputs", None) or []
    if len(inputs) == 1 and inputs[0].shape[-1] not in (None, latent_dim):
        raise ValueError(
            f"the generator takes inputs of shape {tuple(inputs[0].shape)}, but "
            f"latent_dim={latent_dim}: pass the generator's input size as latent_dim"
        )


@keras.saving.register_keras_serializable(package="keras_mmgan")
class GAN(SavesSeedState, keras.Model):
    """An unconditional GAN trained with `fit`, and the engine of every family.

    Each training step runs `d_steps` discriminator phases, then one generator
    phase; each phase differentiates its loss only with respect to its own
    variables and applies its own optimizer, so a generator phase never moves
    the discriminator and vice versa. Losses and regularizers are chosen in
    `compile`. The random state (latent noise) is a `keras.random.SeedGenerator`
    saved with the model, so a reloaded model resumes the same noise stream.

    Args:
        generator: a `keras.Model` mapping latents `(N, latent_dim)` to images
            (or vectors) in [-1, 1].
        discriminator: a `keras.Model` mapping images to one logit (or
            probability, if it ends in a sigmoid) per sample or per patch.
        latent_dim: size of the latent vector z.
        seed: int seed of the latent noise stream (random if `None`).
        pack: PacGAN packing (Lin et al. 2018): the discriminator judges
            `pack` samples at once, concatenated along the last axis, so its
            input has `pack` times the generator's channels. A batch whose
            size is not a multiple of `pack` drops its last samples.
        pool_size: size of an `ImagePool` of past fakes shown to the
            discriminator (Shrivastava et al. 2017); `0` for none.
        augment: differentiable augmentation of every image the discriminator sees, real
            and fake, in both phases (`augmentation` lists the forms): `None`, a DiffAugment
            policy (`"color,translation,cutout"`, Zhao et al. 2020), `"ada"` (adaptive
            augmentation, Karras et al. 2020, logging `aug_p` and `r_t`) or a layer.
            Gradient penalties (R1, GP, DRAGAN) are taken w.r.t. the un-augmented images,
            through the augmentation, as in StyleGAN2-ADA; feature matching compares
            un-augmented features. Evaluation (`evaluate`) does not augment.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    ```python
    import keras, keras_mmgan as mm
    generator, discriminator = mm.networks.dcgan_generator(64), mm.networks.dcgan_discriminator()
    gan = mm.models.GAN(generator, discriminator, latent_dim=64)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(images, batch_size=64, epochs=10)
    samples = gan.generate(16, seed=0)          # (16, 28, 28, 1) in [-1, 1]
    ```

    Generator EMA: give the generator's optimizer Keras's own moving average,
    `g_optimizer=keras.optimizers.Adam(2e-4, use_ema=True, ema_momentum=0.999)`;
    `generate` and `export` then use the averaged weights (see `ema_weights`).

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014;
        Lin et al., "PacGAN: The power of two samples in generative
        adversarial networks", NeurIPS 2018.
    """

    # Whether the family conditions on something (labels, text, images);
    # packing and the generic pool then do not apply.
    conditional = False
    # Whether the generator reads a latent z (Pix2Pix's does not: latent_dim=None).
    uses_latents = True

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        seed=None,
        pack=1,
        pool_size=0,
        augment=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, network in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(network, keras.Model):
                raise TypeError(
                    f"{name} must be a keras.Model; got {type(network).__name__}"
                )
        self.generator = generator
        self.discriminator = discriminator
        if latent_dim is None and self.uses_latents:
            raise ValueError(f"{type(self).__name__} needs latent_dim, a positive int")
        self.latent_dim = None if latent_dim is None else check_positive_int(
            "latent_dim", latent_dim
        )
        # Families that feed their generator more than z check its inputs themselves.
        if type(self).generate_images is GAN.generate_images:
            _check_latent_input(generator, self.latent_dim)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self.pack = check_positive_int("pack", pack)
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 0:
            raise ValueError(f"pool_size must be an int >= 0; got {pool_size!r}")
        self.pool_size = pool_size
        if self.conditional and (self.pack > 1 or pool_size):
            raise ValueError(
                f"{type(self).__name__} is conditional: pack and pool_size are "
                "for unconditional GANs (a packed or pooled fake would lose its condition)."
            )
        if self.pack > 1:
            channels = generator.output_shape[-1] * self.pack
            if discriminator.input_shape[-1] != channels:
                raise ValueError(
                    f"with pack={self.pack} the discriminator must take {channels} "
                    f"channels (pack x the generator's {generator.output_shape[-1]}); "
                    f"its input shape is {discriminator.input_shape}"
                )
        self.image_pool = None
        if pool_size:
            self.image_pool = ImagePool(pool_size, seed=seed, name="image_pool")
            self.image_pool.build((None,) + tuple(generator.output_shape[1:]))
        self.augment = augmentation(augment, seed=None if seed is None else seed + 2)
        self.loss_trackers = {}
        self._nonfinite_flag = backend.nonfinite_flag()
        for name in ("d_loss", "g_loss") + tuple(self.auxiliary_loss_names()):
            self._add_tracker(name)
        if isinstance(self.augment, AdaptiveAugment):
            self._add_tracker("aug_p")
            self._add_tracker("r_t")
        # The networks are built already; this stops Keras from building the
        # GAN by calling it on a training batch.
        self.built = True

    # ------------------------------------------------------------------ #
    # What a family says.
    # ------------------------------------------------------------------ #
    def auxiliary_loss_names(self):
        """Names of the extra loss terms a family logs besides d_loss/g_loss."""
        return ()

    def generator_networks(self):
        """The networks the generator phase updates."""
        return [self.generator]

    def discriminator_networks(self):
        """The networks the discriminator phase updates."""
        return [self.discriminator]

    def prepare_batch(self, data):
        """Turns what `fit` yields into a dict with at least `images`.

        Checks shapes (at trace time) and gates the images so that nothing
        runs on NaN or Inf (`backend.guard`).
        """
        self.check_batch(data)
        images = data[0] if isinstance(data, (tuple, list)) else data
        if self.pack > 1:
            images = images[: (ops.shape(images)[0] // self.pack) * self.pack]
        return {"images": backend.guard(ops.cast(images, self.compute_dtype), "images")}

    def batch_checks(self, batch):
        """Tensors that must be valid before a phase updates any weight.

        Returns a dict `name -> tensor` for `backend.apply_phase`: float
        tensors must be finite, boolean ones all true (the name is then the
        error message).
        """
        return {"images": batch["images"]}

    def generate_images(self, latents, batch, training=False):
        """Runs the generator on latents (and the batch's conditions)."""
        return self.generator(latents, training=training)

    def discriminator_inputs(self, images, batch):
        """What the discriminator network takes for images (and the batch's conditions).

        Families override it (`[images, labels]`, `[source, images]`, ...);
        the base packs `pack` samples along the last axis.

        Args:
            images: images `(N, ...)` to judge.
            batch: the batch dict (its conditions).

        Returns:
            The discriminator's input: a tensor or a list of tensors.

        Example:

        ```python
        logits = gan.discriminator(gan.discriminator_inputs(images, batch))
        ```
        """
        if self.pack == 1:
            return images
        # (N, ..., C) -> (N / pack, ..., pack * C): `pack` consecutive samples.
        shape = tuple(images.shape[1:])
        grouped = ops.reshape(images, (-1, self.pack) + shape)
        moved = ops.moveaxis(grouped, 1, -2)
        return ops.reshape(moved, (-1,) + shape[:-1] + (self.pack * shape[-1],))

    def augment_for_discriminator(self, images, batch):
        """The images (and batch) the discriminator sees: augmented while training.

        Families whose discriminator also reads an image condition augment it alike
        (Pix2Pix's source).

        Args:
            images: images `(N, ...)` to judge.
            batch: the batch dict.

        Returns:
            `(images, batch)`, augmented when the GAN has `augment` and the batch trains.
        """
        if self.augment is None or not batch.get("training", True):
            return images, batch
        return self.augment(images, training=True), batch

    def discriminate(self, images, batch, training=True):
        """Runs the discriminator on images (with the batch's conditions), augmented."""
        images, batch = self.augment_for_discriminator(images, batch)
        return self.discriminator(self.discriminator_inputs(images, batch), training=training)

    def augmentation_logs(self, *real_outputs):
        """`{"r_t": E[sign(D(real))]}` for adaptive augmentation, else `{}`.

        Each family's discriminator loss adds it to its logs; the training step feeds it to
        `AdaptiveAugment.observe`.

        Args:
            *real_outputs: D's outputs on the real images of the phase (one per
                discriminator: CycleGAN has two; their logits are pooled).

        Returns:
            A dict of logs.
        """
        if not isinstance(self.augment, AdaptiveAugment):
            return {}
        logits = [
            ops.reshape(ops.cast(self.adversarial_loss.logits(output), "float32"), (-1,))
            for output in real_outputs
        ]
        return {"r_t": ops.mean(ops.sign(ops.concatenate(logits)))}

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        """Checks `generate`'s arguments; returns `(num_samples, batch dict)`."""
        for name, value in (("labels", labels), ("captions", captions), ("images", images)):
            if value is not None:
                raise ValueError(
                    f"{type(self).__name__} is unconditional: {name} must be None"
                )
        if num_samples is None:
            raise ValueError("num_samples is required for an unconditional GAN")
        return check_positive_int("num_samples", num_samples), {}

    def source_images(self, images, expected, num_samples=None, labels=None, captions=None):
        """Checks `generate`'s arguments for a translation model; returns its source images.

        Args:
            images: the source images, required.
            expected: the shape of one source image.
            num_samples: `None`, or the number of images.
            labels: must be `None`.
            captions: must be `None`.

        Returns:
            The images as a float32 NumPy array.

        Example:

        ```python
        source = self.source_images(images, self.source_shape, num_samples, labels, captions)
        ```
        """
        for name, value in (("labels", labels), ("captions", captions)):
            if value is not None:
                raise ValueError(f"{type(self).__name__} translates images: {name} must be None")
        if images is None:
            raise ValueError("images are required: the source images to translate")
        images = np.asarray(images, dtype="float32")
        self.check_images(images, "images", expected=expected)
        if num_samples is not None and num_samples != len(images):
            raise ValueError(f"num_samples={num_samples} differs from the {len(images)} images")
        return images

    def sample_latents(self, num_samples, batch=None, seed=None):
        """Draws latents `(num_samples, latent_dim)` ~ N(0, I); `None` without latents.

        Args:
            num_samples: how many.
            batch: the batch dict (families may read it).
            seed: `None` (the model's own noise stream), an int (drawn with NumPy, so the
                same seed gives the same latents on every backend), or a
                `keras.random.SeedGenerator`.

        Returns:
            A float tensor, or `None` for a model without latents.
        """
        if self.latent_dim is None:
            return None
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            rng = np.random.default_rng(int(seed))
            return ops.convert_to_tensor(
                rng.standard_normal((num_samples, self.latent_dim), dtype="float32")
            )
        return backend.replica_share(
            lambda n: keras.random.normal(
                (n, self.latent_dim), seed=seed or self.seed_generator
            ),
            num_samples,
        )

    # ------------------------------------------------------------------ #
    # Phase losses.
    # ------------------------------------------------------------------ #
    def generate_fakes(self, batch, training=True):
        """Draws latents and generates one fake per real image of the batch.

        Records them as `batch["latents"]` and `batch["fakes"]` (the phase's
        own copy of the batch) for the phase's regularizers.

        Args:
            batch: the phase's batch dict (written to).
            training: the generator's mode.

        Returns:
            The fakes.

        Example:

        ```python
        fakes = self.generate_fakes(batch)   # inside a phase loss
        ```
        """
        latents = self.sample_latents(ops.shape(batch["images"])[0], batch)
        fakes = self.generate_images(latents, batch, training=training)
        batch["latents"], batch["fakes"] = latents, fakes
        return fakes

    def discriminator_loss(self, batch):
        """D's adversarial loss on real images and fresh fakes: `(loss, logs)`."""
        fake = ops.stop_gradient(self.generate_fakes(batch))
        batch["fakes"] = fake
        if self.image_pool is not None:
            fake = self.image_pool(fake, training=batch.get("training", True))
        real_output = self.discriminate(batch["images"], batch)
        loss = self.adversarial_loss.discriminator_loss(real_output, self.discriminate(fake, batch))
        return loss, {"d_loss": loss, **self.augmentation_logs(real_output)}

    def adversarial_generator_loss(self, fake_output, batch):
        """The adversarial loss of G on D's outputs for fakes.

        Relativistic losses also read D's outputs on the real images.

        Args:
            fake_output: D's outputs on the phase's fakes.
            batch: the batch dict (its real images).

        Returns:
            The scalar loss.

        Example:

        ```python
        loss = self.adversarial_generator_loss(self.discriminate(fakes, batch), batch)
        ```
        """
        real_output = None
        if self.adversarial_loss.needs_real_output:
            real_output = self.discriminate(batch["images"], batch, training=True)
        return self.adversarial_loss.generator_loss(fake_output, real_output)

    def generator_loss(self, batch):
        """G's adversarial loss on fresh fakes: `(loss, logs)`."""
        fake = self.generate_fakes(batch)
        # D in training mode, as its own phase runs it; `_phase_loss` puts back what that
        # writes into D (batch-norm averages, spectral normalization's kernels).
        loss = self.adversarial_generator_loss(
            self.discriminate(fake, batch, training=True), batch
        )
        return loss, {"g_loss": loss}

    # ------------------------------------------------------------------ #
    # The engine.
    # ------------------------------------------------------------------ #
    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        regularizers=None,
        d_steps=1,
        jit_compile="auto",
        steps_per_execution=1,
        run_eagerly=False,
    ):
        """Configures the phases for training.

        Args:
            d_optimizer: optimizer of the discriminator phase (required).
            g_optimizer: optimizer of the generator phase (required; a
                different object from `d_optimizer`).
            loss: a loss name (`keras_mmgan.losses.names()`), an
                `AdversarialLoss` or a dict `{name: weight}`. Given by name,
                it reads D's outputs as probabilities when D ends in a sigmoid
                and as logits otherwise.
            regularizers: list of `keras_mmgan.regularizers.Regularizer`,
                each added to its phase and logged under its name.
            d_steps: discriminator phases per generator phase.
            jit_compile: XLA compilation, as in `keras.Model.compile`.
                `"auto"` is Keras's choice: XLA on a GPU or TPU, not on a CPU,
                where `benchmarks/xla_auto.py` measured it no faster for MLP
                GANs (1.00x) and slower for convolutional ones (0.75x). XLA
                drops the finiteness checks and draws other random numbers
                from the same seed.
            steps_per_execution: batches per compiled call, as in Keras.
            run_eagerly: run the step eagerly, for debugging.
        """
        d_optimizer = _get_optimizer("d_optimizer", d_optimizer)
        g_optimizer = _get_optimizer("g_optimizer", g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two optimizer objects; "
                "got the same object twice."
            )
        from_logits = not _ends_in_sigmoid(self.discriminator)
        adversarial_loss = losses_module.get(loss, from_logits=from_logits)
        regularizers = [regularizers_module.get(r) for r in regularizers or []]
        names = [r.name for r in regularizers]
        for regularizer in regularizers:
            if regularizer.phase not in (_DISCRIMINATOR, _GENERATOR):
                raise ValueError(
                    f"regularizer {regularizer.name!r} has phase "
                    f"{regularizer.phase!r}; expected 'discriminator' or 'generator'"
                )
        if len(set(names)) != len(names) or set(names) & set(self.loss_trackers):
            raise ValueError(f"regularizers need distinct log names; got {names}")
        self.d_steps = check_positive_int("d_steps", d_steps)

        # optimizer=None: no unused third optimizer for callbacks to act on.
        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
        )
        if self.dtype_policy.name == "mixed_float16":
            # float16 gradients underflow without loss scaling (as Keras's compile does).
            d_optimizer, g_optimizer = (
                o if isinstance(o, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(o, name=f"{o.name}_loss_scale")
                for o in (d_optimizer, g_optimizer)
            )
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.optimizer = PhaseOptimizers(d_optimizer, g_optimizer)
        self.adversarial_loss = adversarial_loss
        self.regularizers = regularizers
        for name in names:
            self._add_tracker(name)
        # Build the optimizers now: lazy building inside a replicated or
        # reloaded step fails, and loading needs their variables to exist.
        for optimizer, networks in (
            (d_optimizer, self.discriminator_networks()),
            (g_optimizer, self.generator_networks()),
        ):
            if not optimizer.built:
                optimizer.build(_unique_variables(networks))
        self._mmgan_compile_args = {
            "loss": loss,
            "d_steps": self.d_steps,
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
            "run_eagerly": run_eagerly,
        }

    def get_compile_config(self):
        if not self.compiled or not hasattr(self, "_mmgan_compile_args"):
            return {}
        serialize = keras.saving.serialize_keras_object
        config = dict(self._mmgan_compile_args)
        config["loss"] = serialize(self.adversarial_loss)
        config["d_optimizer"] = serialize(self.d_optimizer)
        config["g_optimizer"] = serialize(self.g_optimizer)
        config["regularizers"] = [serialize(r) for r in self.regularizers]
        return config

    def compile_from_config(self, config):
        deserialize = keras.saving.deserialize_keras_object
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer", "loss"):
            config[key] = deserialize(config[key])
        config["regularizers"] = [deserialize(r) for r in config["regularizers"]]
        self.compile(**config)

    def phases(self):
        """The phases of one training step, in order."""
        return [
            Phase(
                _DISCRIMINATOR,
                _unique_variables(self.discriminator_networks()),
                self.d_optimizer,
                self.discriminator_loss,
                self.d_steps,
            ),
            Phase(
                _GENERATOR,
                _unique_variables(self.generator_networks()),
                self.g_optimizer,
                self.generator_loss,
                1,
            ),
        ]

    def _phase_loss(self, phase, batch):
        batch = dict(batch)  # the phase records its fakes in its own copy
        # The generator phase runs D in training mode, so that G is judged by the D that the
        # discriminator phase trains (batch statistics, not batch norm's trailing running
        # averages); what such a call writes into D is put back, so that G's phase leaves D as
        # it found it.
        kept = self.discriminator_networks() if phase.name == _GENERATOR else []
        with _state_kept(kept):
            total, logs = phase.loss_fn(batch)
            for regularizer in self.regularizers:
                if regularizer.phase == phase.name:
                    value = regularizer(self, batch)
                    logs[regularizer.name] = value
                    total = total + regularizer.weight * value
        return total, logs

    def train_step(self, *args):
        # `(data)` on TensorFlow and PyTorch, `(state, data) -> (logs, state)` on JAX.
        return backend.stateful_step(self, self.train_phases, args)

    def test_step(self, *args):
        return backend.stateful_step(self, self.test_phases, args)

    def train_phases(self, data):
        """One training step on a batch: each phase's loss, gradients and update.

        Args:
            data: the batch as `fit` yields it.

        Returns:
            The loss trackers' results.
        """
        batch = self.prepare_batch(data)
        for phase in self.phases():
            for _ in range(phase.repeats):
                logs = backend.apply_phase(
                    lambda: self._phase_loss(phase, batch),
                    phase.variables,
                    phase.optimizer,
                    checks=self.batch_checks(batch),
                )
                self._update_trackers(logs)
                if phase.name == _DISCRIMINATOR and "r_t" in logs:
                    self.augment.observe(logs["r_t"], ops.shape(batch["images"])[0])
                    self._update_trackers({"aug_p": self.augment.probability})
        return self._tracker_results()

    def test_phases(self, data):
        """One evaluation step on a batch: each phase's loss, no update.

        Args:
            data: the batch as `evaluate` yields it.

        Returns:
            The loss trackers' results.
        """
        # "training": False tells stateful parts (history pools) to stay put.
        batch = dict(self.prepare_batch(data), training=False)
        for phase in self.phases():
            _, logs = self._phase_loss(phase, batch)
            self._update_trackers(logs)
        if isinstance(self.augment, AdaptiveAugment):
            self._update_trackers({"aug_p": self.augment.probability})
        return self._tracker_results()

    @property
    def metrics(self):
        flag = [] if self._nonfinite_flag is None else [self._nonfinite_flag]
        return list(self.loss_trackers.values()) + flag

    def _add_tracker(self, name):
        if name not in self.loss_trackers:
            self.loss_trackers[name] = keras.metrics.Mean(name=name)

    def _update_trackers(self, logs):
        for name, value in logs.items():
            self.loss_trackers[name].update_state(value)

    def _tracker_results(self):
        return {name: tracker.result() for name, tracker in self.loss_trackers.items()}

    def fit(self, x=None, y=None, *args, **kwargs):
        """Trains the GAN; as `keras.Model.fit`, after checking the first batch.

        Bad data (wrong rank or image shape, condition batches of another size,
        unknown labels) raises a `ValueError` naming the argument before any
        step runs. NaN or Inf met in the data, or a loss that turns NaN, stops
        training with a `ValueError` that names the step; that step's update is
        not applied.

        A dataset from `datasets.make_dataset` (or `unpaired_dataset`,
        `shapes_dataset`) trains epoch k on the order drawn for `(seed, k)`, k
        being Keras's epoch index, so a run resumed by
        `callbacks.BackupAndRestore` sees the batches an uninterrupted one saw.
        """
        if not self.compiled:
            raise RuntimeError(
                "call compile(d_optimizer=..., g_optimizer=...) before fit()"
            )
        x, y = pipeline.strings_as_tensors(x), pipeline.strings_as_tensors(y)
        if pipeline.is_dataset(x) and not args:
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        first = pipeline.peek_batch(x, y)
        if first is not None:
            self.check_batch(first)
        args = list(args)
        positional = len(args) > 3  # fit(x, y, batch_size, epochs, verbose, callbacks, ...)
        callbacks = args[3] if positional else kwargs.pop("callbacks", None)
        callbacks = backend.training_callbacks(self) + list(callbacks or [])
        with pipeline.follow_fit_epochs(x, callbacks) as callbacks:
            if positional:
                args[3] = callbacks
            else:
                kwargs["callbacks"] = callbacks
            with backend.nonfinite_errors(lambda: _count(self.g_optimizer.iterations)):
                return super().fit(x, y, *args, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras's TensorFlow trainer, before fit and evaluate: it builds the model on a first
        # batch averaged over the replicas, which it cannot do on several workers.
        batch = None if iterator is None else backend.symbolic_build_batch(self, iterator)
        if batch is not None:
            iterator, data_batch = None, batch
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def check_batch(self, data):
        """Checks the shapes of a batch as `fit` yields it (arrays or symbolic).

        Families override this to check their conditions too; it runs on the
        first batch before training and again when the step is traced.
        """
        images = data[0] if isinstance(data, (tuple, list)) else data
        self.check_images(images)

    def check_pair(self, data, condition):
        """Splits a conditional batch into checked images and its condition.

        Args:
            data: what `fit` yields.
            condition: the condition's name, for the message (`"labels"`).

        Returns:
            `(images, condition values)`.
        """
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                f"{type(self).__name__}.fit takes (images, {condition}) pairs: a dataset "
                f"of tuples, or x=images, y={condition}"
            )
        self.check_images(data[0])
        return data[0], data[1]

    def check_images(self, images, name="images", expected=None):
        """Checks that images match the generator's output shape (or `expected`)."""
        like = "the generator's output" if expected is None else "the generator's input"
        expected = tuple(self.generator.output_shape[1:] if expected is None else expected)
        shape = tuple(images.shape)
        if len(shape) != len(expected) + 1:
            raise ValueError(
                f"{name} must be rank {len(expected) + 1} (batch, "
                f"{', '.join(str(d) for d in expected)}); got shape {shape}"
            )
        if any(d is not None and e is not None and d != e for d, e in zip(shape[1:], expected)):
            raise ValueError(
                f"{name} must have shape (batch, {', '.join(str(d) for d in expected)}) "
                f"like {like}; got shape {shape}"
            )

    # ------------------------------------------------------------------ #
    # Inference.
    # ------------------------------------------------------------------ #
    def call(self, inputs, training=False):
        """Generates images: from latents `(N, latent_dim)`, or for a batch.

        Given any other batch (as Keras does when it builds a model on
        training data), it draws N latents and generates N images.
        """
        inputs = inputs[0] if isinstance(inputs, (tuple, list)) else inputs
        shape = ops.shape(inputs)
        if len(shape) == 2 and shape[-1] == self.latent_dim:
            return self.generate_images(inputs, {}, training=training)
        return self.generate_images(self.sample_latents(shape[0]), {}, training=training)

    @contextlib.contextmanager
    def ema_weights(self):
        """A context in which the generator networks hold their moving averages.

        Active when `g_optimizer` keeps Keras's moving average
        (`use_ema=True`) and has made at least one step; otherwise the
        networks keep their weights. The training weights come back on exit.

        Yields:
            Whether the averaged weights are in use.

        Example:

        ```python
        with gan.ema_weights():
            gan.generator.save("generator_ema.keras")
        ```
        """
        optimizer = getattr(self, "g_optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # loss scaling
        if optimizer is None or not optimizer.use_ema or _count(optimizer.iterations) == 0:
            yield False
            return
        variables = _unique_variables(self.generator_networks())
        training_values = [ops.copy(variable.value) for variable in variables]
        optimizer.finalize_variable_values(variables)
        try:
            yield True
        finally:
            for variable, value in zip(variables, training_values):
                variable.assign(value)

    def generate(
        self,
        num_samples=None,
        labels=None,
        captions=None,
        images=None,
        seed=None,
        latents=None,
        batch_size=256,
        use_ema=True,
    ):
        """Generates images in [-1, 1] as a NumPy array.

        Args:
            num_samples: how many images (required when nothing else
                fixes the number).
            labels: class labels, for conditional models.
            captions: caption strings or token ids, for text models.
            images: source images, for translation models.
            seed: int; the same seed gives the same images, also after
                save/load and on another backend. `None` draws from the
                model's own noise stream.
            latents: optional latents `(N, latent_dim)` to use instead of
                drawing them (e.g. one z with every label, or a walk
                between two z).
            batch_size: images generated per forward pass.
            use_ema: use the generator's moving-average weights when
                `g_optimizer` keeps them (`use_ema=True`); see `ema_weights`.

        Returns:
            A float32 NumPy array of images.

        Example:

        ```python
        images = gan.generate(16, seed=0)
        ```
        """
        if latents is not None and num_samples is None:
            num_samples = len(latents)
        num_samples, conditions = self.generation_inputs(
            num_samples=num_samples, labels=labels, captions=captions, images=images
        )
        if latents is not None and self.latent_dim is None:
            raise ValueError(f"{type(self).__name__} has no latent code: latents must be None")
        if latents is not None:
            latents = np.asarray(latents, dtype="float32")
            if latents.shape != (num_samples, self.latent_dim):
                raise ValueError(
                    f"latents must have shape ({num_samples}, {self.latent_dim}); "
                    f"got {latents.shape}"
                )
            latents = ops.convert_to_tensor(latents)
        else:
            seed = None if seed is None else int(seed)
            latents = self.sample_latents(num_samples, conditions, seed=seed)
        outputs = []
        with self.ema_weights() if use_ema else contextlib.nullcontext():
            for start in range(0, num_samples, batch_size):
                stop = min(start + batch_size, num_samples)
                part = {k: v[start:stop] for k, v in conditions.items()}
                part_latents = None if latents is None else latents[start:stop]
                outputs.append(
                    ops.convert_to_numpy(
                        self.generate_images(part_latents, part, training=False)
                    )
                )
        return np.concatenate(outputs).astype("float32")

    def seed_latents(self, num_samples, seed):
        """The latents that `generate` draws for `num_samples` images with `seed`.

        `generate(..., latents=model.seed_latents(n, s))` gives the same images
        as `generate(..., seed=s)` for `n` images (for a `MultimodalPix2Pix`,
        `n` is the number of outputs: images x outputs per image).

        Args:
            num_samples: how many latents.
            seed: int seed, as `generate`'s.

        Returns:
            A float32 NumPy array `(num_samples, latent_dim)`.

        Example:

        ```python
        z = gan.seed_latents(16, seed=0)
        np.array_equal(gan.generate(latents=z), gan.generate(16, seed=0))   # True
        ```
        """
        if self.latent_dim is None:
            raise ValueError(f"{type(self).__name__} has no latent code: it has no seed latents")
        num_samples = check_positive_int("num_samples", num_samples)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int; got {seed!r}")
        latents = self.sample_latents(num_samples, {}, seed=int(seed))
        return ops.convert_to_numpy(latents).astype("float32")

    def latent_walk(self, seed_a, seed_b, steps=8, spherical=True):
        """Latents on a path from the first latent of `seed_a` to that of `seed_b`.

        The path's ends are `seed_latents(1, seed_a)[0]` and
        `seed_latents(1, seed_b)[0]`, so its first and last images are
        `generate(1, seed=seed_a)` and `generate(1, seed=seed_b)` (with the
        same condition). Spherical interpolation (slerp) keeps the points at
        the norm that Gaussian latents have, where linear interpolation passes
        through the low-norm middle that the generator rarely saw.

        Args:
            seed_a: int seed of the start.
            seed_b: int seed of the end.
            steps: number of points, ends included (at least 2).
            spherical: slerp if True, linear interpolation otherwise.

        Returns:
            A float32 NumPy array `(steps, latent_dim)`, to pass as
            `generate(..., latents=...)`.

        Example:

        ```python
        walk = gan.latent_walk(0, 1, steps=8)
        frames = gan.generate(labels=[3] * 8, latents=walk)    # a conditional GAN
        ```

        Reference:
            White, "Sampling Generative Networks", arXiv:1609.04468, 2016.
        """
        steps = check_positive_int("steps", steps)
        if steps < 2:
            raise ValueError(f"steps must be at least 2 (the two ends); got {steps}")
        start = self.seed_latents(1, seed_a)[0].astype("float64")
        end = self.seed_latents(1, seed_b)[0].astype("float64")
        t = np.linspace(0.0, 1.0, steps)[:, None]
        cosine = np.dot(start, end) / max(np.linalg.norm(start) * np.linalg.norm(end), 1e-12)
        omega = np.arccos(np.clip(cosine, -1.0, 1.0))
        if not spherical or np.sin(omega) < 1e-6:
            path = (1.0 - t) * start + t * end
        else:
            path = (np.sin((1.0 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)
        path[0], path[-1] = start, end
        return path.astype("float32")

    def serving_condition(self):
        """What the exported model takes besides noise: `(spec, to_batch)` or `None`.

        `spec` is the `(shape, dtype)` of the condition tensor, `to_batch`
        maps it to the batch dict of `generate_images`. Unconditional models
        return `None` and serve latents.
        """
        return None

    def extra_serving_endpoints(self):
        """Endpoints a family exports besides `serve`.

        Returns:
            A dict `{name: (fn, [(shape, dtype), ...])}`; empty by default.

        Example:

        ```python
        return {"serve_y_to_x": (lambda x: self.generator_f(x), [((None, 64, 64, 3), "float32")])}
        ```
        """
        return {}

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model as `keras.Model.save` does, to a local `.keras` file atomically.

        The file is written under a temporary name and moved into place by one
        `os.replace`: a crash or a full disk while saving leaves the previous
        file whole. Other targets (a URL, `zipped=False`, `overwrite=False` over
        an existing file) go to Keras's `save` as they are.

        Args:
            filepath: where to save, a path ending in `.keras`.
            overwrite: whether to replace an existing file.
            zipped: as for `keras.Model.save`.
            **kwargs: passed to `keras.Model.save`.

        Returns:
            None.

        Example:

        ```python
        gan.save("dcgan.keras")
        gan = mm.saving.load_model("dcgan.keras")
        ```
        """
        if (not saving.is_local_keras_file(filepath) or zipped is False
                or (not overwrite and os.path.exists(filepath))):
            return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
        saving.write_atomically(
            filepath,
            lambda partial: super(GAN, self).save(partial, overwrite=True, zipped=zipped,
                                                  **kwargs),
            suffix=".keras",
        )

    def export(self, filepath, format="tf_saved_model", verbose=None, **kwargs):
        """Writes a SavedModel that serves images in [-1, 1] (with EMA weights, if kept).

        Unconditional models: `serve(latents [N, latent_dim])`. Conditional
        ones: `serve(condition)` draws the noise inside (the condition is int
        labels `[N]`, caption strings `[N]` with a vectorizer, or token ids),
        and `serve_with_noise(condition, noise [N, latent_dim])` takes it.

        Args:
            filepath: directory to write.
            format: only `"tf_saved_model"`.
            verbose: unused, for Keras compatibility.

        Returns:
            None. Load with `tf.saved_model.load(filepath)`.

        Example:

        ```python
        gan.export("savedmodel")
        images = tf.saved_model.load("savedmodel").serve(latents)
        ```
        """
        self._check_export_format(format)
        noise_spec = ((None, self.latent_dim), "float32")
        condition = self.serving_condition()
        if condition is None:
            endpoints = {
                "serve": (
                    lambda latents: self.generate_images(latents, {}, training=False),
                    [noise_spec],
                )
            }
        else:
            spec, to_batch = condition

            def serve(values):
                batch = to_batch(values)
                latents = self.sample_latents(ops.shape(values)[0])
                return self.generate_images(latents, batch, training=False)

            def serve_with_noise(values, noise):
                return self.generate_images(noise, to_batch(values), training=False)

            endpoints = {"serve": (serve, [spec])}
            if self.latent_dim is not None:
                endpoints["serve_with_noise"] = (serve_with_noise, [spec, noise_spec])
        endpoints.update(self.extra_serving_endpoints())
        with self.ema_weights():
            backend.export_archive(self, endpoints, filepath)

    @staticmethod
    def _check_export_format(format):
        if format != "tf_saved_model":
            raise ValueError(
                f"format must be 'tf_saved_model'; got {format!r}"
            )

    # ------------------------------------------------------------------ #
    # Serialization.
    # ------------------------------------------------------------------ #
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            seed=self.seed,
            pack=self.pack,
            pool_size=self.pool_size,
            augment=None
            if self.augment is None
            else keras.saving.serialize_keras_object(self.augment),
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key, value in config.items():
            if isinstance(value, dict) and "class_name" in value:
                config[key] = keras.saving.deserialize_keras_object(
                    value, custom_objects=custom_objects
                )
        return cls(**config)


