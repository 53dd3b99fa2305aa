"""The files of a demo run in its output folder: ``results.json`` (everything computed), ``params.json`` (the
recommended parameters) and ``report.html`` (rendered from the results)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from solvency.errors import SolvencyInputError
from solvency.jsonutil import dumps
from solvency.report.params import build_params
from solvency.report.render import check_results, render_report

RESULTS = "results.json"
PARAMS = "params.json"
REPORT = "report.html"
DEFAULT_OUT = Path("demo-out")
"""Default output folder of ``solvency demo`` (relative to the working directory)."""


def write_run(results: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write the results, the parameters and the report into ``out`` (created); return their paths.

    The report and the parameters are made from the results as written (JSON), exactly as
    ``solvency report --from`` would make them.
    """
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SolvencyInputError(f"cannot create the output folder: {exc.strerror}", path=folder) from None
    text = dumps(results, indent=1)
    doc = json.loads(text)
    paths = {"results": folder / RESULTS, "params": folder / PARAMS, "report": folder / REPORT}
    paths["results"].write_text(text + "\n", encoding="utf-8")
    paths["params"].write_text(dumps(build_params(doc), indent=2) + "\n", encoding="utf-8")
    render_report(doc, paths["report"])
    return paths


def read_results(folder: str | Path) -> dict[str, Any]:
    """Read ``results.json`` from a demo output folder (or the file itself).

    Raises
    ------
    SolvencyInputError
        Missing, unreadable, or not a results document of this version.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / RESULTS
    if not path.is_file():
        raise SolvencyInputError("no demo results here", path=path, hint="run: solvency demo --out DIR first")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SolvencyInputError(f"not valid JSON: {exc}", path=path) from None
    check_results(doc, path)
    return doc
