"""`ProgressiveGrowing`: the schedule that grows a `ProgressiveGAN` and fades its new blocks in."""

import keras
import numpy as np


class ProgressiveGrowing(keras.callbacks.Callback):
    """Schedules the growth of a `models.ProgressiveGAN` by the number of images it has seen.

    The schedule of Karras et al. 2018 (section 2): stage 0 (4x4) trains for
    `images_per_stage` real images; every later stage first fades its new block in over
    `fade_images` images (`alpha` rises linearly from 0 to 1), then trains stably for
    `images_per_stage` images; the last stage stays once it is reached. The count is the
    model's `images_seen` (real images of the training batches), a variable saved with the
    model, so a reloaded model continues the schedule where it stopped. Before every batch
    the callback calls `model.set_growth(stage, alpha)`: `alpha` is a variable (no new
    trace), and a new stage makes the model trace its train function again, within the same
    `fit`. With `steps_per_execution > 1` it acts once per execution.

    The epoch logs get the `stage` and `alpha` at the end of the epoch.

    Args:
        images_per_stage: real images of stable training per stage, a positive int (800k
            in the paper).
        fade_images: real images over which a new block fades in, an int >= 0 (0: switch at
            once); `images_per_stage` by default, as in the paper.
        verbose: 1 prints a line when the stage changes; 0 is silent.

    Example:

    ```python
    growing = mm.callbacks.ProgressiveGrowing(images_per_stage=20_000, fade_images=20_000)
    total = growing.total_images(gan.num_stages)   # images until the last stage is stable
    gan.fit(images, batch_size=32, epochs=-(-total // len(images)), callbacks=[growing])
    ```

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, section 2 and appendix A.1.
    """

    def __init__(self, images_per_stage, fade_images=None, verbose=1):
        super().__init__()
        if isinstance(images_per_stage, bool) or not isinstance(
            images_per_stage, (int, np.integer)
        ) or images_per_stage < 1:
            raise ValueError(f"images_per_stage must be a positive int; got {images_per_stage!r}")
        if fade_images is None:
            fade_images = images_per_stage
        if isinstance(fade_images, bool) or not isinstance(
            fade_images, (int, np.integer)
        ) or fade_images < 0:
            raise ValueError(f"fade_images must be an int >= 0; got {fade_images!r}")
        self.images_per_stage = int(images_per_stage)
        self.fade_images = int(fade_images)
        self.verbose = verbose

    def schedule(self, images_seen, num_stages):
        """The stage and fade-in weight after `images_seen` real images.

        Args:
            images_seen: real images trained on so far, an int >= 0.
            num_stages: the model's number of stages.

        Returns:
            `(stage, alpha)`: an int in `[0, num_stages)` and a float in [0, 1].

        Example:

        >>> ProgressiveGrowing(100, 50, verbose=0).schedule(125, num_stages=3)   # mid-fade
        (1, 0.5)
        """
        stable, fade = self.images_per_stage, self.fade_images
        if images_seen < stable or num_stages == 1:
            return 0, 1.0
        stage = 1 + (images_seen - stable) // (fade + stable)
        if stage >= num_stages:
            return num_stages - 1, 1.0
        into = images_seen - stable - (stage - 1) * (fade + stable)
        alpha = 1.0 if fade == 0 else min(1.0, into / fade)
        return int(stage), float(alpha)

    def total_images(self, num_stages):
        """Real images until the last of `num_stages` stages has trained stably once.

        Args:
            num_stages: the model's number of stages.

        Returns:
            `images_per_stage + (num_stages - 1) * (fade_images + images_per_stage)`.

        Example:

        >>> ProgressiveGrowing(100, 50, verbose=0).total_images(3)
        400
        """
        return self.images_per_stage + (num_stages - 1) * (
            self.fade_images + self.images_per_stage
        )

    def _update(self):
        model = self.model
        if not hasattr(model, "set_growth"):
            raise TypeError(
                "ProgressiveGrowing schedules a keras_mmgan.models.ProgressiveGAN; "
                f"got {type(model).__name__}"
            )
        stage, alpha = self.schedule(model.images_seen, model.num_stages)
        if model.set_growth(stage, alpha) and self.verbose:
            side = model.current_resolution
            print(
                f"ProgressiveGrowing: stage {stage} ({side}x{side}) "
                f"after {model.images_seen} images"
            )

    def on_train_begin(self, logs=None):
        self._update()

    def on_train_batch_begin(self, batch, logs=None):
        self._update()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(stage=self.model.stage, alpha=self.model.alpha)
