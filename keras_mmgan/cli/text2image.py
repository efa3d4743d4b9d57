"""`keras-mmgan train text2image`: the text-to-image GAN on the embedded shapes.

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

(The command adds the files every run writes: see `keras_mmgan.cli.runs`.)
"""

import json
import os
import time

import keras
import numpy as np

from keras_mmgan import builders
from keras_mmgan.callbacks import save_image_grid
from keras_mmgan.datasets import pipeline
from keras_mmgan.datasets.shapes import held_out_captions
from keras_mmgan.datasets.shapes import shapes
from keras_mmgan.datasets.text import text_vectorizer
from keras_mmgan.metrics import caption_accuracy

VOCAB_SIZE = 10000


def build_text2image_gan(image_shape, vectorizer, architecture="dcgan", fusion=None,
                         latent_weight=5.0, seed=0):
    """The main job's text-to-image GAN, on the shapes or on a user's captioned images.

    Args:
        image_shape: `(size, size, 3)`.
        vectorizer: an adapted `TextVectorization` (`VOCAB_SIZE` tokens).
        architecture: `"dcgan"` or `"mlp"` (the guide's layers), for the discriminator and,
            without `fusion`, the generator.
        fusion: `None`, `"concat"`, `"film"` or `"attention"` (see `train_text2image`).
        latent_weight: weight of the latent regression.
        seed: seed of the noise.

    Returns:
        An uncompiled `TextToImageGAN`.

    Example:

    ```python
    gan = build_text2image_gan((28, 28, 3), vectorizer, fusion="attention")
    ```
    """
    if fusion is None:
        text_encoder = builders.build_text_encoder(VOCAB_SIZE)
        generator = builders.build_generator(
            32, 128, image_shape=image_shape, architecture=architecture
        )
    else:
        text_encoder = builders.build_text_encoder(VOCAB_SIZE, return_words=fusion == "attention")
        generator = builders.build_generator(32, 128, image_shape=image_shape, fusion=fusion)
    return builders.build_gan(
        builders.build_encoder(image_shape),
        text_encoder,
        generator,
        builders.build_discriminator(image_shape, VOCAB_SIZE, architecture=architecture),
        vectorizer=vectorizer,
        latent_weight=latent_weight,
        seed=seed,
    )


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
    callbacks=None,
    fusion=None,
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
        callbacks: further Keras callbacks for `fit` (the command line's sample
            grids, history and backup).
        fusion: `None` (the `architecture`'s generator reading `[z, sentence]`), or
            `"concat"`, `"film"` or `"attention"`: the fusion generator of
            `networks.text_to_image_generator` (with a word-level text encoder for
            attention); see `docs/text_fusion.md`.

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
    gan = build_text2image_gan(image_shape, vectorizer, architecture, fusion, latent_weight, seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    dataset = pipeline.make_dataset(
        data["images"], np.asarray(vectorizer(data["captions"])), batch_size=batch_size, seed=seed
    )
    start = time.perf_counter()
    history = gan.fit(dataset, epochs=epochs, verbose=verbose, callbacks=callbacks)
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
        "losses": {k: float(v[-1]) for k, v in history.history.items() if v},
        "held_out": scores["held_out"],
        "seen": scores["seen"],
        "train_seconds": round(train_seconds, 1),
        "protocol": {
            "data": f"datasets.shapes({num_samples}, image_size={image_size}, seed={seed}) "
            "without the 10 held-out captions",
            "epochs": epochs,
            "batch_size": batch_size,
            "architecture": architecture,
            "fusion": fusion,
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
