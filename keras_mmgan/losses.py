"""Adversarial losses.

Every loss object has `discriminator_loss(real_output, fake_output)` and
`generator_loss(fake_output, real_output=None)`, each returning the scalar mean
over all elements (batch and, for patch discriminators, patches), to be
minimised. Discriminator outputs are logits unless `from_logits=False`.

With `from_logits=False` (a discriminator ending in a sigmoid, as in the guide)
the probabilities are turned back into logits: exactly, from the sigmoid's own
input where the backend keeps it (TensorFlow graphs do), otherwise by clipping
to `[eps, 1 - eps]` first, so the losses never take `log(0)`.

Reference:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
"""

import keras
from keras import ops

from keras_mmgan.validation import check_weight

_EPSILON = 1e-7


def _to_logits(output, from_logits):
    # Losses are taken in float32, also under a mixed-precision policy.
    output = ops.convert_to_tensor(output)
    if from_logits:
        return _as_float(output)
    logits = getattr(output, "_keras_logits", None)
    if logits is not None:
        return _as_float(logits)
    p = ops.clip(_as_float(output), _EPSILON, 1.0 - _EPSILON)
    return ops.log(p) - ops.log1p(-p)


def _as_float(output):
    return ops.cast(ops.convert_to_tensor(output), "float32")


def mean_absolute_difference(a, b):
    """Mean `|a - b|` in float32, casting each operand first.

    The L1 terms of the translation models and regularizers go through here so that they also
    work when `a` and `b` come in different dtypes (a float16 network output against float32
    data under a mixed-precision policy).

    Args:
        a: a tensor.
        b: a tensor of the same shape (or broadcastable to it).

    Returns:
        A float32 scalar tensor.

    Example:
        >>> float(mean_absolute_difference([1.0, -1.0], [0.0, 0.0]))
        1.0
    """
    return ops.mean(ops.abs(_as_float(a) - _as_float(b)))


def _require_scores(name, from_logits):
    if not from_logits:
        raise ValueError(
            f"{name} works on raw discriminator scores (from_logits=True); a "
            "discriminator that ends in a sigmoid cannot use it. Remove the "
            "sigmoid, or pick 'non_saturating', 'minimax' or 'lsgan'."
        )


