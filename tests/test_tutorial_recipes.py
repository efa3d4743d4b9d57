"""Each tutorial that trains a benchmark's model is the benchmark's recipe, or says how it differs.

A tutorial that quotes or shows a benchmark's figures beside its own training must train the
recipe behind them: `RECIPE` / `RECIPES` in the benchmark's script (`benchmarks/*.py` trains
from those dicts), or the command line's defaults for the main job. Where it departs from the
recipe on purpose (a shorter run for a lesson), its markdown must name each difference.

The notebooks are read, not run: their code cells are parsed, the full-mode constants
(`X = quick if QUICK else full`) evaluated, and the calls that build and train the models bound
to the signatures of the functions they call, so an argument left out counts as its default.
The tests of `tests/test_readme.py` do the same for the README's example.
"""

import ast
import glob
import importlib.util
import inspect
import os
import re

import keras
import nbformat
import pytest

import keras_mmgan as mm
from keras_mmgan import cli
from keras_mmgan.cli import text2image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _benchmark(name):
    """The module `benchmarks/<name>.py` (a script folder, not a package)."""
    path = os.path.join(ROOT, "benchmarks", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _defaults(function):
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


class Notebook:
    """A tutorial's code, parsed, and its markdown.

    Args:
        name: the notebook's file name under `tutorials/`.
    """

    def __init__(self, name):
        self.name = name
        notebook = nbformat.read(os.path.join(ROOT, "tutorials", name), as_version=4)
        markdown = " ".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        self.markdown = " ".join(markdown.split())  # phrases may be wrapped over lines
        self.sources = [c.source for c in notebook.cells if c.cell_type == "code"]
        # IPython's magics (`%matplotlib inline`) are not Python.
        self.trees = [
            ast.parse(re.sub(r"^%.*$", "", source, flags=re.M)) for source in self.sources
        ]
        self.constants = {"QUICK": False}  # full mode
        for tree in self.trees:
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    self._assign(node)

    def _assign(self, node):
        # Only expressions without calls: constants, not data or models.
        if any(isinstance(n, ast.Call) for n in ast.walk(node.value)):
            return
        try:
            value = self._eval(node.value, self.constants)
        except Exception:  # a name the notebook binds at run time
            return
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.constants[target.id] = value
            elif isinstance(target, ast.Tuple):
                for element, item in zip(target.elts, value):
                    self.constants[element.id] = item

    @staticmethod
    def _eval(node, namespace):
        return eval(compile(ast.Expression(node), "<notebook>", "eval"), {}, dict(namespace))

    def value(self, node, calls=False):
        """A node's value in full mode, or its source where it depends on the run.

        With `calls=True` calls are evaluated too (for cheap objects such as regularizers).
        """
        if not calls and any(isinstance(n, ast.Call) for n in ast.walk(node)):
            return ast.unparse(node)
        try:
            return self._eval(node, {"mm": mm, "keras": keras, **self.constants})
        except Exception:
            return ast.unparse(node)

    def calls(self, name, where=None):
        """Calls of a function or method named `name`, in the code cells containing `where`."""
        found = []
        for source, tree in zip(self.sources, self.trees):
            if where is not None and where not in source:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    function = node.func
                    called = function.attr if isinstance(function, ast.Attribute) else getattr(
                        function, "id", None
                    )
                    if called == name:
                        found.append(node)
        return found

    def keywords(self, call, calls=False):
        return {k.arg: self.value(k.value, calls) for k in call.keywords if k.arg is not None}

    def bind(self, call, function):
        """Every parameter of `function` as `call` sets it, defaults filled in."""
        arguments = inspect.signature(function).bind_partial(
            *[self.value(a) for a in call.args], **self.keywords(call)
        )
        arguments.apply_defaults()
        return dict(arguments.arguments)

    def call(self, function, where=None, name=None):
        """`bind` of the one call of `function` (named `name`) in the cells containing `where`."""
        found = self.calls(name or function.__name__, where)
        assert len(found) == 1, (
            f"{self.name}: expected one call of {name or function.__name__} in the cells "
            f"containing {where!r}; found {len(found)}"
        )
        return self.bind(found[0], function)

    def same(self, function, argument, where=None, name=None):
        """The value of `argument` in every call of `function` there, which must be one value."""
        found = self.calls(name or function.__name__, where)
        values = {repr(self.bind(call, function)[argument]) for call in found}
        assert len(values) == 1, f"{self.name}: {argument} of {function.__name__}: {values}"
        return self.bind(found[0], function)[argument]

    def function_defaults(self, name):
        """Defaults of the function that the notebook defines as `name`."""
        for tree in self.trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    arguments = node.args.args[len(node.args.args) - len(node.args.defaults):]
                    return {
                        a.arg: self.value(d) for a, d in zip(arguments, node.args.defaults)
                    }
        raise AssertionError(f"{self.name} defines no function {name}")


def check_recipe(notebook, tutorial, recipe, documented=None):
    """The tutorial's values equal the recipe's, except the documented differences.

    Args:
        notebook: the `Notebook`.
        tutorial: `{key: value}` read from the notebook, for every key of `recipe`.
        recipe: the benchmark's `{key: value}`.
        documented: `{key: phrase}` for each intended difference: the phrase of the notebook's
            markdown that says how it differs (and, beside it, what that costs).
    """
    documented = documented or {}
    missing = sorted(set(recipe) - set(tutorial))
    assert not missing, f"{notebook.name}: the test reads no value for {missing}"
    differences = sorted(key for key in recipe if tutorial[key] != recipe[key])
    undocumented = [
        f"{key}: {tutorial[key]!r} (recipe: {recipe[key]!r})"
        for key in differences
        if key not in documented
    ]
    assert not undocumented, (
        f"{notebook.name} differs from the benchmark's recipe in {undocumented}: train the "
        "recipe, or say in a markdown cell beside it how it differs and what that costs "
        "(and list the difference in this test)"
    )
    stale = sorted(set(documented) - set(differences))
    assert not stale, f"{notebook.name} now trains the recipe's {stale}: update its markdown"
    for key, phrase in documented.items():
        assert phrase in notebook.markdown, (
            f"{notebook.name}: its markdown no longer says how {key} differs ({phrase!r})"
        )


def test_tutorial_01_trains_the_main_jobs_recipe():
    # "This is the model `keras-mmgan train text2image` trains": the figures in
    # benchmarks/README.md are the command's.
    notebook = Notebook("01_gan_basics.ipynb")
    where = 'architecture="dcgan"'
    generator = notebook.call(mm.build_generator, where)
    discriminator = notebook.call(mm.build_discriminator, where)
    assert generator["architecture"] == discriminator["architecture"]
    data = notebook.call(mm.datasets.shapes)
    assert data["exclude_captions"] == "held_out"
    assert notebook.calls("held_out_captions")
    tutorial = {
        "num_samples": data["num_samples"],
        "image_size": data["image_size"],
        "epochs": notebook.constants["EPOCHS"],
        "batch_size": notebook.call(mm.datasets.make_dataset)["batch_size"],
        "architecture": generator["architecture"],
        "latent_weight": notebook.call(mm.build_gan, where)["options"]["latent_weight"],
        "samples_per_caption": notebook.constants["SAMPLES_PER_CAPTION"],
        "learning_rate": notebook.same(keras.optimizers.Adam, "learning_rate", where),
        "beta_1": notebook.same(keras.optimizers.Adam, "beta_1", where),
        "vocab_size": notebook.call(mm.datasets.text_vectorizer)["vocab_size"],
    }
    recipe = {key: _defaults(cli.train_text2image).get(key) for key in tutorial}
    with open(inspect.getsourcefile(cli.train_text2image)) as f:
        source = f.read()
    assert "keras.optimizers.Adam(2e-4, beta_1=0.5)" in source
    recipe.update(learning_rate=2e-4, beta_1=0.5, vocab_size=text2image.VOCAB_SIZE)
    check_recipe(notebook, tutorial, recipe)


def test_tutorial_02_trains_the_conditional_digits_recipe():
    notebook = Notebook("02_conditional_gan.ipynb")
    recipe = _benchmark("conditional_digits").RECIPE
    generators = [
        notebook.bind(call, mm.networks.dcgan_generator)
        for call in notebook.calls("dcgan_generator")
        if "num_classes" in notebook.keywords(call)  # not the concatenation twin's
    ]
    assert len(generators) == 2  # the projection model's and the AC-GAN's
    models = [
        notebook.bind(call, mm.models.ConditionalGAN)
        for call in notebook.calls("ConditionalGAN")
        if notebook.keywords(call)["conditioning"] != "concat"  # not the twin, trained 1 step
    ]
    assert [m["auxiliary_classifier"] for m in models] == [False, True]
    constants = notebook.constants
    # All the shipped digits, as the benchmark.
    assert constants["NUM_IMAGES"] >= len(mm.datasets.digits()["labels"])
    tutorial = {
        "latent_dim": {g["latent_dim"] for g in generators} | {m["latent_dim"] for m in models},
        "num_classes": {g["num_classes"] for g in generators}
        | {m["num_classes"] for m in models},
        "image_shape": {g["image_shape"] for g in generators},
        "conditioning": {m["conditioning"] for m in models},
        "learning_rate": notebook.same(keras.optimizers.Adam, "learning_rate"),
        "beta_1": notebook.same(keras.optimizers.Adam, "beta_1"),
        "batch_size": notebook.call(mm.datasets.make_dataset)["batch_size"],
        "epochs": constants["EPOCHS"],
    }
    # One value where both models agree; the set shows where they do not.
    tutorial = {
        key: value.pop() if isinstance(value, set) and len(value) == 1 else value
        for key, value in tutorial.items()
    }
    check_recipe(notebook, tutorial, recipe)
    assert "the recipe of `benchmarks/conditional_digits.py`" in notebook.markdown


# Tutorial 03's variants and the configurations of benchmarks/mixtures.py they are.
MIXTURE_CONFIGS = {
    "plain GAN": "plain",
    "R1, gamma 0.1": "r1",
    "PacGAN, pack 4": "pack4",
    "minibatch std": "minibatch_std",
    "WGAN-GP": "wgan_gp",
    "DRAGAN": "dragan",
    "feature matching": "feature_matching",
    "pool of 1000 fakes": "pool",
    "hinge loss": "hinge",
}


def _regularizers(regularizers):
    return [(type(r).__name__, r.get_config()) for r in regularizers]


def test_tutorial_03_trains_the_mixtures_recipe():
    notebook = Notebook("03_mode_collapse.ipynb")
    mixtures = _benchmark("mixtures")
    where = "def train("
    adam = notebook.call(keras.optimizers.Adam, where)
    (ema_call,) = [c for c in notebook.calls("adam", where) if "use_ema" in notebook.keywords(c)]
    ema = notebook.keywords(ema_call)
    assert ema["use_ema"] is True
    compile_options = notebook.keywords(notebook.calls("compile", where)[0])
    latent_dims = {
        notebook.call(mm.networks.mlp_generator, where)["latent_dim"],
        notebook.call(mm.models.GAN, where)["latent_dim"],
    }
    assert len(latent_dims) == 1
    data = notebook.call(mm.datasets.gaussian_mixture, where="gaussian_mixture(\"grid\", 100")
    tutorial = {
        "latent_dim": latent_dims.pop(),
        "num_points": data["num_samples"],
        "steps": notebook.constants["STEPS"],
        "batch_size": notebook.constants["BATCH_SIZE"],
        "learning_rate": notebook.call(
            keras.optimizers.schedules.CosineDecay, where
        )["initial_learning_rate"],
        "beta_1": adam["beta_1"],
        "beta_2": adam["beta_2"],
        "ema_momentum": ema["ema_momentum"],
        "steps_per_execution": compile_options["steps_per_execution"],
        "num_samples": notebook.constants["NUM_SAMPLES"],
    }
    check_recipe(notebook, tutorial, mixtures.RECIPE)
    assert "the recipe of `benchmarks/mixtures.py`" in notebook.markdown

    # The variants: train(name, **options), and the `extras` dict of options.
    defaults = notebook.function_defaults("train")
    assert defaults["d_steps"] == 1  # the benchmark's D steps once per G step
    assert notebook.keywords(notebook.calls("mlp_discriminator", where)[0]) == {
        "pack": "pack", "minibatch_std": "minibatch_std",
    }
    gan = notebook.keywords(notebook.calls("GAN", where)[0])
    assert (gan["pack"], gan["pool_size"]) == ("pack", "pool_size")
    variants = {}
    for call in notebook.calls("train"):
        if call.args and isinstance(call.args[0], ast.Constant):
            variants[call.args[0].value] = notebook.keywords(call, calls=True)
    (extras,) = [
        node.value
        for tree in notebook.trees
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "extras"
    ]
    variants.update(notebook.value(extras, calls=True))
    assert sorted(variants) == sorted(MIXTURE_CONFIGS), "map each variant to its configuration"
    for name, options in variants.items():
        options = {**defaults, **options}
        assert options["d_steps"] == 1, name
        pack = options["pack"]
        trained = (
            options["loss"],
            {**({"pool_size": options["pool_size"]} if options["pool_size"] else {}),
             **({"pack": pack} if pack != 1 else {})},
            {**({"minibatch_std": True} if options["minibatch_std"] else {}),
             **({"pack": pack} if pack != 1 else {})},
            _regularizers(options["regularizers"]),
        )
        config = MIXTURE_CONFIGS[name]
        loss, gan_options, d_options, regularizers = mixtures.CONFIGS[config]
        recipe = (loss, gan_options, d_options, _regularizers(regularizers()))
        assert trained == recipe, (
            f"{notebook.name}: {name!r} trains (loss, GAN options, D options, regularizers) "
            f"{trained}; benchmarks/mixtures.py's {config!r} is {recipe}"
        )


def test_tutorial_05_names_how_it_differs_from_the_translation_recipes():
    notebook = Notebook("05_image_translation.ipynb")
    translation = _benchmark("translation")
    constants = notebook.constants
    check_recipe(
        notebook,
        {"image_size": constants["SIZE"], "num_train": constants["NUM_TRAIN"],
         "num_test": constants["NUM_TEST"]},
        translation.DATA,
    )
    adam = notebook.function_defaults("adam")
    beta_1 = notebook.same(keras.optimizers.Adam, "beta_1")
    batch_size = notebook.call(mm.datasets.make_dataset, "def fit_translator")["batch_size"]

    where = "pix2pix = mm.models.Pix2Pix"
    unet = notebook.call(mm.networks.unet_generator, where)
    patchgan = notebook.call(mm.networks.patchgan_discriminator, where)
    assert unet["base_filters"] == patchgan["base_filters"]
    check_recipe(
        notebook,
        {
            "epochs": constants["EPOCHS"],
            "batch_size": batch_size,
            "base_filters": unet["base_filters"],
            "dropout": unet["dropout"],
            "n_layers": patchgan["n_layers"],
            "l1_weight": notebook.call(mm.models.Pix2Pix)["l1_weight"],
            "learning_rate": adam["learning_rate"],
            "beta_1": beta_1,
        },
        translation.RECIPES["pix2pix"],
        documented={"dropout": "`dropout=None`", "epochs": "20 epochs"},
    )

    where = "def resnet("
    generator = notebook.call(mm.networks.resnet_generator, where)
    discriminator = notebook.call(mm.networks.patchgan_discriminator, where)
    (cycle_gan,) = [
        notebook.bind(c, mm.models.CycleGAN)
        for c in notebook.calls("CycleGAN", where)
        if "seed" in notebook.keywords(c)  # the model trained; the other shows a refusal
    ]
    first_resnet = notebook.calls("resnet", where="g, f = resnet(")[0]
    schedule = notebook.call(mm.schedules.ConstantThenLinearDecay)
    assert (schedule["constant_steps"], schedule["decay_steps"]) == (
        "steps // 2", "steps - steps // 2"
    )
    check_recipe(
        notebook,
        {
            "epochs": constants["EPOCHS"],
            "batch_size": constants["CYCLE_BATCH_SIZE"],
            "gray_channels": notebook.value(first_resnet.args[0]),  # G reads gray X
            "generator_filters": generator["base_filters"],
            "num_blocks": generator["num_blocks"],
            "discriminator_filters": discriminator["base_filters"],
            "n_layers": discriminator["n_layers"],
            "normalization": discriminator["normalization"],
            "cycle_weight": cycle_gan["cycle_weight"],
            "identity_weight": cycle_gan["identity_weight"],
            "pool_size": cycle_gan["pool_size"],
            "learning_rate": schedule["learning_rate"],
            "beta_1": beta_1,
        },
        translation.RECIPES["cycle_gan"],
        documented={
            "gray_channels": "gray images repeated to three channels",
            "identity_weight": "`identity_weight=0.5`",
            "generator_filters": "`base_filters=16`",
        },
    )

    where = "multimodal = mm.models.MultimodalPix2Pix"
    unet = notebook.call(mm.networks.unet_generator, where)
    patchgan = notebook.call(mm.networks.patchgan_discriminator, where)
    model = notebook.call(mm.models.MultimodalPix2Pix, where)
    assert unet["base_filters"] == patchgan["base_filters"]
    assert unet["image_shape"][-1] == 1 + model["latent_dim"]
    check_recipe(
        notebook,
        {
            "epochs": constants["EPOCHS"],
            "batch_size": batch_size,
            "latent_dim": model["latent_dim"],
            "base_filters": unet["base_filters"],
            "dropout": unet["dropout"],
            "n_layers": patchgan["n_layers"],
            "l1_weight": model["l1_weight"],
            "mode_seeking_weight": model["mode_seeking_weight"],
            "mode_seeking_max_ratio": model["mode_seeking_max_ratio"],
            "learning_rate": adam["learning_rate"],
            "beta_1": beta_1,
        },
        translation.RECIPES["multimodal"],
        documented={
            "mode_seeking_max_ratio": "`mode_seeking_max_ratio=0.05`",
            "epochs": "20 epochs",
        },
    )


def test_tutorial_06_names_how_it_differs_from_the_progressive_growing_recipe():
    notebook = Notebook("06_training_tricks.ipynb")
    constants = notebook.constants
    assert constants["NUM_IMAGES"] >= len(mm.datasets.digits()["labels"])
    recipe = dict(_benchmark("progressive_digits").RECIPE)
    recipe["fade_images"] = recipe["images_per_stage"]  # the benchmark fades in as long
    where = "mm.models.ProgressiveGAN("
    model = notebook.call(mm.models.ProgressiveGAN, where)
    growing = notebook.call(mm.callbacks.ProgressiveGrowing)
    adam = notebook.call(keras.optimizers.Adam, where)
    check_recipe(
        notebook,
        {
            "latent_dim": model["latent_dim"],
            "resolution": model["target_resolution"],
            "images_per_stage": growing["images_per_stage"],
            "fade_images": growing["fade_images"],
            "batch_size": notebook.call(mm.datasets.make_dataset, where)["batch_size"],
            "filters": model["filters"],
            "learning_rate": adam["learning_rate"],
            "beta_1": adam["beta_1"],
            "beta_2": adam["beta_2"],
            "epsilon": adam["epsilon"],
            "ema_momentum": adam["ema_momentum"] if adam["use_ema"] else None,
            "num_samples": constants["NUM_EVAL"],
        },
        recipe,
        documented={
            "images_per_stage": "8,000 images of fade-in and 8,000 of stable training",
            "fade_images": "8,000 images of fade-in and 8,000 of stable training",
            "ema_momentum": "`ema_momentum=0.99`",
        },
    )


def test_tutorial_06_names_how_it_differs_from_the_search_recipe():
    tuning = pytest.importorskip("keras_mmgan.tuning")  # the [tuning] extra: KerasTuner
    notebook = Notebook("06_training_tricks.ipynb")
    where = "def build_fn("
    tune = notebook.call(tuning.tune, where)
    (tune_call,) = notebook.calls("tune", where)
    (evaluator,) = [k.value for k in tune_call.keywords if k.arg == "evaluator"]
    evaluator = {key.value: value for key, value in zip(evaluator.keys, evaluator.values)}
    filters = {
        notebook.call(mm.networks.dcgan_generator, where)["base_filters"],
        notebook.call(mm.networks.dcgan_discriminator, where)["base_filters"],
    }
    latent_dims = {
        notebook.call(mm.networks.dcgan_generator, where)["latent_dim"],
        notebook.call(mm.models.GAN, where)["latent_dim"],
    }
    assert len(filters) == len(latent_dims) == 1
    (float_call,) = notebook.calls("Float", where)
    (choice_call,) = notebook.calls("Choice", where)
    assert notebook.keywords(float_call) == {"sampling": "log"}
    check_recipe(
        notebook,
        {
            "method": tune["method"],
            "trials": tune["max_trials"],
            "epochs": tune["epochs"],
            "every": notebook.value(evaluator["every"]) if "every" in evaluator
            else _defaults(mm.callbacks.GANEvaluator)["every"],
            "num_samples": notebook.value(evaluator["num_samples"]),
            "base_filters": filters.pop(),
            "latent_dim": latent_dims.pop(),
            "batch_size": notebook.call(mm.datasets.make_dataset, where)["batch_size"],
            "learning_rate_range": tuple(notebook.value(a) for a in float_call.args[1:]),
            "losses": tuple(notebook.value(choice_call.args[1])),
            "beta_1": notebook.same(keras.optimizers.Adam, "beta_1", where),
            "seed": tune["seed"],
        },
        _benchmark("tuning_search").RECIPE,
        documented={"epochs": "six epochs per trial", "every": "`every=2`"},
    )


def test_tutorial_07_reads_the_low_data_benchmark_and_says_its_live_runs_are_smaller():
    # Section 3 plots the benchmark's saved runs (500 digits, 10,000 steps) rather than
    # training its recipe; the live runs are smaller on purpose (100 digits, 2,000 steps).
    notebook = nbformat.read(os.path.join(ROOT, "tutorials", "07_low_data.ipynb"), as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    text = " ".join(" ".join(c.source.split()) for c in notebook.cells if c.cell_type == "markdown")
    assert '"benchmarks", "results", "low_data"' in code
    assert "FEW_IMAGES = 100" in code and "500 digits, 10,000 steps" in text
    assert "100 digits and 2,000 steps" in text


NOTEBOOKS = sorted(
    os.path.basename(path) for path in glob.glob(os.path.join(ROOT, "tutorials", "*.ipynb"))
)
# The notebooks whose training is checked above.
CHECKED = {
    "01_gan_basics.ipynb", "02_conditional_gan.ipynb", "03_mode_collapse.ipynb",
    "05_image_translation.ipynb", "06_training_tricks.ipynb", "07_low_data.ipynb",
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_tutorial_that_quotes_a_benchmark_is_checked_against_it(name):
    with open(os.path.join(ROOT, "tutorials", name)) as f:
        text = f.read()
    assert "benchmarks/" not in text or name in CHECKED, (
        f"{name} quotes a benchmark: check that it trains its recipe, in this file"
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_tutorial_states_its_full_mode_time_on_two_cores_at_the_top(name):
    notebook = nbformat.read(os.path.join(ROOT, "tutorials", name), as_version=4)
    top = " ".join(notebook.cells[0].source.split())
    assert re.search(r"\b[\d,]+ s\b", top) and re.search(r"two (CPU )?cores", top), (
        f"{name}: say at the top how long the full-mode run took on two CPU cores"
    )
