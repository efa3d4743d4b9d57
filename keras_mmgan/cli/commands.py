"""The `keras-mmgan` command: its parser, the `train`, `generate` and `evaluate` actions, `main`."""

import argparse
import json
import logging
import os
import sys
import time
import warnings

import keras
import tensorflow as tf

from keras_mmgan import mixed_precision
from keras_mmgan.callbacks import SampleGrid
from keras_mmgan.cli import evaluation
from keras_mmgan.cli import families
from keras_mmgan.cli import runs
from keras_mmgan.cli.errors import CommandError
from keras_mmgan.cli.errors import DataError
from keras_mmgan.cli.errors import UsageError
from keras_mmgan.cli.generation import generate_grid
from keras_mmgan.cli.text2image import train_text2image

FAMILIES = {
    "dcgan": "unconditional DCGAN: the shipped digits, or --images DIR",
    "conditional": "class-conditional GAN: digits with labels, or --images DIR "
    "(class = sub-folder)",
    "text2image": "text-to-image GAN: the embedded shapes, or --images DIR --captions FILE",
    "pix2pix": "paired translation: grayscale -> colour shapes, or --source/--target, or --pairs",
    "cyclegan": "unpaired translation: the shapes, or --domain-x DIR --domain-y DIR",
}
_DEFAULT_EPOCHS = {"dcgan": 20, "conditional": 20, "text2image": 40, "pix2pix": 20, "cyclegan": 20}
_DEFAULT_BATCH = {"dcgan": 64, "conditional": 64, "text2image": 64, "pix2pix": 32, "cyclegan": 8}


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are two lines (the error, where to get help), not the
    whole usage, as every error of the command."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive int; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int; got {value}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0; got {value}")
    return value


