"""The web demo's JSON API on tiny models of every family, through Starlette's test client."""

import base64
import io
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web demo needs pip install 'keras-mmgan[serve]'")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (in the test extra)")

from PIL import Image  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from tiny_models import make_model  # noqa: E402

from keras_mmgan import serve  # noqa: E402
from keras_mmgan.callbacks import image_grid  # noqa: E402
from keras_mmgan.callbacks import png_grid  # noqa: E402

CAPTION = "a red circle at the top left"


def decode(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def png_file(array, mode="RGB"):
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


_clients = {}


def client(family):
    """One app per family for the whole module (building and warming up costs ~1 s)."""
    if family not in _clients:
        _clients[family] = TestClient(serve.create_app(make_model(family), max_samples=32))
    return _clients[family]


def test_png_grid_holds_image_grid_pixels_exactly():
    images = np.random.default_rng(0).uniform(-1, 1, (5, 4, 6, 3)).astype("float32")
    np.testing.assert_array_equal(decode(png_grid(images, 3, padding=2)), image_grid(images, 3, 2))


@pytest.mark.parametrize(
    "family, fields, generate_kwargs, columns",
    [
        ("gan", {"num_samples": 5}, dict(num_samples=5), 3),
        ("progressive", {"num_samples": 4}, dict(num_samples=4, full_resolution=True), 2),
        ("conditional", {"label": 2, "num_samples": 4}, dict(labels=[2] * 4), 2),
        ("text2image", {"caption": CAPTION, "num_samples": 9}, dict(captions=[CAPTION] * 9), 3),
    ],
)
def test_generate_serves_the_grid_of_generate_for_the_seed(
    family, fields, generate_kwargs, columns
):
    app = client(family)
    response = app.post("/generate", json=dict(fields, seed=11))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    model = app.app.state.service.model
    expected = image_grid(model.generate(seed=11, **generate_kwargs), columns, padding=2)
    np.testing.assert_array_equal(decode(response.content), expected)
    assert response.headers["X-Grid-Columns"] == str(columns)


def test_info_describes_each_family():
    info = client("text2image").get("/info").json()
    assert info["family"] == "text2image" and info["latent_dim"] == 4
    assert {"red", "circle", "top", "left"} <= set(info["vocabulary"])
    assert info["image_shape"] == [8, 8, 3] and info["max_samples"] == 32
    info = client("conditional").get("/info").json()
    assert (info["family"], info["labels"], info["vocabulary"]) == ("conditional", [0, 1, 2], None)
    info = client("cyclegan").get("/info").json()
    assert info["directions"] == ["x_to_y", "y_to_x"] and info["source_shape"] == [8, 8, 3]
    assert info["latent_walk"] is False and info["uses_num_samples"] is False
    page = client("gan").get("/")
    assert page.status_code == 200 and 'id="generate"' in page.text


def test_image_families_translate_the_upload():
    pixels = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype="uint8")
    source = pixels.astype("float32") / 127.5 - 1.0
    cycle = client("cyclegan")
    model = cycle.app.state.service.model
    for direction in ("x_to_y", "y_to_x"):
        response = cycle.post("/generate", json={"image": png_file(pixels), "direction": direction})
        assert response.status_code == 200, response.text
        expected = image_grid(model.translate(source[None], direction=direction), 1, 2)
        np.testing.assert_array_equal(decode(response.content), expected)

    grey = pixels[..., 0]
    multimodal = client("multimodal")
    response = multimodal.post(
        "/generate", json={"image": png_file(grey, "L"), "num_samples": 4, "seed": 3,
                           "format": "base64"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["num_samples"] == 4 and body["num_columns"] == 2
    model = multimodal.app.state.service.model
    expected = model.generate(4, images=(grey.astype("float32") / 127.5 - 1.0)[None, ..., None],
                              seed=3)
    np.testing.assert_array_equal(
        decode(base64.b64decode(body["png_base64"])), image_grid(expected, 2, 2)
    )
    # A larger colour photo is converted to the model's grey 8x8.
    photo = np.zeros((40, 30, 3), "uint8")
    response = client("pix2pix").post("/generate", json={"image": png_file(photo)})
    assert response.status_code == 200 and decode(response.content).shape == (8, 8, 3)


@pytest.mark.parametrize("family", ["conditional", "progressive", "multimodal"])
def test_latent_walk_is_one_row_from_seed_to_walk_to(family):
    app = client(family)
    fields = {"seed": 4, "walk_to": 9, "num_samples": 6}
    model = app.app.state.service.model
    walk = model.latent_walk(4, 9, 6)
    if family == "conditional":
        fields["label"] = 1
        frames = model.generate(labels=[1] * 6, latents=walk)
    elif family == "progressive":
        frames = model.generate(6, latents=walk, full_resolution=True)
    else:
        grey = np.full((8, 8), 200, "uint8")
        fields["image"] = png_file(grey, "L")
        source = (grey.astype("float32") / 127.5 - 1.0)[None, ..., None]
        frames = model.generate(6, images=source, latents=walk)
    response = app.post("/generate", json=fields)
    assert response.status_code == 200, response.text
    np.testing.assert_array_equal(decode(response.content), image_grid(frames, 6, 2))


def test_null_fields_take_their_defaults():
    # The page sends null for an emptied number box.
    app = client("conditional")
    response = app.post("/generate", json={"label": 0, "seed": None, "num_samples": None})
    assert response.status_code == 200 and response.headers["X-Num-Samples"] == "16"
    model = app.app.state.service.model
    expected = image_grid(model.generate(labels=[0] * 16, seed=0), 4, 2)
    np.testing.assert_array_equal(decode(response.content), expected)


def test_an_unexpected_failure_is_one_line_and_the_server_goes_on(monkeypatch):
    app = TestClient(serve.create_app(make_model("gan")), raise_server_exceptions=False)
    model = app.app.state.service.model

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory, say")

    monkeypatch.setattr(model, "generate", broken)
    response = app.post("/generate", json={"num_samples": 2})
    assert response.status_code == 500
    assert response.json() == {
        "error": "the server failed to answer this request (RuntimeError)"
    }
    monkeypatch.undo()
    assert app.post("/generate", json={"num_samples": 2}).status_code == 200


@pytest.mark.parametrize(
    "family, fields, status, message",
    [
        ("conditional", {"label": 3}, 400, "label must be an int in [0, 2]"),
        ("conditional", {"label": "cat"}, 400, "label must be an int"),
        ("conditional", {}, 400, "label is required"),
        ("text2image", {"caption": "   "}, 400, "caption must not be empty"),
        ("text2image", {"caption": 7}, 400, "caption is required: a non-empty string"),
        ("text2image", {"caption": CAPTION, "num_samples": 10_000}, 413,
         "num_samples must be an int in [1, 32]"),
        ("gan", {"num_samples": 0}, 400, "num_samples must be an int in [1, 32]"),
        ("gan", {"seed": -1}, 400, "seed must be an int"),
        ("gan", {"label": 1}, 400, "does not use label"),
        ("gan", {"colour": "red"}, 400, "unknown fields ['colour']"),
        ("pix2pix", {}, 400, "image is required"),
        ("pix2pix", {"image": base64.b64encode(b"not an image at all").decode()}, 400,
         "image could not be read as an image file"),
        ("pix2pix", {"image": "%%% not base64 %%%"}, 400, "image must be base64"),
        ("pix2pix", {"walk_to": 3}, 400, "has no latent code"),
        ("cyclegan", {"image": "", "direction": "sideways"}, 400, "image must be a non-empty"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_field(family, fields, status, message):
    response = client(family).post("/generate", json=fields)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "Traceback" not in response.text


def test_bodies_that_are_too_large_or_not_json_are_refused_and_the_server_keeps_serving():
    app = client("pix2pix")
    big = b'{"image": "' + b"A" * (9 * 1024 * 1024) + b'"}'
    response = app.post("/generate", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than the 8 MB" in response.json()["error"]
    response = app.post("/generate", content=b"{not json")
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    response = app.post("/generate", json=[1, 2])
    assert response.status_code == 400 and "got a JSON list" in response.json()["error"]
    huge = Image.new("L", (5000, 4000))
    buffer = io.BytesIO()
    huge.save(buffer, format="PNG")
    response = app.post("/generate", json={"image": base64.b64encode(buffer.getvalue()).decode()})
    assert response.status_code == 413 and "5000x4000 pixels" in response.json()["error"]
    response = app.post("/generate", json={"image": png_file(np.zeros((8, 8), "uint8"), "L")})
    assert response.status_code == 200


def test_main_reports_a_missing_model_in_one_line(tmp_path, capsys):
    assert serve.main([str(tmp_path / "missing.keras")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_saved_model_loads_for_the_demo(tmp_path):
    model = make_model("text2image")
    path = str(tmp_path / "text.keras")
    model.save(path)
    from keras_mmgan.serve.main import load

    loaded = load(path)
    app = TestClient(serve.create_app(loaded))
    response = app.post("/generate", json={"caption": CAPTION, "seed": 5, "num_samples": 4})
    expected = image_grid(model.generate(captions=[CAPTION] * 4, seed=5), 2, 2)
    np.testing.assert_array_equal(decode(response.content), expected)


def test_import_keras_mmgan_does_not_import_the_web_packages():
    code = ("import sys, keras_mmgan; "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_missing_web_packages_name_the_extra():
    code = ("import sys; sys.modules['starlette'] = None\n"
            "try:\n    import keras_mmgan.serve\n"
            "except ImportError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert "pip install 'keras-mmgan[serve]'" in result.stdout
