"""Saves that a crash cannot half-write, and loads that name the file they cannot read."""

import errno
import os

import keras
import numpy as np
import pytest
from models.test_gan import compile_gan
from models.test_gan import data
from models.test_gan import make_gan

import keras_mmgan as mm


@pytest.fixture
def saved_gan(tmp_path):
    gan = compile_gan(make_gan())
    gan.fit(data(n=8), batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    return gan, path


def test_a_save_loads_back_with_the_same_weights(saved_gan):
    gan, path = saved_gan
    loaded = mm.saving.load_model(path)
    for a, b in zip(gan.weights, loaded.weights):
        np.testing.assert_array_equal(np.array(b), np.array(a))
    assert os.listdir(os.path.dirname(path)) == ["gan.keras"]  # no partial file left


def test_a_save_that_fails_halfway_leaves_the_previous_file_whole(saved_gan, monkeypatch):
    gan, path = saved_gan
    before = open(path, "rb").read()

    def disk_full(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(before[: len(before) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", filepath)

    monkeypatch.setattr(keras.Model, "save", disk_full)
    gan.fit(data(n=8), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(OSError, match="No space left"):
        gan.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert os.listdir(os.path.dirname(path)) == ["gan.keras"]
    assert int(mm.saving.load_model(path).g_optimizer.iterations) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_loading_a_corrupted_keras_file_names_the_file(saved_gan, damage):
    _, path = saved_gan
    content = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(b"not a model" if damage == "garbage" else content[: len(content) // 2])
    with pytest.raises(ValueError, match=f"'{path}' is not a readable .keras file"):
        mm.saving.load_model(path)


def test_loading_a_keras_file_that_is_not_there_says_so(tmp_path):
    path = str(tmp_path / "nowhere.keras")
    with pytest.raises(FileNotFoundError, match="nowhere.keras"):
        mm.saving.load_model(path)


def test_a_zip_that_is_not_a_model_names_the_file(tmp_path):
    import zipfile

    path = str(tmp_path / "other.keras")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a model")
    with pytest.raises(ValueError, match="could not load the model in .*other.keras"):
        mm.saving.load_model(path)
