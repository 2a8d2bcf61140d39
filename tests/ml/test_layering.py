"""The model layer stays free of Home Assistant."""

import ast
from pathlib import Path

ML_DIR = Path(__file__).parents[2] / "custom_components" / "foresight" / "ml"
ML_PACKAGE = "custom_components.foresight.ml"
IMPORT_CALLS = frozenset(("import_module", "__import__"))


def _package_of(path: Path) -> list[str]:
    """The dotted package a module of the ml directory lives in, as parts."""
    relative = path.relative_to(ML_DIR)
    return [*ML_PACKAGE.split("."), *relative.parent.parts]


def _imported_modules(source: str, package: list[str]) -> set[str]:
    """Absolute names of every module a module of ``package`` imports, relative ones resolved.

    ``from X import name`` adds ``X`` (and ``X.name`` when ``X`` is given only by dots,
    where ``name`` is usually a module); ``importlib.import_module("...")`` and
    ``__import__("...")`` with a literal name count as imports.
    """
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                names.add(node.module)
                continue
            assert node.level <= len(package), "a relative import above the top package"
            base = ".".join(package[: len(package) - node.level + 1])
            if node.module:
                names.add(f"{base}.{node.module}")
            else:
                names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            function = node.func
            called = (
                function.attr
                if isinstance(function, ast.Attribute)
                else function.id
                if isinstance(function, ast.Name)
                else None
            )
            if called in IMPORT_CALLS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
    return names


def _forbidden(name: str) -> bool:
    """Home Assistant, or any part of the integration outside its ml package."""

    def within(package: str) -> bool:
        return name == package or name.startswith(f"{package}.")

    return within("homeassistant") or (within("custom_components") and not within(ML_PACKAGE))


def test_ml_never_imports_home_assistant() -> None:
    """Neither Home Assistant nor the integration's HA-side modules, however imported."""
    files = sorted(ML_DIR.rglob("*.py"))
    assert files, "the ml package has no modules"
    offenders = {
        str(path.relative_to(ML_DIR)): sorted(
            name
            for name in _imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
            if _forbidden(name)
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_import_check_sees_relative_and_dynamic_imports() -> None:
    """The check itself: each line, in a module of ``ml.anomaly``, imports that module."""
    package = _package_of(ML_DIR / "anomaly" / "example.py")
    cases = {  # line: (module it imports, forbidden)
        "from custom_components.foresight import coordinator": (
            "custom_components.foresight",
            True,
        ),
        "from ...history import read": ("custom_components.foresight.history", True),
        "from ... import coordinator": ("custom_components.foresight.coordinator", True),
        "from .. import quality": ("custom_components.foresight.ml.quality", False),
        "from .robust import nan_quantile": (
            "custom_components.foresight.ml.anomaly.robust",
            False,
        ),
        "import homeassistant.core": ("homeassistant.core", True),
        'importlib.import_module("homeassistant.helpers")': ("homeassistant.helpers", True),
        '__import__("homeassistant")': ("homeassistant", True),
        'importlib.import_module("holidays")': ("holidays", False),
        "import homeassistant_extra": ("homeassistant_extra", False),
    }
    for line, (name, forbidden) in cases.items():
        assert name in _imported_modules(line, package), line
        assert _forbidden(name) is forbidden, line
    assert _package_of(ML_DIR / "__init__.py") == ML_PACKAGE.split(".")


def test_sklearn_switch_is_honoured() -> None:
    """The second run of scripts/test really runs without scikit-learn."""
    import os  # noqa: PLC0415

    from custom_components.foresight.ml.forecast.engines import (  # noqa: PLC0415
        sklearn_available,
    )

    blocked = os.environ.get("FORESIGHT_WITHOUT_SKLEARN") == "1"
    assert sklearn_available() is not blocked