def build_parser():
    """Builds the argument parser of `keras-mmgan`.

    Returns:
        An `argparse.ArgumentParser` whose parsed arguments carry a `handler`.

    Example:

    ```python
    args = build_parser().parse_args(["train", "dcgan", "--epochs", "1"])
    ```
    """
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up messages and Python warnings")
    output.add_argument("--debug", action="store_true", help="show the trace of an error")

    parser = _Parser(
        prog="keras-mmgan",
        description="Train, sample and score the multi-modal GANs of keras_mmgan.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a model (embedded data, or yours by flag)",
        description="Train a model; every run writes its outputs into --out.",
    )
    jobs = train.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for family, text in FAMILIES.items():
        job = jobs.add_parser(family, help=text, description=text, parents=[output])
        job.set_defaults(handler=train_command)
        group = job.add_argument_group("run")
        group.add_argument("--epochs", type=_positive_int, default=_DEFAULT_EPOCHS[family],
                           metavar="N",
                           help="the total number of epochs, also with --resume "
                           "(default: %(default)s)")
        group.add_argument("--out", default=os.path.join("runs", family), metavar="DIR",
                           help="output folder (default: %(default)s)")
        group.add_argument("--batch-size", type=_positive_int, default=_DEFAULT_BATCH[family],
                           metavar="N", help="(default: %(default)s)")
        group.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                           help="seed of the data order, the weights and the noise")
        group.add_argument("--image-size", type=_positive_int, default=None, metavar="N",
                           help="side of the square images (default: the embedded data's, "
                           f"{families.FOLDER_IMAGE_SIZE} for folders)")
        group.add_argument("--num-samples", type=_positive_int, default=None, metavar="N",
                           help="how many examples of the embedded data to train on")
        group.add_argument("--every", type=_positive_int, default=1, metavar="N",
                           help="epochs between sample grids (default: %(default)s)")
        group.add_argument("--resume", action="store_true",
                           help="continue the run in --out from its backup")
        group.add_argument("--overwrite", action="store_true",
                           help="replace the run in --out")
        group.add_argument("--tensorboard", action="store_true",
                           help="also write TensorBoard logs into --out/logs")
        group.add_argument("--precision", choices=mixed_precision.POLICIES, default="auto",
                           help="compute dtype: 'auto' takes bfloat16 where the hardware "
                           "multiplies it natively (AMX, AVX512-BF16, Ampere+ GPUs, TPUs), "
                           "float32 elsewhere (default: %(default)s)")
        data = job.add_argument_group("data and model")
        if family in ("dcgan", "conditional"):
            data.add_argument("--images", metavar="DIR", help=(
                "your images (class = sub-folder)" if family == "conditional" else "your images"))
            data.add_argument("--channels", type=int, choices=(1, 3), default=None,
                              help="1 or 3 (default: 1 for digits, 3 for folders)")
            data.add_argument("--latent-dim", type=_positive_int, default=64, metavar="N",
                              help="size of the noise vector z (default: %(default)s)")
        if family == "text2image":
            data.add_argument("--images", metavar="DIR", help="your images")
            data.add_argument("--captions", metavar="FILE",
                              help="CSV (file,caption) or JSON lines naming the images")
            data.add_argument("--architecture", choices=("dcgan", "mlp"), default="dcgan")
            data.add_argument("--fusion", choices=("concat", "film", "attention"), default=None,
                              help="how the generator reads the caption (docs/text_fusion.md); "
                              "default: the DCGAN generator reading [z, sentence]")
        if family == "pix2pix":
            data.add_argument("--source", metavar="DIR", help="source images (the input)")
            data.add_argument("--target", metavar="DIR", help="target images, same file names")
            data.add_argument("--pairs", metavar="DIR", help="side-by-side A|B images")
            data.add_argument("--source-side", choices=("left", "right"), default="left",
                              help="which half of a --pairs image is the source")
            data.add_argument("--source-channels", type=int, choices=(1, 3), default=None)
            data.add_argument("--target-channels", type=int, choices=(1, 3), default=None)
        if family == "cyclegan":
            data.add_argument("--domain-x", metavar="DIR", help="images of domain X")
            data.add_argument("--domain-y", metavar="DIR", help="images of domain Y")
            data.add_argument("--channels", type=int, choices=(1, 3), default=None)
        if family != "text2image":
            data.add_argument("--base-filters", type=_positive_int, default=None, metavar="N",
                              help="width of the networks (default: the family's)")

    generate = commands.add_parser(
        "generate", parents=[output], help="save a grid of samples from a .keras model",
        description="Save a grid of samples from a saved model.",
    )
    generate.set_defaults(handler=generate_command)
    generate.add_argument("model", help="a .keras file")
    condition = generate.add_mutually_exclusive_group()
    condition.add_argument("--caption", action="append", metavar="TEXT",
                           help="a caption (text models; repeat for several rows)")
    condition.add_argument("--label", action="append", type=_non_negative_int, metavar="K",
                           help="a class (conditional models; repeat; default: all)")
    condition.add_argument("--images", metavar="DIR", help="source images (translation models)")
    generate.add_argument("--num", type=_positive_int, default=None,
                          help="samples per row (per condition), or in all")
    generate.add_argument("--seed", type=_non_negative_int, default=0)
    generate.add_argument("--out", required=True, metavar="FILE.png", help="the grid to write")

    # Listed for --help; `main` hands `serve ...` to `keras_mmgan.serve.main` before parsing.
    commands.add_parser(
        "serve", help="a web demo of a saved model: keras-mmgan serve MODEL.keras [--port 8000]"
    )

    evaluate = commands.add_parser(
        "evaluate", parents=[output], help="score a saved model on embedded data or a folder",
        description="Score a saved model against the embedded data (--dataset) or your images.",
    )
    evaluate.set_defaults(handler=evaluate_command)
    evaluate.add_argument("model", help="a .keras file")
    evaluate.add_argument("--dataset", choices=evaluation.DATASETS)
    evaluate.add_argument("--images", metavar="DIR", help="score against your images instead")
    evaluate.add_argument("--captions", metavar="FILE", help="captions of --images (text models)")
    evaluate.add_argument("--num-samples", type=_positive_int, default=1000)
    evaluate.add_argument("--metrics", nargs="+", choices=evaluation.SCORES,
                          default=list(evaluation.SCORES))
    evaluate.add_argument("--seed", type=_non_negative_int, default=0)
    evaluate.add_argument("--json", help="also write the scores to this file")
    return parser


def train_command(args):
    """Runs `keras-mmgan train FAMILY`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status.

    Example:

    ```python
    train_command(build_parser().parse_args(["train", "dcgan", "--epochs", "1"]))
    ```
    """
    if args.tensorboard:
        runs.check_tensorboard()
    previous = keras.config.dtype_policy()
    mixed_precision.precision(args.precision)
    try:
        return _train(args)
    finally:  # the policy is global: a caller in the same process gets its own back
        keras.config.set_dtype_policy(previous)


