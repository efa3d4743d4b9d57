"""XLA on or off: the measurement behind `compile(jit_compile="auto")`.

Times the library's training step with `jit_compile=False` and `jit_compile=True` side by side
in one process, for an MLP-only GAN (the mixtures benchmark's networks), the text-to-image GAN
of `build_gan` (the guide's MLP image networks and its Conv1D text encoder) and a convolutional
DCGAN. Both variants train clones of the same networks on the same cached batches.
After a warm-up `fit` (tracing and XLA compilation), each repetition trains one block of
`--steps` steps of each variant, alternating the order (ABBA); a block is timed from its first
batch to the end of its epoch. The ratio per repetition is XLA steps/s over plain steps/s; the
table gives the median and the range over repetitions, and the same ratio in steps per
CPU-second of the process (less sensitive to other jobs on a shared machine).

Usage (about 5 minutes on 2 shared CPU cores):
    python benchmarks/xla_auto.py [--cases mixtures,text,dcgan] [--steps N] [--repeats 3]
        [--steps-per-execution 1]

Writes `results.json` and `table.md` under `benchmarks/results/xla_auto/<run>/`, the run's folder
named after its options (e.g. `mixtures-text-dcgan_5_repeats`). On a shared machine the
wall-clock ratio of one block swings with the other jobs' load: many short alternating blocks
(`--steps 60 --repeats 21`) give a steadier median.
"""

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from keras import ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras_mmgan as mm

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "xla_auto")


def clone(network):
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def repeated(data, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size, drop_remainder=True)
    return dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)


def mixtures_case():
    """The mixtures benchmark's GAN: MLP G and D (3 x 400 and 3 x 200 units), batch 256."""
    networks = mm.networks.mlp_generator(latent_dim=2), mm.networks.mlp_discriminator()
    data = mm.datasets.gaussian_mixture("grid", 256 * 8, seed=0)
    model = functools.partial(mm.models.GAN, latent_dim=2, seed=0)
    return "mixtures MLP GAN (2D grid), batch 256", model, networks, repeated(data, 256)


def text_case():
    """`build_gan` with the guide's layers, 28x28x3 shapes with captions, batch 64."""
    data = mm.datasets.shapes(64 * 8, image_size=28, seed=0)
    vectorizer = mm.datasets.text_vectorizer(data["captions"])
    tokens = ops.convert_to_numpy(vectorizer(data["captions"])).astype("int32")
    networks = (
        mm.build_encoder((28, 28, 3)), mm.build_text_encoder(10000),
        mm.build_generator(32, 128, image_shape=(28, 28, 3)),
        mm.build_discriminator((28, 28, 3), 10000),
    )
    model = functools.partial(mm.build_gan, seed=0)
    title = "text-to-image GAN (build_gan: MLP image nets, Conv1D text encoder), batch 64"
    return title, model, networks, repeated((data["images"], tokens), 64)


def dcgan_case():
    """DCGAN on 28x28x1 digits, batch 64 (convolutional)."""
    images = mm.datasets.digits()["images"][: 64 * 8]
    networks = mm.networks.dcgan_generator(64, (28, 28, 1)), mm.networks.dcgan_discriminator(
        (28, 28, 1))
    model = functools.partial(mm.models.GAN, latent_dim=64, seed=0)
    return "DCGAN 28x28x1, batch 64", model, networks, repeated(images, 64)


CASES = {"mixtures": mixtures_case, "text": text_case, "dcgan": dcgan_case}
# Steps per timed block, about 5 seconds each at the plain step's speed on 2 shared cores.
STEPS = {"mixtures": 300, "text": 300, "dcgan": 50}


