"""Training throughput of keras_mmgan against keras.io-style references, and what it costs.

For four GANs -- DCGAN (28x28x1), ConditionalGAN (28x28x1, 10 classes), the text-to-image GAN of
`build_gan` (the guide's layers, 28x28x3 shapes with captions) and CycleGAN (128x128x3, ResNet
generators with 6 blocks and PatchGAN discriminators with instance norm, batch 1, by default)
-- this script times training steps of the library's model against a reference in the style of
the keras.io examples (`benchmarks/references/`, one module per example): a subclassed
`keras.Model` whose `train_step` opens a `tf.GradientTape` per update and calls
`optimizer.apply_gradients` itself, compiled with the
default `compile()`. Both train the same networks (the reference's are `keras.models.clone_model`
copies with the library's initial weights) on the same batches of the same `tf.data` pipeline
(cached, repeated, prefetched), with the same latent seed.

Protocol. Every model is first warmed up: built, traced and run a few steps by `fit` (these
steps also give the loss curves below). Then, in each repetition, every model of a group trains
one block of steps with `fit`, one after another (order reversed in every other repetition,
ABBA), so that the changing load of a shared machine hits all of them alike. A block is timed by
a callback from the start of its first execution to the end of its epoch (tracing is already
done). The result per model is the median over repetitions of steps/s; its ratio to the
reference (or to the library's default) is the median of the per-repetition ratios.

Measured in the same run:

- The library's options and the engine's costs, by toggling them one at a time: XLA
  (`compile(jit_compile=True)`; `"auto"`, the default, is off on CPU), `steps_per_execution=k`,
  the finiteness checks of `backend.apply_phase` (a `tf.debugging.Assert` on the loss, the
  data and all gradients, with a control dependency before the updates: `no_asserts`) and, in
  addition, the data gate `backend.guard` of `prepare_batch` (`no_checks`). Checks are switched
  off by patching the two backend functions while the variant's step is traced -- for
  measurement only. `bf16` builds the same model under Keras's `mixed_bfloat16` policy
  (bfloat16 compute, float32 weights), which this CPU runs on its AMX units. For CycleGAN also
  the history pool (`pool_size=0`) and the fakes computed once per step (`fused`: the library's
  default `CycleGAN(reuse_fakes=True)`, two generator passes fewer; the generator phase runs
  first, so its losses differ from the reference's from the first step). CycleGAN's `library`
  variant is `reuse_fakes=False`, the separate phases whose math the reference shares. XLA,
  `steps_per_execution`, the checks and the pool are toggled on a smaller CycleGAN
  (`--toggle-size`, 64x64 with 2 blocks of 32 filters), because each CycleGAN-128 variant takes
  about a minute to trace and XLA several minutes to compile it.
- Agreement of the math: the logged losses (running means, as `fit` reports them) of the
  library and the reference over their first steps, which start from the same weights, seed and
  batches, must agree within `--loss-rtol` (`--bf16-loss-rtol` for the bf16 variant).
- Retracing: each library model counts the traces of its `train_step` (and Keras's two
  `tf.function`s around it report theirs); every timed model must end with one trace after all
  its `fit` calls, and the default model trains two more epochs on the library's own pipeline
  (`datasets.make_dataset` / `unpaired_dataset`) without a new trace.
- The physical limit: the machine's dense float32 matmul rate (`tf.matmul` of two `n x n`
  matrices in a `tf.function`, median of 3 calls per probe), probed at the start and after every
  CycleGAN repetition, the peak being the median of the probes; the FLOPs of one training step
  counted on the graph Keras traced for `fit` (every Conv2D, Conv2DBackpropInput,
  Conv2DBackpropFilter, MatMul and BatchMatMul with its static shapes, 2 FLOPs per
  multiply-add; elementwise ops -- normalization, activations, Adam -- are not counted); and
  the achieved fraction of the peak.
- Scaling: steps/s, images/s, FLOPs and memory of the library's default model as the batch
  size (DCGAN) and the image size (CycleGAN with the toggle size's blocks and filters) grow.

Memory. `step peak MB` is the peak of TensorFlow's CPU allocator during a timed block
(`tf.config.experimental.get_memory_info("CPU:0")["peak"]` after `reset_memory_stats`) minus what
the allocator held when the block began: the tensors one training step of that model needs on
top of what is resident (activations, gradients, temporaries, prefetched batches). `state MB`
is the model's variables and optimizer slots. Python objects and graphs are in neither; the
process's maximum resident set size (`getrusage`) is reported once for the whole run.

Results go to `benchmarks/results/throughput/` (`results.json`, `table.md`), with the machine
(CPU model, cores, load average before and after). On a shared machine absolute steps/s swing
with the load; the ratios, measured side by side, are the numbers to read.

Usage (from the repository root; about 15 minutes on 2 shared CPU cores, `--quick` 2 to 3):
    python benchmarks/throughput.py [--quick] [--models dcgan,cgan,text,cyclegan]
        [--cyclegan-size 128] [--cyclegan-blocks 6] [--cyclegan-filters 64]
        [--cyclegan-variants reference,library,fused,bf16] [--toggle-size 64,2,32]
        [--repeats 4] [--block-seconds 1.2] [--steps-per-execution 8]
"""

import argparse
import collections
import contextlib
import gc
import inspect
import json
import math
import os
import platform
import resource
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
from keras_mmgan import backend as mm_backend

from references import KerasIOConditionalGAN
from references import KerasIOCycleGAN
from references import KerasIOCycleGANExact
from references import KerasIODCGAN
from references import KerasIOTextToImageGAN

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "throughput")
MB = 1024.0 * 1024.0


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


_CLONE_DTYPE = [None]


def clone(network):
    """A copy of a functional network with the same weights (new layers, new variables).

    Inside `dtype_policy(name)` the copy's layers take that dtype policy.
    """
    if _CLONE_DTYPE[0] is None:
        copy = keras.models.clone_model(network)
    else:
        def with_policy(layer):
            return layer.__class__.from_config({**layer.get_config(), "dtype": _CLONE_DTYPE[0]})

        copy = keras.models.clone_model(network, clone_function=with_policy)
    copy.set_weights(network.get_weights())
    return copy


