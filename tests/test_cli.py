import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

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


@pytest.mark.parametrize("fusion", ["film", "attention"])
def test_train_text2image_with_a_fusion(fusion, tmp_path):
    out = str(tmp_path / "run")
    status = cli.main(["train", "text2image", "--fusion", fusion, "--epochs", "1",
                       "--num-samples", "128", "--out", out])
    assert status == 0
    with open(os.path.join(out, "metrics.json")) as f:
        assert json.load(f)["protocol"]["fusion"] == fusion
    model = keras.saving.load_model(os.path.join(out, "text2image.keras"))
    uses_words = len(model.generator.inputs) == 3  # [z + sentence, words, word mask]
    assert uses_words == (fusion == "attention")
    assert model.generate(captions=["a red circle at the top left"], seed=0).shape == (1, 28, 28, 3)


def test_train_sets_the_precision_and_gives_the_callers_policy_back(tmp_path, capsys):
    out = str(tmp_path / "run")
    status = cli.main(["train", "text2image", "--precision", "mixed_bfloat16", "--epochs", "1",
                       "--num-samples", "128", "--out", out])
    assert status == 0
    assert "precision: mixed_bfloat16, as asked" in capsys.readouterr().out
    assert keras.config.dtype_policy().name == "float32"  # the caller's, back
    model = keras.saving.load_model(os.path.join(out, "text2image.keras"))
    layers = [layer for layer in model.generator.layers if layer.weights]
    assert {layer.dtype_policy.name for layer in layers} == {"mixed_bfloat16"}
    assert model.generate(captions=["a red circle at the top left"], seed=0).dtype == np.float32


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


# --------------------------------------------------------------------------------------- #
# Every family from the command line, on a user's folder (quick mode: 1 epoch, tiny data).
# --------------------------------------------------------------------------------------- #
import pytest  # noqa: E402

from keras_mmgan import datasets  # noqa: E402

QUICK = ["--epochs", "1", "--base-filters", "8"]
RUN_FILES = {"run.json", "samples", "samples.png", "history.csv", "losses.png", "metrics.json",
             "backup"}


@pytest.fixture(scope="module")
def digit_classes(tmp_path_factory):
    """100 digits as PNG files, ten per class, in sub-folders 0..9."""
    folder = str(tmp_path_factory.mktemp("my_digits"))
    data = datasets.digits()
    order = np.concatenate([np.flatnonzero(data["labels"] == k)[:10] for k in range(10)])
    datasets.write_images(folder, data["images"][order], labels=data["labels"][order])
    return folder


def _assert_run(out, family):
    assert RUN_FILES | {f"{family}.keras"} <= set(os.listdir(out))
    assert os.listdir(os.path.join(out, "samples")) == ["samples_epoch_0001.png"]
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["epochs"] == 1 and {"d_loss", "g_loss"} <= set(metrics["losses"])
    return keras.saving.load_model(os.path.join(out, f"{family}.keras")), metrics


def test_train_dcgan_on_a_folder_then_generate_and_evaluate_it(digit_classes, tmp_path, capsys):
    out = str(tmp_path / "dcgan")
    args = ["train", "dcgan", "--images", digit_classes, "--image-size", "16", "--channels", "1",
            "--batch-size", "25", "--out", out, "--tensorboard", *QUICK]
    assert cli.main(args) == 0
    model, metrics = _assert_run(out, "dcgan")
    assert "100 images" in metrics["protocol"]["data"]
    assert model.generator.output_shape == (None, 16, 16, 1)
    assert any(name.startswith("events.out") for _, _, files in os.walk(os.path.join(out, "logs"))
               for name in files)
    assert "Results in" in capsys.readouterr().out

    grid = str(tmp_path / "grid.png")
    assert cli.main(["generate", os.path.join(out, "dcgan.keras"), "--num", "9", "--seed", "1",
                     "--out", grid]) == 0
    import matplotlib.pyplot as plt

    assert plt.imread(grid).shape[:2] == (3 * 16, 3 * 16)
    scores = str(tmp_path / "scores.json")
    assert cli.main(["evaluate", os.path.join(out, "dcgan.keras"), "--images", digit_classes,
                     "--num-samples", "50", "--metrics", "fid", "--json", scores]) == 0
    with open(scores) as f:
        assert json.load(f)["protocol"]["num_real"] == 50


