"""Load on a live server at 127.0.0.1: 20 concurrent requests, memory across 200, bad requests."""

import concurrent.futures
import http.client
import io
import json
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

pytestmark = pytest.mark.slow

pytest.importorskip("starlette", reason="the web demo needs pip install 'keras-mmgan[serve]'")

import keras  # noqa: E402
from live_server import live_server  # noqa: E402
from PIL import Image  # noqa: E402
from tiny_models import make_model  # noqa: E402

from keras_mmgan.callbacks import image_grid  # noqa: E402

CAPTIONS = ["a red circle at the top left", "a blue square at the bottom right",
            "a green triangle at the center", "a yellow circle at the top right"]


def post(url, fields=None, body=None, timeout=60):
    """POSTs JSON; returns `(status, content type, body bytes)`."""
    data = body if body is not None else json.dumps(fields).encode()
    request = urllib.request.Request(url + "/generate", data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def rss_mb(process):
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_concurrent_requests_memory_and_bad_requests(tmp_path):
    path = str(tmp_path / "text2image.keras")
    make_model("text2image").save(path)
    model = keras.saving.load_model(path)

    def request(i):
        return {"caption": CAPTIONS[i % 4], "seed": i, "num_samples": 1 + i % 16}

    def expected(i):
        fields = request(i)
        images = model.generate(captions=[fields["caption"]] * fields["num_samples"], seed=i)
        return image_grid(images, int(np.ceil(np.sqrt(len(images)))), padding=2)

    with live_server(path) as (url, process):
        # 20 requests at once, each answered with its own grid.
        start = threading.Barrier(20)

        def at_once(i):
            start.wait()
            began = time.perf_counter()
            answer = post(url, request(i))
            return answer, time.perf_counter() - began

        clock = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(at_once, range(20)))
        wall = time.perf_counter() - clock
        for i, ((status, kind, body), _) in enumerate(answers):
            assert (status, kind) == (200, "image/png"), body[:200]
            np.testing.assert_array_equal(pixels(body), expected(i))
        latencies = sorted(seconds for _, seconds in answers)
        print(f"\n20 concurrent requests: all correct, wall {wall:.2f} s, latency median "
              f"{latencies[10] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")

        # Memory across 200 more requests (4 clients at a time).
        before = rss_mb(process)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda i: post(url, request(i))[0], range(20, 220)))
        after = rss_mb(process)
        assert statuses == [200] * 200
        print(f"server RSS {before:.1f} MB before and {after:.1f} MB after 200 requests "
              f"({after - before:+.1f} MB)")
        assert after - before < 40, (before, after)

        # Bad requests: each a 4xx with a message, and the server keeps serving.
        for fields, status, message in [
            ({"caption": ""}, 400, "caption must not be empty"),
            ({"caption": CAPTIONS[0], "num_samples": 10_000}, 413, "num_samples must be"),
            ({"caption": CAPTIONS[0], "label": 3}, 400, "does not use label"),
            ({"caption": CAPTIONS[0], "image": "aGVsbG8="}, 400, "does not use image"),
        ]:
            answer = post(url, fields)
            assert answer[0] == status and message in json.loads(answer[2])["error"]
        big = b'{"caption": "' + b"a" * (50 * 1024 * 1024) + b'"}'
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=60)
        connection.request("POST", "/generate", body=big,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 413
        assert "larger than the 8 MB" in json.loads(response.read())["error"]
        connection.close()
        status, _, body = post(url, request(0))
        assert status == 200
        np.testing.assert_array_equal(pixels(body), expected(0))