@contextlib.contextmanager
def dtype_policy(name):
    """Builds models (and network copies) under a Keras dtype policy, e.g. mixed_bfloat16."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    _CLONE_DTYPE[0] = name
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
        _CLONE_DTYPE[0] = None


# ---------------------------------------------------------------------------------------------
# Engine toggles (measurement only: active while a variant's step is traced).
# ---------------------------------------------------------------------------------------------
def _apply_phase_unchecked(loss_fn, variables, optimizer, checks=None):
    """`backend.apply_phase` without the finiteness asserts and their control dependency."""
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        scaled = optimizer.scale_loss(loss / mm_backend.num_replicas())
    gradients = tape.gradient(scaled, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return logs


def _guard_off(x, name, condition=None):
    return x


@contextlib.contextmanager
def engine_patches(asserts=True, guard=True):
    saved = mm_backend.apply_phase, mm_backend.guard
    if not asserts:
        mm_backend.apply_phase = _apply_phase_unchecked
    if not guard:
        mm_backend.guard = _guard_off
    try:
        yield
    finally:
        mm_backend.apply_phase, mm_backend.guard = saved


def count_traces(model):
    """Makes `model` count how often Keras traces its `train_step`."""
    original = model.train_step
    model.bench_traces = 0

    def train_step(data):
        model.bench_traces += 1
        return original(data)

    model.train_step = train_step
    return model




def tracing_counts(model):
    """How often the model's train_step and Keras's tf.functions around it were traced."""
    counts = {"train_step": getattr(model, "bench_traces", None)}
    for function in _train_functions(model):
        name = function.python_function.__name__
        counts[name] = function.experimental_get_tracing_count()
    return counts


def _train_functions(model):
    """The distinct `tf.function`s inside Keras's `model.train_function` (found by closure)."""
    found, stack, seen = [], [model.train_function], set()
    while stack:
        function = stack.pop()
        for cell in getattr(function, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, tf.types.experimental.PolymorphicFunction):
                found.append(value)
                stack.append(value.python_function)
            elif inspect.isfunction(value):
                stack.append(value)
    return found


# ---------------------------------------------------------------------------------------------
# Cases: the library's model, its references, the data.
# ---------------------------------------------------------------------------------------------
class Variant:
    """One model to time: how to build it, its data, and the patches active at trace time."""

    def __init__(self, name, build, description, dataset, images_per_step, patches=None,
                 steps_per_execution=1, library=True):
        self.name = name
        self.build = build
        self.description = description
        self.dataset = dataset
        self.images_per_step = images_per_step
        self.patches = patches or {}
        self.steps_per_execution = steps_per_execution
        self.library = library
        self.model = None
        self.fits = 0
        self.losses = None


class Case:
    """A model family at one size: its data, the library's model and the references."""

    def __init__(self, name, title, batch_size, dataset, epoch_dataset, build_library,
                 build_reference, build_exact=None):
        self.name = name
        self.title = title
        self.batch_size = batch_size
        self.dataset = dataset
        self.epoch_dataset = epoch_dataset
        self.build_library = build_library
        self.build_reference = build_reference
        self.build_exact = build_exact

    def variant(self, name, steps_per_execution=8):
        """The variant called `name` (`spe` is `steps_per_execution`)."""
        build = self.build_library
        k = steps_per_execution
        catalog = {
            "reference": (self.build_reference,
                          "keras.io-style GradientTape step, default compile()", {}, 1, False),
            "library": (build, "library, default compile()", {}, 1, True),
            "jit": (lambda: build(jit_compile=True), "compile(jit_compile=True) (XLA)", {}, 1,
                    True),
            "spe": (lambda: build(steps_per_execution=k), f"compile(steps_per_execution={k})",
                    {}, k, True),
            "no_asserts": (build, "apply_phase without the finiteness Asserts",
                           {"asserts": False}, 1, True),
            "no_checks": (build, "no Asserts and no backend.guard",
                          {"asserts": False, "guard": False}, 1, True),
            "no_pool": (lambda: build(pool_size=0), "CycleGAN(pool_size=0)", {}, 1, True),
            "fused": (lambda: build(reuse_fakes=True),
                      "CycleGAN(reuse_fakes=True), the default: fakes computed once per step",
                      {}, 1, True),
            "bf16": (self._build_bf16, ("library built under the mixed_bfloat16 policy "
                     "(bfloat16 compute, float32 weights; AMX on this CPU)"), {}, 1, True),
            "keras_io_exact": (self.build_exact, ("keras.io CycleGAN as written (persistent "
                               "tape, simultaneous update; other math)"), {}, 1, False),
        }
        builder, description, patches, spe, library = catalog[name]
        label = f"spe{k}" if name == "spe" else name
        return Variant(label, builder, description, self.dataset, self.batch_size, patches, spe,
                       library)

    def _build_bf16(self):
        with dtype_policy("mixed_bfloat16"):
            return self.build_library()


def _repeated(*arrays, batch_size):
    data = arrays[0] if len(arrays) == 1 else tuple(arrays)
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size, drop_remainder=True)
    return dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)


def dcgan_case(batch_size, seed=0, num_batches=8):
    digits = mm.datasets.digits()
    images = digits["images"][: batch_size * num_batches]
    keras.utils.set_random_seed(seed)
    generator = mm.networks.dcgan_generator(64, (28, 28, 1))
    discriminator = mm.networks.dcgan_discriminator((28, 28, 1))

    def build_library(**compile_options):
        model = mm.models.GAN(clone(generator), clone(discriminator), latent_dim=64, seed=seed)
        model.compile(d_optimizer=_adam(), g_optimizer=_adam(), **compile_options)
        return model

    def build_reference():
        model = KerasIODCGAN(clone(discriminator), clone(generator), latent_dim=64, seed=seed)
        model.compile(_adam(), _adam(), keras.losses.BinaryCrossentropy(from_logits=True))
        return model

    return Case(
        "dcgan", f"DCGAN 28x28x1, batch {batch_size}", batch_size,
        _repeated(images, batch_size=batch_size),
        lambda: mm.datasets.make_dataset(images, batch_size=batch_size),
        build_library, build_reference,
    )


