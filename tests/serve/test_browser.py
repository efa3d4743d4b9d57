"""End to end in a real browser: the demo page drives a live server, as a student would.

Needs Debian's `chromium` package (`apt-get install -y chromium`, at /usr/bin/chromium)
and the Python `playwright` package (in the test extra); Playwright's own browser
downloads are not used. With `KERAS_MMGAN_SCREENSHOT=1` the test saves the page to
`assets/serve.png` for the README (`docs/serve.md`), showing the model at
`KERAS_MMGAN_SCREENSHOT_MODEL` if set (the main job's, `keras-mmgan train text2image`).
"""

import base64
import contextlib
import os
import time

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CAPTION = "a red circle at the top left"

pytestmark = pytest.mark.slow

pytest.importorskip("starlette", reason="the web demo needs pip install 'keras-mmgan[serve]'")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs the playwright package (test extra)"
)
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"the browser test needs Debian's chromium package at {CHROMIUM} "
        "(apt-get install -y chromium)", allow_module_level=True,
    )

import keras  # noqa: E402
from live_server import ROOT  # noqa: E402
from live_server import live_server  # noqa: E402
from PIL import Image  # noqa: E402
from tiny_models import make_model  # noqa: E402

import keras_mmgan as mm  # noqa: E402
from keras_mmgan.callbacks import image_grid  # noqa: E402


def text_model(path, epochs):
    """A small convolutional text-to-image model of the embedded shapes at 16x16.

    With `epochs=0` it is untrained (the checks hold for any weights); the README's
    screenshot fits 10 epochs on 2,048 shapes (about 35 s on 2 shared cores).
    """
    import tensorflow as tf

    data = mm.datasets.shapes(2048, image_size=16, seed=0)
    vectorizer = mm.datasets.text_vectorizer(data["captions"], vocab_size=64)
    shape = (16, 16, 3)
    gan = mm.build_gan(
        None, mm.build_text_encoder(64),
        mm.build_generator(16, 128, image_shape=shape, architecture="dcgan"),
        mm.build_discriminator(shape, 64, architecture="dcgan"), vectorizer=vectorizer, seed=0,
    )
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    if epochs:
        dataset = tf.data.Dataset.from_tensor_slices((data["images"], data["captions"]))
        gan.fit(dataset.shuffle(2048, seed=0).batch(64), epochs=epochs, verbose=0)
    gan.save(path)
    return path


# Reads the grid back as the browser shows it: the <img> drawn on a canvas.
SHOWN_PIXELS = """(img) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let binary = "";
  for (let i = 0; i < rgba.length; i++) binary += String.fromCharCode(rgba[i]);
  return [canvas.width, canvas.height, btoa(binary)];
}"""


def shown_grid(page):
    width, height, data = page.eval_on_selector("#grid", SHOWN_PIXELS)
    return np.frombuffer(base64.b64decode(data), "uint8").reshape(height, width, 4)[..., :3]


