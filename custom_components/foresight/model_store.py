"""Keep trained models under Home Assistant's .storage, and never trust a file blindly.

The forecaster is a binary file signed with a key that only this installation knows
(``ml.forecast.persistence`` checks the signature and the library versions before it reads
anything); the anomaly detector's online state is JSON in a regular Store. All file access
runs in the executor.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime
import logging
import os
from pathlib import Path
import secrets
import tempfile
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .ml.forecast import Forecaster, ModelFileError, dumps, loads
from .training_executor import training_executor

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
_KEY_CACHE: HassKey[bytes] = HassKey(f"{DOMAIN}_signing_key")
_KEY_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_signing_key_lock")
_ACKNOWLEDGED_ANOMALY = "acknowledged_anomaly"


@dataclass(frozen=True, slots=True)
class SavedState:
    """What a previous run left: the forecaster, and the JSON state of the rest."""

    forecaster: Forecaster | None
    detector: dict[str, Any] | None
    meta: dict[str, Any]
    watch: dict[str, Any] | None = None
    insight: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """What is kept in the JSON store (the forecaster has a file of its own)."""
        return {
            "detector": self.detector,
            "meta": self.meta,
            "watch": self.watch,
            "insight": self.insight,
        }


class ModelStore:
    """Saved models of one entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Name the files of one entry."""
        self._hass = hass
        self._model_path = Path(hass.config.path(".storage", DOMAIN, f"{entry_id}.model"))
        self._state_store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._save_failed = False
        # The JSON state as last saved: a detector update keeps the rest of it.
        self._json: dict[str, Any] = {}
        # The user's answer, not the models': a training that saves new models keeps it.
        self._acknowledged_anomaly: datetime | None = None
        self._save_pending = False
        self._closed = False

    async def _async_signing_key(self) -> bytes:
        """The installation's key, created on first use.

        Entries start together: without the lock each would create and save a key of its own,
        and all but the last would find their models "foreign" at the next start.
        """
        async with self._hass.data.setdefault(_KEY_LOCK, asyncio.Lock()):
            if (key := self._hass.data.get(_KEY_CACHE)) is not None:
                return key
            store: Store[dict[str, str]] = Store(
                self._hass, STORAGE_VERSION, f"{DOMAIN}.signing_key", private=True
            )
            stored = await store.async_load()
            if stored and isinstance(stored.get("key"), str):
                key = bytes.fromhex(stored["key"])
            else:
                key = secrets.token_bytes(32)
                await store.async_save({"key": key.hex()})
            self._hass.data[_KEY_CACHE] = key
            return key

    async def async_load(self) -> SavedState:
        """Load what was saved; anything unreadable is dropped (and said once)."""
        key = await self._async_signing_key()
        state = await self._state_store.async_load() or {}
        # On the training thread: twenty entries starting together must not unpickle twenty
        # models at once on Home Assistant's executor, all contending with the event loop.
        forecaster = await training_executor(self._hass).async_run(self._read_model, key)
        detector, meta, watch, insight = (
            state.get(name) for name in ("detector", "meta", "watch", "insight")
        )
        saved = SavedState(
            forecaster,
            detector if isinstance(detector, dict) else None,
            meta if isinstance(meta, dict) else {},
            watch if isinstance(watch, dict) else None,
            insight if isinstance(insight, dict) else None,
        )
        self._json = saved.as_json()
        acknowledged = state.get(_ACKNOWLEDGED_ANOMALY)
        self._acknowledged_anomaly = (
            dt_util.parse_datetime(acknowledged) if isinstance(acknowledged, str) else None
        )
        return saved

    @property
    def acknowledged_anomaly(self) -> datetime | None:
        """The start of the anomaly the user chose to keep watching (not asked about again)."""
        return self._acknowledged_anomaly

    @callback
    def async_acknowledge_anomaly(self, since: datetime | None) -> None:
        """Remember the anomaly the user chose to keep watching, across restarts."""
        self._acknowledged_anomaly = since
        self._async_save_later()

    def _state_json(self) -> dict[str, Any]:
        acknowledged = self._acknowledged_anomaly
        return {
            **self._json,
            _ACKNOWLEDGED_ANOMALY: acknowledged.isoformat() if acknowledged else None,
        }

    def _read_model(self, key: bytes) -> Forecaster | None:
        try:
            data = self._model_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            _LOGGER.warning(
                "Cannot read saved model %s (%s); it will be retrained", self._model_path, err
            )
            return None
        try:
            return loads(data, key)
        except ModelFileError as err:
            _LOGGER.warning(
                "Saved model %s was not loaded (%s); it will be retrained",
                self._model_path,
                err.reason,
            )
            return None

    async def async_save(self, saved: SavedState) -> bool:
        """Save; a full or read-only disk is logged once and the models stay in memory."""
        key = await self._async_signing_key()
        self._json = saved.as_json()
        # Saving cancels a delayed save, whose state is in this one.
        self._save_pending = False
        try:
            if saved.forecaster is not None:
                await self._hass.async_add_executor_job(self._write_model, saved.forecaster, key)
            await self._state_store.async_save(self._state_json())
        except OSError as err:
            if not self._save_failed:
                _LOGGER.error("Cannot save the model in %s: %s", self._model_path.parent, err)
            self._save_failed = True
            return False
        self._save_failed = False
        return True

    def async_save_detector_later(
        self, detector: dict[str, Any] | None, meta: dict[str, Any]
    ) -> None:
        """Save the detector's online state soon, batching frequent updates."""
        self._json = {**self._json, "detector": detector, "meta": meta}
        self._async_save_later()

    @callback
    def _async_save_later(self) -> None:
        if self._closed:
            # A refresh that finished as the entry unloaded: the next set-up scores it again;
            # written now, it would outlive a removal or overwrite what the next set-up saves.
            return
        self._save_pending = True
        self._state_store.async_delay_save(self._pending_json, 60)

    def _pending_json(self) -> dict[str, Any]:
        self._save_pending = False
        return self._state_json()

    async def async_close(self) -> None:
        """Write a pending delayed save now, and delay no more (the entry unloads).

        Left pending, the delayed save would write the file a minute later: after a removal
        deleted it, or over what the reloaded entry saved since. Saving now cancels it.
        """
        self._closed = True
        if not self._save_pending:
            return
        self._save_pending = False
        try:
            await self._state_store.async_save(self._state_json())
        except OSError as err:
            _LOGGER.warning("Cannot save the anomaly state in %s: %s", self._model_path.parent, err)

    def _write_model(self, forecaster: Forecaster, key: bytes) -> None:
        data = dumps(forecaster, key)
        self._model_path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the file and rename, so a crash never leaves half a model behind.
        handle, temporary = tempfile.mkstemp(dir=self._model_path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            Path(temporary).replace(self._model_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def async_remove(self) -> None:
        """Delete the entry's files (when the entry is removed)."""
        await self._state_store.async_remove()
        await self._hass.async_add_executor_job(self._model_path.unlink, True)
