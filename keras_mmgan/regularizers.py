"""Regularizers that the engine adds to a training phase.

A regularizer is a small object with a `phase` (`"discriminator"` or
`"generator"`), a `weight` and a `name`; the engine calls it inside that phase
with the model and the batch, adds `weight * value` to the phase's loss and
tracks the value under `name` in the training logs.
"""

import keras
from keras import ops

from keras_mmgan import backend


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
    """

    phase = "discriminator"
    default_name = None

    def __init__(self, weight=1.0, name=None):
        self.weight = float(weight)
        self.name = name or self.default_name

    def __call__(self, model, batch):
        raise NotImplementedError

    def get_config(self):
        return {"weight": self.weight, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_mmgan")
class R1Penalty(Regularizer):
    """R1 gradient penalty on real data (Mescheder et al. 2018, eq. 9).

    `R1 = E_x[ ||grad_x D(x)||^2 ] / 2` on real images, with D's output as
    logits; the phase loss gains `weight * R1` (the paper's `gamma` is the
    weight). It keeps the discriminator smooth on the data manifold.

    Args:
        weight: the paper's `gamma`.
        name: log name, `"r1"` by default.

    Example:

    ```python
    gan.compile(d_optimizer=..., g_optimizer=..., regularizers=[R1Penalty(10.0)])
    ```

    Reference:
        Mescheder et al., "Which Training Methods for GANs do actually
        Converge?", ICML 2018.
    """

    default_name = "r1"

    def __call__(self, model, batch):
        images = batch["images"]

        def logits(x):
            return model.adversarial_loss.logits(model.discriminate(x, batch))

        gradients = backend.input_gradients(logits, images)
        squared = ops.sum(
            ops.reshape(ops.square(gradients), (ops.shape(images)[0], -1)), axis=1
        )
        return 0.5 * ops.mean(squared)


def get(identifier):
    """Returns a regularizer from an object or its serialized config."""
    if isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise TypeError(
        "regularizers must be a list of keras_mmgan.regularizers.Regularizer "
        f"objects; got {type(identifier).__name__}"
    )
