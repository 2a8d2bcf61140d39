"""Save and load trained forecasters as authenticated bytes.

Layout: ``MAGIC``, a 4-byte big-endian header length, the JSON header (format version,
library versions, payload length and SHA-256), a 32-byte HMAC-SHA256 of header and payload
under the caller's key, then the payload. The payload is an ``np.savez`` archive of plain
arrays read with ``allow_pickle=False``. No engine pickles its state; an engine that ever
returned bytes would have them unpickled only after the checksum, the HMAC and the library
versions were all checked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import importlib.metadata
import io
import json
import platform
import struct
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from .backtest import BacktestResult
from .engines import engine_from_state
from .errors import ModelFileError
from .features import FeatureLayout, FillValues
from .forecaster import Forecaster
from .intervals import IntervalCalibration
from .settings import ForecastSettings

type FloatArray = npt.NDArray[np.float64]

MAGIC: Final = b"FORESIGHT-FORECAST\x00"
#: 2: twelve recent-level columns (robust and issue-time levels); older files are retrained.
#: 3: the sklearn engine blends its trees with a ridge (its state holds both) and the trees
#: see a weekday copy in the recent-level group; older files are retrained.
#: 4: the sklearn engine stores its trees as plain arrays instead of a pickled scikit-learn
#: model (loading and predicting no longer import scikit-learn); older files are retrained.
#: 5: four "away" recent-level columns and a copy of the hour in the season group (the
#: ridge interacts the season with the time of day); older files are retrained.
#: 6: the ridge fits a log scale of the target and levels (its state holds the scale);
#: older files are retrained.
#: 7: the home's location in the settings, the hour's darkness in the season group and
#: copies of the season in the recent-level group; older files are retrained.
FORMAT_VERSION: Final = 7
_LENGTH = struct.Struct(">I")
_DIGEST_SIZE = hashlib.sha256().digest_size


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def library_versions(engine: str) -> dict[str, str | None]:
    """Versions that must match for a stored model to load (sklearn only if used)."""
    sklearn = importlib.metadata.version("scikit-learn") if engine == "sklearn" else None
    return {"python": platform.python_version(), "numpy": np.__version__, "sklearn": sklearn}


def _compatible(stored: dict[str, Any], current: dict[str, str | None]) -> str | None:
    """Why stored versions cannot be loaded, or None when they can.

    Plain arrays survive NumPy and Python patch releases; pickled scikit-learn models do not
    promise to survive any scikit-learn release, so that one must match exactly.
    """
    for name in ("python", "numpy"):
        if _major_minor(str(stored.get(name))) != _major_minor(str(current[name])):
            return f"{name} {stored.get(name)} != {current[name]}"
    if stored.get("sklearn") != current["sklearn"]:
        return f"scikit-learn {stored.get('sklearn')} != {current['sklearn']}"
    return None


def _state(forecaster: Forecaster) -> tuple[dict[str, Any], dict[str, FloatArray], bytes | None]:
    calibration = forecaster.calibration
    meta: dict[str, Any] = {
        "settings": dataclasses.asdict(forecaster.settings),
        "engine": forecaster.engine,
        "serves_baseline": forecaster.serves_baseline,
        "baseline_name": forecaster.baseline_name,
        "backtest": dataclasses.asdict(forecaster.backtest),
        "trained_until": forecaster.trained_until.isoformat(),
        "groups": [[group, list(columns)] for group, columns in forecaster.layout.groups],
        "exogenous": list(forecaster.layout.exogenous),
        "fills": {"target": forecaster.fills.target, "features": forecaster.fills.features},
        "non_negative": calibration.non_negative,
        "engine_meta": None,
    }
    arrays = {
        "calibration:edges": calibration.edges,
        "calibration:lower": calibration.lower,
        "calibration:upper": calibration.upper,
    }
    blob = None
    if forecaster.model is not None:
        engine_meta, engine_arrays, blob = forecaster.model.get_state()
        meta["engine_meta"] = engine_meta
        arrays.update({f"engine:{name}": values for name, values in engine_arrays.items()})
    return meta, arrays, blob


def dumps(forecaster: Forecaster, key: bytes) -> bytes:
    """Serialise a forecaster, authenticated with ``key``.

    Args:
        forecaster: Trained forecaster.
        key: Secret key of this installation (HMAC-SHA256).

    Returns:
        Bytes to store; :func:`loads` reads them back.
    """
    meta, arrays, blob = _state(forecaster)
    buffer = io.BytesIO()
    contents: dict[str, npt.NDArray[Any]] = {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    }
    contents.update(arrays)
    if blob is not None:
        contents["engine_blob"] = np.frombuffer(blob, dtype=np.uint8)
    np.savez(buffer, allow_pickle=False, **contents)
    payload = buffer.getvalue()
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "engine": forecaster.engine,
            "versions": library_versions(forecaster.engine if blob is not None else "numpy"),
            "payload_length": len(payload),
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
        },
        sort_keys=True,
    ).encode()
    mac = hmac.new(key, header + payload, hashlib.sha256).digest()
    return MAGIC + _LENGTH.pack(len(header)) + header + mac + payload


def _split(data: bytes) -> tuple[bytes, dict[str, Any], bytes, bytes]:
    """Header bytes, parsed header, HMAC and payload; checks only the structure."""
    if not data.startswith(MAGIC):
        raise ModelFileError("foreign", "not a Foresight forecast model file")
    offset = len(MAGIC)
    if len(data) < offset + _LENGTH.size:
        raise ModelFileError("corrupt", "file ends inside the header")
    (length,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    header_bytes = data[offset : offset + length]
    mac = data[offset + length : offset + length + _DIGEST_SIZE]
    payload = data[offset + length + _DIGEST_SIZE :]
    if len(header_bytes) < length or len(mac) < _DIGEST_SIZE:
        raise ModelFileError("corrupt", "file ends inside the header")
    try:
        header = json.loads(header_bytes)
    except ValueError as err:
        raise ModelFileError("corrupt", "header is not valid JSON") from err
    if not isinstance(header, dict):
        raise ModelFileError("corrupt", "header is not a JSON object")
    return header_bytes, header, mac, payload


def loads(data: bytes, key: bytes) -> Forecaster:
    """Load a forecaster written by :func:`dumps` with the same key.

    Raises:
        ModelFileError: ``reason`` says why: ``"corrupt"`` (damaged or truncated),
            ``"foreign"`` (bad magic or HMAC: not written by Foresight with this key) or
            ``"version_mismatch"`` (other format or library versions). Nothing is unpickled
            before all checks pass.
    """
    header_bytes, header, mac, payload = _split(data)
    if header.get("payload_length") != len(payload):
        raise ModelFileError("corrupt", "payload length does not match the header")
    if header.get("payload_sha256") != hashlib.sha256(payload).hexdigest():
        raise ModelFileError("corrupt", "payload checksum does not match")
    expected = hmac.new(key, header_bytes + payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise ModelFileError("foreign", "HMAC does not match: written with another key")
    if header.get("format") != FORMAT_VERSION:
        raise ModelFileError("version_mismatch", f"format {header.get('format')}")
    versions = header.get("versions")
    engine = str(header.get("engine"))
    if not isinstance(versions, dict):
        raise ModelFileError("corrupt", "header has no library versions")
    current = library_versions(engine if versions.get("sklearn") is not None else "numpy")
    reason = _compatible(versions, current)
    if reason is not None:
        raise ModelFileError("version_mismatch", reason)
    try:
        return _from_payload(payload)
    except (ValueError, KeyError, TypeError, OSError) as err:
        raise ModelFileError("corrupt", f"payload cannot be read: {err}") from err


def _from_payload(payload: bytes) -> Forecaster:
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        stored = {name: archive[name] for name in archive.files}
    meta = json.loads(stored.pop("meta").tobytes())
    blob_array = stored.pop("engine_blob", None)
    blob = None if blob_array is None else blob_array.tobytes()
    settings_fields = dict(meta["settings"])
    settings_fields["feature_columns"] = tuple(settings_fields["feature_columns"])
    settings_fields["forecast_columns"] = tuple(settings_fields.get("forecast_columns", ()))
    layout = FeatureLayout(
        groups=tuple((str(group), tuple(columns)) for group, columns in meta["groups"]),
        exogenous=tuple(meta["exogenous"]),
    )
    model = None
    if meta["engine_meta"] is not None:
        engine_arrays = {
            name.removeprefix("engine:"): values
            for name, values in stored.items()
            if name.startswith("engine:")
        }
        model = engine_from_state(meta["engine"], meta["engine_meta"], engine_arrays, blob)
    return Forecaster(
        settings=ForecastSettings(**settings_fields),
        engine=meta["engine"],
        serves_baseline=meta["serves_baseline"],
        baseline_name=meta["baseline_name"],
        backtest=BacktestResult(**meta["backtest"]),
        trained_until=pd.Timestamp(meta["trained_until"]),
        layout=layout,
        fills=FillValues(
            target=float(meta["fills"]["target"]), features=dict(meta["fills"]["features"])
        ),
        calibration=IntervalCalibration(
            edges=stored["calibration:edges"],
            lower=stored["calibration:lower"],
            upper=stored["calibration:upper"],
            non_negative=bool(meta["non_negative"]),
        ),
        model=model,
    )