def test_train_conditional_reads_classes_from_sub_folders(digit_classes, tmp_path, capsys):
    out = str(tmp_path / "conditional")
    assert cli.main(["train", "conditional", "--images", digit_classes, "--image-size", "16",
                     "--channels", "1", "--batch-size", "20", "--out", out, *QUICK]) == 0
    model, metrics = _assert_run(out, "conditional")
    assert metrics["class_names"] == [str(k) for k in range(10)] and model.num_classes == 10
    model_path = os.path.join(out, "conditional.keras")
    grid = str(tmp_path / "threes.png")
    assert cli.main(["generate", model_path, "--label", "3", "--num", "4", "--out", grid]) == 0
    assert os.path.exists(grid)
    capsys.readouterr()
    assert cli.main(["generate", model_path, "--label", "12", "--out", grid]) == 2
    assert "--label must be in [0, 9] (0=0" in capsys.readouterr().err
    assert cli.main(["generate", model_path, "--caption", "a cat", "--out", grid]) == 2
    err = capsys.readouterr().err
    assert "--caption is for text-to-image models" in err and "--label K" in err


def test_train_text2image_on_captioned_images(tmp_path, capsys):
    folder = tmp_path / "shapes"
    data = datasets.shapes(64, image_size=16, seed=0)
    names = [f"s{i}.png" for i in range(64)]
    datasets.write_images(str(folder), data["images"], names=names)
    with open(folder / "captions.csv", "w") as f:
        f.write("file,caption\n")
        f.writelines(f"{n},{c}\n" for n, c in zip(names, data["captions"]))
    out = str(tmp_path / "t2i")
    assert cli.main(["train", "text2image", "--images", str(folder), "--captions",
                     str(folder / "captions.csv"), "--image-size", "16", "--batch-size", "32",
                     "--epochs", "1", "--out", out]) == 0
    model, _ = _assert_run(out, "text2image")
    images = model.generate(captions=["a red circle at the top left"], seed=0)
    assert images.shape == (1, 16, 16, 3)
    grid = str(tmp_path / "red.png")
    assert cli.main(["generate", os.path.join(out, "text2image.keras"), "--caption",
                     "a red circle at the top left", "--caption", "a blue square at the center",
                     "--num", "4", "--out", grid]) == 0
    assert os.path.exists(grid)
    capsys.readouterr()
    assert cli.main(["evaluate", os.path.join(out, "text2image.keras"), "--images", str(folder),
                     "--captions", str(folder / "captions.csv"), "--num-samples", "32",
                     "--metrics", "fid"]) == 0
    printed = capsys.readouterr().out
    assert "caption_color" in printed and "32 real / 32 generated" in printed
    assert cli.main(["evaluate", os.path.join(out, "text2image.keras"), "--images",
                     str(folder)]) == 2
    assert "--images needs --captions FILE" in capsys.readouterr().err


