"""Learning-rate schedules of the GAN papers, as Keras schedules."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `constant_steps`, then linear decay to 0 over `decay_steps`.

    CycleGAN's schedule (Zhu et al. 2017, section 7.1): 100 epochs at 2e-4,
    then 100 epochs decaying linearly to zero; pass steps, e.g.
    `constant_steps=100 * steps_per_epoch`. As a Keras schedule it is read
    from the optimizer's own step count, so it resumes with the optimizer.

    Args:
        learning_rate: the initial rate.
        constant_steps: optimizer steps at the initial rate.
        decay_steps: steps over which the rate falls linearly to 0.

    Returns:
        Called with a step, the learning rate at that step.

    Example:

    >>> schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
    >>> [round(float(schedule(step)), 6) for step in (0, 100, 150, 200, 300)]
    [0.0002, 0.0002, 0.0001, 0.0, 0.0]

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017.
    """

    def __init__(self, learning_rate, constant_steps, decay_steps):
        for name, value in (("constant_steps", constant_steps), ("decay_steps", decay_steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0; got {value!r}")
        self.learning_rate = float(learning_rate)
        self.constant_steps = constant_steps
        self.decay_steps = decay_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        past = ops.maximum(step - self.constant_steps, 0.0)
        fraction = ops.clip(1.0 - past / max(self.decay_steps, 1), 0.0, 1.0)
        return self.learning_rate * fraction

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }
