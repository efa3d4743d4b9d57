"""The README's examples run, and the one that quotes a figure is the recipe behind it.

Each ```python block of the README runs in quick mode: `fit` trains one epoch of two steps.
"""

import inspect
import os
import re

import keras
import numpy as np

from keras_mmgan import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_blocks(path):
    with open(path) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def _quick_fit(monkeypatch):
    fit = keras.Model.fit

    def quick(self, *args, **kwargs):
        kwargs.update(epochs=1, steps_per_epoch=2, verbose=0)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", quick)


def test_the_readme_examples_run(monkeypatch, tmp_path):
    _quick_fit(monkeypatch)
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(os.path.join(ROOT, "README.md"))
    assert blocks, "the README has no python example"
    for block in blocks:
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)
    images = namespace["images"]
    assert images.shape == (8, 28, 28, 3) and np.all(np.abs(images) <= 1)


def test_the_readme_example_is_the_main_jobs_recipe():
    # The README quotes the main job's figures beside its example: the two must not drift apart.
    (block,) = [b for b in _python_blocks(os.path.join(ROOT, "README.md")) if "build_gan" in b]
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cli.train_text2image).parameters.items()
    }
    code = " ".join(block.split())
    expected = [
        f"shapes({defaults['num_samples']}, image_size={defaults['image_size']}, "
        "exclude_captions=held_out)",
        "held_out = mm.datasets.held_out_captions()",
        f'architecture="{defaults["architecture"]}"',
        f"latent_weight={defaults['latent_weight']}",
        f"epochs={defaults['epochs']}",
        "Adam(2e-4, beta_1=0.5)",
    ]
    for text in expected:
        assert text in code, f"the README's example lacks {text!r} of the main job's recipe"
    with open(inspect.getsourcefile(cli.train_text2image)) as f:
        assert "keras.optimizers.Adam(2e-4, beta_1=0.5)" in f.read()