@contextlib.contextmanager
def open_page(url):
    """Headless Debian Chromium on the demo page, once the page has read `/info`."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 900})
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            yield page
        finally:
            browser.close()


def test_the_page_generates_the_grid_of_generate_for_the_seed(tmp_path):
    screenshot = os.environ.get("KERAS_MMGAN_SCREENSHOT") == "1"
    # A fit only for the README's picture; the checks hold for any weights. The README's
    # picture shows the main job's model (`KERAS_MMGAN_SCREENSHOT_MODEL=runs/.../text2image.keras`).
    path = os.environ.get("KERAS_MMGAN_SCREENSHOT_MODEL") or text_model(
        str(tmp_path / "text2image.keras"), epochs=10 if screenshot else 0
    )
    model = keras.saving.load_model(path)
    with live_server(path) as (url, _), open_page(url) as page:
        assert "TextToImageGAN" in page.text_content("#model")
        assert "circle" in page.text_content("#vocabulary")

        # An empty caption is refused with the server's message, on the page.
        page.click("#generate")
        page.wait_for_function("document.getElementById('error').textContent !== ''")
        assert "caption must not be empty" in page.text_content("#error")

        page.fill("#caption", CAPTION)
        page.fill("#seed", "3")
        page.fill("#num-samples", "16")
        clicked = time.perf_counter()
        page.click("#generate")
        page.wait_for_selector("#grid[data-seed='3']", timeout=30_000)
        seconds = time.perf_counter() - clicked
        in_page_ms = float(page.get_attribute("#grid", "data-elapsed-ms"))
        print(f"\nfirst samples on screen {in_page_ms:.0f} ms after the click (page clock); "
              f"{seconds * 1000:.0f} ms as the test saw it")
        assert page.text_content("#error") == ""
        expected = image_grid(model.generate(captions=[CAPTION] * 16, seed=3), 4, padding=2)
        np.testing.assert_array_equal(shown_grid(page), expected)
        assert page.get_attribute("#download", "download") == "samples.png"
        assert page.get_attribute("#download", "href").startswith("blob:")

        if screenshot:
            page.fill("#num-samples", "16")
            page.fill("#seed", "0")
            page.click("#generate")
            page.wait_for_selector("#grid[data-seed='0']", timeout=30_000)
            page.screenshot(path=os.path.join(ROOT, "assets", "serve.png"), full_page=True)

        # A latent walk: one row from seed 0 to seed 5.
        page.fill("#seed", "0")
        page.fill("#walk-to", "5")
        page.fill("#num-samples", "8")
        page.click("#walk")
        page.wait_for_function(
            "document.getElementById('status').textContent.includes('→ 5')"
        )
        frames = model.generate(captions=[CAPTION] * 8, latents=model.latent_walk(0, 5, 8))
        np.testing.assert_array_equal(shown_grid(page), image_grid(frames, 8, padding=2))


def test_the_page_offers_a_label_picker_and_an_image_upload(tmp_path):
    conditional, cycle = make_model("conditional"), make_model("cyclegan")
    conditional.save(str(tmp_path / "conditional.keras"))
    cycle.save(str(tmp_path / "cyclegan.keras"))

    with live_server(str(tmp_path / "conditional.keras")) as (url, _), open_page(url) as page:
        assert page.is_visible("#label") and not page.is_visible("#caption")
        assert page.is_visible("#walk")
        page.select_option("#label", "2")
        page.fill("#seed", "5")
        page.fill("#num-samples", "4")
        page.click("#generate")
        page.wait_for_selector("#grid[data-seed='5']", timeout=30_000)
        expected = image_grid(conditional.generate(labels=[2] * 4, seed=5), 2, padding=2)
        np.testing.assert_array_equal(shown_grid(page), expected)

    pixels = np.random.default_rng(2).integers(0, 256, (8, 8, 3), dtype="uint8")
    upload = str(tmp_path / "photo.png")
    Image.fromarray(pixels, "RGB").save(upload)
    with live_server(str(tmp_path / "cyclegan.keras")) as (url, _), open_page(url) as page:
        assert page.is_visible("#image") and page.is_visible("#direction")
        assert not page.is_visible("#num-samples") and not page.is_visible("#walk")
        page.click("#generate")  # no image yet: the server's message
        page.wait_for_function("document.getElementById('error').textContent !== ''")
        assert "image is required" in page.text_content("#error")
        page.set_input_files("#image", upload)
        page.wait_for_selector("#source-preview[src^='data:image/png']")
        page.select_option("#direction", "y_to_x")
        page.click("#generate")
        page.wait_for_selector("#grid[data-seed='0']", timeout=30_000)
        assert page.text_content("#error") == ""
        source = pixels.astype("float32")[None] / 127.5 - 1.0
        expected = image_grid(cycle.translate(source, direction="y_to_x"), 1, padding=2)
        np.testing.assert_array_equal(shown_grid(page), expected)
