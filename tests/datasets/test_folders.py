"""Tests of the folder loaders: users' images, captions and pairs as tf.data pipelines."""

import json
import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan import datasets
from keras_mmgan.datasets.folders import read_captions


def _png(path, pixels):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(np.asarray(pixels, "uint8")))


def _solid(height, width, value, channels):
    return np.full((height, width, channels), value, "uint8")


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory):
    """20 digits (two per class) in class sub-folders, plus a text file to skip."""
    directory = str(tmp_path_factory.mktemp("digits"))
    data = datasets.digits(source="sklearn")
    order = np.concatenate([np.flatnonzero(data["labels"] == k)[:2] for k in range(10)])
    datasets.write_images(directory, data["images"][order], labels=data["labels"][order])
    with open(os.path.join(directory, "README.txt"), "w") as f:
        f.write("not an image")
    return directory, data["images"][order], data["labels"][order]


def test_image_folder_reads_classes_from_sub_folders(digit_folder):
    directory, images, labels = digit_folder
    dataset = datasets.image_folder(
        directory, image_size=28, batch_size=20, channels=1, labels="inferred", shuffle=False
    )
    assert dataset.class_names == [str(k) for k in range(10)]
    batch, batch_labels = next(iter(dataset))
    assert batch.shape == (20, 28, 28, 1) and batch.dtype == tf.float32
    assert batch_labels.dtype == tf.int32
    np.testing.assert_array_equal(batch_labels.numpy(), labels)
    # PNG round trip: 8-bit quantisation only.
    np.testing.assert_allclose(batch.numpy(), images, atol=1 / 127.5 + 1e-6)


def test_image_folder_without_labels_is_recursive_and_in_range(digit_folder):
    directory, _, _ = digit_folder
    dataset = datasets.image_folder(directory, image_size=(16, 12), batch_size=8, channels=3)
    batches = list(dataset)
    assert len(batches) == 2  # 20 images, the last 4 dropped
    assert batches[0].shape == (8, 16, 12, 3)
    values = np.concatenate([b.numpy() for b in batches])
    assert values.min() >= -1.0 and values.max() <= 1.0 and values.max() > 0.5
    assert not hasattr(dataset, "class_names") and len(dataset.file_paths) == 20


def test_image_folder_logs_the_skipped_non_image_files(digit_folder, caplog):
    directory, _, _ = digit_folder
    with caplog.at_level(logging.WARNING, logger="keras_mmgan.datasets"):
        datasets.image_folder(directory, image_size=28, batch_size=4)
    assert "skipped 1 file(s)" in caplog.text and directory in caplog.text


def test_image_folder_resizes_any_size_and_converts_any_channel_count(tmp_path):
    directory = str(tmp_path / "mixed")
    _png(os.path.join(directory, "gray.png"), _solid(10, 30, 255, 1))
    _png(os.path.join(directory, "rgb.png"), _solid(50, 20, 0, 3))
    _png(os.path.join(directory, "rgba.png"), _solid(7, 7, 255, 4))
    for channels in (1, 3):
        dataset = datasets.image_folder(
            directory, image_size=8, batch_size=3, channels=channels, shuffle=False
        )
        batch = next(iter(dataset)).numpy()
        assert batch.shape == (3, 8, 8, channels)
        # Sorted: gray (white), rgb (black), rgba (white).
        np.testing.assert_allclose(batch[:, 0, 0, 0], [1.0, -1.0, 1.0])


def test_image_folder_refuses_an_empty_or_missing_folder_naming_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match=r"holds no image file.*") as error:
        datasets.image_folder(str(empty))
    assert str(empty) in str(error.value)
    with pytest.raises(ValueError, match="does not exist"):
        datasets.image_folder(str(tmp_path / "missing"))


def test_image_folder_refuses_labels_without_sub_folders_and_too_big_batches(tmp_path):
    directory = str(tmp_path / "flat")
    for i in range(3):
        _png(os.path.join(directory, f"{i}.png"), _solid(4, 4, 0, 3))
    with pytest.raises(ValueError, match="no sub-folder"):
        datasets.image_folder(directory, labels="inferred", batch_size=1)
    with pytest.raises(ValueError, match="fewer than batch_size=8"):
        datasets.image_folder(directory, batch_size=8)
    assert len(list(datasets.image_folder(directory, batch_size=8, drop_remainder=False))) == 1
    with pytest.raises(ValueError, match="channels must be 1"):
        datasets.image_folder(directory, channels=2)