def cgan_case(batch_size, seed=0, num_batches=8):
    digits = mm.datasets.digits()
    images = digits["images"][: batch_size * num_batches]
    labels = digits["labels"][: batch_size * num_batches].astype("int32")
    keras.utils.set_random_seed(seed)
    generator = mm.networks.dcgan_generator(64 + 10, (28, 28, 1))
    discriminator = mm.networks.dcgan_discriminator((28, 28, 1 + 10))

    def build_library(**compile_options):
        model = mm.models.ConditionalGAN(
            clone(generator), clone(discriminator), latent_dim=64, num_classes=10, seed=seed
        )
        model.compile(d_optimizer=_adam(), g_optimizer=_adam(), **compile_options)
        return model

    def build_reference():
        model = KerasIOConditionalGAN(
            clone(discriminator), clone(generator), latent_dim=64, num_classes=10, seed=seed
        )
        model.compile(_adam(), _adam(), keras.losses.BinaryCrossentropy(from_logits=True))
        return model

    return Case(
        "cgan", f"ConditionalGAN 28x28x1, 10 classes (concat), batch {batch_size}", batch_size,
        _repeated(images, labels, batch_size=batch_size),
        lambda: mm.datasets.make_dataset(images, labels, batch_size=batch_size),
        build_library, build_reference,
    )


def text_case(batch_size, seed=0, num_batches=8):
    data = mm.datasets.shapes(batch_size * num_batches, image_size=28, seed=seed)
    vectorizer = mm.datasets.text_vectorizer(data["captions"])
    tokens = ops.convert_to_numpy(vectorizer(data["captions"])).astype("int32")
    images = data["images"]
    keras.utils.set_random_seed(seed)
    encoder = mm.build_encoder((28, 28, 3))
    text_encoder = mm.build_text_encoder(10000)
    generator = mm.build_generator(32, 128, image_shape=(28, 28, 3))
    discriminator = mm.build_discriminator((28, 28, 3), 10000)

    def build_library(**compile_options):
        model = mm.build_gan(
            clone(encoder), clone(text_encoder), clone(generator), clone(discriminator), seed=seed
        )
        model.compile(d_optimizer=_adam(), g_optimizer=_adam(), **compile_options)
        return model

    def build_reference():
        model = KerasIOTextToImageGAN(
            clone(generator), clone(discriminator), clone(text_encoder), clone(encoder),
            latent_dim=32, seed=seed,
        )
        model.compile(_adam(), _adam(), keras.losses.BinaryCrossentropy(from_logits=False))
        return model

    return Case(
        "text", f"text-to-image GAN (build_gan, the guide's layers) 28x28x3, batch {batch_size}",
        batch_size, _repeated(images, tokens, batch_size=batch_size),
        lambda: mm.datasets.make_dataset(images, tokens, batch_size=batch_size),
        build_library, build_reference,
    )


def cyclegan_case(image_size, num_blocks, base_filters, batch_size=1, seed=0, num_batches=4,
                  name="cyclegan"):
    data_x = mm.datasets.shapes(batch_size * num_batches, image_size=image_size, seed=seed)
    data_y = mm.datasets.shapes(batch_size * num_batches, image_size=image_size, seed=seed + 1)
    images_x, images_y = data_x["images"], -data_y["images"]  # Y: inverted colours
    keras.utils.set_random_seed(seed)
    shape = (image_size, image_size, 3)
    networks = [
        mm.networks.resnet_generator(shape, base_filters=base_filters, num_blocks=num_blocks),
        mm.networks.resnet_generator(shape, base_filters=base_filters, num_blocks=num_blocks),
        mm.networks.patchgan_discriminator(shape, base_filters=base_filters, n_layers=3,
                                           normalization="instance"),
        mm.networks.patchgan_discriminator(shape, base_filters=base_filters, n_layers=3,
                                           normalization="instance"),
    ]

    def build_library(reuse_fakes=False, pool_size=50, **compile_options):
        # Separate phases (D first) unless asked: the reference's math, for the loss check.
        model = mm.models.CycleGAN(*[clone(n) for n in networks], pool_size=pool_size,
                                   seed=seed, reuse_fakes=reuse_fakes)
        model.compile(d_optimizer=_adam(), g_optimizer=_adam(), **compile_options)
        return model

    def build_reference():
        model = KerasIOCycleGAN(*[clone(n) for n in networks])
        model.compile(_adam(), _adam())
        return model

    def build_exact():
        model = KerasIOCycleGANExact(*[clone(n) for n in networks])
        model.compile(_adam(), _adam(), _adam(), _adam())
        return model

    dataset = tf.data.Dataset.zip((
        _repeated(images_x, batch_size=batch_size), _repeated(images_y, batch_size=batch_size)
    ))
    return Case(
        name,
        f"CycleGAN {image_size}x{image_size}x3 (ResNet G {num_blocks} blocks, {base_filters} "
        f"filters; PatchGAN D, instance norm), batch {batch_size}",
        batch_size, dataset,
        lambda: mm.datasets.unpaired_dataset(images_x[:batch_size], images_y[:batch_size],
                                             batch_size=batch_size),
        build_library, build_reference, build_exact,
    )


# ---------------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------------
class _BlockTimer(keras.callbacks.Callback):
    """Records the time at the start of every execution and at the end of the epoch.

    Only `on_train_batch_begin` is overridden, so Keras keeps dispatching its end-of-batch
    work asynchronously, as in a plain `fit`.
    """

    def __init__(self):
        super().__init__()
        self.marks = []
        self.end = None

    def on_train_batch_begin(self, batch, logs=None):
        self.marks.append((batch, time.perf_counter()))

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()


class _LossRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({k: float(v) for k, v in (logs or {}).items()})


def _memory_now():
    try:
        return tf.config.experimental.get_memory_info("CPU:0")
    except (ValueError, RuntimeError):
        return None


def _reset_memory():
    with contextlib.suppress(ValueError, RuntimeError):
        tf.config.experimental.reset_memory_stats("CPU:0")


def _fit(variant, dataset, steps, callbacks=(), epochs=1):
    variant.model.fit(dataset, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False,
                      callbacks=list(callbacks))
    variant.fits += epochs


def run_block(variant, steps):
    """Trains `steps` steps.

    Returns steps/s (wall clock), steps per CPU-second of the process (all its threads, so
    less sensitive to other jobs taking the cores) and the peak MB on top of what was held at
    the start.
    """
    timer = _BlockTimer()
    _reset_memory()
    before = _memory_now()
    gc.disable()
    try:
        cpu = time.process_time()
        _fit(variant, variant.dataset, steps, [timer])
        cpu = time.process_time() - cpu
    finally:
        gc.enable()
    after = _memory_now()
    rate = steps / (timer.end - timer.marks[0][1])
    peak = None if before is None or after is None else (after["peak"] - before["current"]) / MB
    return rate, steps / cpu, peak