def test_train_pix2pix_on_side_by_side_pairs_then_translate_a_folder(tmp_path):
    pairs = datasets.colorization_pairs(32, image_size=16, seed=0)
    side_by_side = np.concatenate([np.repeat(pairs["source"], 3, -1), pairs["target"]], axis=2)
    datasets.write_images(str(tmp_path / "pairs"), side_by_side)
    out = str(tmp_path / "p2p")
    assert cli.main(["train", "pix2pix", "--pairs", str(tmp_path / "pairs"), "--image-size", "16",
                     "--source-channels", "1", "--batch-size", "16", "--out", out, *QUICK]) == 0
    model, metrics = _assert_run(out, "pix2pix")
    assert metrics["protocol"]["data"].startswith("side_by_side_pairs")
    assert model.generator.input_shape == (None, 16, 16, 1)
    datasets.write_images(str(tmp_path / "gray"), pairs["source"][:5])
    grid = str(tmp_path / "coloured.png")
    assert cli.main(["generate", os.path.join(out, "pix2pix.keras"), "--images",
                     str(tmp_path / "gray"), "--out", grid]) == 0
    import matplotlib.pyplot as plt

    assert plt.imread(grid).shape[:2] == (2 * 16, 5 * 16)  # sources above, outputs below


@pytest.mark.slow  # 15-35 s on two shared cores: four networks to trace
def test_train_cyclegan_on_two_folders(tmp_path):
    pairs = datasets.colorization_pairs(32, image_size=16, seed=0)
    datasets.write_images(str(tmp_path / "gray"), pairs["source"][:16])
    datasets.write_images(str(tmp_path / "colour"), pairs["target"][16:])
    out = str(tmp_path / "cycle")
    assert cli.main(["train", "cyclegan", "--domain-x", str(tmp_path / "gray"), "--domain-y",
                     str(tmp_path / "colour"), "--image-size", "16", "--batch-size", "8",
                     "--out", out, *QUICK]) == 0
    model, _ = _assert_run(out, "cyclegan")
    assert model.translate(pairs["target"][:2]).shape == (2, 16, 16, 3)


@pytest.mark.parametrize("family", ["conditional", "pix2pix"])
def test_train_on_the_embedded_data_by_default(family, tmp_path):
    out = str(tmp_path / family)
    assert cli.main(["train", family, "--num-samples", "64", "--batch-size", "32",
                     "--image-size", "16", "--out", out, *QUICK]) == 0
    _, metrics = _assert_run(out, family)
    assert metrics["protocol"]["data"].startswith(
        "datasets.digits()" if family == "conditional" else "datasets.colorization_pairs(64"
    )


def test_resume_continues_a_run_and_overwrite_replaces_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    args = ["train", "dcgan", "--num-samples", "64", "--batch-size", "32", "--out", out, *QUICK]
    assert cli.main(args) == 0
    assert cli.main(args) == 2
    assert "already holds a dcgan run; pass --resume" in capsys.readouterr().err
    assert cli.main([*args, "--epochs", "2", "--resume"]) == 0  # --epochs is the total
    with open(os.path.join(out, "metrics.json")) as f:
        assert json.load(f)["epochs"] == 2
    model = keras.saving.load_model(os.path.join(out, "dcgan.keras"))
    assert int(model.g_optimizer.iterations) == 4  # 2 steps per epoch, 2 epochs
    assert cli.main([*args, "--seed", "1", "--resume"]) == 2
    assert "--seed 0 (now 1)" in capsys.readouterr().err
    assert cli.main([*args, "--overwrite"]) == 0
    with open(os.path.join(out, "metrics.json")) as f:
        assert json.load(f)["epochs"] == 1


# --------------------------------------------------------------------------------------- #
# A user's mistake: one or two lines, an exit status, no traceback.
# --------------------------------------------------------------------------------------- #


def _fails(capsys, argv, status, *fragments):
    assert cli.main(argv) == status
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert len(captured.err.strip().splitlines()) <= 2
    for fragment in fragments:
        assert fragment in captured.err
    return captured.err


def test_evaluate_refuses_a_file_that_is_not_a_keras_archive(tmp_path, capsys):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    _fails(capsys, ["evaluate", str(bad), "--dataset", "digits"], 1,
           str(bad), "is not a .keras archive")
    _fails(capsys, ["evaluate", str(tmp_path / "missing.keras"), "--dataset", "digits"], 1,
           "missing.keras: no such file")
    _fails(capsys, ["generate", str(bad), "--out", str(tmp_path / "g.png")], 1, "bad.keras")
    _fails(capsys, ["evaluate", str(bad)], 2, "one of --dataset NAME", "--images DIR")


