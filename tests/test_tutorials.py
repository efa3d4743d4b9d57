"""Executes every tutorial notebook in quick mode (`KERAS_MMGAN_QUICK=1`).

Each notebook runs top to bottom in a fresh `python3` kernel whose working
directory is a temporary folder; any cell that raises fails the test. Quick
mode keeps each notebook well under a minute on a CPU.
"""

import glob
import os

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(
    os.path.relpath(path, REPO_ROOT)
    for path in glob.glob(os.path.join(REPO_ROOT, "tutorials", "*.ipynb"))
)


def _output_text(cell):
    """All text a code cell printed or displayed (streams, results, errors)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_tutorial_runs_in_quick_mode(notebook, tmp_path, monkeypatch):
    # The kernel inherits this process's environment.
    monkeypatch.setenv("KERAS_MMGAN_QUICK", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    nb = nbformat.read(os.path.join(REPO_ROOT, notebook), as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error

    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [
        output
        for cell in code_cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors
    scoring_cells = [cell for cell in code_cells if "caption_accuracy(" in cell.source]
    if scoring_cells:
        text = _output_text(scoring_cells[-1])
        assert "color" in text, f"the last caption-accuracy cell printed: {text!r}"


def test_tutorials_are_found():
    assert NOTEBOOKS, f"no notebooks under {os.path.join(REPO_ROOT, 'tutorials')}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_tutorial_is_stored_clean_or_executed_in_full_mode(notebook):
    """A notebook is committed either without outputs or executed top to bottom in full mode.

    Executed ones show their pictures on the web: every code cell ran, in order, with no
    error, and not in quick mode (whose pictures are noise).
    """
    nb = nbformat.read(os.path.join(REPO_ROOT, notebook), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code_cells]
    if all(count is None for count in counts):
        assert not any(cell.outputs for cell in code_cells), f"{notebook}: outputs without a run"
        return
    assert None not in counts and counts == sorted(counts), (
        f"{notebook}: execute every cell, top to bottom, before committing outputs"
    )
    for cell in code_cells:
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], notebook
    assert "quick mode: False" in _output_text(code_cells[0]) or not any(
        "KERAS_MMGAN_QUICK" in cell.source for cell in code_cells
    ), f"{notebook}: commit the outputs of a full-mode run (KERAS_MMGAN_QUICK unset)"