@pytest.fixture(scope="module")
def shapes_folder(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("shapes"))
    data = datasets.shapes(12, image_size=16, seed=0)
    names = [f"shape_{i}.png" for i in range(12)]
    datasets.write_images(directory, data["images"], names=names)
    return directory, names, data


def test_captioned_images_reads_csv_with_several_captions_per_image(shapes_folder, tmp_path):
    directory, names, data = shapes_folder
    path = str(tmp_path / "captions.csv")
    with open(path, "w") as f:
        f.write("file,caption\n")
        for name, caption in zip(names, data["captions"]):
            f.write(f'{name},"{caption}"\n')
        f.write(f'{names[0]},"a shape, seen twice"\n')
    dataset = datasets.captioned_images(
        directory, path, image_size=16, batch_size=13, shuffle=False
    )
    images, captions = next(iter(dataset))
    assert images.shape == (13, 16, 16, 3) and captions.dtype == tf.string
    assert [c.decode() for c in captions.numpy()] == data["captions"] + ["a shape, seen twice"]
    np.testing.assert_allclose(images[0], images[12])
    np.testing.assert_allclose(images[:12], data["images"], atol=1 / 127.5 + 1e-6)


def test_captioned_images_reads_json_lines(shapes_folder, tmp_path):
    directory, names, data = shapes_folder
    path = str(tmp_path / "captions.jsonl")
    with open(path, "w") as f:
        for name, caption in zip(names, data["captions"]):
            f.write(json.dumps({"file": name, "caption": caption}) + "\n")
    dataset = datasets.captioned_images(directory, path, image_size=8, batch_size=4, channels=1)
    batches = list(dataset)
    assert len(batches) == 3 and batches[0][0].shape == (4, 8, 8, 1)
    assert sorted(c.decode() for _, cs in batches for c in cs.numpy()) == sorted(data["captions"])


def test_captioned_images_names_the_missing_image_and_the_bad_file(shapes_folder, tmp_path):
    directory, names, _ = shapes_folder
    path = str(tmp_path / "captions.csv")
    with open(path, "w") as f:
        f.write(f"file,caption\n{names[0]},a shape\nghost.png,a ghost\n")
    with pytest.raises(ValueError, match=r"line 3 names 'ghost.png'.*ghost.png' does not exist"):
        datasets.captioned_images(directory, path, batch_size=1)
    with open(path, "w") as f:
        f.write("name,text\na.png,a\n")
    with pytest.raises(ValueError, match="header row 'file,caption'"):
        read_captions(path)
    with open(path, "w") as f:
        f.write(f"file,caption\n{names[0]},\n")
    with pytest.raises(ValueError, match="line 2 has an empty caption"):
        read_captions(path)
    with pytest.raises(ValueError, match="missing.csv' does not exist"):
        read_captions(str(tmp_path / "missing.csv"))


def test_paired_folders_pair_by_name_across_extensions_and_channels(tmp_path):
    source, target = str(tmp_path / "A"), str(tmp_path / "B")
    for i in range(4):
        _png(os.path.join(source, f"{i}.png"), _solid(12, 12, 60 * i, 1))
        _png(os.path.join(target, f"{i}.png"), _solid(20, 24, 60 * i, 3))
    dataset = datasets.paired_folders(
        source, target, image_size=8, batch_size=4, source_channels=1, shuffle=True, seed=3
    )
    sources, targets = next(iter(dataset))
    assert sources.shape == (4, 8, 8, 1) and targets.shape == (4, 8, 8, 3)
    # Shuffled together: each source still meets its own target.
    np.testing.assert_allclose(sources[:, 0, 0, 0], targets[:, 0, 0, 0], atol=1e-6)


