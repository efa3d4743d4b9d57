"""Adaptive discriminator augmentation (ADA, Karras et al. 2020): `p` follows D's overfitting.

The discriminator of a GAN trained on little data learns its training images by heart: it
grows confident on them, `E[sign(D(real))]` rises towards 1. ADA measures that signal,
`r_t = E[sign(D(real))]`, over a few discriminator steps and moves the augmentation
probability `p` up when `r_t` exceeds a target (0.6) and down when it falls below, by
`batch * interval / speed_images` per adjustment: at the paper's speed (500k images) `p` can go
from 0 to 1 over 500,000 real images.
"""

import keras
from keras import ops

from keras_mmgan.layers.diff_augment import DiffAugment
from keras_mmgan.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_mmgan")
class AdaptiveAugment(DiffAugment):
    """Differentiable augmentation whose probability `p` is tuned while training (ADA).

    Give it to a GAN (`augment="ada"`, or an instance): the GAN reports `r_t`, the mean sign
    of D's logits on the real images of each discriminator step, to `observe`, and logs
    `r_t` and `aug_p` every epoch. Every `interval` discriminator steps, `p` moves by
    `sign(mean r_t - target) * images / speed_images` (the images of those steps), clamped to
    [0, 1]. `p`, the running sums and the random state are variables saved with the model and
    in backups, so a resumed run continues with the same `p` and noise.

    The ops are DiffAugment's (see `DiffAugment`), each applied to an image with probability
    `p`; the default policy, `"flip,rotation,translation,color"`, follows ADA's "bgc"
    pipeline (flips, quarter turns and integer translation, then colour) with DiffAugment's
    strengths, less ADA's general rotation, scaling and hue, which need resampling.

    Args:
        policy: comma-separated op names (see `DiffAugment`).
        target: the `r_t` that `p` is steered to, in (0, 1) (0.6, the paper's).
        speed_images: real images over which `p` can move by 1 (500,000, the paper's).
        interval: discriminator steps between adjustments (4, the paper's).
        probability: the initial `p`, in [0, 1] (0).
        **kwargs: passed to `DiffAugment` (`seed`, `fill`, ...).

    Returns:
        Called on images, the augmented images (as `DiffAugment`).

    Example:

    >>> augment = AdaptiveAugment(speed_images=1000, interval=1, seed=0)
    >>> augment.observe(1.0, batch_size=100)   # D is sure of every real: p rises by 0.1
    >>> round(float(augment.probability), 3)
    0.1

    Reference:
        Karras, Aittala, Hellsten, Laine, Lehtinen and Aila, "Training Generative Adversarial
        Networks with Limited Data", NeurIPS 2020 (section 3, the heuristic r_t).
    """

    def __init__(
        self,
        policy="flip,rotation,translation,color",
        target=0.6,
        speed_images=500_000,
        interval=4,
        probability=0.0,
        **kwargs,
    ):
        super().__init__(policy, probability=probability, **kwargs)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
            raise ValueError(f"target must be a number in (0, 1); got {target!r}")
        self.target = float(target)
        self.speed_images = check_positive_int("speed_images", speed_images)
        self.interval = check_positive_int("interval", interval)

        def scalar(name, dtype="float32"):
            return self.add_weight(
                shape=(), initializer="zeros", dtype=dtype, trainable=False, name=name
            )

        self.sign_sum = scalar("sign_sum")
        self.steps = scalar("steps", "int32")
        self.images = scalar("images")
        self.rt = scalar("rt")

    def observe(self, real_sign, batch_size):
        """Adds one discriminator step's `E[sign(D(real))]`; every `interval` steps moves `p`.

        Args:
            real_sign: the mean sign of D's logits on the step's real images.
            batch_size: the number of real images of the step.

        Returns:
            None; `probability` and `rt` (the last measured `r_t`) are updated.
        """
        sign_sum = self.sign_sum + ops.cast(real_sign, "float32")
        steps = self.steps + 1
        images = self.images + ops.cast(batch_size, "float32")
        due = steps >= self.interval
        rt = sign_sum / ops.cast(steps, "float32")
        moved = self.probability + ops.sign(rt - self.target) * images / self.speed_images
        # `.value`: JAX does not convert a variable passed to an op as an array.
        self.probability.assign(ops.where(due, ops.clip(moved, 0.0, 1.0), self.probability.value))
        self.rt.assign(ops.where(due, rt, self.rt.value))
        self.sign_sum.assign(ops.where(due, 0.0, sign_sum))
        self.steps.assign(ops.where(due, 0, steps))
        self.images.assign(ops.where(due, 0.0, images))

    def get_config(self):
        config = super().get_config()
        config.update(
            target=self.target, speed_images=self.speed_images, interval=self.interval
        )
        return config