def test_train_refuses_empty_folders_and_bad_flag_combinations(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images")
    out = str(tmp_path / "out")
    _fails(capsys, ["train", "dcgan", "--images", str(empty), "--out", out], 1,
           str(empty), "holds no image file")
    assert not os.path.exists(out)  # nothing written: the fixed command runs as is
    _fails(capsys, ["train", "dcgan", "--images", str(tmp_path / "nowhere"), "--out", out], 1,
           "nowhere", "does not exist")
    _fails(capsys, ["train", "text2image", "--images", str(empty), "--out", out], 2,
           "--images DIR and --captions FILE go together")
    _fails(capsys, ["train", "pix2pix", "--source", str(empty), "--out", out], 2,
           "--source and --target go together")
    _fails(capsys, ["train", "dcgan", "--resume", "--overwrite", "--out", out,
                    "--num-samples", "64", "--batch-size", "32", *QUICK], 2,
           "--resume and --overwrite exclude each other")
    _fails(capsys, ["train", "dcgan", "--image-size", "30", "--out", out], 2,
           "--image-size must be a multiple of 4")
    _fails(capsys, ["train", "dcgan", "--captions", "c.csv"], 2, "unrecognized arguments")
    _fails(capsys, ["train", "dcgan", "--epochs", "zero"], 2, "--epochs", "positive int")
    _fails(capsys, ["train", "dcgan", "--out", str(empty), "--num-samples", "64",
                    "--batch-size", "32", *QUICK], 2, "holds no keras-mmgan run")


def test_train_names_a_broken_image_and_keeps_no_half_run(digit_classes, tmp_path, capsys):
    import shutil

    folder = tmp_path / "digits"
    shutil.copytree(digit_classes, folder)
    (folder / "3" / "broken.png").write_text("not a png")
    out = str(tmp_path / "out")
    _fails(capsys, ["train", "dcgan", "--images", str(folder), "--image-size", "16",
                    "--batch-size", "101", "--out", out, *QUICK], 1,
           "--images:", "broken.png is not a readable image", "Unknown image file format")
    assert not os.path.exists(out)  # the same command runs again once the file is fixed


def test_pix2pix_names_the_image_without_a_partner(tmp_path, capsys):
    pairs = datasets.colorization_pairs(4, image_size=16, seed=0)
    datasets.write_images(str(tmp_path / "A"), pairs["source"])
    datasets.write_images(str(tmp_path / "B"), pairs["target"][:3])
    _fails(capsys, ["train", "pix2pix", "--source", str(tmp_path / "A"), "--target",
                    str(tmp_path / "B"), "--batch-size", "1", "--out", str(tmp_path / "o")], 1,
           "00003.png' has no partner in")


def test_tensorboard_flag_names_the_extra_when_tensorboard_is_missing(monkeypatch, capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else find_spec(name, *a))
    _fails(capsys, ["train", "dcgan", "--tensorboard"], 1, "keras-mmgan[tensorboard]")


def test_debug_shows_the_trace(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    with pytest.raises(ValueError, match="is not a .keras archive"):
        cli.main(["evaluate", str(bad), "--dataset", "digits", "--debug"])


def test_the_command_is_quiet_and_prints_one_line_for_a_mistake(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    result = subprocess.run(
        [sys.executable, "-m", "keras_mmgan.cli", "evaluate", str(bad), "--dataset", "digits"],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    # No TensorFlow start-up chatter (oneDNN, CUDA, CPU features), no traceback: one line.
    assert result.stderr.strip().splitlines() == [
        f"keras-mmgan: error: {bad} is not a .keras archive (the zip file that model.save "
        "writes; a SavedModel folder or an .h5 file cannot be loaded here)"
    ]
