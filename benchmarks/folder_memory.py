"""Peak memory of streaming a folder: 20,000 images against 2,000 (`datasets.image_folder`).

`keras_mmgan.datasets.image_folder` (and its siblings) read the files batch by batch, so the
memory a training run needs should not grow with the folder. This benchmark writes two folders
of 64x64 RGB PNG images (the embedded coloured shapes: 2,000 and 20,000 of them), then, each
in a fresh Python process so that the peaks do not mix, iterates one full epoch of
`image_folder(folder, image_size=64, batch_size=64)` and records:

- `rss_before_mib`: the resident memory after the imports, before the first batch;
- `peak_rss_while_iterating_mib`: the highest resident memory while iterating (sampled
  every 2 ms from `/proc/self/statm`), and `iteration_cost_mib`, that minus the former;
- `process_peak_rss_mib`: the process's peak (`resource.getrusage(...).ru_maxrss`), which
  also covers TensorFlow's import (often the peak of a streaming run);
- `python_peak_mib`: the peak of Python's own allocations while iterating (`tracemalloc`;
  TensorFlow's C++ buffers are not in it);
- `seconds` and `images_per_second` of the epoch.

For comparison, the same measures for the whole folder decoded into one NumPy array first
(what streaming avoids: 20,000 x 64 x 64 x 3 float32 = 938 MiB), with `--in-memory`.

    python benchmarks/folder_memory.py --root /tmp/folder_memory        # about 2-4 minutes
    python benchmarks/folder_memory.py --root /tmp/folder_memory --in-memory

Writes `benchmarks/results/folder_memory/results.json` and `table.md`. The folders are
written once under `--root` (about 25 MB) and reused.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time

SIZES = (2000, 20000)
IMAGE_SIZE = 64
BATCH_SIZE = 64
CHUNK = 1000


def write_folder(directory, count):
    """Writes `count` 64x64 shapes as PNG files (in chunks, so writing needs little memory)."""
    from keras_mmgan import datasets

    if os.path.isdir(directory) and len(os.listdir(directory)) == count:
        return
    os.makedirs(directory, exist_ok=True)
    for start in range(0, count, CHUNK):
        images = datasets.shapes(min(CHUNK, count - start), image_size=IMAGE_SIZE, seed=start)
        names = [f"{start + i:06d}.png" for i in range(len(images["images"]))]
        datasets.write_images(directory, images["images"], names=names)


def measure(directory, in_memory):
    """Runs in a fresh process: one epoch over the folder; prints the measures as JSON."""
    import resource
    import tracemalloc

    import numpy as np

    from keras_mmgan import datasets

    def rss_now_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    before = rss_now_mib()
    # ru_maxrss is the peak of the whole process, TensorFlow's import included (which can be
    # higher than anything after it); a sampler thread records the peak while iterating.
    sampled = {"peak": before, "running": True}

    def sample():
        while sampled["running"]:
            sampled["peak"] = max(sampled["peak"], rss_now_mib())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    start = time.perf_counter()
    dataset = datasets.image_folder(directory, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE)
    if in_memory:
        images = np.concatenate([batch.numpy() for batch in dataset])
        dataset = datasets.make_dataset(images, batch_size=BATCH_SIZE)
    count = 0
    for batch in dataset:
        count += int(batch.shape[0])
    seconds = time.perf_counter() - start
    sampled["running"] = False
    sampler.join()
    _, python_peak = tracemalloc.get_traced_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({
        "images": count,
        "rss_before_mib": round(before, 1),
        "peak_rss_while_iterating_mib": round(sampled["peak"], 1),
        "iteration_cost_mib": round(sampled["peak"] - before, 1),
        "process_peak_rss_mib": round(peak, 1),
        "python_peak_mib": round(python_peak / 2**20, 1),
        "seconds": round(seconds, 1),
        "images_per_second": round(count / seconds, 1),
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/tmp/folder_memory", help="where the folders go")
    parser.add_argument("--out", default="benchmarks/results/folder_memory")
    parser.add_argument("--in-memory", action="store_true",
                        help="also measure decoding the whole folder into an array first")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process's folder
    parser.add_argument("--mode", default="streaming", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure, args.mode == "in_memory")
        return

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    modes = ["streaming"] + (["in_memory"] if args.in_memory else [])
    results = {"protocol": {
        "image_size": IMAGE_SIZE, "batch_size": BATCH_SIZE, "images": "datasets.shapes, PNG",
        "loader": "datasets.image_folder (one epoch, shuffled, no cache)",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
    }}
    for count in SIZES:
        folder = os.path.join(args.root, f"shapes_{count}")
        start = time.perf_counter()
        write_folder(folder, count)
        print(f"folder of {count} images ready in {time.perf_counter() - start:.0f} s", flush=True)
        for mode in modes:
            output = subprocess.run(
                [sys.executable, __file__, "--measure", folder, "--mode", mode],
                capture_output=True, text=True, check=True,
            ).stdout
            results[f"{mode}_{count}"] = json.loads(output.strip().splitlines()[-1])
            print(mode, count, results[f"{mode}_{count}"], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    rows = ["| mode | images | RSS before (MiB) | peak RSS iterating (MiB) | iteration cost (MiB) "
            "| process peak RSS (MiB) | Python peak (MiB) | s | images/s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for key, value in results.items():
        if key == "protocol":
            continue
        mode = key.rsplit("_", 1)[0]
        rows.append(f"| {mode} | {value['images']} | {value['rss_before_mib']} | "
                    f"{value['peak_rss_while_iterating_mib']} | {value['iteration_cost_mib']} | "
                    f"{value['process_peak_rss_mib']} | "
                    f"{value['python_peak_mib']} | {value['seconds']} | "
                    f"{value['images_per_second']} |")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