class BlockTimer(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()


def run_block(model, dataset, steps):
    """Trains `steps` steps; returns (steps per wall-clock second, steps per CPU-second)."""
    timer = BlockTimer()
    cpu = time.process_time()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    cpu = time.process_time() - cpu
    return steps / (timer.end - timer.start), steps / cpu


def time_case(name, steps, repeats, steps_per_execution, log):
    title, model, networks, dataset = CASES[name]()
    models, warm_up = {}, {}
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        start = time.perf_counter()
        models[jit] = model(*(clone(n) for n in networks))  # the same initial weights
        models[jit].compile(d_optimizer=adam(), g_optimizer=adam(), jit_compile=jit,
                            steps_per_execution=steps_per_execution)
        models[jit].fit(dataset, epochs=1, steps_per_epoch=10 * steps_per_execution, verbose=0)
        warm_up[jit] = time.perf_counter() - start
    blocks = {False: [], True: []}
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for jit in order:
            blocks[jit].append(run_block(models[jit], dataset, steps))
        log(f"  {name} repetition {repeat + 1}: off {blocks[False][-1][0]:.1f} steps/s, "
            f"XLA {blocks[True][-1][0]:.1f} steps/s")
    wall = [b[0] / a[0] for a, b in zip(blocks[False], blocks[True])]
    cpu = [b[1] / a[1] for a, b in zip(blocks[False], blocks[True])]
    return {
        "title": title, "steps_per_block": steps, "repeats": repeats,
        "warm_up_seconds": {"off": warm_up[False], "xla": warm_up[True]},
        "steps_per_second": {"off": [b[0] for b in blocks[False]],
                             "xla": [b[0] for b in blocks[True]]},
        "steps_per_cpu_second": {"off": [b[1] for b in blocks[False]],
                                 "xla": [b[1] for b in blocks[True]]},
        "xla_over_off": wall, "xla_over_off_cpu": cpu,
    }


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def write_table(result, path):
    lines = [
        "# XLA on or off (`compile(jit_compile=...)`), library step",
        "",
        f"Command: `{result['command']}` ({result['seconds'] / 60:.1f} min; "
        f"steps_per_execution={result['steps_per_execution']})  ",
        f"Machine: {result['cpu_model']}, {result['usable_cpus']} usable cores (shared with other "
        f"jobs); TensorFlow {tf.__version__}, Keras {keras.__version__}; load average "
        f"{result['load_before']} before, {result['load_after']} after.",
        "",
        "| model | off steps/s | XLA steps/s | XLA / off: median [min-max] | per CPU-second |"
        " XLA warm-up s (off) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["cases"].values():
        ratio, cpu = row["xla_over_off"], row["xla_over_off_cpu"]
        lines.append(
            f"| {row['title']} | {statistics.median(row['steps_per_second']['off']):.1f} | "
            f"{statistics.median(row['steps_per_second']['xla']):.1f} | "
            f"**{statistics.median(ratio):.2f}** [{min(ratio):.2f}-{max(ratio):.2f}] | "
            f"{statistics.median(cpu):.2f} [{min(cpu):.2f}-{max(cpu):.2f}] | "
            f"{row['warm_up_seconds']['xla']:.1f} ({row['warm_up_seconds']['off']:.1f}) |"
        )
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="mixtures,text,dcgan")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per block (default: per case, see STEPS)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="compile(steps_per_execution=...) of both variants")
    parser.add_argument("--out", default=None, help="default: results/xla_auto/<run>")
    args = parser.parse_args(argv)
    if args.out is None:
        run = args.cases.replace(",", "-") + f"_{args.repeats}_repeats"
        run += f"_{args.steps}_steps" if args.steps else ""
        run += f"_spe{args.steps_per_execution}" if args.steps_per_execution > 1 else ""
        args.out = os.path.join(RESULTS_DIR, run)
    start = time.perf_counter()
    result = {
        "command": "python benchmarks/xla_auto.py " + " ".join(argv or sys.argv[1:]),
        "cpu_model": cpu_model(), "usable_cpus": len(os.sched_getaffinity(0)),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "steps_per_execution": args.steps_per_execution,
        "load_before": [round(x, 2) for x in os.getloadavg()], "cases": {},
    }
    for name in args.cases.split(","):
        result["cases"][name] = time_case(
            name, args.steps or STEPS[name], args.repeats, args.steps_per_execution, print
        )
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["seconds"] = time.perf_counter() - start
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    write_table(result, os.path.join(args.out, "table.md"))
    print(open(os.path.join(args.out, "table.md")).read())


if __name__ == "__main__":
    main()
