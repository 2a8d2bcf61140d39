"""The boosted trees as NumPy arrays: same predictions as scikit-learn, no scikit-learn import.

Home Assistant's process unpickles, loads and predicts with the fitted sklearn engine;
importing scikit-learn there would stall its event loop and cost about 100 MB.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import pickle
import pickletools
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings, dumps, train_forecaster
from custom_components.foresight.ml.forecast.engines import sklearn_boosting
from custom_components.foresight.ml.forecast.engines.trees import TreeEnsemble
from custom_components.foresight.ml.forecast.features import make_layout
from custom_components.foresight.ml.optional import sklearn_available
from custom_components.foresight.ml.synthetic import synthetic_home

pytestmark = pytest.mark.skipif(not sklearn_available(), reason="needs scikit-learn")

ROOT = Path(__file__).parents[2]
KEY = b"installation-secret"
TOLERANCE = 1e-9


def _rows_with_gaps(rng: np.random.Generator, count: int, columns: int) -> np.ndarray:
    rows = rng.normal(size=(count, columns))
    rows[rng.random(rows.shape) < 0.15] = np.nan
    return rows


def _regressor(**settings: object) -> object:
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415

    return HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=60, max_leaf_nodes=15, random_state=0, **settings
    )


def _inner_nodes(model: object) -> np.ndarray:
    nodes = np.concatenate([iteration[0].nodes for iteration in model._predictors])  # type: ignore[attr-defined]
    return nodes[nodes["is_leaf"] == 0]


def test_trees_predict_as_sklearn_with_missing_values_and_ties() -> None:
    rng = np.random.default_rng(3)
    train = _rows_with_gaps(rng, 3000, 6)
    # Missing values that carry signal, so that some splits send them right, some left.
    target = np.nan_to_num(train[:, 0], nan=3.0) - np.nan_to_num(train[:, 1], nan=-2.0)
    target += np.sin(3 * np.nan_to_num(train[:, 2])) + 0.1 * rng.normal(size=len(train))
    model = _regressor()
    model.fit(train, target)  # type: ignore[attr-defined]
    inner = _inner_nodes(model)
    assert set(inner["missing_go_to_left"].tolist()) == {0, 1}
    trees = TreeEnsemble.from_sklearn(model)
    assert 0 < trees.depth < 15
    rows = _rows_with_gaps(rng, 2000, 6)
    # Values exactly on thresholds go left (``<=``), infinities follow them like numbers.
    rows[:200, inner["feature_idx"][:200]] = inner["num_threshold"][:200]
    rows[200:210] = np.inf
    rows[210:220] = -np.inf
    rows[220:230] = np.nan
    expected = model.predict(rows)  # type: ignore[attr-defined]
    np.testing.assert_allclose(trees.predict(rows), expected, rtol=0, atol=TOLERANCE)
    # Also without missing values, which skip the NaN test.
    clean = np.nan_to_num(rows[230:], nan=0.5)
    expected_clean = model.predict(clean)  # type: ignore[attr-defined]
    np.testing.assert_allclose(trees.predict(clean), expected_clean, rtol=0, atol=TOLERANCE)


def test_trees_survive_their_stored_arrays() -> None:
    rng = np.random.default_rng(4)
    train = _rows_with_gaps(rng, 1000, 4)
    model = _regressor()
    model.fit(train, np.nan_to_num(train[:, 0]) + rng.normal(size=1000))  # type: ignore[attr-defined]
    trees = TreeEnsemble.from_sklearn(model)
    arrays = trees.arrays()
    assert all(values.dtype == np.float64 for values in arrays.values())
    meta = json.loads(json.dumps(trees.meta()))
    rows = _rows_with_gaps(rng, 300, 4)
    again = TreeEnsemble.from_arrays(meta, arrays)
    np.testing.assert_array_equal(again.predict(rows), trees.predict(rows))
    with pytest.raises(ValueError, match="columns"):
        trees.predict(rows[:, :3])
    damaged = dict(arrays, left=arrays["left"] + arrays["left"].shape[1])
    with pytest.raises(ValueError, match="out of range"):
        TreeEnsemble.from_arrays(meta, damaged)
    with pytest.raises(ValueError, match="out of range"):
        TreeEnsemble.from_arrays(dict(meta, columns=2), arrays)
    with pytest.raises(ValueError, match="missing"):
        TreeEnsemble.from_arrays(meta, {"value": arrays["value"]})


def test_categorical_splits_are_refused() -> None:
    rng = np.random.default_rng(5)
    train = np.column_stack([rng.integers(0, 5, 2000), rng.normal(size=2000)]).astype(float)
    model = _regressor(categorical_features=[0])
    model.fit(train, train[:, 0] * 2 + train[:, 1])  # type: ignore[attr-defined]
    assert np.any(_inner_nodes(model)["is_categorical"])
    with pytest.raises(ValueError, match="categorical"):
        TreeEnsemble.from_sklearn(model)


def test_engine_keeps_no_sklearn_model_and_predicts_as_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Compared with the fitted model before the engine drops it, on rows with NaNs."""
    fitted: list[object] = []
    export = TreeEnsemble.from_sklearn

    def keeping(model: object) -> TreeEnsemble:
        fitted.append(model)
        return export(model)

    monkeypatch.setattr(sklearn_boosting.TreeEnsemble, "from_sklearn", keeping)
    layout = make_layout(("outdoor_temp",), with_holidays=False, with_season=True)
    rng = np.random.default_rng(6)
    features = rng.normal(size=(3000, len(layout.names)))
    target = features @ rng.normal(size=features.shape[1]) + rng.normal(size=3000)
    engine = sklearn_boosting.BoostingEngine()
    engine.fit(features, target, layout)
    (model,) = fitted
    modules = {
        argument.split(".")[0]
        for _, argument, _ in pickletools.genops(pickle.dumps(engine))
        if isinstance(argument, str)
    }
    assert "sklearn" not in modules
    rows = _rows_with_gaps(rng, 500, features.shape[1])
    used = rows[:, engine._columns]
    trees = engine._trees
    assert trees is not None
    expected = model.predict(used)  # type: ignore[attr-defined]
    np.testing.assert_allclose(trees.predict(used), expected, rtol=0, atol=TOLERANCE)


