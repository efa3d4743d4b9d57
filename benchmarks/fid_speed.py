"""Times FID on 10,000 x 2,048 features: the common route against `metrics.frechet_distance`.

The common route (pytorch-fid, the TTUR code and most GAN repositories) computes
`np.cov` of each set and `scipy.linalg.sqrtm(S_a @ S_b)`, the general matrix square root of a
non-symmetric product (a complex Schur decomposition), keeps its real part and takes the trace.
`keras_mmgan.metrics.frechet_distance` computes the same formula with covariances as one
symmetric matrix product each (BLAS syrk) and the trace of the square root from a symmetric
eigensolver (see `keras_mmgan/metrics/fid.py`).

Data: two sets of 10,000 x 2,048 float32 features (the size of InceptionV3 pool features), drawn
with a fixed seed with correlation structure: `Z @ M` with `Z` standard normal and `M` a random
mixing matrix with a decaying spectrum; the second set has its own scale, shift and a slightly
perturbed mixing, so the FID is neither tiny nor dominated by the mean term. Both routes start
from the same features (means and covariances included in the timings).

Protocol: after one untimed call of each (the first touch of fresh memory is slow in a virtual
machine), the two routes run alternately, 3 times each, in one process; the medians are
compared. Targets: speed ratio >= 5, relative difference of the two FIDs <= 1e-4.

Writes `benchmarks/results/fid_speed.json`: all times, medians, ratio, both FIDs, their relative
difference, and the machine (processor, cores, load, NumPy/SciPy versions, BLAS from
threadpoolctl when installed and `numpy.show_config`).

On a machine whose cores are shared with other jobs, timings swing by several times from run
to run (multithreaded BLAS suffers most when a core is taken away); the JSON records the load
average before and after, and `--blas-threads 1` measures both routes on one thread each.

Usage (from the repository root; one to three minutes on 2 quiet CPU cores):
    python benchmarks/fid_speed.py [--num-samples 10000] [--num-features 2048] [--repeats 3]
                                   [--blas-threads N]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.linalg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from keras_mmgan.metrics.fid import frechet_distance  # noqa: E402

RESULTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "fid_speed.json")


def common_route_fid(features_a, features_b):
    """FID as most GAN code computes it: np.cov and scipy.linalg.sqrtm of the product."""
    mean_a, mean_b = np.mean(features_a, axis=0), np.mean(features_b, axis=0)
    cov_a = np.cov(features_a, rowvar=False)
    cov_b = np.cov(features_b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    if np.iscomplexobj(root):
        root = root.real
    difference = mean_a - mean_b
    return float(difference @ difference + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


def make_features(num_samples, num_features, seed):
    rng = np.random.default_rng(seed)
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(num_features) / 64.0)  # decaying scales
    mixing = rng.normal(size=(num_features, num_features)) / np.sqrt(num_features)
    mixing *= spectrum[:, None]
    perturbed = mixing + 0.1 * rng.normal(size=mixing.shape) / np.sqrt(num_features)
    latents_a = rng.normal(size=(num_samples, num_features))
    latents_b = rng.normal(size=(num_samples, num_features)) * 1.05 + 0.02
    features_a = (latents_a @ mixing).astype("float32")
    features_b = (latents_b @ perturbed).astype("float32")
    return features_a, features_b


def machine_description():
    description = {
        "processor": platform.processor(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_1_5_15_min": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
    try:
        from threadpoolctl import threadpool_info

        description["blas_threadpools"] = [
            {key: info.get(key) for key in (
                "user_api", "internal_api", "prefix", "version", "num_threads", "architecture"
            )}
            for info in threadpool_info()
        ]
    except ImportError:
        description["blas_threadpools"] = None
    try:
        config = np.show_config(mode="dicts")
        description["numpy_blas_lapack"] = config.get("Build Dependencies")
    except (TypeError, AttributeError):  # NumPy < 1.26 has no mode="dicts"
        description["numpy_blas_lapack"] = None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            ]
        description["cpu_model"] = names[0] if names else None
    except OSError:
        description["cpu_model"] = None
    return description


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-samples", type=int, default=10000)
    parser.add_argument("--num-features", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed calls of each route first (page faults)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads for both routes (threadpoolctl); default: leave them as they are",
    )
    parser.add_argument("--output", default=RESULTS_PATH)
    args = parser.parse_args(argv)
    load_before = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads, user_api="blas")

    features_a, features_b = make_features(args.num_samples, args.num_features, args.seed)
    routes = {"common_route": common_route_fid, "frechet_distance": frechet_distance}
    times = {name: [] for name in routes}
    values = {name: [] for name in routes}
    for _ in range(args.warmup):
        for route in routes.values():
            route(features_a, features_b)
    for repeat in range(args.repeats):
        for name, route in routes.items():  # alternately, so that load changes hit both
            start = time.perf_counter()
            value = route(features_a, features_b)
            times[name].append(time.perf_counter() - start)
            values[name].append(value)
            print(f"repeat {repeat + 1}: {name:16s} {times[name][-1]:7.2f} s  FID {value:.6f}",
                  flush=True)

    medians = {name: statistics.median(seconds) for name, seconds in times.items()}
    fid_common, fid_ours = values["common_route"][0], values["frechet_distance"][0]
    relative_difference = abs(fid_ours - fid_common) / abs(fid_common)
    speed_ratio = medians["common_route"] / medians["frechet_distance"]
    result = {
        "benchmark": "FID speed: np.cov + scipy.linalg.sqrtm vs keras_mmgan frechet_distance",
        "num_samples": args.num_samples,
        "num_features": args.num_features,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "seed": args.seed,
        "blas_threads": args.blas_threads,
        "load_average_before_1_5_15_min": load_before,
        "times_s": times,
        "median_s": medians,
        "speed_ratio": speed_ratio,
        "speed_ratio_target": 5.0,
        "fid": values,
        "relative_difference": relative_difference,
        "relative_difference_target": 1e-4,
        "passed": bool(speed_ratio >= 5.0 and relative_difference <= 1e-4),
        "command": "python benchmarks/fid_speed.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine_description(),
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as file:
        json.dump(result, file, indent=2)
        file.write("\n")
    print(
        f"median common route {medians['common_route']:.2f} s, frechet_distance "
        f"{medians['frechet_distance']:.2f} s: {speed_ratio:.1f}x faster; FIDs "
        f"{fid_common:.6f} vs {fid_ours:.6f}, relative difference {relative_difference:.2e}"
    )
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
