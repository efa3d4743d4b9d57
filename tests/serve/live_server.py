"""Starts `python -m keras_mmgan.serve` on a free 127.0.0.1 port, for the slow end-to-end tests."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def live_server(model_path, *options, timeout=180):
    """Serves `model_path` in a subprocess; yields `(url, process)`; stops it on exit.

    Args:
        model_path: a saved `.keras` model.
        *options: more `serve` arguments.
        timeout: seconds to wait for `/info` to answer (TensorFlow starts slowly
            on shared CPUs).
    """
    port = free_port()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    log = tempfile.TemporaryFile("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_mmgan.serve", model_path, "--host", "127.0.0.1",
         "--port", str(port), *options],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read()}")
            try:
                with urllib.request.urlopen(url + "/info", timeout=2) as response:
                    json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer in {timeout} s") from None
                time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
