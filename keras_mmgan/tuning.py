"""Hyperparameter search for GANs with KerasTuner, scored by FID, KID, precision, ...

A search tries several hyperparameter values (learning rates, loss, widths, ...): each trial
builds a fresh GAN with `build_fn(hp)`, trains it with `fit`, and is scored by a
`keras_mmgan.callbacks.GANEvaluator` that writes FID, KID, precision, ... into the epoch logs.
The search algorithms are KerasTuner's own (O'Malley et al. 2019): `GridSearch`,
`RandomSearch` and `BayesianOptimization`, a Gaussian-process model of the objective (Matérn
5/2 kernel) with a confidence-bound acquisition (Snoek et al. 2012). A trial's score is its best epoch's
value (KerasTuner's rule), and KerasTuner keeps that epoch's weights in the trial's
`checkpoint.weights.h5`, which `TuningResult.best_model()` reloads.

`tune` is the one-call entry point; `GANHyperModel` plugs a GAN `build_fn` and an evaluator
into any KerasTuner tuner (e.g. `keras_tuner.Hyperband`).

KerasTuner is an optional dependency: `pip install 'keras-mmgan[tuning]'` installs it, and
scikit-learn, which KerasTuner's `BayesianOptimization` needs. `import keras_mmgan` does not
import this module.

References:
    O'Malley et al. 2019, "KerasTuner", https://github.com/keras-team/keras-tuner.
    Snoek, Larochelle and Adams 2012, "Practical Bayesian Optimization of Machine Learning
    Algorithms", NeurIPS 2012, https://arxiv.org/abs/1206.2944.
"""

import copy
import time

try:
    import keras_tuner
except ImportError as error:  # pragma: no cover - exercised with keras_tuner hidden
    raise ImportError(
        "keras_mmgan.tuning needs KerasTuner, an optional dependency: "
        "pip install 'keras-mmgan[tuning]' (or pip install 'keras-tuner>=1.4')"
    ) from error

import keras
import numpy as np

from keras_mmgan.callbacks import GANEvaluator
from keras_mmgan.models.gan import GAN
from keras_mmgan.validation import check_positive_int

# Whether lower ("min") or higher ("max") is better, for every score GANEvaluator logs.
OBJECTIVE_DIRECTIONS = {
    "fid": "min",
    "kid": "min",
    "precision": "max",
    "recall": "max",
    "density": "max",
    "coverage": "max",
    "inception_score": "max",
}

METHODS = ("grid", "random", "bayesian")