def _train(args):
    settings = runs.run_settings(args)
    verbose = 1 if sys.stdout.isatty() else 2
    keras.utils.set_random_seed(args.seed)
    if args.family == "text2image":
        if bool(args.images) != bool(args.captions):
            raise UsageError("train text2image: --images DIR and --captions FILE go together "
                             "(without both, it trains on the embedded shapes)")
        if not args.images:
            return _train_shapes(args, settings, verbose)
    recipe = families.RECIPES[args.family](args)
    resuming = runs.prepare_output(args.out, args.family, settings, args.resume, args.overwrite)
    callbacks = runs.training_callbacks(
        args.out, recipe.grid, args.every, args.seed, args.tensorboard, resuming
    )
    start = time.perf_counter()
    try:
        recipe.model.fit(recipe.dataset, epochs=args.epochs, callbacks=callbacks, verbose=verbose)
    except BaseException as error:
        if not resuming:
            runs.abandon(args.out)  # so that the same command runs again once fixed
        if isinstance(error, tf.errors.InvalidArgumentError):
            _name_unreadable_images(args)
        raise
    seconds = time.perf_counter() - start
    model_path = os.path.join(args.out, f"{args.family}.keras")
    recipe.model.save(model_path)
    grid = SampleGrid(args.out, seed=args.seed, **recipe.grid)
    grid.set_model(recipe.model)
    grid.save(os.path.join(args.out, "samples.png"))
    history = runs.read_history(args.out)
    runs.write_losses(args.out, history)
    metrics = {
        "losses": {name: values[-1] for name, values in history.items()},
        "epochs": max((len(v) for v in history.values()), default=0),
        "train_seconds": round(seconds, 1),
        "protocol": recipe.protocol,
        **recipe.extra,
    }
    runs.write_metrics(args.out, metrics)
    losses = ", ".join(f"{k} {v:.3f}" for k, v in metrics["losses"].items() if k.endswith("loss"))
    epochs = f"{metrics['epochs']} epoch{'' if metrics['epochs'] == 1 else 's'}"
    print(f"{args.family}: {epochs}, {seconds:.0f} s this session; "
          f"last losses: {losses or 'none'}. Results in {args.out}/ (samples.png, losses.png, "
          f"metrics.json, {args.family}.keras)")
    return 0


def _name_unreadable_images(args):
    """After TensorFlow failed on the data: raises a `DataError` naming a broken image file."""
    from keras_mmgan.datasets.folders import find_unreadable_images
    from keras_mmgan.datasets.folders import list_images

    for flag in ("images", "source", "target", "pairs", "domain_x", "domain_y"):
        folder = getattr(args, flag, None)
        if not folder:
            continue
        broken = find_unreadable_images(list_images(folder))
        if broken:
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            raise DataError(
                f"--{flag.replace('_', '-')}: {broken[0][0]} is not a readable image "
                f"({broken[0][1]}){more}; remove or replace it"
            )


def _train_shapes(args, settings, verbose):
    """`train text2image` on the embedded shapes: `train_text2image`, plus the run's files."""
    from keras_mmgan.datasets.shapes import held_out_captions

    resuming = runs.prepare_output(args.out, args.family, settings, args.resume, args.overwrite)
    callbacks = runs.training_callbacks(
        args.out, {"captions": held_out_captions()[:5], "per_condition": 8}, args.every,
        args.seed, args.tensorboard, resuming,
    )
    metrics = train_text2image(
        args.out,
        epochs=args.epochs,
        num_samples=args.num_samples or 4000,
        image_size=args.image_size or 28,
        batch_size=args.batch_size,
        architecture=args.architecture,
        seed=args.seed,
        verbose=verbose,
        callbacks=callbacks,
        fusion=args.fusion,
    )
    runs.write_losses(args.out, runs.read_history(args.out))
    held_out, seen = metrics["held_out"], metrics["seen"]
    print(
        f"caption accuracy on held-out captions: colour {held_out['color']:.1%}, "
        f"position {held_out['position']:.1%}; on seen captions: colour "
        f"{seen['color']:.1%}, position {seen['position']:.1%}; trained in "
        f"{metrics['train_seconds']:.0f} s. Results in {args.out}/"
    )
    return 0


