"""Regularizers that the engine adds to a training phase.

A regularizer is a small object with a `phase` (`"discriminator"` or
`"generator"`), a `weight` and a `name`; the engine calls it inside that phase
with the model and the batch, adds `weight * value` to the phase's loss and
tracks the value under `name` in the training logs.

Discriminator phase: `GradientPenalty` (WGAN-GP), `DRAGAN`, `R1Penalty`
(optionally lazy), `MatchingAwareGradientPenalty` (DF-GAN's MA-GP, on real
images with their own captions), `Drift` (ProGAN's drift term). Generator phase:
`FeatureMatching`, `ModeSeeking`, `LatentRegression`. In a phase,
`batch["fakes"]` and `batch["latents"]` hold the phase's generated images and
their latents.
"""

import keras
from keras import ops

from keras_mmgan import backend, losses
from keras_mmgan.validation import check_positive_int, check_positive_number, check_weight


class Regularizer:
    """Base class: a term added to one phase's loss.

    Subclasses implement `__call__(model, batch)` returning the unweighted
    scalar, written in `keras.ops`. `batch` is the dict the model's
    `prepare_batch` made (`batch["images"]` holds the real images; conditions
    under their own keys), and `model.discriminate(images, batch)` runs the
    discriminator on any images with the batch's conditions.

    Args:
        weight: factor of the term in the phase loss.
        name: the log name of the term.

    Example:

    A term of one's own: it keeps the mean of D's logits on real images near 0.

    ```python
    class LogitCentring(Regularizer):
        default_name = "logit_centring"  # logged as "logit_centring"

        def __call__(self, model, batch):
            logits = model.adversarial_loss.logits(model.discriminate(batch["images"], batch))
            return keras.ops.square(keras.ops.mean(logits))

    gan.compile(d_optimizer=..., g_optimizer=..., regularizers=[LogitCentring(0.1)])
    ```
    """

    phase = "discriminator"
    default_name = None

    def __init__(self, weight=1.0, name=None):
        self.weight = check_weight("weight", weight)
        self.name = name or self.default_name

    def __call__(self, model, batch):
        raise NotImplementedError

    def get_config(self):
        return {"weight": self.weight, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _squared_gradient_norms(model, images, batch):
    """Per-sample `||grad_x D(x)||^2` of D's logits, shape `(N,)`."""

    def logits(x):
        return model.adversarial_loss.logits(model.discriminate(x, batch))

    gradients = ops.cast(backend.input_gradients(logits, images), "float32")
    return ops.sum(ops.reshape(ops.square(gradients), (ops.shape(images)[0], -1)), axis=1)


def _per_sample(model, shape_like, minval=0.0, maxval=1.0):
    """One uniform draw per sample, broadcastable against `shape_like`."""
    ones = (1,) * (len(shape_like.shape) - 1)
    return backend.replica_share(
        lambda n: keras.random.uniform((n,) + ones, minval, maxval, seed=model.seed_generator),
        ops.shape(shape_like)[0],
    )


def _one_centred_penalty(model, images, batch, target):
    # sqrt(s + eps): the norm's gradient is finite where the gradient is 0.
    norms = ops.sqrt(_squared_gradient_norms(model, images, batch) + 1e-12)
    return ops.mean(ops.square(norms - target))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class GradientPenalty(Regularizer):
    """WGAN-GP gradient penalty (Gulrajani et al. 2017, eq. 3).

    `E[(||grad D(x_hat)||_2 - 1)^2]` at `x_hat = a x + (1 - a) G(z)`, with one
    `a ~ U[0, 1]` per sample (not one per batch or per pixel), real and fake
    images of the same batch, and the same conditions. The norm is
    `sqrt(s + 1e-12)`, so its gradient is finite where D is flat. Use with
    `loss="wgan"` and no batch normalization in D.

    Args:
        weight: the paper's `lambda` (10).
        target: the norm the gradients are pulled to (1).
        name: log name, `"gp"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., loss="wgan", d_steps=5,
                regularizers=[GradientPenalty(10.0)])
    ```

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    """

    default_name = "gp"

    def __init__(self, weight=10.0, target=1.0, name=None):
        super().__init__(weight, name)
        self.target = float(target)

    def __call__(self, model, batch):
        real, fake = batch["images"], batch["fakes"]
        alpha = ops.cast(_per_sample(model, real), real.dtype)
        mixed = alpha * real + (1.0 - alpha) * ops.cast(fake, real.dtype)
        return _one_centred_penalty(model, mixed, batch, self.target)

    def get_config(self):
        return {**super().get_config(), "target": self.target}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class DRAGAN(Regularizer):
    """DRAGAN gradient penalty around the real data (Kodali et al. 2017).

    `E[(||grad D(x_hat)||_2 - 1)^2]` at points between each real image `x`
    and a perturbed copy `x + c * std(x) * u`, `u ~ U[0, 1]` per pixel, at a
    uniform fraction per sample (the authors' code). It keeps D smooth
    around the data, where mode collapse starts.

    Args:
        weight: the paper's `lambda` (10).
        scale: the perturbation's scale `c` (0.5).
        name: log name, `"dragan"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., regularizers=[DRAGAN(10.0)])
    ```

    Reference:
        Kodali et al., "On Convergence and Stability of GANs", arXiv:1705.07215, 2017.
    """

    default_name = "dragan"

    def __init__(self, weight=10.0, scale=0.5, name=None):
        super().__init__(weight, name)
        self.scale = float(scale)

    def __call__(self, model, batch):
        real = batch["images"]
        noise = backend.replica_share(
            lambda n: keras.random.uniform((n,) + tuple(real.shape[1:]), seed=model.seed_generator),
            ops.shape(real)[0],
        )
        perturbed = real + self.scale * ops.std(real) * ops.cast(noise, real.dtype)
        alpha = ops.cast(_per_sample(model, real), real.dtype)
        return _one_centred_penalty(model, real + alpha * (perturbed - real), batch, 1.0)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class R1Penalty(Regularizer):
    """R1 gradient penalty on real data (Mescheder et al. 2018, eq. 9).

    `R1 = E_x[ ||grad_x D(x)||^2 ] / 2` on real images, with D's output as
    logits; the phase loss gains `weight * R1` (the paper's `gamma` is the
    weight). It keeps the discriminator smooth on the data manifold.

    Lazy regularization (Karras et al. 2020, section 3.1): with
    `interval=k`, R1 is computed only every k-th discriminator step and
    multiplied by k, so the average penalty is unchanged and k - 1 of k steps
    skip its double backward pass. The logged value is 0 on the other steps.

    Args:
        weight: the paper's `gamma`.
        interval: apply every `interval` discriminator steps (1: every step).
        name: log name, `"r1"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., regularizers=[R1Penalty(10.0)])
    ```

    Reference:
        Mescheder et al., "Which Training Methods for GANs do actually
        Converge?", ICML 2018; Karras et al., "Analyzing and Improving the
        Image Quality of StyleGAN", CVPR 2020.
    """

    default_name = "r1"

    def __init__(self, weight=1.0, interval=1, name=None):
        super().__init__(weight, name)
        self.interval = check_positive_int("interval", interval)

    def __call__(self, model, batch):
        images = batch["images"]

        def r1():
            return 0.5 * ops.mean(_squared_gradient_norms(model, images, batch))

        if self.interval == 1:
            return r1()
        due = ops.equal(model.d_optimizer.iterations % self.interval, 0)
        return ops.cond(due, lambda: self.interval * r1(), lambda: ops.zeros((), images.dtype))

    def get_config(self):
        return {**super().get_config(), "interval": self.interval}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class MatchingAwareGradientPenalty(Regularizer):
    """Matching-aware zero-centred gradient penalty, MA-GP (Tao et al. 2022, eq. 3).

    `E[||(grad_x D(x, e), grad_e D(x, e))||_2 ** p]` at real images `x` with
    their own (matching) text features `e`: the gradient is taken with respect
    to the image and the sentence features together (the two gradients
    concatenated per sample), so D is smooth around the real, matching pairs
    in both inputs, which DF-GAN found lets a one-stage generator converge to
    images that follow their text. The paper uses `weight` k = 2 and `power`
    p = 6, with the hinge loss.

    The text features are D's inputs that are floats: with a `TextToImageGAN`
    whose discriminator takes `[images, sentence (N, text_dim)]` the model
    feeds it the text encoder's sentence feature (held constant in D's
    phases) and the penalty covers both. A discriminator that reads token ids
    embeds them itself, so no gradient reaches its text: the penalty is then
    the image term alone (zero-centred R1 of power p).

    Args:
        weight: the paper's k (2).
        power: the paper's p (6); the norm is raised to it.
        name: log name, `"ma_gp"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., loss="hinge",
                regularizers=[MatchingAwareGradientPenalty(2.0, power=6.0)])
    ```

    Reference:
        Tao et al., "DF-GAN: A Simple and Effective Baseline for Text-to-Image
        Synthesis", CVPR 2022, section 3.2.
    """

    default_name = "ma_gp"

    def __init__(self, weight=2.0, power=6.0, name=None):
        super().__init__(weight, name)
        self.power = check_positive_number("power", power)

    def __call__(self, model, batch):
        images = batch["images"]
        inputs = model.discriminator_inputs(images, batch)
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        # The images and every float condition (text features); not token ids.
        positions = [
            i for i, x in enumerate(inputs)
            if i == 0 or "float" in str(getattr(x.dtype, "name", x.dtype))
        ]

        def logits(differentiated):
            full = list(inputs)
            for i, x in zip(positions, differentiated):
                full[i] = x
            outputs = model.discriminator(full if len(full) > 1 else full[0], training=True)
            return model.adversarial_loss.logits(outputs)

        gradients = backend.input_gradients(logits, [inputs[i] for i in positions])
        squared = 0.0
        for gradient in gradients:
            if gradient is None:  # an input D does not read
                continue
            gradient = ops.cast(gradient, "float32")
            squared = squared + ops.sum(
                ops.reshape(ops.square(gradient), (ops.shape(images)[0], -1)), axis=1
            )
        # ||g||^p = (||g||^2)^(p/2): no square root, finite gradient at g = 0.
        return ops.mean(ops.power(squared, self.power / 2.0))

    def get_config(self):
        return {**super().get_config(), "power": self.power}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class FeatureMatching(Regularizer):
    """Feature matching for the generator (Salimans et al. 2016, section 3.1).

    `||E f(x) - E f(G(z))||^2`: G matches the batch means of an intermediate
    discriminator layer `f` on real and fake images, a target that does not
    move with D's last layer and so resists collapse onto one output.
    Added to the generator phase; to train G on feature matching alone, use
    it with `loss` weights that make the adversarial term small.

    Args:
        weight: factor of the term.
        layer: name of D's layer whose output is matched; by default the
            input of D's last layer.
        name: log name, `"feature_matching"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=...,
                regularizers=[FeatureMatching(1.0, layer="features")])
    ```

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    """

    phase = "generator"
    default_name = "feature_matching"

    def __init__(self, weight=1.0, layer=None, name=None):
        super().__init__(weight, name)
        self.layer = layer
        self._network = None

    def features(self, model, images, batch):
        """The output of the chosen D layer for images (with the batch's conditions)."""
        discriminator = model.discriminator
        # Built once per discriminator, and kept here: an attribute of the
        # model would be tracked (and saved) as one of its layers.
        if self._network is None or self._network[0] is not discriminator:
            if self.layer is None:
                output = discriminator.layers[-1].input
            else:
                try:
                    output = discriminator.get_layer(self.layer).output
                except ValueError as error:
                    raise ValueError(
                        f"layer {self.layer!r} is not a layer of the discriminator "
                        f"{discriminator.name!r}: {error}"
                    ) from None
            self._network = (discriminator, keras.Model(discriminator.inputs, output))
        inputs = model.discriminator_inputs(images, batch)
        return self._network[1](inputs, training=True)

    def __call__(self, model, batch):
        def mean_features(images):
            features = ops.cast(self.features(model, images, batch), "float32")
            return ops.mean(ops.reshape(features, (ops.shape(features)[0], -1)), axis=0)

        real = mean_features(ops.stop_gradient(batch["images"]))
        return ops.sum(ops.square(real - mean_features(batch["fakes"])))

    def get_config(self):
        return {**super().get_config(), "layer": self.layer}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ModeSeeking(Regularizer):
    """Mode-seeking regularization (Mao et al. 2019, eq. 3).

    Two latents `z1, z2` with the same conditions should give images as far
    apart as the latents are: with
    `d = mean|G(z1) - G(z2)| / mean|z1 - z2|`, the generator minimises
    `1 / (d + eps)`. The phase's fakes are `G(z1)`; `G(z2)` is one extra
    generator pass.

    The term's pull, `1 / d**2`, never stops: where the plausible outputs
    differ in a small part of the image (a coloured shape on a plain
    background), it keeps pushing after that part varies and buys more
    distance by painting the background. `max_ratio` (the bound `tau` of
    Yang et al. 2019) stops it: `d` is clipped at `max_ratio`, so outputs
    that are already that far apart feel no pull.

    Args:
        weight: the paper's `lambda_ms` (1).
        eps: keeps the term finite when the two images coincide.
        max_ratio: `None` (the paper), or a positive float: the ratio `d`
            above which the term is constant.
        name: log name, `"mode_seeking"` by default.

    Example:

    ```python
    cgan.compile(d_optimizer=..., g_optimizer=..., regularizers=[ModeSeeking(1.0)])
    ```

    Reference:
        Mao et al., "Mode Seeking Generative Adversarial Networks for Diverse
        Image Synthesis", CVPR 2019; Yang et al., "Diversity-Sensitive
        Conditional Generative Adversarial Networks", ICLR 2019 (the bound).
    """

    phase = "generator"
    default_name = "mode_seeking"

    def __init__(self, weight=1.0, eps=1e-5, max_ratio=None, name=None):
        super().__init__(weight, name)
        self.eps = check_positive_number("eps", eps)
        if max_ratio is not None:
            max_ratio = check_positive_number("max_ratio", max_ratio)
        self.max_ratio = max_ratio

    def __call__(self, model, batch):
        latents, fakes = batch["latents"], batch["fakes"]
        other_latents = model.sample_latents(ops.shape(latents)[0], batch)
        others = model.generate_images(other_latents, batch, training=True)
        image_distance = losses.mean_absolute_difference(fakes, others)
        latent_distance = losses.mean_absolute_difference(latents, other_latents)
        ratio = image_distance / latent_distance
        if self.max_ratio is not None:
            ratio = ops.minimum(ratio, self.max_ratio)
        return 1.0 / (ratio + self.eps)

    def get_config(self):
        return {**super().get_config(), "eps": self.eps, "max_ratio": self.max_ratio}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class LatentRegression(Regularizer):
    """Latent regression: an encoder recovers the latent from the image it made.

    `mean |E(G(z)) - z|` with the model's `image_encoder` `E`, which the
    generator phase trains with G (it must be among the model's generator
    networks, as in `TextToImageGAN`). G cannot ignore z when z must be read
    back from its output, so outputs stay diverse (InfoGAN; the cLR-GAN half of
    BicycleGAN).

    Args:
        weight: factor of the term.
        name: log name, `"latent_loss"` by default.

    Example:

    ```python
    model.compile(..., regularizers=[LatentRegression(1.0)])  # model.image_encoder set
    ```

    Reference:
        Chen et al., "InfoGAN", NeurIPS 2016; Zhu et al., "Toward Multimodal
        Image-to-Image Translation", NeurIPS 2017.
    """

    phase = "generator"
    default_name = "latent_loss"

    def __call__(self, model, batch):
        encoder = getattr(model, "image_encoder", None)
        if encoder is None:
            raise ValueError(
                f"LatentRegression needs a model with an image_encoder; "
                f"{type(model).__name__} has none."
            )
        regressed = encoder(batch["fakes"], training=True)
        # Under mixed precision the latents are float32, the encoder's output not.
        return losses.mean_absolute_difference(regressed, batch["latents"])


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Drift(Regularizer):
    """Drift penalty on the critic's scores of real images (Karras et al. 2018, appendix A.1).

    `E_x[D(x)^2]` on real images, with D's output read as logits: a WGAN critic's loss only
    sees differences of scores, so its outputs may drift far from zero together; this small
    extra term keeps them near zero. The paper adds it with `epsilon_drift = 0.001` (the
    weight) next to the WGAN-GP penalty.

    Args:
        weight: the paper's `epsilon_drift` (0.001).
        name: log name, `"drift"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., loss="wgan",
                regularizers=[GradientPenalty(10.0), Drift(0.001)])
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, appendix A.1.
    """

    default_name = "drift"

    def __init__(self, weight=0.001, name=None):
        super().__init__(weight, name)

    def __call__(self, model, batch):
        scores = model.adversarial_loss.logits(model.discriminate(batch["images"], batch))
        return ops.mean(ops.square(ops.cast(scores, "float32")))


def get(identifier):
    """Returns a regularizer from an object or its serialized config.

    Args:
        identifier: a `Regularizer`, or the dict `keras.saving.serialize_keras_object` made.

    Returns:
        A `Regularizer`.

    Example:

    >>> get(R1Penalty(10.0)).name
    'r1'
    """
    if isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise TypeError(
        "regularizers must be a list of keras_mmgan.regularizers.Regularizer "
        f"objects; got {type(identifier).__name__}"
    )
