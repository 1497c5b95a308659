"""docs/benchmarks.md covers what template.yaml deploys (re-run `make bench` when it does not).

The figures are measured, not checked here; what is checked is that no function or route
was added since the last run without being measured."""

import re
from pathlib import Path

from local.template import app as load_app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text()


def _first_column(section: str) -> set[str]:
    body = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| ([^|(][^|]*?) \|", body, re.M)) - {"function", "route"}


def test_every_function_has_a_cold_start_row() -> None:
    functions = {Path(f.code_uri).name for f in load_app().functions.values()}
    measured = _first_column("## Cold start")
    assert functions <= measured, f"not measured: {sorted(functions - measured)}; run make bench"


def test_every_route_has_a_warm_row() -> None:
    functions = load_app().functions.values()
    routes = {", ".join(r.key for r in f.routes) for f in functions if f.routes}
    measured = _first_column("## Warm overhead")
    assert routes <= measured, f"not measured: {sorted(routes - measured)}; run make bench"