def warm_up(variant, loss_steps=0):
    """Builds and traces the variant (with its patches), then runs a few steps.

    The first `fit` records the logged losses of every step when `loss_steps` is given.
    """
    variant.model = variant.build()
    if variant.library:
        count_traces(variant.model)
    k = variant.steps_per_execution
    steps = max(2 * k, math.ceil(max(loss_steps, 2) / k) * k)
    timer, recorder = _BlockTimer(), _LossRecorder()
    callbacks = [timer] + ([recorder] if loss_steps else [])
    start = time.perf_counter()
    with engine_patches(**variant.patches):
        _fit(variant, variant.dataset, steps, callbacks)
    variant.warm_up_seconds = time.perf_counter() - start
    second_step, second_start = timer.marks[1]
    variant.step_seconds = (timer.end - second_start) / (steps - second_step)
    variant.losses = recorder.logs if loss_steps else None


def state_mb(model):
    """Weights, optimizer slots and other variables of a model (and its optimizers), in MB."""
    seen, total = set(), 0
    variables = list(model.variables)
    for name in ("d_optimizer", "g_optimizer", "gen_G_optimizer", "gen_F_optimizer",
                 "disc_X_optimizer", "disc_Y_optimizer"):
        optimizer = getattr(model, name, None)
        if optimizer is not None:
            variables += list(optimizer.variables)
    for variable in variables:
        if id(variable) in seen:
            continue
        seen.add(id(variable))
        total += math.prod(variable.shape) * np.dtype(variable.dtype).itemsize
    return total / MB


def time_group(variants, repeats, block_seconds, log, loss_steps=0, probe=None, min_steps=2):
    """Warms up, then times every variant block by block, alternating (ABBA).

    Returns a dict of rows (one per variant) and the matmul probes of each repetition.
    """
    failed, alive = {}, []
    for variant in variants:
        if variant.model is None:
            record = loss_steps if variant.name in ("library", "reference", "bf16", "fused") else 0
            try:
                warm_up(variant, record)
            except Exception as error:  # noqa: BLE001 - a variant that fails is reported
                message = f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:300]}"
                failed[variant.name] = {"description": variant.description, "failed": message}
                log(f"  {variant.name} failed: {message}")
                continue
            log(f"  warm-up {variant.name}: {variant.warm_up_seconds:.1f} s (trace + first "
                f"steps), {variant.step_seconds * 1e3:.0f} ms/step")
        alive.append(variant)
    variants[:] = alive
    # Tracing leaves millions of Python objects; a full collection of them takes seconds and
    # would land in a random block. Freeze them out of the collector, and collect nothing
    # during a block.
    gc.collect()
    gc.freeze()
    blocks = {}
    for variant in variants:
        k = variant.steps_per_execution
        steps = max(min_steps, math.ceil(block_seconds / variant.step_seconds))
        blocks[variant.name] = math.ceil(steps / k) * k
    rates = {v.name: [] for v in variants}
    cpu_rates = {v.name: [] for v in variants}
    peaks = {v.name: [] for v in variants}
    probes = []
    for repeat in range(repeats):
        order = variants if repeat % 2 == 0 else variants[::-1]
        for variant in order:
            rate, cpu_rate, peak = run_block(variant, blocks[variant.name])
            rates[variant.name].append(rate)
            cpu_rates[variant.name].append(cpu_rate)
            peaks[variant.name].append(peak)
        if probe is not None:
            probes.append(probe())
        log(f"  repeat {repeat + 1}/{repeats}: " + ", ".join(
            f"{v.name} {rates[v.name][-1]:.2f}" for v in variants) + " steps/s"
            + (f"; matmul {probes[-1][0] / 1e9:.0f} GFLOP/s" if probes else ""))
    rows = {}
    for variant in variants:
        row = {
            "description": variant.description,
            "steps_per_execution": variant.steps_per_execution,
            "steps_per_block": blocks[variant.name],
            "steps_per_second": rates[variant.name],
            "median_steps_per_second": statistics.median(rates[variant.name]),
            "median_images_per_second": statistics.median(rates[variant.name])
            * variant.images_per_step,
            "steps_per_cpu_second": cpu_rates[variant.name],
            "median_cpu_ms_per_step": 1e3 / statistics.median(cpu_rates[variant.name]),
            "warm_up_seconds": round(variant.warm_up_seconds, 1),
            "step_peak_mb": max((p for p in peaks[variant.name] if p is not None), default=None),
            "state_mb": state_mb(variant.model),
        }
        for other in ("reference", "library"):
            if other in rates and other != variant.name:
                ratios = [a / b for a, b in zip(rates[variant.name], rates[other])]
                row[f"ratio_to_{other}_per_repeat"] = ratios
                row[f"median_ratio_to_{other}"] = statistics.median(ratios)
                # Other jobs only ever slow a block down: the fastest blocks are the least
                # disturbed, so their ratio is a second, load-robust estimate.
                row[f"best_block_ratio_to_{other}"] = max(rates[variant.name]) / max(rates[other])
                cpu_ratios = [a / b for a, b in zip(cpu_rates[variant.name], cpu_rates[other])]
                row[f"median_cpu_time_ratio_to_{other}"] = statistics.median(cpu_ratios)
        if variant.library:
            row["traces"] = tracing_counts(variant.model)
            row["fit_calls"] = variant.fits
        rows[variant.name] = row
    rows.update(failed)
    return rows, probes


# ---------------------------------------------------------------------------------------------
# FLOPs and the matmul peak.
# ---------------------------------------------------------------------------------------------
def _dims(shape):
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    if any(d is None for d in dims):
        raise ValueError(f"unknown static shape {shape}")
    return dims


