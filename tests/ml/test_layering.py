"""The model layer stays free of Home Assistant."""

import ast
from pathlib import Path

ML_DIR = Path(__file__).parents[2] / "custom_components" / "foresight" / "ml"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_ml_never_imports_home_assistant() -> None:
    files = sorted(ML_DIR.rglob("*.py"))
    assert files, "the ml package has no modules"
    offenders = {
        str(path.relative_to(ML_DIR)): sorted(
            name for name in _imported_modules(path) if name.split(".")[0] == "homeassistant"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_sklearn_switch_is_honoured() -> None:
    """The second run of scripts/test really runs without scikit-learn."""
    import os  # noqa: PLC0415

    from custom_components.foresight.ml.forecast.engines import (  # noqa: PLC0415
        sklearn_available,
    )

    blocked = os.environ.get("FORESIGHT_WITHOUT_SKLEARN") == "1"
    assert sklearn_available() is not blocked
