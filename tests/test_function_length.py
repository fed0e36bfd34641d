"""No function in grants/, cli/ or workflows/ is longer than about a screen (issue 17).

A long function hides its steps; splitting it by meaning gives each step a name a reader can find.
The migrations are left out: a revision script is generated, then frozen once released.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grants", "cli", "workflows")
LIMIT = 60

# Functions still over the limit, each with the engineer splitting it. The list only shrinks: an
# entry that is gone, or now short enough, fails the test until it is taken out.
KNOWN_LONG: dict[str, str] = {}


def _functions() -> dict[str, int]:
    """Every function and method (nested ones too) by `path::qualified name`, with its length in lines."""
    found: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))

            def visit(node: ast.AST, prefix: str, relative: Path = relative) -> None:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                        name = f"{prefix}{child.name}"
                        if not isinstance(child, ast.ClassDef):
                            assert child.end_lineno is not None
                            found[f"{relative.as_posix()}::{name}"] = child.end_lineno - child.lineno + 1
                        visit(child, f"{name}.")
                    else:
                        visit(child, prefix)

            visit(tree, "")
    return found


def test_no_function_is_longer_than_a_screen() -> None:
    long = {name: lines for name, lines in _functions().items() if lines > LIMIT}
    unexpected = sorted(f"{name} ({lines} lines)" for name, lines in long.items() if name not in KNOWN_LONG)
    assert not unexpected, f"over {LIMIT} lines; split by meaning: " + ", ".join(unexpected)


def test_the_list_of_long_functions_only_shrinks() -> None:
    functions = _functions()
    stale = sorted(name for name in KNOWN_LONG if functions.get(name, 0) <= LIMIT)
    assert not stale, "no longer over the limit (or moved); take out of KNOWN_LONG: " + ", ".join(stale)