def test_paired_folders_name_the_image_without_partner(tmp_path):
    source, target = str(tmp_path / "A"), str(tmp_path / "B")
    for i in range(3):
        _png(os.path.join(source, f"{i}.png"), _solid(4, 4, 0, 3))
    for i in range(2):
        _png(os.path.join(target, f"{i}.png"), _solid(4, 4, 0, 3))
    with pytest.raises(ValueError, match=r"A/2.png' has no partner in .*B'"):
        datasets.paired_folders(source, target, batch_size=1)


def test_side_by_side_pairs_cut_each_image_in_two(tmp_path):
    directory = str(tmp_path / "facades")
    for i in range(3):
        pixels = np.concatenate([_solid(6, 6, 0, 3), _solid(6, 6, 255, 3)], axis=1)
        _png(os.path.join(directory, f"{i}.png"), pixels)
    left, right = next(iter(datasets.side_by_side_pairs(directory, image_size=6, batch_size=3)))
    assert left.shape == right.shape == (3, 6, 6, 3)
    assert float(tf.reduce_max(left)) == -1.0 and float(tf.reduce_min(right)) == 1.0
    source, target = next(iter(datasets.side_by_side_pairs(
        directory, image_size=4, batch_size=3, source_side="right", target_channels=1
    )))
    assert float(tf.reduce_min(source)) == 1.0 and target.shape == (3, 4, 4, 1)


def test_loaders_stream_the_files_without_caching_pixels(digit_folder, tmp_path):
    directory, _, _ = digit_folder
    for dataset in (
        datasets.image_folder(directory, image_size=28, batch_size=4),
        datasets.side_by_side_pairs(directory, image_size=28, batch_size=4),
    ):
        graph = tf.compat.v1.GraphDef.FromString(dataset._as_serialized_graph().numpy())
        ops = {node.op for node in graph.node}
        functions = {node.op for f in graph.library.function for node in f.node_def}
        assert not {op for op in ops if op.startswith("Cache")}
        assert "ReadFile" in functions  # the pixels are read when a batch is made


def test_find_unreadable_images_names_the_broken_files(tmp_path):
    good, bad = str(tmp_path / "good.png"), str(tmp_path / "bad.jpg")
    _png(good, _solid(4, 4, 0, 3))
    with open(bad, "w") as f:
        f.write("not a jpeg")
    broken = datasets.find_unreadable_images([good, bad])
    assert [path for path, _ in broken] == [bad]
    assert "Unknown image file format" in broken[0][1] and "{{" not in broken[0][1]


def test_four_channels_keep_alpha_or_make_it_opaque(tmp_path):
    source, target = str(tmp_path / "A"), str(tmp_path / "B")
    _png(os.path.join(source, "a.png"), _solid(4, 4, 0, 1))  # grayscale: no alpha
    half_transparent = _solid(4, 4, 255, 4)
    half_transparent[..., 3] = 0
    _png(os.path.join(target, "a.png"), half_transparent)
    sources, targets = next(iter(datasets.paired_folders(
        source, target, image_size=4, batch_size=1, source_channels=4, target_channels=4
    )))
    np.testing.assert_allclose(sources[0, 0, 0], [-1.0, -1.0, -1.0, 1.0])  # opaque black
    np.testing.assert_allclose(targets[0, 0, 0], [1.0, 1.0, 1.0, -1.0])  # white, transparent


def test_the_shuffled_order_of_a_folder_is_a_function_of_seed_and_epoch(shapes_folder, tmp_path):
    # As make_dataset's: a restarted process reads epoch k as an uninterrupted one did.
    directory, names, data = shapes_folder
    path = str(tmp_path / "captions.csv")
    with open(path, "w") as f:
        f.write("file,caption\n")
        f.writelines(f'{name},"{caption}"\n' for name, caption in zip(names, data["captions"]))

    def order(epoch, seed=0):
        dataset = datasets.captioned_images(directory, path, image_size=16, batch_size=12,
                                            seed=seed)
        return [c.decode() for c in next(iter(datasets.set_epoch(dataset, epoch)))[1].numpy()]

    assert order(2) == order(2)  # two loaders built alike, told the same epoch
    assert order(2) != order(3) and order(2) != order(2, seed=1)
    assert sorted(order(2)) == sorted(data["captions"])
