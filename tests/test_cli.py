import json
import os
import subprocess
import sys

import keras
import numpy as np

from keras_mmgan import cli


def test_train_text2image_writes_grid_metrics_and_model(tmp_path, capsys):
    out = str(tmp_path / "run")
    status = cli.main(
        ["train", "text2image", "--epochs", "1", "--num-samples", "256", "--out", out]
    )
    assert status == 0
    assert "caption accuracy on held-out captions" in capsys.readouterr().out
    # The job's own three files, plus those every command-line run writes.
    assert sorted(os.listdir(out)) == [
        "backup", "history.csv", "losses.png", "metrics.json", "run.json", "samples",
        "samples.png", "text2image.keras",
    ]
    assert os.listdir(os.path.join(out, "samples")) == ["samples_epoch_0001.png"]
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert {"d_loss", "g_loss", "latent_loss"} <= set(metrics["losses"])
    for split in ("held_out", "seen"):
        assert metrics[split]["num_samples"] == 1000
        assert 0.0 <= metrics[split]["color"] <= 1.0
    assert len(metrics["protocol"]["held_out_captions"]) == 10
    model = keras.saving.load_model(os.path.join(out, "text2image.keras"))
    images = model.generate(captions=["a red circle at the top left"], seed=0)
    assert images.shape == (1, 28, 28, 3) and np.abs(images).max() <= 1.0
    assert int(model.g_optimizer.iterations) == 4


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "keras_mmgan.cli", "train", "text2image", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--epochs" in result.stdout and "--out" in result.stdout


def test_evaluate_prints_a_metrics_table_for_a_conditional_digit_model(tmp_path, capsys):
    import keras_mmgan as mm

    gan = mm.models.ConditionalGAN(
        mm.networks.dcgan_generator(8, (28, 28, 1), base_filters=8, num_classes=10),
        mm.networks.dcgan_discriminator((28, 28, 1), base_filters=8, num_classes=10),
        latent_dim=8,
        num_classes=10,
        conditioning="projection",
    )
    path = str(tmp_path / "cgan.keras")
    gan.save(path)
    out = str(tmp_path / "scores.json")
    assert cli.main(["evaluate", path, "--dataset", "digits", "--num-samples", "200",
                     "--json", out]) == 0
    printed = capsys.readouterr().out
    for name in ("fid", "kid", "precision", "recall", "label_accuracy", "protocol"):
        assert name in printed
    with open(out) as f:
        scores = json.load(f)
    assert scores["protocol"]["num_generated"] == 200
    assert scores["fid"] > 0 and 0.0 <= scores["label_accuracy"] <= 1.0


def test_evaluate_rejects_an_unknown_dataset(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="dataset must be one of"):
        cli.evaluate_model(str(tmp_path / "missing.keras"), "cifar")