def graph_flops(graph):
    """FLOPs (2 per multiply-add) of the conv and matmul ops of a graph, by op type."""
    by_type = collections.Counter()
    nested = collections.Counter()
    for op in graph.get_operations():
        kind = op.type
        if kind in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"):
            # Each costs the forward conv's multiply-adds: output positions x kernel x in x out.
            if op.get_attr("data_format") != b"NHWC":
                raise ValueError(f"{op.name}: expected NHWC")
            if kind == "Conv2D":
                n, h, w, c_out = _dims(op.outputs[0].shape)
                kh, kw, c_in, _ = _dims(op.inputs[1].shape)
            elif kind == "Conv2DBackpropInput":
                n, h, w, c_out = _dims(op.inputs[2].shape)
                kh, kw, c_in, _ = _dims(op.inputs[1].shape)
            else:
                n, h, w, c_out = _dims(op.inputs[2].shape)
                kh, kw, c_in, _ = _dims(op.outputs[0].shape)
            by_type[kind] += 2 * n * h * w * c_out * kh * kw * c_in
        elif kind == "MatMul":
            a, b = _dims(op.inputs[0].shape), _dims(op.inputs[1].shape)
            m, k = (a[1], a[0]) if op.get_attr("transpose_a") else (a[0], a[1])
            n = b[0] if op.get_attr("transpose_b") else b[1]
            by_type[kind] += 2 * m * k * n
        elif kind in ("BatchMatMulV2", "BatchMatMulV3"):
            out = _dims(op.outputs[0].shape)
            a = _dims(op.inputs[0].shape)
            k = a[-2] if op.get_attr("adj_x") else a[-1]
            by_type[kind] += 2 * math.prod(out) * k
        elif kind in ("PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile",
                      "If", "StatelessIf"):
            nested[kind] += 1
    return sum(by_type.values()), dict(by_type), dict(nested)


def model_flops(model):
    """FLOPs of one training step, counted on the graph Keras traced for `fit` (no retrace)."""
    for function in _train_functions(model):
        if function.python_function.__name__ != "one_step_on_data":
            continue
        concrete = function._list_all_concrete_functions()  # no public way to list them
        if concrete:
            total, by_type, nested = graph_flops(concrete[0].graph)
            return {"gflop_per_step": total / 1e9,
                    "by_op_type_gflop": {k: v / 1e9 for k, v in sorted(by_type.items())},
                    "control_flow_ops": nested}
    return None


def matmul_rate(n=4096, calls=3, dtype=tf.float32):
    """`tf.matmul` rate for `n x n` matrices (2 n^3 FLOPs per call).

    Returns `(FLOP/s, FLOPs per CPU-second)`: the median wall-clock rate of `calls` calls and
    the rate per second of the process's CPU time over all of them.
    """
    a = tf.cast(tf.random.normal((n, n), seed=1), dtype)
    b = tf.cast(tf.random.normal((n, n), seed=2), dtype)

    @tf.function
    def product(a, b):
        return tf.reduce_sum(tf.cast(tf.matmul(a, b)[:1, :1], tf.float32))

    product(a, b).numpy()
    seconds = []
    cpu = time.process_time()
    for _ in range(calls):
        start = time.perf_counter()
        product(a, b).numpy()
        seconds.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    return 2.0 * n**3 / statistics.median(seconds), 2.0 * n**3 * calls / cpu


# ---------------------------------------------------------------------------------------------
# Agreement of the math, and retracing.
# ---------------------------------------------------------------------------------------------
def loss_agreement(library_losses, reference_losses, rtol):
    """Compares the per-step logged losses (running means) of library and reference."""
    keys = sorted(set(library_losses[0]) & set(reference_losses[0]))
    worst = {}
    for key in keys:
        diffs = [abs(a[key] - b[key]) / max(abs(b[key]), 1e-6)
                 for a, b in zip(library_losses, reference_losses)]
        worst[key] = {"first_step_relative_difference": diffs[0],
                      "max_relative_difference": max(diffs)}
    return {
        "steps": min(len(library_losses), len(reference_losses)),
        "rtol": rtol,
        "library": [{k: log[k] for k in keys} for log in library_losses],
        "reference": [{k: log[k] for k in keys} for log in reference_losses],
        "relative_differences": worst,
        "agree": all(v["max_relative_difference"] <= rtol for v in worst.values()),
    }


class _TraceRecorder(keras.callbacks.Callback):
    def __init__(self, model):
        super().__init__()
        self.bench_model = model
        self.per_epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.per_epoch.append(tracing_counts(self.bench_model))


def retrace_check(variant, epoch_dataset, epochs=2):
    """Two more epochs of the timed library model on the library's own input pipeline."""
    before = tracing_counts(variant.model)
    fits = variant.fits
    recorder = _TraceRecorder(variant.model)
    variant.model.fit(epoch_dataset, epochs=epochs, verbose=0, callbacks=[recorder])
    variant.fits += epochs
    after = recorder.per_epoch
    return {
        "epochs_before": fits,
        "traces_before": before,
        "traces_after_each_library_pipeline_epoch": after,
        "retraced": any(counts != before for counts in after),
    }


# ---------------------------------------------------------------------------------------------
# Machine and output.
# ---------------------------------------------------------------------------------------------
def machine_description():
    description = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "tf_intra_op_threads_setting": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op_threads_setting": tf.config.threading.get_inter_op_parallelism_threads(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            lines = cpuinfo.read().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        flags = next((line.split(":", 1)[1].split() for line in lines
                      if line.startswith("flags")), [])
        description["cpu_model"] = names[0] if names else None
        description["cpu_simd_flags"] = sorted(
            f for f in flags if f.startswith(("avx", "amx", "fma"))
        )
    except OSError:
        description["cpu_model"] = None
    return description


def _fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _ratios(row, other):
    if f"median_ratio_to_{other}" not in row:
        return "-"
    return (f"**{row[f'median_ratio_to_{other}']:.2f}** "
            f"[{row[f'best_block_ratio_to_{other}']:.2f}, "
            f"{row[f'median_cpu_time_ratio_to_{other}']:.2f}]")


def _percent(value):
    return "-" if value is None else f"{100 * value:.0f} %"