def generate_command(args):
    """Runs `keras-mmgan generate MODEL.keras ... --out FILE.png`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status.

    Example:

    ```python
    generate_command(build_parser().parse_args(
        ["generate", "runs/dcgan/dcgan.keras", "--num", "16", "--out", "grid.png"]))
    ```
    """
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise UsageError(f"--out {args.out}: the folder {folder} does not exist")
    images = generate_grid(args.model, args.out, captions=args.caption, labels=args.label,
                           images=args.images, num=args.num, seed=args.seed)
    print(f"{len(images)} samples (seed {args.seed}) saved to {args.out}")
    return 0


def evaluate_command(args):
    """Runs `keras-mmgan evaluate MODEL.keras (--dataset NAME | --images DIR)`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status.

    Example:

    ```python
    evaluate_command(build_parser().parse_args(
        ["evaluate", "runs/dcgan/dcgan.keras", "--dataset", "digits"]))
    ```
    """
    if (args.dataset is None) == (args.images is None):
        raise UsageError("evaluate needs one of --dataset NAME (embedded data) or --images DIR")
    if args.captions and not args.images:
        raise UsageError("--captions goes with --images DIR")
    if args.dataset:
        results = evaluation.evaluate_model(
            args.model, args.dataset, args.num_samples, args.metrics, args.seed
        )
    else:
        results = evaluation.evaluate_folder(
            args.model, args.images, args.captions, args.num_samples, args.metrics, args.seed
        )
    protocol = results.pop("protocol")
    width = max(len(name) for name in results)
    print(f"{'metric':<{width}}  value")
    for name, value in results.items():
        print(f"{name:<{width}}  {value:.4f}")
    print(
        f"protocol: {protocol['extractor']} features, input {protocol['input_size']}, "
        f"{protocol['num_real']} real / {protocol['num_generated']} generated samples"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**results, "protocol": protocol}, f, indent=2)
    return 0


def _quiet(verbose):
    """Silences TensorFlow's and absl's Python-side logging unless `--verbose`."""
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # pragma: no cover - absl comes with TensorFlow
        pass


def _serve(argv):
    """Runs `keras-mmgan serve ...`; without the web packages, one line naming the extra."""
    try:
        from keras_mmgan import serve
    except ImportError as error:
        print(f"keras-mmgan: error: {_first_line(error)}", file=sys.stderr)
        return 2
    _quiet(False)
    return serve.main(argv)


def _first_line(error):
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv=None):
    """Entry point of the `keras-mmgan` console command.

    A user's mistake (a missing file, a file that is not a `.keras` archive, a bad flag
    combination, an empty folder, ...) prints one or two lines naming the file or flag and
    what was expected, and returns 2 (usage) or 1 (data); `--debug` raises it with its trace.

    Args:
        argv: the arguments (without the program name); `sys.argv[1:]` by default.

    Returns:
        The exit status.

    Example:

    ```
    keras-mmgan train text2image --epochs 40 --out runs/text2image
    ```
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # the web demo parses its own arguments
        return _serve(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage and the error (or --help)
        return exit_.code if isinstance(exit_.code, int) else 2
    _quiet(args.verbose)
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                warnings.simplefilter("ignore")
            return args.handler(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        hint = ""
        if args.command == "train":
            hint = (" (run the same command with --resume to continue)"
                    if os.path.isfile(os.path.join(args.out, runs.RUN_FILE))
                    else " before the first epoch ended; nothing was kept")
        print(f"keras-mmgan: interrupted{hint}", file=sys.stderr)
        return 130
    except CommandError as error:
        if args.debug:
            raise
        print(f"keras-mmgan: error: {error}", file=sys.stderr)
        return error.status
    except (ValueError, TypeError, OSError) as error:
        # The library's own checks name the argument or path (an empty folder, a caption
        # file naming a missing image, ...): the user's data.
        if args.debug:
            raise
        print(f"keras-mmgan: error: {_first_line(error)}", file=sys.stderr)
        return 1
    except Exception as error:
        if args.debug:
            raise
        print(f"keras-mmgan: error: {type(error).__name__}: {_first_line(error)}\n"
              "(rerun with --debug to see the trace)", file=sys.stderr)
        return 1
