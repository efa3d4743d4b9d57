"""`seed_latents` and `latent_walk`: the latents behind `generate(seed=...)` and a path between two."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serve"))
from tiny_models import make_model  # noqa: E402


@pytest.mark.parametrize(
    "family, condition",
    [
        ("gan", {}),
        ("conditional", {"labels": [2, 2, 2]}),
        ("text2image", {"captions": ["a red circle at the top left"] * 3}),
    ],
)
def test_seed_latents_reproduce_generate_and_the_walk_ends_at_both_seeds(family, condition):
    model = make_model(family)
    num_samples = None if condition else 3
    by_seed = model.generate(num_samples, seed=7, **condition)
    latents = model.seed_latents(3, seed=7)
    assert latents.shape == (3, model.latent_dim) and latents.dtype == np.float32
    np.testing.assert_array_equal(model.generate(latents=latents, **condition), by_seed)

    walk = model.latent_walk(7, 8, steps=5)
    assert walk.shape == (5, model.latent_dim)
    one = {k: v[:1] for k, v in condition.items()}
    frames = model.generate(latents=walk, **{k: v[:1] * 5 for k, v in condition.items()})
    # A batch of 5 against a batch of 1: kernels may sum in another order (1 ulp apart with
    # oneDNN off), so equal within float32 rounding, not bit for bit.
    for frame, seed in ((frames[0], 7), (frames[-1], 8)):
        single = model.generate(None if one else 1, seed=seed, **one)[0]
        np.testing.assert_allclose(frame, single, rtol=1e-5, atol=1e-6)
    # Slerp keeps the latents near the norm of their ends; the linear middle is shorter.
    norms = np.linalg.norm(walk, axis=1)
    linear = model.latent_walk(7, 8, steps=5, spherical=False)
    assert norms[2] > np.linalg.norm(linear[2])
    np.testing.assert_allclose(linear[2], (walk[0] + walk[-1]) / 2, rtol=1e-5, atol=1e-6)


def test_multimodal_seed_latents_cover_every_output():
    model = make_model("multimodal")
    source = np.zeros((2, 8, 8, 1), "float32")
    by_seed = model.generate(3, images=source, seed=1)
    latents = model.seed_latents(6, seed=1)
    np.testing.assert_array_equal(model.generate(3, images=source, latents=latents), by_seed)


def test_latent_errors_name_the_argument():
    with pytest.raises(ValueError, match="Pix2Pix has no latent code"):
        make_model("pix2pix").seed_latents(1, 0)
    model = make_model("gan")
    with pytest.raises(ValueError, match="steps must be at least 2"):
        model.latent_walk(0, 1, steps=1)
    with pytest.raises(TypeError, match="seed must be an int"):
        model.seed_latents(2, seed="zero")