def write_table(result, path):
    machine = result["machine"]
    peak = result["peak"]
    lines = [
        "# Training throughput: keras_mmgan vs keras.io-style references",
        "",
        f"Command: `{result['command']}` ({result['seconds'] / 60:.1f} min)  ",
        (f"Machine: {machine.get('cpu_model')}, {machine['usable_cpus']} usable cores (shared "
         f"with other jobs); TensorFlow {machine['tensorflow']}, Keras {machine['keras']}; "
         f"load average (1/5/15 min) {result['load_average_before']} before, "
         f"{result['load_average_after']} after.  "),
        (f"Matmul peak: float32 `tf.matmul` {peak['matmul_n']}x{peak['matmul_n']}, median of "
         f"{len(peak['samples_gflops'])} probes through the run: **{peak['peak_gflops']:.0f} "
         f"GFLOP/s** (range {min(peak['samples_gflops']):.0f}-"
         f"{max(peak['samples_gflops']):.0f}), **{peak['peak_gflop_per_cpu_second']:.0f} GFLOP "
         f"per CPU-second**; bfloat16 (AMX) at the start: "
         f"{peak['bfloat16_matmul_gflops_at_start']:.0f} GFLOP/s."),
        "",
        ("Speed ratios (x): medians over repetitions of per-repetition ratios of wall-clock "
         "steps/s (variants timed alternately in one process); in brackets the ratio of the "
         "fastest blocks, then the median ratio of steps per CPU-second (both less sensitive to "
         "other jobs). Step peak MB: TensorFlow CPU-allocator peak during a block above what "
         "was held at its start; state MB: weights + optimizer slots."),
        "",
        ("| model | variant | steps/s | images/s | CPU ms/step | x reference [best, CPU] | "
         "x library default [best, CPU] | GFLOP/step | % of matmul peak [CPU time] | step peak MB | "
         "state MB |"),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in result["cases"].values():
        for name, row in case["variants"].items():
            flops = case.get("flops", {}).get(name) or {}
            if "failed" in row:
                lines.append(f"| {case['title']} | **{name}**: {row['description']} | failed: "
                             f"`{row['failed']}` | | | | | | | | |")
                continue
            lines.append(
                f"| {case['title']} | **{name}**: {row['description']} | "
                f"{_fmt(row['median_steps_per_second'])} | "
                f"{_fmt(row['median_images_per_second'], 1)} | "
                f"{_fmt(row['median_cpu_ms_per_step'], 0)} | "
                f"{_ratios(row, 'reference')} | {_ratios(row, 'library')} | "
                f"{_fmt(flops.get('gflop_per_step'), 2)} | "
                f"{_percent(flops.get('fraction_of_peak'))} "
                f"[{_percent(flops.get('cpu_time_fraction_of_peak'))}] | "
                f"{_fmt(row['step_peak_mb'], 0)} | {_fmt(row['state_mb'], 0)} |"
            )
    lines += ["", "## Fraction of the matmul peak", "",
              ("Achieved FLOP/s over the float32 matmul rate, four ways: against the median "
               "probe, the probe right after the same repetition (median over repetitions), the "
               "best probe of the run (the least loaded machine), and FLOPs per CPU-second of "
               "the step against those of the matmul (the least sensitive to other jobs)."), "",
              ("| model | variant | GFLOP/step | median probe | same repetition | best probe | "
               "CPU time |"), "|---|---|---|---|---|---|---|"]
    for case in result["cases"].values():
        for name, flops in case.get("flops", {}).items():
            if not flops:
                continue
            same = flops.get("fraction_of_same_repeat_probe", {}).get("median")
            lines.append(
                f"| {case['title']} | {name} | {flops['gflop_per_step']:.2f} | "
                f"{_percent(flops.get('fraction_of_peak'))} | {_percent(same)} | "
                f"{_percent(flops.get('fraction_of_best_probe'))} | "
                f"{_percent(flops.get('cpu_time_fraction_of_peak'))} |"
            )
    lines += ["", "## Same math: losses of library and reference", "",
              ("Fresh models, same initial weights, latent seed and batches; the losses `fit` "
               "logs (running means) after each of the first steps."), "",
              "| model | steps | loss | first-step rel. diff | max rel. diff | within rtol |",
              "|---|---|---|---|---|---|"]
    agreements = [
        (case_name, label, case[label])
        for case_name, case in result["cases"].items()
        for label in ("loss_agreement", "loss_agreement_bf16")
        if case.get(label)
    ]
    suffixes = {"loss_agreement": "", "loss_agreement_bf16": " (bf16 library vs float32 reference)"}
    for case_name, label, agreement in agreements:
        which = case_name + suffixes[label]
        for key, diff in agreement["relative_differences"].items():
            lines.append(
                f"| {which} | {agreement['steps']} | {key} | "
                f"{diff['first_step_relative_difference']:.1e} | "
                f"{diff['max_relative_difference']:.1e} | "
                f"{'yes' if diff['max_relative_difference'] <= agreement['rtol'] else 'NO'} |"
            )
    if result.get("scaling"):
        lines += ["", "## Scaling (library, default compile)", "",
                  ("| model | batch | image | steps/s | images/s | CPU ms/step | GFLOP/step | "
                   "achieved GFLOP/s | % of peak [CPU time] | step peak MB | state MB |"),
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for row in result["scaling"]:
            lines.append(
                f"| {row['model']} | {row['batch_size']} | {row['image_size']} | "
                f"{row['steps_per_second']:.2f} | {row['images_per_second']:.1f} | "
                f"{row['cpu_ms_per_step']:.0f} | "
                f"{row['gflop_per_step']:.2f} | {row['achieved_gflops']:.1f} | "
                f"{_percent(row['fraction_of_peak'])} "
                f"[{_percent(row['cpu_time_fraction_of_peak'])}] | "
                f"{_fmt(row['step_peak_mb'], 0)} | "
                f"{_fmt(row['state_mb'], 0)} |"
            )
    lines += ["", "## Retracing", "",
              ("Traces of `train_step` (and of Keras's two `tf.function`s around it) of every "
               "timed library model after all its `fit` calls, and of the default model after "
               "two more epochs on the library's own pipeline (`make_dataset` / "
               "`unpaired_dataset`)."), "",
              "| model | fit calls | traces after all | after epoch 1, 2 of the library pipeline |",
              "|---|---|---|---|"]
    for case_name, case in result["cases"].items():
        retrace = case.get("retrace")
        traced = {n: r["traces"]["train_step"] for n, r in case["variants"].items()
                  if r.get("traces")}
        epochs = ("-" if not retrace else ", ".join(
            str(c["train_step"]) for c in retrace["traces_after_each_library_pipeline_epoch"]))
        fits = max((r.get("fit_calls", 0) for r in case["variants"].values()), default=0)
        lines.append(f"| {case_name} | up to {fits} | {traced} | {epochs} |")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------------
SMALL_VARIANTS = ["reference", "library", "jit", "spe", "no_asserts", "no_checks", "bf16"]
CYCLEGAN_VARIANTS = ["reference", "library", "fused", "bf16"]
CYCLEGAN_TOGGLES = ["library", "jit", "spe", "no_checks", "no_pool"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 2-minute smoke run")
    parser.add_argument("--models", default="dcgan,cgan,text,cyclegan")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cyclegan-size", type=int, default=128)
    parser.add_argument("--cyclegan-blocks", type=int, default=6)
    parser.add_argument("--cyclegan-filters", type=int, default=64)
    parser.add_argument("--cyclegan-batch", type=int, default=1)
    parser.add_argument("--cyclegan-variants", default=",".join(CYCLEGAN_VARIANTS),
                        help="variants timed at the main CycleGAN size; also available: "
                        "keras_io_exact, no_checks, no_pool, spe, jit (XLA compiles for minutes "
                        "at 128x128 on CPU)")
    parser.add_argument("--toggle-size", default="64,2,32",
                        help="image size, blocks, filters of the smaller CycleGAN on which the "
                        "options are toggled ('' to skip)")
    parser.add_argument("--small-variants", default=",".join(SMALL_VARIANTS))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cyclegan-repeats", type=int, default=3,
                        help="repetitions at the main CycleGAN size (blocks of 2 steps or more)")
    parser.add_argument("--block-seconds", type=float, default=0.5)
    parser.add_argument("--steps-per-execution", type=int, default=8)
    parser.add_argument("--loss-steps", type=int, default=3)
    parser.add_argument("--loss-rtol", type=float, default=1e-3)
    parser.add_argument("--bf16-loss-rtol", type=float, default=2e-2)
    parser.add_argument("--matmul-n", type=int, default=4096)
    parser.add_argument("--scaling-batches", default="16,64,256",
                        help="DCGAN batch sizes of the scaling table")
    parser.add_argument("--scaling-images", default="32,64,128",
                        help="image sizes of the scaling table (CycleGAN with the toggle "
                        "CycleGAN's blocks and filters)")
    parser.add_argument("--scaling-repeats", type=int, default=5)
    parser.add_argument("--output", default=RESULTS_DIR)
    parser.add_argument("--rewrite-table", action="store_true",
                        help="only rewrite table.md from the output folder's results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.cyclegan_size, args.cyclegan_blocks, args.cyclegan_filters = 32, 2, 16
        args.cyclegan_variants = "reference,library"
        args.toggle_size = ""
        args.small_variants = "reference,library,spe,no_checks"
        args.repeats, args.cyclegan_repeats, args.block_seconds = 3, 2, 0.3
        args.loss_steps, args.matmul_n = 2, 2048
        args.scaling_batches, args.scaling_images, args.scaling_repeats = "16,64", "", 1
        args.steps_per_execution = 4
    args.models = [m for m in args.models.split(",") if m]
    args.cyclegan_variants = [v for v in args.cyclegan_variants.split(",") if v]
    args.small_variants = [v for v in args.small_variants.split(",") if v]
    args.toggle_size = [int(x) for x in args.toggle_size.split(",")] if args.toggle_size else None
    args.scaling_batches = [int(b) for b in args.scaling_batches.split(",") if b]
    args.scaling_images = [int(s) for s in args.scaling_images.split(",") if s]
    return args


def run_case(case, names, args, log, repeats, probe=None):
    """Times one case's variants; adds losses agreement, FLOPs and the retrace check."""
    log(case.title)
    variants = [case.variant(name, args.steps_per_execution) for name in names]
    rows, probes = time_group(variants, repeats, args.block_seconds, log,
                              loss_steps=args.loss_steps, probe=probe)
    entry = {"title": case.title, "batch_size": case.batch_size, "variants": rows}
    by_name = {v.name: v for v in variants}
    for name, label, rtol in (("library", "loss_agreement", args.loss_rtol),
                              ("bf16", "loss_agreement_bf16", args.bf16_loss_rtol)):
        if name in by_name and "reference" in by_name:
            entry[label] = loss_agreement(by_name[name].losses, by_name["reference"].losses, rtol)
            worst = {k: float(f"{v['max_relative_difference']:.2g}")
                     for k, v in entry[label]["relative_differences"].items()}
            log(f"  {name} losses agree with the reference: {entry[label]['agree']} (max "
                f"relative differences {worst})")
    entry["flops"] = {}
    for variant in variants:
        if variant.steps_per_execution == 1 and variant.name != "bf16":
            entry["flops"][variant.name] = model_flops(variant.model)
    if "library" in by_name:
        entry["retrace"] = retrace_check(by_name["library"], case.epoch_dataset())
        log(f"  retrace check: {entry['retrace']['traces_after_each_library_pipeline_epoch']}")
    return entry, variants, probes


def scaling(args, log, built, peak, cpu_peak):
    """Steps/s, memory and FLOPs of the library's default model as batch and image grow."""
    variants = []
    blocks, filters = (args.toggle_size or [0, args.cyclegan_blocks, args.cyclegan_filters])[1:]
    configs = [("dcgan", b, 28, None, lambda b=b: dcgan_case(b)) for b in args.scaling_batches]
    configs += [("cyclegan", 1, s, (blocks, filters), lambda s=s: cyclegan_case(s, blocks, filters))
                for s in args.scaling_images]
    for model_name, batch_size, image_size, arch, make_case in configs:
        variant = built.get((model_name, batch_size, image_size, arch))
        if variant is None:
            variant = make_case().variant("library")
            warm_up(variant)
            log(f"  warm-up {model_name} batch {batch_size} image {image_size}: "
                f"{variant.warm_up_seconds:.1f} s, {variant.step_seconds * 1e3:.0f} ms/step")
        variant.name = f"{model_name}_b{batch_size}_s{image_size}"
        variant.scaling = (model_name, batch_size, image_size, arch)
        variants.append(variant)
    rows, _ = time_group(variants, args.scaling_repeats, args.block_seconds, log)
    table = []
    for variant in variants:
        model_name, batch_size, image_size, arch = variant.scaling
        row = rows[variant.name]
        flops = model_flops(variant.model)["gflop_per_step"]
        rate = row["median_steps_per_second"]
        table.append({
            "model": model_name if arch is None else f"{model_name} ({arch[0]} blocks, "
            f"{arch[1]} filters)",
            "batch_size": batch_size, "image_size": image_size,
            "steps_per_second": rate, "images_per_second": rate * batch_size,
            "gflop_per_step": flops, "achieved_gflops": rate * flops,
            "fraction_of_peak": rate * flops * 1e9 / peak,
            "cpu_ms_per_step": row["median_cpu_ms_per_step"],
            "cpu_time_fraction_of_peak": flops / row["median_cpu_ms_per_step"] * 1e12 / cpu_peak,
            "step_peak_mb": row["step_peak_mb"], "state_mb": row["state_mb"],
            "all_steps_per_second": row["steps_per_second"],
        })
    return table


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.rewrite_table:
        with open(os.path.join(args.output, "results.json")) as file:
            result = json.load(file)
        write_table(result, os.path.join(args.output, "table.md"))
        return result
    tf.get_logger().setLevel("ERROR")  # "triggered tf.function retracing" counts across models
    started = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    load_before = list(os.getloadavg())
    result = {
        "benchmark": "training throughput: keras_mmgan vs keras.io-style references",
        "command": "python benchmarks/throughput.py " + " ".join(argv),
        "arguments": dict(vars(args)),
        "load_average_before": [round(x, 2) for x in load_before],
        "memory_protocol": "step_peak_mb: peak of TensorFlow's CPU allocator "
        "(tf.config.experimental.get_memory_info) during a timed block minus what it held when "
        "the block began; state_mb: weights, optimizer slots and other variables of the model",
        "flops_protocol": "2 x multiply-adds of every Conv2D, Conv2DBackpropInput, "
        "Conv2DBackpropFilter, MatMul and BatchMatMul op in the graph Keras traced for one "
        "training step (static shapes); elementwise ops not counted",
        "cases": {},
    }
    n = args.matmul_n
    samples = [matmul_rate(n) for _ in range(2)]
    bf16_rate = matmul_rate(n, dtype=tf.bfloat16)[0]
    log(f"matmul {n}x{n}: float32 {[round(s[0] / 1e9) for s in samples]} GFLOP/s, bfloat16 "
        f"{bf16_rate / 1e9:.0f} GFLOP/s")
    builders = {
        "dcgan": lambda: dcgan_case(args.batch_size),
        "cgan": lambda: cgan_case(args.batch_size),
        "text": lambda: text_case(args.batch_size),
    }
    built = {}
    for name in args.models:
        if name in builders:
            entry, variants, _ = run_case(builders[name](), args.small_variants, args, log,
                                          args.repeats)
            result["cases"][name] = entry
            if name == "dcgan":
                built[("dcgan", args.batch_size, 28, None)] = next(
                    v for v in variants if v.name == "library")
    if "cyclegan" in args.models:
        size, blocks, filters = args.cyclegan_size, args.cyclegan_blocks, args.cyclegan_filters
        case = cyclegan_case(size, blocks, filters, batch_size=args.cyclegan_batch)
        entry, variants, probes = run_case(case, args.cyclegan_variants, args, log,
                                           args.cyclegan_repeats, probe=lambda: matmul_rate(n))
        samples += probes
        entry["matmul_probes_gflops"] = [p[0] / 1e9 for p in probes]
        result["cases"]["cyclegan"] = entry
        library = next(v for v in variants if v.name == "library")
        if args.cyclegan_batch == 1:
            built[("cyclegan", 1, size, (blocks, filters))] = library
        if args.toggle_size:
            size, blocks, filters = args.toggle_size
            case = cyclegan_case(size, blocks, filters, name="cyclegan_toggles")
            entry, variants, _ = run_case(case, CYCLEGAN_TOGGLES, args, log, args.repeats)
            result["cases"]["cyclegan_toggles"] = entry
            built[("cyclegan", 1, size, (blocks, filters))] = next(
                v for v in variants if v.name == "library")

    peak = statistics.median(s[0] for s in samples)
    best = max(s[0] for s in samples)
    cpu_peak = statistics.median(s[1] for s in samples)
    result["peak"] = {
        "matmul_n": n,
        "samples_gflops": [s[0] / 1e9 for s in samples],
        "samples_gflop_per_cpu_second": [s[1] / 1e9 for s in samples],
        "peak_gflops": peak / 1e9,
        "best_probe_gflops": best / 1e9,
        "peak_gflop_per_cpu_second": cpu_peak / 1e9,
        "bfloat16_matmul_gflops_at_start": bf16_rate / 1e9,
        "definition": f"median of float32 tf.matmul {n}x{n} rates (each the median of 3 calls), "
        "probed at the start and after every CycleGAN repetition; the CPU-time peak is the "
        "median of the probes' FLOPs per second of process CPU time",
    }
    for name, entry in result["cases"].items():
        for variant, row in entry["flops"].items():
            if row is None:
                continue
            rate = entry["variants"][variant]["median_steps_per_second"]
            row["achieved_gflops"] = row["gflop_per_step"] * rate
            row["fraction_of_peak"] = row["gflop_per_step"] * 1e9 * rate / peak
            row["fraction_of_best_probe"] = row["gflop_per_step"] * 1e9 * rate / best
            cpu_ms = entry["variants"][variant]["median_cpu_ms_per_step"]
            row["gflop_per_cpu_second"] = row["gflop_per_step"] / cpu_ms * 1e3
            row["cpu_time_fraction_of_peak"] = row["gflop_per_cpu_second"] * 1e9 / cpu_peak
        if "matmul_probes_gflops" in entry:
            for variant, row in entry["flops"].items():
                if row is None:
                    continue
                per_repeat = [
                    row["gflop_per_step"] * r / p
                    for r, p in zip(entry["variants"][variant]["steps_per_second"],
                                    entry["matmul_probes_gflops"])
                ]
                row["fraction_of_same_repeat_probe"] = {
                    "per_repeat": per_repeat, "median": statistics.median(per_repeat)}
    if args.scaling_batches or args.scaling_images:
        log("scaling")
        result["scaling"] = scaling(args, log, built, peak, cpu_peak)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result["machine"] = machine_description()
    result["seconds"] = time.perf_counter() - started
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "results.json"), "w") as file:
        json.dump(result, file, indent=2, default=float)
        file.write("\n")
    write_table(result, os.path.join(args.output, "table.md"))
    log(f"wrote {args.output}/results.json and table.md")
    return result


if __name__ == "__main__":
    main()
