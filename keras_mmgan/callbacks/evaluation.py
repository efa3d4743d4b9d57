"""`GANEvaluator`: FID, KID, precision/recall and IS of a training GAN, written into the epoch logs."""

import keras
import numpy as np

from keras_mmgan.validation import check_positive_int


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