class AdversarialLoss:
    """Base class of the adversarial losses.

    Subclasses implement `discriminator_loss` and `generator_loss` in
    `keras.ops`, on logits (use `self.logits(output)` to accept probabilities).

    Args:
        from_logits: whether discriminator outputs are logits (`True`) or
            probabilities in (0, 1) (`False`).

    Example:

    A loss of one's own, passed to `compile(loss=...)` like the shipped ones:

    >>> from keras import ops
    >>> class Softplus(AdversarialLoss):
    ...     def discriminator_loss(self, real_output, fake_output):
    ...         real, fake = self.logits(real_output), self.logits(fake_output)
    ...         return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))
    ...     def generator_loss(self, fake_output, real_output=None):
    ...         return ops.mean(ops.softplus(-self.logits(fake_output)))
    >>> round(float(Softplus().generator_loss(ops.zeros((4, 1)))), 4)  # log 2
    0.6931
    >>> round(float(Softplus(from_logits=False).generator_loss(ops.full((4, 1), 0.5))), 4)
    0.6931
    """

    name = None
    # Whether generator_loss reads D's outputs on real images.
    needs_real_output = False

    def __init__(self, from_logits=True):
        self.from_logits = bool(from_logits)

    def logits(self, output):
        """Returns `output` as logits, however the discriminator ends."""
        return _to_logits(output, self.from_logits)

    def discriminator_loss(self, real_output, fake_output):
        raise NotImplementedError

    def generator_loss(self, fake_output, real_output=None):
        raise NotImplementedError

    def get_config(self):
        return {"from_logits": self.from_logits}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Minimax(AdversarialLoss):
    """The original minimax GAN loss (Goodfellow et al. 2014, eq. 1).

    D minimises `-log D(x) - log(1 - D(G(z)))`; G minimises
    `log(1 - D(G(z)))`, which saturates when D wins early — prefer
    `NonSaturating` in practice. In logits `l`: `log(1 - sigmoid(l)) =
    -softplus(l)`.

    Args:
        from_logits: whether discriminator outputs are logits.

    Example:

    >>> loss = Minimax()
    >>> float(loss.discriminator_loss([0.0], [0.0]))  # 2 log 2
    1.3862943649291992

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    """

    name = "minimax"

    def discriminator_loss(self, real_output, fake_output):
        real, fake = self.logits(real_output), self.logits(fake_output)
        return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))

    def generator_loss(self, fake_output, real_output=None):
        return -ops.mean(ops.softplus(self.logits(fake_output)))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class NonSaturating(Minimax):
    """The non-saturating GAN loss (Goodfellow et al. 2014, section 3).

    D as in `Minimax`; G minimises `-log D(G(z))` = `softplus(-l)`, which has
    strong gradients exactly where the minimax loss has none.

    Args:
        from_logits: whether discriminator outputs are logits.

    Example:

    >>> loss = NonSaturating()
    >>> round(float(loss.generator_loss([0.0])), 4)  # log 2
    0.6931

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    """

    name = "non_saturating"

    def generator_loss(self, fake_output, real_output=None):
        return ops.mean(ops.softplus(-self.logits(fake_output)))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class LSGAN(AdversarialLoss):
    """Least-squares GAN loss (Mao et al. 2017, eq. 9, the 0-1 coding).

    D minimises `((D(x) - 1)^2 + D(G(z))^2) / 2`, G minimises
    `(D(G(z)) - 1)^2 / 2`, on D's raw outputs. Far-from-boundary fakes still
    get gradients, which steadies training. With `from_logits=False` the
    outputs are probabilities and are used as they are.

    Args:
        from_logits: whether discriminator outputs are raw scores (`True`) or
            probabilities (`False`); both are used directly.

    Example:

    >>> loss = LSGAN()
    >>> float(loss.discriminator_loss([1.0], [0.0]))
    0.0

    Reference:
        Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
    """

    name = "lsgan"

    def discriminator_loss(self, real_output, fake_output):
        real, fake = _as_float(real_output), _as_float(fake_output)
        return 0.5 * (ops.mean(ops.square(real - 1.0)) + ops.mean(ops.square(fake)))

    def generator_loss(self, fake_output, real_output=None):
        return 0.5 * ops.mean(ops.square(_as_float(fake_output) - 1.0))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class WGAN(AdversarialLoss):
    """Wasserstein GAN loss (Arjovsky et al. 2017, eq. 3).

    The critic minimises `E[D(G(z))] - E[D(x)]`, the generator `-E[D(G(z))]`.
    The critic must be kept 1-Lipschitz: pair it with
    `regularizers.GradientPenalty` (WGAN-GP) or spectral normalization, and
    usually `d_steps=5`. Outputs are unbounded scores, never probabilities.

    Args:
        from_logits: must be `True`: a critic does not end in a sigmoid.

    Example:

    >>> loss = WGAN()
    >>> float(loss.discriminator_loss([2.0], [0.5]))
    -1.5

    Reference:
        Arjovsky et al., "Wasserstein Generative Adversarial Networks", ICML 2017.
    """

    name = "wgan"

    def __init__(self, from_logits=True):
        _require_scores(type(self).__name__, from_logits)
        super().__init__(from_logits)

    def discriminator_loss(self, real_output, fake_output):
        return ops.mean(_as_float(fake_output)) - ops.mean(_as_float(real_output))

    def generator_loss(self, fake_output, real_output=None):
        return -ops.mean(_as_float(fake_output))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Hinge(AdversarialLoss):
    """Hinge GAN loss (Lim & Ye 2017; Miyato et al. 2018, eq. 16-17).

    D minimises `E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`, G minimises
    `-E[D(G(z))]`. The loss of SNGAN, the projection discriminator and BigGAN.

    Args:
        from_logits: must be `True`: the margins are on raw scores.

    Example:

    >>> loss = Hinge()
    >>> float(loss.discriminator_loss([0.0], [0.0]))
    2.0

    Reference:
        Lim & Ye, "Geometric GAN", arXiv:1705.02894, 2017; Miyato et al.,
        "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    """

    name = "hinge"

    def __init__(self, from_logits=True):
        _require_scores(type(self).__name__, from_logits)
        super().__init__(from_logits)

    def discriminator_loss(self, real_output, fake_output):
        real, fake = _as_float(real_output), _as_float(fake_output)
        return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))

    def generator_loss(self, fake_output, real_output=None):
        return -ops.mean(_as_float(fake_output))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Relativistic(AdversarialLoss):
    """Relativistic average GAN loss, RaSGAN (Jolicoeur-Martineau 2019, eq. 13-14).

    D judges whether a real image is more realistic than the average fake:
    with logits `C`, `D_r = C(x) - E[C(G(z))]` and `D_f = C(G(z)) - E[C(x)]`,
    D minimises `E[softplus(-D_r)] + E[softplus(D_f)]` and G the swapped
    `E[softplus(D_r)] + E[softplus(-D_f)]`, so G's loss needs the real outputs
    too (the engine passes them).

    Args:
        from_logits: whether discriminator outputs are logits.

    Example:

    >>> loss = Relativistic()
    >>> round(float(loss.generator_loss([0.0], [0.0])), 4)  # 2 log 2
    1.3863

    Reference:
        Jolicoeur-Martineau, "The relativistic discriminator: a key element
        missing from standard GAN", ICLR 2019.
    """

    name = "relativistic"
    needs_real_output = True

    def _relative(self, real_output, fake_output):
        real, fake = self.logits(real_output), self.logits(fake_output)
        return real - ops.mean(fake), fake - ops.mean(real)

    def discriminator_loss(self, real_output, fake_output):
        real, fake = self._relative(real_output, fake_output)
        return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))

    def generator_loss(self, fake_output, real_output=None):
        if real_output is None:
            raise ValueError(
                "Relativistic.generator_loss needs real_output: the relativistic "
                "loss compares fakes with the average real output."
            )
        real, fake = self._relative(real_output, fake_output)
        return ops.mean(ops.softplus(real)) + ops.mean(ops.softplus(-fake))


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Hybrid(AdversarialLoss):
    """A weighted sum of adversarial losses, e.g. `{"lsgan": 1.0, "hinge": 0.5}`.

    Each phase's loss is `sum_i w_i * loss_i` of that phase.

    Args:
        losses: dict mapping a loss name (or object) to its weight.
        from_logits: whether discriminator outputs are logits; passed to every
            loss given by name.

    Example:

    >>> loss = Hybrid({"lsgan": 1.0, "hinge": 0.5})
    >>> float(loss.discriminator_loss([0.0], [0.0]))  # 1 * 0.5 + 0.5 * 2
    1.5
    """

    name = "hybrid"

    def __init__(self, losses, from_logits=True):
        super().__init__(from_logits)
        # A dict {name or object: weight}, or [(loss or its config, weight), ...]
        # as get_config writes it.
        items = list(losses.items()) if isinstance(losses, dict) else losses
        if not isinstance(items, (list, tuple)) or not items:
            raise ValueError(
                "losses must be a non-empty dict {loss name: weight}; "
                f"got {losses!r}"
            )
        self.losses = []
        for key, weight in items:
            if isinstance(key, dict):
                key = keras.saving.deserialize_keras_object(key)
            loss = get(key, from_logits=from_logits)
            label = loss.name or type(loss).__name__
            self.losses.append((loss, check_weight(f"the weight of {label!r}", weight)))

    @property
    def needs_real_output(self):
        return any(loss.needs_real_output for loss, _ in self.losses)

    def discriminator_loss(self, real_output, fake_output):
        return sum(
            w * loss.discriminator_loss(real_output, fake_output) for loss, w in self.losses
        )

    def generator_loss(self, fake_output, real_output=None):
        return sum(
            w * loss.generator_loss(fake_output, real_output) for loss, w in self.losses
        )

    def get_config(self):
        return {
            "losses": [
                [keras.saving.serialize_keras_object(loss), weight]
                for loss, weight in self.losses
            ],
            "from_logits": self.from_logits,
        }


