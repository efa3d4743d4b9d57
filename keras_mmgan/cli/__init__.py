"""The `keras-mmgan` command: train every family, generate grids, evaluate, from the shell.

    keras-mmgan train dcgan --epochs 20 --out runs/dcgan           # the shipped digits
    keras-mmgan train conditional --images my_digits --out runs/c  # class = sub-folder
    keras-mmgan train text2image --epochs 40 --out runs/text2image # the embedded shapes
    keras-mmgan train pix2pix --pairs facades/train --out runs/p2p
    keras-mmgan train cyclegan --domain-x horses --domain-y zebras
    keras-mmgan generate runs/dcgan/dcgan.keras --num 36 --out grid.png
    keras-mmgan evaluate runs/dcgan/dcgan.keras --dataset digits

Modules, named for what they hold:

- `commands`: the parser, the `train` / `generate` / `evaluate` actions and `main`;
- `families`: what each family trains (data, networks, model);
- `runs`: the run folder (refusing to overwrite, `--resume`, callbacks, the files written);
- `text2image`: `train_text2image`, the text-to-image job on the embedded shapes;
- `generation`: `generate_grid`;
- `evaluation`: `evaluate_model` (embedded data) and `evaluate_folder` (a user's folder);
- `loading`: `load_model_file`, which says what is wrong with a file that does not load;
- `errors`: `CommandError`, `UsageError` (exit 2), `DataError` (exit 1).

`docs/command_line.md` is the user's guide.
"""

from keras_mmgan.cli.commands import build_parser
from keras_mmgan.cli.commands import main
from keras_mmgan.cli.evaluation import evaluate_folder
from keras_mmgan.cli.evaluation import evaluate_model
from keras_mmgan.cli.generation import generate_grid
from keras_mmgan.cli.text2image import train_text2image