def get_objective(name, direction=None):
    """The `keras_tuner.Objective` for a score in the epoch logs, with its direction.

    Args:
        name: a log name. For `GANEvaluator`'s scores the direction is known: `"fid"`
            and `"kid"` are minimised; `"precision"`, `"recall"`, `"density"`,
            `"coverage"` and `"inception_score"` are maximised.
        direction: `"min"` or `"max"` to override, required for any other log name
            (e.g. a score that a callback of your own writes).

    Returns:
        A `keras_tuner.Objective`.

    Example:

    >>> get_objective("fid").direction, get_objective("recall").direction
    ('min', 'max')
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"objective must be a log name (a str), e.g. 'fid'; got {name!r}")
    if direction is None:
        if name not in OBJECTIVE_DIRECTIONS:
            raise ValueError(
                f"objective {name!r} is not a GANEvaluator score {sorted(OBJECTIVE_DIRECTIONS)}; "
                "for another log name pass direction='min' or direction='max'"
            )
        direction = OBJECTIVE_DIRECTIONS[name]
    if direction not in ("min", "max"):
        raise ValueError(f"direction must be 'min' or 'max'; got {direction!r}")
    return keras_tuner.Objective(name, direction)


class GANHyperModel(keras_tuner.HyperModel):
    """A KerasTuner `HyperModel` for a GAN `build_fn`, scored by a fresh `GANEvaluator` per trial.

    `build` seeds Keras (when `seed` is given, so every trial starts from the same random
    state and differs only by its hyperparameters), calls `build_fn(hp)` and checks that it
    returned a compiled `keras_mmgan.models.GAN` (any family). `fit` trains it with a copy of
    `evaluator` (scores reset, so no trial sees another's scores) placed before the tuner's
    callbacks, so the objective is in the logs when KerasTuner reads them. Pass it to any
    KerasTuner tuner; `tune` does so for grid, random and Bayesian search.

    Args:
        build_fn: a function `hp -> compiled GAN` that declares its search space with
            `hp.Choice`, `hp.Float`, `hp.Int`, ... (`keras_tuner.HyperParameters`).
        evaluator: a `keras_mmgan.callbacks.GANEvaluator` that writes the objective into the
            logs, or `None` if a callback passed to `search` does it.
        seed: int passed to `keras.utils.set_random_seed` before each build, or `None`.
        name: the hypermodel's name.

    Example:

    ```python
    import keras_tuner
    from keras_mmgan.callbacks import GANEvaluator
    from keras_mmgan.tuning import GANHyperModel, get_objective
    hypermodel = GANHyperModel(build_fn, GANEvaluator(images, mm.metrics.digit_extractor()))
    tuner = keras_tuner.Hyperband(hypermodel, objective=get_objective("fid"), max_epochs=9)
    tuner.search(dataset)            # build_fn(hp) -> compiled GAN, as for `tune`
    gan = tuner.get_best_models(1)[0]
    ```

    Reference:
        O'Malley et al. 2019, "KerasTuner", https://github.com/keras-team/keras-tuner.
    """

    def __init__(self, build_fn, evaluator=None, seed=None, name=None):
        super().__init__(name=name)
        if not callable(build_fn):
            raise TypeError(
                f"build_fn must be a function hp -> compiled keras_mmgan GAN; "
                f"got {type(build_fn).__name__}"
            )
        if evaluator is not None and not isinstance(evaluator, GANEvaluator):
            raise TypeError(
                "evaluator must be a keras_mmgan.callbacks.GANEvaluator or None; "
                f"got {type(evaluator).__name__}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an int or None; got {seed!r}")
        self.build_fn = build_fn
        self.evaluator = evaluator
        self.seed = seed
        # The evaluator of the last trial, whose `protocol` records how it scored.
        self.last_evaluator = None

    def build(self, hp):
        if self.seed is not None:
            keras.utils.set_random_seed(int(self.seed))
        model = self.build_fn(hp)
        if not isinstance(model, GAN):
            # KerasTuner's Fatal* errors stop the search instead of failing the trial.
            raise keras_tuner.errors.FatalTypeError(
                "build_fn must return a compiled keras_mmgan GAN (keras_mmgan.models.GAN or a "
                f"subclass); got {type(model).__name__}"
            )
        if not model.compiled or getattr(model, "g_optimizer", None) is None:
            raise keras_tuner.errors.FatalValueError(
                "build_fn must return a compiled keras_mmgan GAN: call "
                "gan.compile(d_optimizer=..., g_optimizer=..., loss=...) inside build_fn"
            )
        return model

    def fit(self, hp, model, *args, callbacks=None, **kwargs):
        """Trains `model` with a fresh copy of the evaluator first among the callbacks."""
        callbacks = list(callbacks or [])
        if self.evaluator is not None:
            evaluator = copy.copy(self.evaluator)
            evaluator.scores, evaluator.protocol = {}, None
            callbacks.insert(0, evaluator)
            self.last_evaluator = evaluator
        return model.fit(*args, callbacks=callbacks, **kwargs)


class _TimesTrials:
    """Records each trial's wall time (build, fit, scoring, checkpoints) in `trial_seconds`."""

    def run_trial(self, trial, *args, **kwargs):
        if not hasattr(self, "trial_seconds"):
            self.trial_seconds = {}
        start = time.perf_counter()
        try:
            return super().run_trial(trial, *args, **kwargs)
        finally:
            self.trial_seconds[trial.trial_id] = time.perf_counter() - start


class _GridSearch(_TimesTrials, keras_tuner.GridSearch):
    pass


class _RandomSearch(_TimesTrials, keras_tuner.RandomSearch):
    pass


class _BayesianOptimization(_TimesTrials, keras_tuner.BayesianOptimization):
    pass


_TUNERS = {"grid": _GridSearch, "random": _RandomSearch, "bayesian": _BayesianOptimization}


class TuningResult:
    """What `tune` found: the best hyperparameters, every trial as a row, and the tuner.

    Attributes:
        best_hyperparameters: dict `name -> value` of the best trial.
        best_score: the best trial's objective.
        objective: the objective's log name (e.g. `"fid"`).
        direction: `"min"` or `"max"`.
        rows: one dict per trial, in trial order: `trial` (id), each hyperparameter, the
            objective and the evaluator's other scores at the trial's best epoch, `epoch`
            (that epoch, from 1), `seconds` (the trial's wall time) and `status`.
        seconds: wall time of the whole search.
        protocol: how the scores were computed (`GANEvaluator.protocol`), or `None`.
        tuner: the KerasTuner tuner (`get_best_models`, `results_summary`, ...).

    Example:

    ```python
    result = tune(build_fn, dataset, objective="fid", evaluator={...})
    print(result.table())
    gan = result.best_model()
    ```
    """

    def __init__(self, tuner, objective, rows, seconds, protocol=None):
        self.tuner = tuner
        self.objective = objective.name
        self.direction = objective.direction
        self.rows = rows
        self.seconds = seconds
        self.protocol = protocol
        best = tuner.oracle.get_best_trials(1)
        self.best_hyperparameters = dict(best[0].hyperparameters.values) if best else None
        self.best_score = best[0].score if best else None

    def best_model(self):
        """The best trial's GAN, rebuilt and loaded with its best epoch's weights."""
        return self.tuner.get_best_models(1)[0]

    def table(self):
        """The trials as a markdown table, one row per trial."""
        columns = []
        for row in self.rows:
            columns += [name for name in row if name not in columns]
        lines = [
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        for row in self.rows:
            lines.append("| " + " | ".join(_format(row.get(name)) for name in columns) + " |")
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"TuningResult({len(self.rows)} trials, best {self.objective}="
            f"{_format(self.best_score)} with {self.best_hyperparameters})"
        )


def _format(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _trial_rows(tuner, objective, metric_names):
    rows = []
    seconds = getattr(tuner, "trial_seconds", {})
    for trial_id in sorted(tuner.oracle.trials):
        trial = tuner.oracle.trials[trial_id]
        row = {"trial": trial_id}
        row.update(trial.hyperparameters.values)
        row[objective.name] = trial.score
        for name in metric_names:
            if name != objective.name and trial.metrics.exists(name):
                row[name] = trial.metrics.get_last_value(name)
        row["epoch"] = None if trial.best_step is None else int(trial.best_step) + 1
        row["seconds"] = seconds.get(trial_id)
        row["status"] = str(trial.status)
        rows.append(row)
    return rows


def _make_evaluator(evaluator, objective_name, dataset, callbacks):
    """The GANEvaluator that scores each trial, from `evaluator` or the callbacks."""
    if isinstance(evaluator, dict):
        kwargs = dict(evaluator)
        if "extractor" not in kwargs:
            raise ValueError(
                "evaluator needs an 'extractor' (a keras.Model from images to features, e.g. "
                "keras_mmgan.metrics.digit_extractor()); got keys "
                f"{sorted(kwargs)}"
            )
        kwargs.setdefault("real_images", dataset)
        if objective_name in OBJECTIVE_DIRECTIONS:
            kwargs.setdefault("metrics", (objective_name,))
        evaluator = GANEvaluator(**kwargs)
    elif evaluator is None:
        found = [c for c in callbacks if isinstance(c, GANEvaluator)]
        if len(found) > 1:
            raise ValueError("callbacks hold several GANEvaluators; pass one as evaluator=")
        if found:
            evaluator = found[0]
            callbacks.remove(evaluator)
    elif not isinstance(evaluator, GANEvaluator):
        raise TypeError(
            "evaluator must be a GANEvaluator, a dict of GANEvaluator arguments "
            f"(extractor, real_images, num_samples, ...) or None; got {type(evaluator).__name__}"
        )
    if evaluator is None and objective_name in OBJECTIVE_DIRECTIONS:
        raise ValueError(
            f"objective {objective_name!r} is a GANEvaluator score: pass evaluator="
            "GANEvaluator(images, extractor, ...) or evaluator={'extractor': ...}"
        )
    if (
        evaluator is not None
        and objective_name in OBJECTIVE_DIRECTIONS
        and objective_name not in evaluator.metric_names
    ):
        raise ValueError(
            f"objective {objective_name!r} is not among the evaluator's metrics "
            f"{evaluator.metric_names}; add it to GANEvaluator(metrics=...)"
        )
    return evaluator


def tune(
    build_fn,
    dataset,
    method="random",
    objective="fid",
    direction=None,
    max_trials=None,
    epochs=10,
    evaluator=None,
    directory="tuning",
    project_name="gan",
    overwrite=True,
    seed=None,
    tuner_kwargs=None,
    **fit_kwargs,
):
    """Searches a GAN's hyperparameters with KerasTuner, scored by FID, KID, ... of samples.

    Each trial builds a GAN with `build_fn(hp)`, trains it for `epochs` epochs on `dataset`
    and is scored by a `GANEvaluator` (every `evaluator.every` epochs, and always on the
    first and last). A trial's score is its best epoch's value (KerasTuner's rule), whose
    weights KerasTuner checkpoints. The search algorithms are KerasTuner's:

    - `"grid"`: `keras_tuner.GridSearch`, every combination of the `hp.Choice` values
      (in order), up to `max_trials` (all of them by default);
    - `"random"`: `keras_tuner.RandomSearch`, `max_trials` random draws (10 by default);
    - `"bayesian"`: `keras_tuner.BayesianOptimization`, `max_trials` trials (10 by default)
      chosen by a Gaussian-process model of the objective (Snoek et al. 2012) after
      `num_initial_points` random ones. KerasTuner's default is 3 per hyperparameter, which
      would use a small budget up in random trials; here it is `max(2, min(3 *
      num_hyperparameters, max_trials // 2))` unless `tuner_kwargs` sets it.

    Args:
        build_fn: a function `hp -> compiled keras_mmgan GAN` declaring its search space
            with `hp.Choice`, `hp.Float`, `hp.Int` (`keras_tuner.HyperParameters`).
        dataset: the training data, as `fit` takes it (array or `tf.data.Dataset`).
        method: `"grid"`, `"random"` or `"bayesian"`.
        objective: the log name to optimise: a `GANEvaluator` score (`"fid"`, `"kid"`,
            `"precision"`, `"recall"`, `"density"`, `"coverage"`, `"inception_score"`) or,
            with `direction`, any other log name.
        direction: `"min"` or `"max"`; by default from the name (`get_objective`): FID and
            KID are minimised, the others maximised.
        max_trials: the number of trials, a positive int (see `method` for the default).
        epochs: training epochs per trial.
        evaluator: what scores the trials: a `GANEvaluator`, a dict of its arguments
            (`extractor` required; `real_images` defaults to `dataset`, `metrics` to
            `(objective,)`; e.g. `num_samples`, `every`, `generate_kwargs`), or `None` to use
            the `GANEvaluator` among `callbacks`. Each trial gets a fresh copy.
        directory: where KerasTuner writes its project (trials, checkpoints).
        project_name: the project's folder in `directory`.
        overwrite: start afresh (`True`) or resume the project found there (`False`).
        seed: int seeding the search and, with `keras.utils.set_random_seed` before each
            build, every trial's initialization; `None` for no seeding.
        tuner_kwargs: more arguments for the KerasTuner class, e.g. `num_initial_points`,
            `alpha`, `beta` (Bayesian), `executions_per_trial`,
            `max_consecutive_failed_trials`.
        **fit_kwargs: passed to every `fit` (`batch_size`, `steps_per_epoch`, `callbacks`,
            `verbose`, ...).

    Returns:
        A `TuningResult`: `best_hyperparameters`, `best_score`, `rows` (one per trial:
        hyperparameters, scores, best epoch, seconds), `table()`, `best_model()` and `tuner`.

    Raises:
        ValueError: an unknown `method`, `objective` or `direction`, `max_trials` < 1, an
            objective that the evaluator does not compute, or a `build_fn` that returns an
            uncompiled GAN.
        TypeError: a `build_fn` that is not callable or does not return a keras_mmgan GAN.

    Example:

    ```python
    import keras, keras_mmgan as mm
    from keras_mmgan.tuning import tune

    def build_fn(hp):
        lr = hp.Float("lr", 1e-4, 1e-3, sampling="log")
        gan = mm.models.GAN(mm.networks.dcgan_generator(64), mm.networks.dcgan_discriminator(), 64)
        gan.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
                    loss=hp.Choice("loss", ["non_saturating", "lsgan", "hinge"]))
        return gan

    images = mm.datasets.digits()["images"]
    result = tune(build_fn, mm.datasets.make_dataset(images), method="bayesian", max_trials=6,
                  epochs=5, evaluator={"real_images": images, "num_samples": 1000,
                                       "extractor": mm.metrics.digit_extractor()})
    print(result.best_hyperparameters)
    print(result.table())
    ```

    References:
        O'Malley et al. 2019, "KerasTuner", https://github.com/keras-team/keras-tuner.
        Snoek, Larochelle and Adams 2012, "Practical Bayesian Optimization of Machine
        Learning Algorithms", NeurIPS 2012, https://arxiv.org/abs/1206.2944.
    """
    if not callable(build_fn):
        raise TypeError(
            "build_fn must be a function hp -> compiled keras_mmgan GAN; "
            f"got {type(build_fn).__name__}"
        )
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if dataset is None:
        raise ValueError("dataset is required: the training data, as fit takes it")
    goal = get_objective(objective, direction)
    if max_trials is not None:
        max_trials = check_positive_int("max_trials", max_trials)
    elif method != "grid":
        max_trials = 10
    epochs = check_positive_int("epochs", epochs)
    tuner_kwargs = dict(tuner_kwargs or {})
    callbacks = list(fit_kwargs.pop("callbacks", None) or [])
    evaluator = _make_evaluator(evaluator, goal.name, dataset, callbacks)

    hypermodel = GANHyperModel(build_fn, evaluator, seed=seed)
    tuner = _TUNERS[method](
        hypermodel,
        objective=goal,
        max_trials=max_trials,
        seed=seed,
        directory=directory,
        project_name=project_name,
        overwrite=overwrite,
        **tuner_kwargs,
    )
    tuner.trial_seconds = {}
    if method == "bayesian" and tuner.oracle.num_initial_points is None:
        dimensions = len(tuner.oracle.hyperparameters.space)
        tuner.oracle.num_initial_points = max(2, min(3 * dimensions, max_trials // 2))
    start = time.perf_counter()
    tuner.search(dataset, epochs=epochs, callbacks=callbacks, **fit_kwargs)
    seconds = time.perf_counter() - start
    metric_names = evaluator.metric_names if evaluator is not None else ()
    protocol = getattr(hypermodel.last_evaluator, "protocol", None)
    return TuningResult(
        tuner, goal, _trial_rows(tuner, goal, metric_names), seconds, protocol=protocol
    )
