"""One training line for the SIGKILL tests of `test_resume_and_precision.py`, run in a subprocess.

    python resume_run.py FAMILY BACKUP_DIR OUT.npz [--kill-at-step N] [--kill-in-backup N]

trains FAMILY (one of `FAMILIES`: every family of the library) for `EPOCHS` epochs on a dataset from
`datasets.make_dataset` (`unpaired_dataset` for CycleGAN) with its defaults but the batch size,
with `callbacks.BackupAndRestore(BACKUP_DIR, save_freq=SAVE_FREQ)`, and writes every value
training changes to OUT.npz, with `run_restored_step` (the step the run started from) and
`run_final_step`. Run again, the
same line resumes from the backup. `--kill-at-step N` kills the process (SIGKILL: no clean-up,
no `finally`) once step N has trained; `--kill-in-backup N` kills it in the middle of writing
the N-th backup, after half of the new weights file is on disk.
"""

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_HERE = os.path.dirname(os.path.abspath(__file__))
_TESTS = os.path.dirname(_HERE)
# The test modules, conftest, and the keras_mmgan these tests test (not an installed copy).
sys.path[:0] = [_HERE, _TESTS, os.path.dirname(_TESTS)]

# 5 steps an epoch; a kill at step 13 is inside epoch 2 (the third).
BATCH, SAMPLES, EPOCHS, SAVE_FREQ = 8, 40, 3, 3
FAMILIES = ("gan", "conditional", "text_to_image", "cycle_gan", "pix2pix", "multimodal_pix2pix",
            "progressive_gan")


def build(family):
    """The model and its dataset, built as a user's script would, from seed 0."""
    import keras
    import numpy as np

    import keras_mmgan as mm

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if family == "gan":
        import test_distribution

        model, _ = test_distribution.unconditional()
        data = rng.uniform(-1, 1, (SAMPLES, 2)).astype("float32")
        return model, mm.datasets.make_dataset(data, batch_size=BATCH)
    if family == "conditional":
        import multi_process

        model, _ = multi_process.conditional()
        images = rng.uniform(-1, 1, (SAMPLES, *multi_process.SHAPE)).astype("float32")
        labels = (np.arange(SAMPLES) % multi_process.CLASSES).astype("int32")
        return model, mm.datasets.make_dataset(images, labels, batch_size=BATCH)
    if family == "text_to_image":
        import test_distribution

        model, _ = test_distribution.text_to_image()
        data = mm.datasets.shapes(SAMPLES, image_size=8, seed=0)
        token_ids = np.asarray(model.vectorizer(np.array(data["captions"])))
        return model, mm.datasets.make_dataset(data["images"], token_ids, batch_size=BATCH)
    if family == "cycle_gan":
        import test_cycle_gan

        model = test_cycle_gan.make_model(pool_size=4)
        x, _ = test_cycle_gan.domains(n=SAMPLES, seed=0)
        _, y = test_cycle_gan.domains(n=SAMPLES + BATCH, seed=1)
        return model, mm.datasets.unpaired_dataset(x, y, batch_size=BATCH)
    if family in ("pix2pix", "multimodal_pix2pix"):
        import test_multimodal_pix2pix
        import test_pix2pix

        module = test_pix2pix if family == "pix2pix" else test_multimodal_pix2pix
        source, target = module.pairs(SAMPLES, seed=0)
        return module.make_model(), mm.datasets.make_dataset(source, target, batch_size=BATCH)
    if family == "progressive_gan":
        import test_progressive_gan

        model = test_progressive_gan.compile_gan(test_progressive_gan.make_gan())
        images = test_progressive_gan.images(SAMPLES, seed=0)
        return model, mm.datasets.make_dataset(images, batch_size=BATCH)
    raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")


def state(model):
    """Every value training changes: weights (pools, seed states) and both optimizers."""
    import keras

    variables = model.weights + model.d_optimizer.variables + model.g_optimizer.variables
    values = [keras.ops.convert_to_numpy(v) for v in variables]
    return {f"v{i}": value for i, value in enumerate(values)}


def main(family, backup_dir, out, kill_at_step=None, kill_in_backup=None):
    import keras

    import keras_mmgan as mm

    model, dataset = build(family)
    restored = []

    class Kill(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):  # after BackupAndRestore restored the backup
            restored.append(int(model.g_optimizer.iterations))

        def on_train_batch_end(self, batch, logs=None):
            if int(model.g_optimizer.iterations) == kill_at_step:
                os.kill(os.getpid(), signal.SIGKILL)

    if kill_in_backup is not None:
        save_weights, backups = model.save_weights, []

        def dying_save_weights(filepath, *args, **kwargs):
            backups.append(filepath)
            save_weights(filepath, *args, **kwargs)
            if len(backups) == kill_in_backup:
                with open(filepath, "r+b") as f:  # only half of the file reached the disk
                    f.truncate(os.path.getsize(filepath) // 2)
                os.kill(os.getpid(), signal.SIGKILL)

        model.save_weights = dying_save_weights

    backup = mm.callbacks.BackupAndRestore(backup_dir, save_freq=SAVE_FREQ)
    model.fit(dataset, epochs=EPOCHS, callbacks=[backup, Kill()], verbose=0)
    import numpy as np

    final = int(model.g_optimizer.iterations)
    np.savez(out, run_restored_step=restored[0], run_final_step=final, **state(model))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("family")
    parser.add_argument("backup_dir")
    parser.add_argument("out")
    parser.add_argument("--kill-at-step", type=int)
    parser.add_argument("--kill-in-backup", type=int)
    main(**vars(parser.parse_args()))
