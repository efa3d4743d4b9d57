"""Training speed of keras_mmgan on JAX against TensorFlow, side by side in one run.

The same four models as `throughput.py` -- DCGAN (28x28x1, batch 64), ConditionalGAN (28x28x1,
10 classes, batch 64), the text-to-image GAN of `build_gan` (the guide's layers, 28x28x3,
batch 64) and a small CycleGAN (64x64x3, ResNet generators of 2 blocks and 32 filters,
PatchGAN discriminators with instance norm, batch 1) -- are built by `throughput.py`'s case
functions and trained by `fit` on each backend, from the same code.

A process has one Keras backend, so this script starts one long-lived worker process per
backend (`KERAS_BACKEND` in its environment; the same script with `--worker`). Each worker
builds and warms up the same models: the networks of the TensorFlow worker are built from the
seed, their initial weights are written to a file and the JAX worker loads them, so both train
the same networks from the same weights on the same batches (the same cached, repeated
`tf.data` pipeline; the latent noise is each backend's own `keras.random` stream). The first
`fit` call of each model (one step: tracing and compilation) is timed apart and reported as the
compile time. Then the parent process sends commands over the workers' stdin and reads the
results on their stdout: for each model and repetition, one timed block of the same number of
steps per variant, in alternating order (TF, XLA, JAX, then JAX, XLA, TF: ABBA), one worker
computing at a time, so that the changing load of a shared machine hits every variant alike;
a first repetition (`--discard`) is run and not timed.
A block is timed from the start of its first step to the end of its epoch, after the epoch's
logs are read back (which waits for JAX's asynchronously dispatched steps).

Variants:

- `tensorflow`: the library's default `compile()` on TensorFlow (`jit_compile="auto"`, which
  is off on CPU: graph mode, oneDNN kernels).
- `tensorflow_xla`: `compile(jit_compile=True)` on TensorFlow.
- `jax`: the library's default `compile()` on JAX (Keras jits the whole step with XLA).
- `jax_no_sync` (`--no-sync`, measurement only): JAX without the library's per-step check of
  the failure flag (`backend.training_callbacks` patched to return nothing), which reads a
  value back after every step and so stops JAX from dispatching the next step early.
- `tensorflow_bf16`, `jax_bf16` (`--bf16`): the same models built under Keras's
  `mixed_bfloat16` policy (bfloat16 compute, float32 weights).

Per model: the median steps/s of each variant over the repetitions; the median of the
per-repetition ratios to TensorFlow's default and their range (min-max); the same ratio of
steps per CPU-second of the worker process (less sensitive to other jobs on the machine);
compile seconds. Results go to `benchmarks/results/backends/` (`results.json`, `table.md`),
with the CPU model and its SIMD flags (`lscpu`), load averages and library versions.

Usage (from the repository root; about 10-15 minutes on 2 shared CPU cores; `--quick`, a
smoke run of the text-to-image GAN at batch 16 on TF and JAX only, in one to two minutes):
    python benchmarks/backends.py [--quick] [--models dcgan,cgan,text,cyclegan]
        [--repeats 7] [--discard 1] [--block-seconds 2] [--no-xla] [--no-sync] [--bf16]
        [--cyclegan-size 64,2,32] [--output DIR]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, "results", "backends")
MODELS = ["dcgan", "cgan", "text", "cyclegan"]
BASELINE = "tensorflow"


# ---------------------------------------------------------------------------------------------
# Worker: one per backend, driven over stdin/stdout (one JSON object a line).
# ---------------------------------------------------------------------------------------------
class Worker:
    """Builds, warms up and times the models of one backend (runs in the worker process)."""

    def __init__(self):
        import keras

        sys.path.insert(0, HERE)
        sys.path.insert(1, os.path.dirname(HERE))
        import throughput

        import keras_mmgan as mm

        self.keras, self.mm, self.throughput = keras, mm, throughput
        self.backend = keras.backend.backend()
        self.models = {}  # (model, variant) -> (keras model, dataset, patched)

    def info(self):
        import numpy as np

        info = {"backend": self.backend, "keras": self.keras.__version__,
                "numpy": np.__version__, "pid": os.getpid()}
        if self.backend == "jax":
            import jax
            import jaxlib

            info.update(jax=jax.__version__, jaxlib=jaxlib.__version__,
                        devices=[str(d) for d in jax.devices()])
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        return info

    def _case(self, model, options):
        throughput = self.throughput
        batch, seed = options["batch_size"], options["seed"]
        if model == "cyclegan":
            size, blocks, filters = options["cyclegan_size"]
            return throughput.cyclegan_case(size, blocks, filters, batch_size=1, seed=seed)
        return getattr(throughput, f"{model}_case")(batch, seed=seed)

    def _networks(self, gan):
        return list(gan.generator_networks()) + list(gan.discriminator_networks())

    def setup(self, model, variants, weights, options):
        """Builds each variant of `model`, sets the shared initial weights, runs its first step.

        The TensorFlow worker writes the initial weights of its networks to `weights`; the JAX
        worker reads them. Returns per variant the first `fit` call's seconds (build excluded:
        tracing, compilation and one step) and a warm rate.
        """
        import numpy as np

        keras = self.keras
        keras.utils.set_random_seed(options["seed"])
        case = self._case(model, options)
        results = {}
        for variant in variants:
            keras.utils.set_random_seed(options["seed"])
            if variant.endswith("bf16"):
                gan = case._build_bf16()
            elif variant == "tensorflow_xla":
                gan = case.build_library(jit_compile=True)
            else:
                gan = case.build_library()
            networks = self._networks(gan)
            if os.path.exists(weights):
                stored = np.load(weights)
                values = [stored[f"arr_{i}"] for i in range(len(stored.files))]
                for network in networks:
                    count = len(network.weights)
                    network.set_weights(values[:count])
                    values = values[count:]
                if values:
                    raise ValueError(f"{len(values)} stored weights left over for {model}")
            else:
                np.savez(weights, *[w for n in networks for w in n.get_weights()])
            self.models[model, variant] = (gan, case.dataset, variant == "jax_no_sync")
            first = self._fit(model, variant, 1)
            warm = self._fit(model, variant, options["warm_steps"])
            results[variant] = {
                "first_fit_seconds": first["seconds"],
                "first_fit_cpu_seconds": first["cpu_seconds"],
                "first_logs": first["logs"],
                "warm_steps_per_second": warm["steps_per_second"],
                "description": case.title,
            }
        return results

    def _fit(self, model, variant, steps):
        keras, mm = self.keras, self.mm
        gan, dataset, no_sync = self.models[model, variant]
        timer = _SyncedTimer(keras)
        saved = mm.backend.training_callbacks
        if no_sync:
            mm.backend.training_callbacks = lambda model: []
        try:
            start, cpu = time.perf_counter(), time.process_time()
            gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
                    callbacks=[timer.callback])
            cpu = time.process_time() - cpu
            seconds = time.perf_counter() - start
        finally:
            mm.backend.training_callbacks = saved
        return {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "steps_per_second": steps / (timer.end - timer.begin),
            "steps_per_cpu_second": steps / cpu,
            "logs": timer.logs,
        }

    def time_block(self, model, variant, steps):
        """One timed block of `steps` steps of a warm model."""
        import gc

        gc.collect()
        gc.disable()
        try:
            result = self._fit(model, variant, steps)
        finally:
            gc.enable()
        result.pop("logs")
        return result


class _SyncedTimer:
    """A Keras callback's times: the start of the first step and the end of the epoch.

    At the end of the epoch it reads the logs back as floats, which waits for every step
    dispatched (JAX dispatches asynchronously; the logged means depend on every step).
    """

    def __init__(self, keras):
        timer = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                if timer.begin is None:
                    timer.begin = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.logs = {k: float(v) for k, v in (logs or {}).items()}
                timer.end = time.perf_counter()

        self.begin = self.end = None
        self.logs = {}
        self.callback = Callback()


def worker_main():
    # The protocol owns the real stdout; anything the libraries print goes to stderr.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    worker = Worker()
    protocol.write(json.dumps({"ready": worker.info()}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if command["cmd"] == "quit":
                break
            if command["cmd"] == "setup":
                answer = worker.setup(command["model"], command["variants"], command["weights"],
                                      command["options"])
            else:
                answer = worker.time_block(command["model"], command["variant"],
                                           command["steps"])
            reply = {"result": answer}
        except Exception:  # noqa: BLE001 - reported to the parent, which stops the run
            reply = {"error": traceback.format_exc()}
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()
    protocol.close()
    sys.stderr.flush()
    os._exit(0)  # skips the backends' slow teardown (nothing is left to write)


# ---------------------------------------------------------------------------------------------
# Parent: starts the workers, interleaves their blocks, writes the results.
# ---------------------------------------------------------------------------------------------
class WorkerProcess:
    """A worker subprocess for one backend."""

    def __init__(self, backend, log):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        self.backend = backend
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.info = None
        self.log = log

    def wait_ready(self):
        self.info = self._read()["ready"]
        self.log(f"{self.backend} worker ready: {self.info}")

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.backend} worker exited ({self.process.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the {self.backend} worker failed:\n{reply['error']}")
        return reply

    def ask(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()["result"]

    def quit(self):
        """Asks the worker to exit (both workers shut down at once)."""
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.close()
            except OSError:
                pass

    def close(self):
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def variant_backend(variant):
    return variant.split("_")[0]


def machine_description():
    """CPU model and SIMD flags (`lscpu`), cores, platform."""
    fields = {}
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in output.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    flags = fields.get("Flags", "").split()
    simd = sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))
    return {
        "cpu_model": fields.get("Model name"),
        "cpu_simd_flags": simd,
        "amx": any(f.startswith("amx") for f in flags),
        "avx512_bf16": "avx512_bf16" in flags,
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "hypervisor": fields.get("Hypervisor vendor"),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def summarize(blocks, variants):
    """Medians of steps/s and of per-repetition ratios to the baseline, with their range."""
    summary = {}
    for variant in variants:
        rates = [b["steps_per_second"] for b in blocks[variant]]
        cpu_rates = [b["steps_per_cpu_second"] for b in blocks[variant]]
        row = {"steps_per_second": statistics.median(rates),
               "steps_per_cpu_second": statistics.median(cpu_rates),
               # Cores the worker kept busy while timed (CPU-seconds per second).
               "cores_used": statistics.median(r / c for r, c in zip(rates, cpu_rates))}
        for other in (BASELINE, "tensorflow_xla"):
            if other == variant or other not in blocks:
                continue
            wall = [a["steps_per_second"] / b["steps_per_second"]
                    for a, b in zip(blocks[variant], blocks[other])]
            cpu = [a["steps_per_cpu_second"] / b["steps_per_cpu_second"]
                   for a, b in zip(blocks[variant], blocks[other])]
            row[f"ratio_to_{other}"] = {
                "median": statistics.median(wall), "min": min(wall), "max": max(wall),
                "per_repeat": wall, "cpu_median": statistics.median(cpu),
            }
        summary[variant] = row
    return summary


def run(args, log):
    variants = [BASELINE] + ([] if args.no_xla else ["tensorflow_xla"]) + ["jax"]
    variants += ["jax_no_sync"] if args.no_sync else []
    variants += ["tensorflow_bf16", "jax_bf16"] if args.bf16 else []
    options = {"batch_size": args.batch_size, "seed": args.seed, "warm_steps": args.warm_steps,
               "cyclegan_size": [int(x) for x in args.cyclegan_size.split(",")]}
    started = time.perf_counter()
    result = {
        "benchmark": "backends",
        "command": "python benchmarks/backends.py " + " ".join(args.argv),
        "arguments": {k: v for k, v in vars(args).items() if k != "argv"},
        "variants": variants,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "machine": machine_description(),
        "models": {},
    }
    workers = {b: WorkerProcess(b, log) for b in ("tensorflow", "jax")}
    try:
        for worker in workers.values():
            worker.wait_ready()
        result["workers"] = {b: w.info for b, w in workers.items()}
        with tempfile.TemporaryDirectory() as directory:
            for model in args.models.split(","):
                result["models"][model] = time_model(
                    model, variants, workers, options, args, log,
                    os.path.join(directory, f"{model}.npz"))
                # Written after every model, so that a run cut short keeps what it measured.
                result["seconds"] = time.perf_counter() - started
                write(result, args.output)
    finally:
        for worker in workers.values():
            worker.quit()
        for worker in workers.values():
            worker.close()
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["seconds"] = time.perf_counter() - started
    write(result, args.output)
    log(f"wrote {args.output}/results.json and table.md ({result['seconds']:.0f} s)")
    return result


def time_model(model, variants, workers, options, args, log, weights):
    setup = {}
    for backend in ("tensorflow", "jax"):  # TensorFlow first: it writes the initial weights
        own = [v for v in variants if variant_backend(v) == backend]
        log(f"{model}: building and compiling {own}")
        setup.update(workers[backend].ask(cmd="setup", model=model, variants=own,
                                          weights=weights, options=options))
    slowest = min(s["warm_steps_per_second"] for s in setup.values())
    steps = max(args.min_steps, round(args.block_seconds * slowest))
    log(f"{model}: {steps} steps a block; warm steps/s "
        + ", ".join(f"{v} {s['warm_steps_per_second']:.2f}" for v, s in setup.items()))
    # Untimed blocks first: the first block of a TensorFlow variant after another model was
    # compiled in its process ran up to 5x slower, in CPU time too (no retrace; seen on every
    # model in an earlier run), so the first repetitions are discarded.
    for repeat in range(args.discard):
        for variant in variants:
            workers[variant_backend(variant)].ask(
                cmd="time", model=model, variant=variant, steps=steps)
    blocks = {v: [] for v in variants}
    for repeat in range(args.repeats):
        order = variants if repeat % 2 == 0 else variants[::-1]
        for variant in order:
            block = workers[variant_backend(variant)].ask(
                cmd="time", model=model, variant=variant, steps=steps)
            blocks[variant].append(block)
        log(f"{model} repeat {repeat + 1}/{args.repeats}: "
            + ", ".join(f"{v} {blocks[v][-1]['steps_per_second']:.2f}" for v in variants))
    summary = summarize(blocks, variants)
    for variant, row in summary.items():
        row["first_fit_seconds"] = setup[variant]["first_fit_seconds"]
        # The first call's time beyond one step of the steady state: tracing and compiling.
        row["compile_seconds"] = (
            setup[variant]["first_fit_seconds"] - 1.0 / row["steps_per_second"])
        row["first_logs"] = setup[variant]["first_logs"]
        row["blocks"] = blocks[variant]
    return {"title": setup[BASELINE]["description"], "steps_per_block": steps,
            "variants": summary}


NAMES = {
    "tensorflow": "TF",
    "tensorflow_xla": "TF + XLA",
    "jax": "JAX",
    "jax_no_sync": "JAX, no per-step check",
    "tensorflow_bf16": "TF bf16",
    "jax_bf16": "JAX bf16",
}


def _ratio(row, other):
    ratio = row.get(f"ratio_to_{other}")
    if ratio is None:
        return "-"
    return (f"**{ratio['median']:.2f}** ({ratio['min']:.2f}-{ratio['max']:.2f}) "
            f"[{ratio['cpu_median']:.2f}]")


def write_table(result, path):
    machine = result["machine"]
    workers = result.get("workers", {})
    variants = result["variants"]
    versions = ", ".join(
        f"{name} {workers.get(backend, {}).get(name)}"
        for backend, name in (("tensorflow", "tensorflow"), ("jax", "jax"), ("jax", "keras"))
    )
    lines = [
        "# Training speed: JAX against TensorFlow (keras_mmgan, the same models)",
        "",
        f"Command: `{result['command'].strip()}` ({result.get('seconds', 0) / 60:.1f} min)  ",
        f"Machine: {machine['cpu_model']}, {machine['usable_cpus']} usable cores (shared with "
        f"other jobs), AMX: {'yes' if machine['amx'] else 'no'}, AVX-512 BF16: "
        f"{'yes' if machine['avx512_bf16'] else 'no'}; SIMD flags: "
        f"{' '.join(machine['cpu_simd_flags'])}  ",
        f"Versions: {versions}; load average (1/5/15 min) {result['load_average_before']} "
        f"before, {result.get('load_average_after')} after.",
        "",
        f"Steps/s: median over {result['arguments']['repeats']} repetitions of one block per "
        "variant (alternating order, one worker process per backend). Ratios: median of the "
        "per-repetition ratios of steps/s, (min-max) over the repetitions, [median ratio of "
        "steps per CPU-second]. Compile: the first `fit` call (tracing, compiling, one step) "
        "less one steady step.",
        "",
    ]
    header = ["model", "steps/block"] + [f"{NAMES[v]} steps/s" for v in variants]
    header += [f"{NAMES[v]} / TF" for v in variants if v != BASELINE]
    if "tensorflow_xla" in variants:
        header += ["JAX / TF + XLA"]
    header += [f"compile s, {NAMES[v]}" for v in variants]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in result["models"].values():
        rows = entry["variants"]
        cells = [entry["title"], str(entry["steps_per_block"])]
        cells += [f"{rows[v]['steps_per_second']:.2f}" for v in variants]
        cells += [_ratio(rows[v], BASELINE) for v in variants if v != BASELINE]
        if "tensorflow_xla" in variants:
            cells += [_ratio(rows["jax"], "tensorflow_xla")]
        cells += [f"{rows[v]['compile_seconds']:.1f}" for v in variants]
        lines.append("| " + " | ".join(cells) + " |")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")


def write(result, output):
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "results.json"), "w") as file:
        json.dump(result, file, indent=2)
        file.write("\n")
    write_table(result, os.path.join(output, "table.md"))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: the text-to-image GAN at batch 16, 2 short repetitions, "
                        "no XLA column")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cyclegan-size", default="64,2,32",
                        help="CycleGAN image size, residual blocks, base filters (batch 1)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--block-seconds", type=float, default=2.0,
                        help="steps per block: this many seconds of the slowest variant")
    parser.add_argument("--discard", type=int, default=1,
                        help="untimed repetitions before the timed ones")
    parser.add_argument("--min-steps", type=int, default=4)
    parser.add_argument("--warm-steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-xla", action="store_true", help="no TensorFlow + XLA column")
    parser.add_argument("--no-sync", action="store_true",
                        help="also JAX without the per-step failure check (measurement only)")
    parser.add_argument("--bf16", action="store_true", help="also mixed_bfloat16 on both")
    parser.add_argument("--output", default=RESULTS_DIR)
    parser.add_argument("--rewrite-table", action="store_true",
                        help="only rewrite table.md from the output's results.json")
    args = parser.parse_args(argv)
    args.argv = list(argv)
    if args.quick:
        args.models, args.batch_size = "text", 16
        args.repeats, args.block_seconds, args.min_steps, args.warm_steps = 2, 0.2, 2, 2
        args.no_xla = True
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        return worker_main()

    def log(message):
        print(f"[backends {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    if args.rewrite_table:
        with open(os.path.join(args.output, "results.json")) as file:
            write_table(json.load(file), os.path.join(args.output, "table.md"))
        return None
    return run(args, log)


if __name__ == "__main__":
    main()