# Foresight's package without its ``__init__`` (which imports Home Assistant), as the training
# process gets it: the claim under test is about Foresight's own load and predict path.
_CHILD = """
import json, pickle, sys, types
from pathlib import Path
for name, paths in {packages!r}:
    package = types.ModuleType(name)
    package.__path__ = paths
    sys.modules[name] = package
import pandas as pd
from custom_components.foresight.ml.forecast import loads
folder = Path({folder!r})
frame = pd.read_pickle(folder / "history.pkl")
issue = pd.Timestamp({issue!r})
unpickled = pickle.loads((folder / "forecaster.pkl").read_bytes())
loaded = loads((folder / "model.bin").read_bytes(), {key!r})
results = {{}}
for name, forecaster in (("unpickled", unpickled), ("loaded", loaded)):
    forecast = forecaster.predict(frame, issue, hours=24)
    results[name] = {{
        "p50": forecast.p50.tolist(),
        "sentence": forecast.explain(18, "kWh"),
    }}
results["sklearn_modules"] = sorted(name for name in sys.modules if name.startswith("sklearn"))
results["scipy_loaded"] = "scipy" in sys.modules
print(json.dumps(results))
"""


def test_home_assistant_process_never_imports_sklearn(tmp_path: Path) -> None:
    import custom_components  # noqa: PLC0415
    from custom_components import foresight  # noqa: PLC0415

    frame = synthetic_home(60, seed=12)
    settings = ForecastSettings(
        time_zone="Europe/Berlin",
        engine="sklearn",
        feature_columns=("outdoor_temp",),
        min_skill=-10,
    )
    forecaster = train_forecaster(frame, settings)
    assert forecaster.engine == "sklearn"
    assert forecaster.model is not None
    issue = frame.index[-1] + pd.Timedelta(hours=1)
    forecast = forecaster.predict(frame, issue, hours=24)
    frame.to_pickle(tmp_path / "history.pkl")
    (tmp_path / "forecaster.pkl").write_bytes(pickle.dumps(forecaster))
    (tmp_path / "model.bin").write_bytes(dumps(forecaster, KEY))
    packages = [
        (package.__name__, list(package.__path__)) for package in (custom_components, foresight)
    ]
    script = textwrap.dedent(_CHILD).format(
        packages=packages, folder=str(tmp_path), issue=str(issue), key=KEY
    )
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    completed = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert results["sklearn_modules"] == []
    assert not results["scipy_loaded"]
    for name in ("unpickled", "loaded"):
        np.testing.assert_array_equal(results[name]["p50"], forecast.p50)
        assert results[name]["sentence"] == forecast.explain(18, "kWh")