_LOSSES = {
    cls.name: cls for cls in (Minimax, NonSaturating, LSGAN, WGAN, Hinge, Relativistic)
}


def get(identifier, from_logits=True):
    """Returns the loss object for a name, an object or a `{name: weight}` dict.

    Args:
        identifier: a loss name (one of `keras_mmgan.losses.names()`), an
            `AdversarialLoss`, or a dict `{name: weight}` for a `Hybrid`.
        from_logits: for names and dicts, whether discriminator outputs are
            logits. Ignored for objects.

    Returns:
        An `AdversarialLoss`.

    Example:

    >>> get("non_saturating")
    NonSaturating(from_logits=True)
    """
    if isinstance(identifier, AdversarialLoss):
        return identifier
    if isinstance(identifier, dict):
        return Hybrid(identifier, from_logits=from_logits)
    if isinstance(identifier, str):
        key = identifier.lower().replace("-", "_")
        if key not in _LOSSES:
            raise ValueError(
                f"Unknown loss {identifier!r}; expected one of {names()}, an "
                "AdversarialLoss object or a dict {name: weight}."
            )
        return _LOSSES[key](from_logits=from_logits)
    raise TypeError(
        "loss must be a name, an AdversarialLoss object or a dict "
        f"{{name: weight}}; got {type(identifier).__name__}"
    )


def names():
    """The loss names that `get` (and `compile(loss=...)`) accepts.

    Returns:
        A sorted list of str.

    Example:

    >>> "hinge" in names(), "lsgan" in names()
    (True, True)
    """
    return sorted(_LOSSES)
