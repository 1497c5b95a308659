"""Key formats are spelled in one place: `helpdesk/store/keys.py`.

Walks every module of the layer (its string constants and the literal parts of its
f-strings, docstrings aside) and fails if one other than `store/keys.py` spells a key
prefix or fragment (`TICKET#`, `L#`, `Q#S#`, `#A#`, `#U`, ...) or names a fixed partition
(`CATALOG`, `STAFF`, ...). Such a string elsewhere is a second owner of a key format: call
the function or constant in `store.keys` instead.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "helpdesk"
OWNER = LAYER / "store" / "keys.py"

# An upper-case prefix ending in '#' (TICKET#, RL#, Q#S#), or a '#'-led upper-case
# fragment (#S#, #U, #OU), or the '#' alone between two values (<time>#<id>).
FRAGMENT = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z_]{0,11}#|#[A-Z]{1,3}(?![a-z])")
PARTITIONS = {"SEQ", "TICKET_NUMBER", "CATALOG", "STAFF", "IDEMPOTENCY", "PROFILE"}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def spelled_keys(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant or f-string part that spells a key."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            # "#" alone between two values: the sort-value format
            parts = node.values
            for i, part in enumerate(parts[1:-1], start=1):
                if (
                    isinstance(part, ast.Constant)
                    and part.value == "#"
                    and isinstance(parts[i - 1], ast.FormattedValue)
                    and isinstance(parts[i + 1], ast.FormattedValue)
                ):
                    yield node.lineno, ast.unparse(node)
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip:
            continue
        if FRAGMENT.search(node.value) or node.value in PARTITIONS:
            yield node.lineno, node.value


def _modules() -> list[Path]:
    return sorted(p for p in LAYER.rglob("*.py") if p != OWNER)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(LAYER)))
def test_no_module_but_store_keys_spells_a_key(path: Path) -> None:
    found = list(spelled_keys(path.read_text()))
    assert not found, f"{path.relative_to(LAYER)} spells keys (use helpdesk.store.keys): {found}"


def test_the_walk_finds_what_it_looks_for() -> None:
    # Given the shapes keys took before store/keys.py owned them
    samples = [
        'pk = f"TICKET#{ticket_id}"',
        'lk = f"Q#S#{status}"',
        'lk = f"{base}#S#{status}"',
        'lk = f"{base}#U"',
        'lk = "Q#U"',
        'key = ("CATALOG", "x")',
        'sk = f"{at}#{ticket_id}"',
        'bucket = f"RL#{name}"',
    ]
    # Then each is caught, and the owner itself spells plenty
    for sample in samples:
        assert list(spelled_keys(sample)), sample
    assert len(list(spelled_keys(OWNER.read_text()))) > 20
    # And prose is not a key
    for text in ['msg = f"merged into #{n}"', 'ref = "#/components/schemas/Problem"']:
        assert not list(spelled_keys(text)), text
