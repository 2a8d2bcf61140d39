"""Stored forecasters: round trip, and refusal of anything damaged, foreign or outdated."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
import struct

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import (
    Forecaster,
    ForecastSettings,
    ModelFileError,
    dumps,
    loads,
    persistence,
    train_forecaster,
)
from custom_components.foresight.ml.synthetic import synthetic_home

from .engines import ENGINES

KEY = b"installation-secret"
FEATURES = ("outdoor_temp",)


@pytest.fixture(scope="module")
def home() -> pd.DataFrame:
    return synthetic_home(30, seed=11)


@pytest.fixture(scope="module", params=ENGINES)
def forecaster(request: pytest.FixtureRequest, home: pd.DataFrame) -> Forecaster:
    settings = ForecastSettings(
        time_zone="Europe/Paris", engine=request.param, feature_columns=FEATURES
    )
    return train_forecaster(home, settings)


def test_round_trip_gives_identical_forecasts(forecaster: Forecaster, home: pd.DataFrame) -> None:
    restored = loads(dumps(forecaster, KEY), KEY)
    issue = home.index[-1] + pd.Timedelta(hours=1)
    original, again = forecaster.predict(home, issue), restored.predict(home, issue)
    for name in ("p10", "p50", "p90", "baseline"):
        np.testing.assert_array_equal(getattr(again, name), getattr(original, name))
    assert restored.settings == forecaster.settings
    assert restored.backtest == forecaster.backtest
    assert (restored.engine, restored.serves_baseline, restored.baseline_name) == (
        forecaster.engine,
        forecaster.serves_baseline,
        forecaster.baseline_name,
    )
    assert restored.trained_until == forecaster.trained_until


def _payload(data: bytes) -> tuple[dict[str, object], bytes, bytes]:
    offset = len(persistence.MAGIC)
    (length,) = struct.unpack_from(">I", data, offset)
    header_bytes = data[offset + 4 : offset + 4 + length]
    return json.loads(header_bytes), header_bytes, data[offset + 4 + length + 32 :]


def _forge(header: dict[str, object], payload: bytes, key: bytes = KEY) -> bytes:
    header_bytes = json.dumps(header, sort_keys=True).encode()
    mac = hmac.new(key, header_bytes + payload, hashlib.sha256).digest()
    return persistence.MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + mac + payload


@pytest.mark.parametrize("engine", ENGINES)
def test_model_file_holds_no_pickle(engine: str, home: pd.DataFrame) -> None:
    settings = ForecastSettings(time_zone="UTC", engine=engine, min_skill=-10.0)  # type: ignore[arg-type]
    forecaster = train_forecaster(home, settings)
    assert forecaster.model is not None
    header, _, payload = _payload(dumps(forecaster, KEY))
    # Plain arrays only: loading needs neither scikit-learn nor its exact version.
    assert header["versions"] == persistence.library_versions("numpy")
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        assert "engine_blob" not in archive.files
        assert all(archive[name].dtype != object for name in archive.files)


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("unpickled an unchecked file")

    monkeypatch.setattr(pickle, "loads", refuse)


@pytest.mark.usefixtures("no_unpickling")
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "corrupt"),
        (lambda data: data[: len(persistence.MAGIC) + 2], "corrupt"),
        (lambda data: data[: len(persistence.MAGIC) + 10], "corrupt"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]), "corrupt"),
        (lambda data: b"PK\x03\x04" + data[4:], "foreign"),
        (lambda data: b"", "foreign"),
    ],
)
def test_damaged_files_are_refused(forecaster: Forecaster, damage: object, reason: str) -> None:
    with pytest.raises(ModelFileError) as raised:
        loads(damage(dumps(forecaster, KEY)), KEY)  # type: ignore[operator]
    assert raised.value.reason == reason


@pytest.mark.usefixtures("no_unpickling")
def test_file_written_with_another_key_is_foreign(forecaster: Forecaster) -> None:
    with pytest.raises(ModelFileError) as raised:
        loads(dumps(forecaster, b"someone else"), KEY)
    assert raised.value.reason == "foreign"
    assert "HMAC" in str(raised.value)


@pytest.mark.usefixtures("no_unpickling")
def test_other_library_versions_are_refused(
    forecaster: Forecaster, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = dumps(forecaster, KEY)
    real = persistence.library_versions

    def newer(engine: str) -> dict[str, str | None]:
        versions = real(engine)
        if versions["sklearn"] is not None:
            versions["sklearn"] = "99.0.0"
        versions["numpy"] = "9.9.0"
        return versions

    monkeypatch.setattr(persistence, "library_versions", newer)
    with pytest.raises(ModelFileError) as raised:
        loads(data, KEY)
    assert raised.value.reason == "version_mismatch"


def test_version_checks() -> None:
    current = {"python": "3.14.2", "numpy": "2.3.2", "sklearn": "1.9.1"}
    assert persistence._compatible(dict(current, python="3.14.9", numpy="2.3.5"), current) is None
    assert "python" in str(persistence._compatible(dict(current, python="3.13.1"), current))
    assert "scikit-learn" in str(persistence._compatible(dict(current, sklearn="1.9.2"), current))


@pytest.mark.usefixtures("no_unpickling")
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"format": persistence.FORMAT_VERSION + 1}, "version_mismatch"),
        ({"format": 1}, "version_mismatch"),
        ({"versions": "unknown"}, "corrupt"),
        ({"payload_length": 3}, "corrupt"),
    ],
)
def test_forged_headers_are_refused(
    forecaster: Forecaster, change: dict[str, object], reason: str
) -> None:
    header, _, payload = _payload(dumps(forecaster, KEY))
    header.update(change)
    with pytest.raises(ModelFileError) as raised:
        loads(_forge(header, payload), KEY)
    assert raised.value.reason == reason


@pytest.mark.usefixtures("no_unpickling")
def test_unreadable_header_is_corrupt(forecaster: Forecaster) -> None:
    data = dumps(forecaster, KEY)
    offset = len(persistence.MAGIC) + 4
    broken = data[:offset] + b"X" + data[offset + 1 :]
    with pytest.raises(ModelFileError) as raised:
        loads(broken, KEY)
    assert raised.value.reason == "corrupt"
    _, _, payload = _payload(data)
    not_object = persistence.MAGIC + struct.pack(">I", 2) + b"[]" + bytes(32) + payload
    with pytest.raises(ModelFileError, match="JSON object"):
        loads(not_object, KEY)


def test_authentic_but_unreadable_payload_is_corrupt(forecaster: Forecaster) -> None:
    header, _, _ = _payload(dumps(forecaster, KEY))
    payload = b"not an npz archive"
    header.update(payload_length=len(payload), payload_sha256=hashlib.sha256(payload).hexdigest())
    with pytest.raises(ModelFileError) as raised:
        loads(_forge(header, payload), KEY)
    assert raised.value.reason == "corrupt"


def test_baseline_serving_forecaster_round_trips(home: pd.DataFrame) -> None:
    forecaster = train_forecaster(
        home, ForecastSettings(time_zone="UTC", engine="numpy", min_skill=0.99)
    )
    restored = loads(dumps(forecaster, KEY), KEY)
    assert restored.serves_baseline
    assert restored.model is None
    issue = home.index[-1] + pd.Timedelta(hours=1)
    np.testing.assert_array_equal(
        restored.predict(home, issue).p50, forecaster.predict(home, issue).p50
    )
