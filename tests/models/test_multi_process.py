"""Several devices and several processes train a GAN as one device does on the global batch.

`multi_process.py` trains each model of its `FAMILIES` (a GAN with a gradient penalty, R1 and
G's EMA; a conditional GAN) for a few steps in subprocesses: under JAX's
`keras.distribution.DataParallel` on two CPU devices of one process (also a GAN whose
losses read the whole batch: batch norm, minibatch std, feature matching), and on two processes
joined by `keras.distribution.initialize` (one CPU each); under TensorFlow's
`MultiWorkerMirroredStrategy` with two workers on localhost (`TF_CONFIG`). Each must give the
losses, weights and optimizer variables of one device of its backend on the same global
batch: a JAX step is SPMD on the global batch, and a TensorFlow replica scales its loss by
1/replicas and takes its slice of the noise drawn for the global batch. Each process has one
backend, so this module runs once, from the TensorFlow suite.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
from multi_process import FAMILIES
from multi_process import SPMD_FAMILIES
from multi_process import state
from multi_process import train

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        keras.backend.backend() != "tensorflow",
        reason="starts its own JAX and TensorFlow processes: run once, from the TensorFlow suite",
    ),
]
needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed"
)

SCRIPT = os.path.join(os.path.dirname(__file__), "multi_process.py")
# float32 sums taken in another order: a few ulps per step, compounded by Adam
# (measured: at most 1.2e-7 on any log or variable).
ATOL = 1e-5
# A process that waits for a peer that died would wait for ever.
TIMEOUT = 300


def free_ports(count):
    """`count` TCP ports free on localhost now (the OS's choice)."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start(backend, args, **env):
    """Starts `multi_process.py` with `args` under `backend`, quiet, in a new process."""
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **env)
    return subprocess.Popen(
        [sys.executable, SCRIPT, *map(str, args)], env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait(processes):
    """Waits for every process; fails with the output of any that failed."""
    try:
        outputs = [process.communicate(timeout=TIMEOUT)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-3000:]


def load(directory, family, run):
    return dict(np.load(os.path.join(directory, f"{family}_{run}.npz")))


def info(directory, run):
    with open(os.path.join(directory, f"{run}.json")) as file:
        return json.load(file)


def assert_saved(directory, family, run, processes):
    """Each process's `.keras` file loads here (TensorFlow) with the weights it trained."""
    trained = load(directory, family, run)
    for process in processes:
        saved = keras.saving.load_model(os.path.join(directory, f"{family}_{run}_{process}.keras"))
        for index, weight in enumerate(saved.weights):
            np.testing.assert_array_equal(np.array(weight), trained[f"weight/{index}"])


def assert_same_training(run, reference, family):
    """The logs, weights and G's optimizer variables of two runs agree within `ATOL`."""
    assert run.keys() == reference.keys(), family
    assert {"log/d_loss", "log/g_loss", "g_optimizer/0"} <= reference.keys()
    for name, value in reference.items():
        rtol = 1e-4 if name.startswith("log/") else 0
        np.testing.assert_allclose(
            run[name], value, rtol=rtol, atol=ATOL, err_msg=f"{family} {name}"
        )


@pytest.fixture(scope="module")
def jax_devices(tmp_path_factory):
    """One process with two CPU devices: one device, then DataParallel on both."""
    out = tmp_path_factory.mktemp("jax_devices")
    wait([start("jax", ["jax-devices", out],
                XLA_FLAGS="--xla_force_host_platform_device_count=2")])
    return out


@pytest.fixture(scope="module")
def jax_processes(tmp_path_factory):
    """Two processes with one CPU device each, DataParallel on both."""
    out = tmp_path_factory.mktemp("jax_processes")
    (port,) = free_ports(1)
    wait([start("jax", ["jax-process", rank, port, out]) for rank in (0, 1)])
    return out


@needs_jax
@pytest.mark.parametrize("family", SPMD_FAMILIES)
def test_jax_data_parallel_on_two_devices_matches_one_device(jax_devices, family):
    # batch_coupled too: batch norm, minibatch std and feature matching see the global batch.
    run = info(jax_devices, "jax-devices")
    assert run["devices"] == ["cpu:0", "cpu:1"]
    assert run["batch_layout"] == ["batch", None] and run["weight_devices"] == 2
    reference = load(jax_devices, family, "one_device")
    assert int(reference["g_optimizer/0"]) == 3  # the steps ran
    assert_same_training(load(jax_devices, family, "two_devices"), reference, family)


@needs_jax
@pytest.mark.parametrize("family", FAMILIES)
def test_jax_data_parallel_on_two_processes_matches_one_device(
    jax_devices, jax_processes, family
):
    run = info(jax_processes, "jax-process")
    assert run["processes"] == 2 and len(run["devices"]) == 2 and len(run["local_devices"]) == 1
    reference = load(jax_devices, family, "one_device")
    assert_same_training(load(jax_processes, family, "two_processes"), reference, family)
    assert_saved(jax_processes, family, "two_processes", processes=(0, 1))


@pytest.fixture(scope="module")
def tensorflow_runs(tmp_path_factory):
    """Two workers of a MultiWorkerMirroredStrategy on localhost; the chief writes."""
    out = tmp_path_factory.mktemp("tensorflow")
    workers = [f"localhost:{port}" for port in free_ports(2)]
    wait([
        start("tensorflow", ["tf-worker", out], TF_CONFIG=json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        ))
        for index in (0, 1)
    ])
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_tensorflow_two_workers_match_one_device(tensorflow_runs, family):
    assert info(tensorflow_runs, "tf-worker") == {"replicas": 2, "workers": 2}
    reference = state(*train(FAMILIES[family]))  # one device, in this process
    assert_same_training(load(tensorflow_runs, family, "two_workers"), reference, family)
    assert_saved(tensorflow_runs, family, "two_workers", processes=(0,))
