"""Callbacks and plotting helpers to watch a GAN train, and `ProgressiveGrowing` to grow one."""

import contextlib
import json
import os
import warnings

import keras
import numpy as np

from keras_mmgan.layers.search import find_layers
from keras_mmgan.validation import check_positive_int


def image_grid(images, num_columns=None, padding=0):
    """Tiles images in [-1, 1] into one uint8 RGB mosaic.

    Args:
        images: array `(N, H, W, C)` with C = 1 or 3, values in [-1, 1].
        num_columns: images per row; `ceil(sqrt(N))` by default.
        padding: grey pixels between images (0 for an exact mosaic).

    Returns:
        A uint8 array `(rows * (H + padding) - padding, num_columns * (W +
        padding) - padding, 3)`; empty cells are black.

    Example:

    >>> image_grid(np.zeros((6, 8, 8, 1)), num_columns=3).shape
    (16, 24, 3)
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "images must be rank 4 (batch, height, width, 1 or 3 channels); "
            f"got shape {images.shape}"
        )
    n, height, width, _ = images.shape
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    num_columns = num_columns or int(np.ceil(np.sqrt(n)))
    num_rows = -(-n // num_columns)
    step_y, step_x = height + padding, width + padding
    grid = np.full((num_rows * step_y - padding, num_columns * step_x - padding, 3), 128, "uint8")
    pixels = np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")
    for index in range(num_rows * num_columns):
        row, column = divmod(index, num_columns)
        cell = grid[row * step_y : row * step_y + height, column * step_x : column * step_x + width]
        cell[...] = pixels[index] if index < n else 0
    return grid


def plot_image_grid(images, num_columns=None, row_labels=None, scale=4, padding=1):
    """Draws images in [-1, 1] as a grid figure, optionally with a label per row.

    Uses matplotlib's object-oriented API only, so it never changes the
    session's plotting backend; in a notebook the returned figure shows inline.

    Args:
        images: array `(N, H, W, C)` in [-1, 1].
        num_columns: images per row.
        row_labels: optional list of strings, one per row (e.g. captions).
        scale: screen pixels per image pixel.
        padding: grey pixels between images.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:

    ```python
    plot_image_grid(gan.generate(captions=captions, seed=0), 8, row_labels=captions[::8])
    ```
    """
    from matplotlib.figure import Figure

    grid = image_grid(images, num_columns, padding)
    dpi = 100
    # Room for the longest label at font size 8 (about 0.07 inch a character).
    label_width = 0.2 + 0.07 * max(len(str(label)) for label in row_labels) if row_labels else 0.0
    width = label_width + grid.shape[1] * scale / dpi
    figure = Figure(figsize=(width, grid.shape[0] * scale / dpi), dpi=dpi)
    axes = figure.add_axes([label_width / width, 0, 1 - label_width / width, 1])
    axes.imshow(grid, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    if row_labels:
        row_step = (grid.shape[0] + padding) / len(row_labels)
        axes.set_yticks([i * row_step + (row_step - padding) / 2 for i in range(len(row_labels))])
        axes.set_yticklabels(row_labels, fontsize=8)
    return figure


def plot_losses(history, names=None):
    """Plots training curves (losses, scores) per epoch from a Keras `History`.

    Args:
        history: the `History` returned by `fit`, or its `.history` dict.
        names: which logs to plot; all by default.

    Returns:
        A `matplotlib.figure.Figure` (shows inline in a notebook).

    Example:

    ```python
    history = gan.fit(dataset, epochs=20)
    plot_losses(history, ["d_loss", "g_loss"]).savefig("losses.png")
    ```
    """
    from matplotlib.figure import Figure

    logs = getattr(history, "history", history)
    names = list(names) if names is not None else sorted(logs)
    missing = [name for name in names if name not in logs]
    if missing:
        raise ValueError(f"names {missing} are not in the history; it has {sorted(logs)}")
    figure = Figure(figsize=(6, 3.5))
    axes = figure.add_subplot()
    for name in names:
        axes.plot(range(1, len(logs[name]) + 1), logs[name], marker=".", label=name)
    axes.set_xlabel("epoch")
    axes.legend()
    return figure


def save_image_grid(path, images, num_columns=None, row_labels=None, scale=4):
    """Saves images in [-1, 1] as a PNG grid, optionally with a label per row.

    Without labels the PNG holds the images' pixels exactly (`image_grid`);
    with labels it is `plot_image_grid`'s figure.

    Args:
        path: the PNG file to write.
        images: array `(N, H, W, C)` in [-1, 1].
        num_columns: images per row.
        row_labels: optional list of strings, one per row (e.g. captions).
        scale: screen pixels per image pixel in the labelled figure.

    Returns:
        `path`.

    Example:

    ```python
    save_image_grid("grid.png", gan.generate(captions=captions, seed=0),
                    num_columns=8, row_labels=captions[::8])
    ```
    """
    if row_labels:
        plot_image_grid(images, num_columns, row_labels, scale).savefig(path)
    else:
        from matplotlib.image import imsave

        imsave(path, image_grid(images, num_columns))
    return path


class SampleGrid(keras.callbacks.Callback):
    """Saves a PNG grid of fixed-seed samples every `every` epochs.

    The same seed (and the same conditions) is used every time, so the grids
    show how the same samples evolve.

    Args:
        directory: where to write `samples_epoch_{epoch:04d}.png`.
        num_samples: samples for an unconditional model.
        captions: captions for a text model (one grid row per caption,
            `per_condition` samples each).
        per_condition: samples per caption.
        every: epochs between grids.
        seed: the sampling seed.
        tensorboard_dir: if given, the samples also go to TensorBoard as an
            image summary `samples` at step = epoch.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[SampleGrid("runs/grids", captions=captions)])
    ```
    """

    def __init__(
        self,
        directory,
        num_samples=36,
        captions=None,
        per_condition=8,
        every=1,
        seed=0,
        tensorboard_dir=None,
    ):
        super().__init__()
        self.tensorboard_dir = tensorboard_dir
        self.directory = directory
        self.num_samples = check_positive_int("num_samples", num_samples)
        self.captions = list(captions) if captions is not None else None
        self.per_condition = check_positive_int("per_condition", per_condition)
        self.every = check_positive_int("every", every)
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"samples_epoch_{epoch + 1:04d}.png")
        if self.captions is None:
            images = self.model.generate(self.num_samples, seed=self.seed)
            save_image_grid(path, images)
        else:
            captions = [c for c in self.captions for _ in range(self.per_condition)]
            images = self.model.generate(captions=captions, seed=self.seed)
            save_image_grid(path, images, self.per_condition, row_labels=self.captions)
        if self.tensorboard_dir is not None:
            from keras_mmgan import backend

            backend.write_image_summary(self.tensorboard_dir, "samples", images, epoch + 1)


class GANEvaluator(keras.callbacks.Callback):
    """Scores generated samples against real ones and writes the scores into the epoch logs.

    Every `every` epochs it draws `num_samples` images with the model's
    `generate` (fixed seed, and the conditions in `generate_kwargs`), extracts
    features with `extractor`, and puts the chosen metrics into the logs under
    their names, so that `ModelCheckpoint(monitor="fid", mode="min")`,
    `EarlyStopping`, TensorBoard and KerasTuner can use them. On other epochs
    the last scores are repeated, so monitors always find them; the first and
    the last epoch are always scored. The real features are computed once, at
    the start of training.

    The metrics, on the extractor's features unless said otherwise:

    - `"fid"`: `metrics.frechet_distance` (Heusel et al. 2017);
    - `"kid"`: `metrics.kernel_distance`, the mean over subsets of up to 1,000
      samples (Binkowski et al. 2018);
    - `"precision"`, `"recall"`: `metrics.precision_recall` with k = 3
      (Kynkäänniemi et al. 2019);
    - `"density"`, `"coverage"`: `metrics.density_coverage` with k = 5
      (Naeem et al. 2020);
    - `"inception_score"`: `metrics.inception_score` (the mean over
      `min(10, num_samples)` splits; Salimans et al. 2016) of the generated
      images' predictions by `classifier`, not of the extractor's features:
      a pool-feature extractor is no classifier. The classifier's outputs are
      taken as probabilities where every row is non-negative and sums to 1
      (softmax outputs), and as logits otherwise.

    Args:
        real_images: real images (array or `tf.data.Dataset` of batches).
        extractor: a `keras.Model` from images to features, e.g.
            `metrics.digit_extractor()` offline or `metrics.inception_extractor()`.
        metrics: names among `"fid"`, `"kid"`, `"precision"`, `"recall"`,
            `"density"`, `"coverage"`, `"inception_score"`.
        num_samples: generated samples per evaluation.
        every: epochs between evaluations.
        generate_kwargs: conditions for `generate`, e.g. `{"labels": labels}`
            (then `num_samples` must match them).
        seed: the sampling seed.
        extractor_name: name recorded in `protocol` (the extractor's name by
            default).
        input_size: `(height, width)` the extractor sees, recorded in
            `protocol` (its input shape by default; 299 x 299 for
            `metrics.inception_extractor()`).
        resizer: how the extractor resizes images, recorded in `protocol`
            (e.g. `metrics.features.INCEPTION_RESIZER`).
        classifier: a `keras.Model` from images to `(batch, num_classes)`
            class probabilities or logits, e.g. `metrics.digit_classifier()`
            (it may be the extractor itself if that is a classifier); required
            for, and only used by, `"inception_score"`. Its name is recorded in
            `protocol["classifier"]`.

    Example:

    ```python
    evaluator = GANEvaluator(images, mm.metrics.digit_extractor(), metrics=("fid", "kid"))
    gan.fit(dataset, epochs=20, callbacks=[evaluator,
            keras.callbacks.ModelCheckpoint("best.keras", monitor="fid", mode="min")])
    ```

    Density, coverage and the Inception Score of the shipped digit classifier:

    ```python
    evaluator = GANEvaluator(images, mm.metrics.digit_extractor(),
                             metrics=("fid", "density", "coverage", "inception_score"),
                             classifier=mm.metrics.digit_classifier())
    ```

    References:
        Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
        Generative Models", https://arxiv.org/abs/2002.09797.
        Salimans et al. 2016, "Improved Techniques for Training GANs",
        https://arxiv.org/abs/1606.03498.
    """

    _METRICS = ("fid", "kid", "precision", "recall", "density", "coverage", "inception_score")

    def __init__(
        self,
        real_images,
        extractor,
        metrics=("fid",),
        num_samples=1000,
        every=1,
        generate_kwargs=None,
        seed=0,
        extractor_name=None,
        input_size=None,
        resizer=None,
        classifier=None,
    ):
        super().__init__()
        unknown = set(metrics) - set(self._METRICS)
        if unknown or not metrics:
            raise ValueError(f"metrics must be names among {self._METRICS}; got {metrics!r}")
        if "inception_score" in metrics and classifier is None:
            raise ValueError(
                "metrics includes 'inception_score', which needs classifier: a keras.Model "
                "from images to (batch, num_classes) probabilities or logits, e.g. "
                "metrics.digit_classifier(); got classifier=None"
            )
        self.real_images = real_images
        self.extractor = extractor
        self.metric_names = tuple(metrics)
        self.num_samples = check_positive_int("num_samples", num_samples)
        self.every = check_positive_int("every", every)
        self.generate_kwargs = dict(generate_kwargs or {})
        self.seed = seed
        self.extractor_name = extractor_name or getattr(extractor, "name", "extractor")
        self.input_size = input_size
        self.resizer = resizer
        self.classifier = classifier
        self.scores = {}
        self.protocol = None
        self._real_features = None

    def on_train_begin(self, logs=None):
        from keras_mmgan import metrics

        self._real_features = metrics.extract_features(self.real_images, self.extractor)
        input_shape = self.extractor.input_shape
        # Images: (height, width); vectors: (dimension, 1).
        size = input_shape[1:3] if len(input_shape) == 4 else (input_shape[-1], 1)
        self.protocol = metrics.score_protocol(
            self.extractor_name,
            self.input_size or size,
            self.resizer,
            len(self._real_features),
            self.num_samples,
        )
        if "inception_score" in self.metric_names:
            self.protocol["classifier"] = getattr(self.classifier, "name", "classifier")

    def evaluate(self):
        """Scores the model now; returns the dict of scores."""
        from keras_mmgan import metrics

        kwargs = dict(self.generate_kwargs)
        if not kwargs:
            kwargs["num_samples"] = self.num_samples
        images = self.model.generate(seed=self.seed, **kwargs)
        fake = metrics.extract_features(images, self.extractor)
        real = self._real_features
        scores = {}
        if "fid" in self.metric_names:
            scores["fid"] = float(metrics.frechet_distance(real, fake))
        if "kid" in self.metric_names:
            size = min(1000, len(real), len(fake))
            # Subsets as large as a set are all that set: one is enough.
            subsets = 100 if size < min(len(real), len(fake)) else 1
            scores["kid"] = float(
                metrics.kernel_distance(real, fake, num_subsets=subsets, subset_size=size)[0]
            )
        if {"precision", "recall"} & set(self.metric_names):
            pr = metrics.precision_recall(real, fake)
            scores.update({k: float(pr[k]) for k in ("precision", "recall") if k in self.metric_names})
        if {"density", "coverage"} & set(self.metric_names):
            dc = metrics.density_coverage(real, fake)
            names = [k for k in ("density", "coverage") if k in self.metric_names]
            scores.update({k: float(dc[k]) for k in names})
        if "inception_score" in self.metric_names:
            outputs = metrics.extract_features(images, self.classifier)
            scores["inception_score"] = metrics.inception_score(
                outputs,
                num_splits=min(10, len(outputs)),
                from_logits=not self._are_probabilities(outputs),
            )[0]
        return scores

    @staticmethod
    def _are_probabilities(outputs):
        """Whether classifier outputs are probabilities: rows non-negative, summing to 1."""
        from keras_mmgan.metrics.inception_score import ROW_SUM_TOLERANCE

        outputs = np.asarray(outputs, dtype=np.float64)
        row_sums = outputs.sum(axis=1)
        return bool(np.all(outputs >= 0) and np.all(np.abs(row_sums - 1.0) <= ROW_SUM_TOLERANCE))

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every == 0 or not self.scores or last:
            self.scores = self.evaluate()
        if logs is not None:
            logs.update(self.scores)


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


_SKIPPED = "Skipping variable loading"


@contextlib.contextmanager
def _strict_loading(backup_dir):
    """Makes Keras's warning that it skips variables which do not fit a `ValueError`.

    Keras only warns when saved variables do not fit the model (an optimizer built otherwise,
    say) and goes on without them: a silently different run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_SKIPPED)
        try:
            yield
        except (UserWarning, ValueError) as error:  # Keras gathers the warnings in one
            if _SKIPPED not in str(error):
                raise
            raise ValueError(
                f"the backup in {backup_dir!r} does not fit this model; build and compile the "
                f"model as when the backup was made, or pass another backup_dir. Keras says: "
                f"{error}"
            ) from None


def restore_backup(model, backup_dir):
    """Loads the state a `BackupAndRestore` backup holds into a model, to use or score it.

    The model must be built and compiled as when the backup was made (the same
    networks and the same kind of optimizers, a schedule where there was one):
    the backup also holds the optimizers' variables, the generator's EMA
    weights among them.

    Args:
        model: the model, built and compiled.
        backup_dir: the `backup_dir` of the `BackupAndRestore` that wrote the backup.

    Returns:
        `model`, with the backup's state.

    Raises:
        FileNotFoundError: if `backup_dir` holds no backup.
        ValueError: if the backup does not fit the model (where Keras only
            warns and skips the variables).

    Example:

    ```python
    gan = build_and_compile()        # as for the run that was backed up
    mm.callbacks.restore_backup(gan, "backup")
    gan.generate(16)
    ```
    """
    path = os.path.join(backup_dir, "latest.weights.h5")
    if not os.path.exists(path):
        raise FileNotFoundError(f"backup_dir {backup_dir!r} holds no backup (no {path})")
    with _strict_loading(backup_dir):
        model.load_weights(path)
    return model


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that also resumes in the middle of an epoch.

    Keras's callback restores the weights and the epoch, then replays the
    interrupted epoch from its first batch. This one also records how many
    batches of that epoch were trained and, on restore, passes over them
    (reading them from the data without a training step), so an interrupted
    and resumed run trains on the same batches, with the same weights, as an
    uninterrupted one. Everything a GAN carries is in the backup: both
    optimizers (with their moving averages), the noise streams and the
    history pools. A backup that does not fit the model (an optimizer compiled
    otherwise, say) raises a `ValueError` instead of Keras's warning;
    `restore_backup` loads a backup the same way outside `fit`.

    The run is exactly the same when the data yields the same batches in
    each epoch (no shuffling, or a shuffle with a fixed order per epoch). The
    logs of the resumed epoch average only its resumed part.

    Args:
        backup_dir: directory of the backup (deleted when training ends,
            unless `delete_checkpoint=False`).
        save_freq: `"epoch"`, or save every `save_freq` batches.
        double_checkpoint: also keep the previous backup.
        delete_checkpoint: delete the backup when training ends.

    Example:

    ```python
    backup = mm.callbacks.BackupAndRestore("backup", save_freq=50)
    gan.fit(dataset, epochs=20, callbacks=[backup])   # interrupted? run the same line again
    ```
    """

    _KEY = "keras_mmgan_batches_in_epoch"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__(backup_dir, save_freq, double_checkpoint, delete_checkpoint)
        self._batches_in_epoch = 0
        self._to_skip = 0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._batches_in_epoch = self._to_skip = 0
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                self._to_skip = int(json.load(f).get(self._KEY, 0))

    def on_train_batch_begin(self, batch, logs=None):
        if self._to_skip > 0:
            self._skip_batches()

    def on_train_batch_end(self, batch, logs=None):
        self._batches_in_epoch = batch + 1
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._batches_in_epoch = 0
        super().on_epoch_end(epoch, logs)

    def _load_model(self):
        with _strict_loading(self.backup_dir):
            super()._load_model()

    def _save_model(self):
        super()._save_model()
        with open(self._training_metadata_path) as f:
            metadata = json.load(f)
        metadata[self._KEY] = self._batches_in_epoch
        with open(self._training_metadata_path, "w") as f:
            json.dump(metadata, f)

    def _skip_batches(self):
        """Makes the next call of the train function read its batches and not train."""
        model, train_function = self.model, self.model.train_function

        def skip(iterator):
            for _ in range(min(model.steps_per_execution, self._to_skip)):
                next(iterator)
                self._to_skip -= 1
            model.train_function = train_function
            return model.get_metrics_result()

        model.train_function = skip


def recompute_batch_norm(model, data, num_batches=50):
    """Recomputes the generator's batch-norm statistics for its current weights (precise BN).

    Batch normalization trains on each batch's statistics but infers with moving averages
    (momentum 0.99 in Keras) that trail the weights. A GAN generator's weights move fast, so the
    averages describe an older generator, and `generate` (which infers) can draw something else
    than training did: on the colourisation benchmark Pix2Pix paints 96.4 % of the shapes the
    right colour with the averages and 100 % with recomputed statistics. This runs the
    generator networks in training mode on `num_batches` batches, with dropout off, and sets
    each `BatchNormalization` layer's moving mean and variance to the plain average of those
    batches' statistics (Wu & Johnson's "precise BN"). Trainable weights do not change. When
    `g_optimizer` keeps moving-average weights (`use_ema=True`), the statistics are those of
    the averaged weights, which `generate` uses by default. Latents are drawn from a stream of
    their own, so the model's noise stream (and the rest of training) is left as it was.

    Args:
        model: a compiled keras_mmgan model, or any Keras model (then the model itself is run,
            on the first element of each batch).
        data: a `tf.data.Dataset` (or any iterable) of batches as `fit` takes them, e.g. the
            training dataset.
        num_batches: batches to average over, a positive int (about 50 batches of 32 give
            stable statistics).

    Returns:
        The number of batches used (0 when the generator has no batch normalization).

    Example:
        ```python
        model.fit(dataset, epochs=20)
        mm.callbacks.recompute_batch_norm(model, dataset)
        outputs = model.generate(images=sources)
        ```

    Reference:
        Wu & Johnson, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576, 2021 (section 3).
    """
    num_batches = check_positive_int("num_batches", num_batches)
    if hasattr(model, "generator_networks"):
        networks, context = model.generator_networks(), model.ema_weights()
        seed = keras.random.SeedGenerator(0)

        def forward(data_batch):
            batch = model.prepare_batch(data_batch)
            latents = model.sample_latents(keras.ops.shape(batch["images"])[0], batch, seed)
            model.generate_images(latents, batch, training=True)

    else:  # A plain Keras model, fed the first element of each (inputs, targets) batch.
        networks, context = [model], contextlib.nullcontext()

        def forward(data_batch):
            model(data_batch[0] if isinstance(data_batch, (tuple, list)) else data_batch,
                  training=True)

    norms = find_layers(networks, keras.layers.BatchNormalization)
    if not norms:
        return 0
    dropouts = find_layers(networks, keras.layers.Dropout)
    momenta, rates = [layer.momentum for layer in norms], [layer.rate for layer in dropouts]
    count = 0
    try:
        for layer in dropouts:
            layer.rate = 0.0
        with context:
            for data_batch in data:
                count += 1
                # Momentum 1 - 1/k makes the moving value the mean over batches 1..k.
                for layer in norms:
                    layer.momentum = 1.0 - 1.0 / count
                forward(data_batch)
                if count == num_batches:
                    break
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
        for layer, rate in zip(dropouts, rates):
            layer.rate = rate
    if count == 0:
        raise ValueError("data must yield at least one batch; it yielded none")
    return count


class PreciseBatchNorm(keras.callbacks.Callback):
    """Recomputes the generator's batch-norm statistics at the end of every epoch.

    Runs `recompute_batch_norm(model, data, num_batches)` (see there for why), so that
    `generate` after `fit`, and callbacks listed after this one (`GANEvaluator`, `SampleGrid`),
    see statistics that match the generator's weights. Training itself uses batch statistics
    and is not changed. Costs `num_batches` generator forward passes per epoch.

    Args:
        data: a `tf.data.Dataset` (or any iterable) of training batches, e.g. the one `fit`
            trains on.
        num_batches: batches to average over, a positive int.

    Example:
        ```python
        model.fit(dataset, epochs=20, callbacks=[mm.callbacks.PreciseBatchNorm(dataset),
                                                 mm.callbacks.GANEvaluator(...)])
        ```

    Reference:
        Wu & Johnson, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576, 2021.
    """

    def __init__(self, data, num_batches=50):
        super().__init__()
        self.data = data
        self.num_batches = check_positive_int("num_batches", num_batches)

    def on_epoch_end(self, epoch, logs=None):
        recompute_batch_norm(self.model, self.data, self.num_batches)
