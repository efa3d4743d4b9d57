"""The `keras-mmgan` command.

    keras-mmgan train text2image --epochs 40 --out runs/text2image
    keras-mmgan evaluate runs/text2image/text2image.keras --dataset shapes

trains the text-to-image GAN on the embedded shapes data set (with 10 captions
held out of training), and writes into the output directory:

- `samples.png`: a grid of fixed-seed samples, one row per caption (the
  held-out captions first);
- `metrics.json`: the final losses, the caption accuracy on held-out and on
  seen captions (colour and position read back from the pixels), the training
  time and the protocol;
- `text2image.keras`: the trained model, which `keras.saving.load_model`
  loads and `fit` continues.
"""

import argparse
import json
import os
import sys
import time

import keras
import numpy as np

from keras_mmgan import builders
from keras_mmgan.callbacks import save_image_grid
from keras_mmgan.datasets import pipeline
from keras_mmgan.datasets.shapes import held_out_captions
from keras_mmgan.datasets.shapes import shapes
from keras_mmgan.datasets.text import text_vectorizer
from keras_mmgan import metrics as metrics_module
from keras_mmgan.metrics import caption_accuracy

VOCAB_SIZE = 10000


def train_text2image(
    out_dir,
    epochs=40,
    num_samples=4000,
    image_size=28,
    batch_size=64,
    architecture="dcgan",
    latent_weight=5.0,
    samples_per_caption=100,
    seed=0,
    verbose="auto",
):
    """Trains the text-to-image GAN on the shapes data and writes its results.

    Ten captions (`datasets.held_out_captions()`) never appear in training;
    caption accuracy is measured on them (`samples_per_caption` samples each)
    and on ten seen captions.

    Args:
        out_dir: directory for `samples.png`, `metrics.json` and
            `text2image.keras`.
        epochs: training epochs.
        num_samples: training images.
        image_size: image height and width (divisible by 4 for `"dcgan"`).
        batch_size: batch size.
        architecture: `"dcgan"` (convolutional, the default) or `"mlp"` (the
            guide's layers exactly).
        latent_weight: weight of the latent regression `E(G(z, t)) ~ z`.
        samples_per_caption: samples per caption when scoring.
        seed: seed of the data, the weights and the noise.
        verbose: Keras `fit` verbosity.

    Returns:
        The metrics dict also written to `metrics.json`.

    Example:

    ```python
    metrics = train_text2image("runs/text2image", epochs=40)
    metrics["held_out"]["color"]
    ```
    """
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(seed)
    held_out = held_out_captions()
    data = shapes(
        num_samples, image_size=image_size, seed=seed, exclude_captions=held_out
    )
    vectorizer = text_vectorizer(data["captions"], vocab_size=VOCAB_SIZE)
    image_shape = (image_size, image_size, 3)
    gan = builders.build_gan(
        builders.build_encoder(image_shape),
        builders.build_text_encoder(VOCAB_SIZE),
        builders.build_generator(32, 128, image_shape=image_shape, architecture=architecture),
        builders.build_discriminator(image_shape, VOCAB_SIZE, architecture=architecture),
        vectorizer=vectorizer,
        latent_weight=latent_weight,
        seed=seed,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    dataset = pipeline.make_dataset(
        data["images"], np.asarray(vectorizer(data["captions"])), batch_size=batch_size, seed=seed
    )
    start = time.perf_counter()
    history = gan.fit(dataset, epochs=epochs, verbose=verbose)
    train_seconds = time.perf_counter() - start

    seen = sorted(set(data["captions"]))[:: max(1, len(set(data["captions"])) // 10)][:10]
    scores = {}
    for name, captions in (("held_out", held_out), ("seen", seen)):
        repeated = [c for c in captions for _ in range(samples_per_caption)]
        scores[name] = caption_accuracy(gan.generate(captions=repeated, seed=seed), repeated)

    grid_captions = held_out + seen[:4]
    columns = 8
    save_image_grid(
        os.path.join(out_dir, "samples.png"),
        gan.generate(captions=[c for c in grid_captions for _ in range(columns)], seed=seed),
        num_columns=columns,
        row_labels=grid_captions,
    )
    gan.save(os.path.join(out_dir, "text2image.keras"))
    metrics = {
        "losses": {k: float(v[-1]) for k, v in history.history.items()},
        "held_out": scores["held_out"],
        "seen": scores["seen"],
        "train_seconds": round(train_seconds, 1),
        "protocol": {
            "data": f"datasets.shapes({num_samples}, image_size={image_size}, seed={seed}) "
            "without the 10 held-out captions",
            "epochs": epochs,
            "batch_size": batch_size,
            "architecture": architecture,
            "latent_weight": latent_weight,
            "scoring": f"{samples_per_caption} samples per caption, generate(seed={seed}); "
            "colour = mean foreground colour nearest to the palette, position = "
            "foreground centroid nearest to the five position centres",
            "held_out_captions": held_out,
            "seen_captions": seen,
        },
    }
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return metrics


_DATASETS = ("digits", "shapes")
_SCORES = ("fid", "kid", "precision", "recall")


def evaluate_model(model_path, dataset, num_samples=1000, scores=_SCORES, seed=0):
    """Scores a saved model against the embedded data set it was trained on.

    Real images: `num_samples` from `datasets.digits()` (shuffled with `seed`)
    or `datasets.shapes(num_samples, seed=seed)`. Generated images: as many,
    with `seed`; a conditional model gets the real images' labels (digits),
    a text model their captions (shapes). Features: the shipped digit
    classifier's for digits; raw pixels for shapes (no offline extractor
    exists for them). Conditional models also get their condition accuracy.

    Args:
        model_path: a `.keras` file of a keras_mmgan model.
        dataset: `"digits"` or `"shapes"`.
        num_samples: real and generated samples.
        scores: names among `"fid"`, `"kid"`, `"precision"`, `"recall"`.
        seed: sampling seed.

    Returns:
        A dict of scores with a `protocol` entry.

    Example:

    ```python
    evaluate_model("runs/text2image/text2image.keras", "shapes")["caption_color"]
    ```
    """
    from keras_mmgan.datasets.digits import digits

    if dataset not in _DATASETS:
        raise ValueError(f"dataset must be one of {_DATASETS}; got {dataset!r}")
    model = keras.saving.load_model(model_path)
    kwargs = {}
    if dataset == "digits":
        data = digits()
        order = np.random.default_rng(seed).permutation(len(data["labels"]))[:num_samples]
        real, labels = data["images"][order], data["labels"][order]
        extractor, extractor_name = metrics_module.digit_extractor(), "digit_classifier/features"
        if hasattr(model, "num_classes"):
            kwargs["labels"] = labels
    else:
        data = shapes(num_samples, image_size=model.generator.output_shape[1], seed=seed)
        real, extractor, extractor_name = data["images"], None, "pixels"
        if hasattr(model, "text_encoder"):
            kwargs["captions"] = data["captions"]
    if not kwargs:
        kwargs["num_samples"] = len(real)
    fake = model.generate(seed=seed, **kwargs)
    real_features = metrics_module.extract_features(real, extractor)
    fake_features = metrics_module.extract_features(fake, extractor)
    results = {}
    if "fid" in scores:
        results["fid"] = metrics_module.frechet_distance(real_features, fake_features)
    if "kid" in scores:
        size = min(1000, len(real_features))
        results["kid"] = metrics_module.kernel_distance(
            real_features, fake_features, subset_size=size
        )[0]
    if {"precision", "recall"} & set(scores):
        pr = metrics_module.precision_recall(real_features, fake_features)
        results.update({k: pr[k] for k in ("precision", "recall") if k in scores})
    if "labels" in kwargs:
        results["label_accuracy"] = metrics_module.classifier_accuracy(fake, kwargs["labels"])
    if "captions" in kwargs:
        accuracy = caption_accuracy(fake, kwargs["captions"])
        results["caption_color"], results["caption_position"] = (
            accuracy["color"],
            accuracy["position"],
        )
    results = {k: float(v) for k, v in results.items()}
    size = real.shape[1:3]
    results["protocol"] = metrics_module.score_protocol(
        extractor_name, size, None, len(real), len(fake)
    )
    return results


def main(argv=None):
    """Entry point of the `keras-mmgan` console command.

    Args:
        argv: the arguments (without the program name); `sys.argv[1:]` by default.

    Returns:
        The exit status.

    Example:

    ```
    keras-mmgan train text2image --epochs 40 --out runs/text2image
    ```
    """
    parser = argparse.ArgumentParser(prog="keras-mmgan", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model on embedded data")
    jobs = train.add_subparsers(dest="job", required=True)
    job = jobs.add_parser("text2image", help="text-to-image GAN on the shapes data set")
    job.add_argument("--epochs", type=int, default=40)
    job.add_argument("--out", default="runs/text2image", help="output directory")
    job.add_argument("--num-samples", type=int, default=4000)
    job.add_argument("--batch-size", type=int, default=64)
    job.add_argument("--architecture", choices=("dcgan", "mlp"), default="dcgan")
    job.add_argument("--seed", type=int, default=0)
    evaluate = commands.add_parser("evaluate", help="score a saved model on embedded data")
    evaluate.add_argument("model", help="a .keras file")
    evaluate.add_argument("--dataset", choices=_DATASETS, required=True)
    evaluate.add_argument("--num-samples", type=int, default=1000)
    evaluate.add_argument("--metrics", nargs="+", choices=_SCORES, default=list(_SCORES))
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", help="also write the scores to this file")
    args = parser.parse_args(argv)

    if args.command == "evaluate":
        results = evaluate_model(
            args.model, args.dataset, args.num_samples, args.metrics, args.seed
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

    metrics = train_text2image(
        args.out,
        epochs=args.epochs,
        num_samples=args.num_samples,
        batch_size=args.batch_size,
        architecture=args.architecture,
        seed=args.seed,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    held_out, seen = metrics["held_out"], metrics["seen"]
    print(
        f"caption accuracy on held-out captions: colour {held_out['color']:.1%}, "
        f"position {held_out['position']:.1%}; on seen captions: colour "
        f"{seen['color']:.1%}, position {seen['position']:.1%}; trained in "
        f"{metrics['train_seconds']:.0f} s. Results in {args.out}/"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
