"""Callbacks and plotting helpers to watch a GAN train, grow it, back it up and settle its statistics.

- `grids`: `image_grid`, `png_grid`, `plot_image_grid`, `save_image_grid`, `plot_losses`, `SampleGrid`;
- `evaluation`: `GANEvaluator` (FID, KID, precision/recall, IS in the epoch logs);
- `growing`: `ProgressiveGrowing`;
- `backup`: `BackupAndRestore`, `restore_backup`;
- `batch_norm`: `recompute_batch_norm`, `PreciseBatchNorm`;
- `attention`: `attention_maps`, `plot_attention` (where an attention generator looked, per word).
"""

from keras_mmgan.callbacks.attention import attention_maps
from keras_mmgan.callbacks.attention import plot_attention
from keras_mmgan.callbacks.backup import BackupAndRestore
from keras_mmgan.callbacks.backup import restore_backup
from keras_mmgan.callbacks.batch_norm import PreciseBatchNorm
from keras_mmgan.callbacks.batch_norm import recompute_batch_norm
from keras_mmgan.callbacks.evaluation import GANEvaluator
from keras_mmgan.callbacks.grids import SampleGrid
from keras_mmgan.callbacks.grids import image_grid
from keras_mmgan.callbacks.grids import plot_image_grid
from keras_mmgan.callbacks.grids import plot_losses
from keras_mmgan.callbacks.grids import png_grid
from keras_mmgan.callbacks.grids import save_image_grid
from keras_mmgan.callbacks.growing import ProgressiveGrowing
