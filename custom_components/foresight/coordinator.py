"""Coordinators of a Foresight entry, and the entry's typed runtime data.

Two coordinators own the timing: ``TrainingCoordinator`` fits the models (at first set-up,
daily at the configured local time, and on demand), ``PredictionCoordinator`` forecasts and
scores anomalies every hour and soon after the target reports a new value. Entities listen to
the prediction coordinator only.
"""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_FRIENDLY_NAME
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.entity import get_device_class
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from . import repairs
from .const import (
    DOMAIN,
    MAX_WARNING_HOURS,
    PREDICTION_HISTORY,
    PREDICTION_INTERVAL,
    SAMPLES_PREDICTION,
    SAMPLES_TRAINING,
    TARGET_CHANGE_COOLDOWN,
)
from .history import (
    EntitySpec,
    ExcludedPeriod,
    HistoryRequest,
    HistoryResult,
    async_read_history,
    can_convert,
    entity_spec,
)
from .ml.anomaly import judges_readings
from .model_store import ModelStore, SavedState
from .options import EntrySettings
from .prediction import PredictionInputs, Samples, Snapshot, predict
from .samples import async_read_samples
from .sources import (
    async_calendar_periods,
    async_weather_temperatures,
    feature_unit,
    temperature_feature,
)
from .training import (
    FitSettings,
    Models,
    continue_models,
    fit_models,
    models_meta,
    restore_models,
)
from .training_executor import COLLECTION_PAUSE, TrainingStoppedError, training_executor

_LOGGER = logging.getLogger(__name__)

# One training at a time across all entries: each is single-threaded, so the rest of the
# machine keeps a core, and twenty entries do not fit twenty models at once.
TRAINING_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_training_lock")
# One entry at a time keeps Home Assistant's threads busy: restoring a model, reading the
# recorder, predicting, adding entities. The event loop shares the GIL with those threads,
# and every extra busy one lengthens its waits: twenty entries starting together stalled
# it 25-90 ms (python -m bench.entries). Fits run elsewhere and do not take it.
BUSY_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_busy_lock")


def busy_lock(hass: HomeAssistant) -> asyncio.Lock:
    """The lock an entry holds while it keeps Home Assistant's threads busy."""
    return hass.data.setdefault(BUSY_LOCK, asyncio.Lock())


ENERGY_LIKE = {"energy", "power", "gas", "water", "volume", "volume_flow_rate"}


@dataclass
class ForesightRuntimeData:
    """What a loaded entry keeps while it runs."""

    settings: EntrySettings
    store: ModelStore
    training: TrainingCoordinator
    predictions: PredictionCoordinator
    # Serialises everything that touches the anomaly detector's online state.
    detector_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


type ForesightConfigEntry = ConfigEntry[ForesightRuntimeData]


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class _EntryCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator of one entry, reading the entry's current settings."""

    config_entry: ForesightConfigEntry

    @property
    def settings(self) -> EntrySettings:
        """The entry's current settings (feedback can add excluded periods to them)."""
        return self.config_entry.runtime_data.settings

    def _is_current(self) -> bool:
        """Whether the entry still runs on this coordinator (a reload creates another)."""
        entry = self.config_entry
        if entry.state not in (ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.LOADED):
            return False
        # Unloading deletes the runtime data; the next set-up stores new runtime data.
        runtime_data: ForesightRuntimeData | None = getattr(entry, "runtime_data", None)
        return runtime_data is not None and (
            runtime_data.training is self or runtime_data.predictions is self
        )

    async def _async_read_history(self, request: HistoryRequest) -> HistoryResult:
        """Read history; a recorder that fails or times out is a failed update, not a crash."""
        try:
            return await async_read_history(self.hass, request)
        except Exception as err:
            raise _read_failed(err) from err

    async def _async_read_samples(
        self,
        target: EntitySpec,
        start: datetime,
        end: datetime,
        features: tuple[EntitySpec, ...],
    ) -> Samples:
        """Read readings as they came; like the history, a failed read fails the update."""
        try:
            return await async_read_samples(self.hass, target, start, end, features)
        except Exception as err:
            raise _read_failed(err) from err


def _read_failed(err: Exception) -> UpdateFailed:
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="history_unavailable",
        translation_placeholders={"error": str(err)},
    )


class TrainingCoordinator(_EntryCoordinator[Models | None]):
    """Fits an entry's models; a restart restores the saved ones instead of refitting."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ForesightConfigEntry,
        settings: EntrySettings,
        store: ModelStore,
    ) -> None:
        """Create the coordinator; it trains when refreshed and daily at the retrain time."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"Foresight training of {settings.target}",
            update_interval=None,
            always_update=True,
        )
        self._store = store
        self._restored: Models | None = None
        # What the last saved training found, even when its models cannot be restored.
        self._saved_energy_like: bool | None = None
        retrain = settings.retrain_time
        entry.async_on_unload(
            async_track_time_change(
                hass,
                self._async_scheduled_training,
                hour=retrain.hour,
                minute=retrain.minute,
                second=retrain.second,
            )
        )

    async def _async_setup(self) -> None:
        """Restore saved models so that a restart shows forecasts at once."""
        # On the training thread, like reading the model: at start-up Home Assistant's
        # executor is busy enough without twenty entries unpickling their models on it at once.
        executor = training_executor(self.hass)
        try:
            async with busy_lock(self.hass):
                saved = await self._store.async_load()
                if isinstance(energy_like := saved.meta.get("energy_like"), bool):
                    self._saved_energy_like = energy_like
                self._restored = await executor.async_run(
                    restore_models, saved, self.settings.training_fingerprint()
                )
        except TrainingStoppedError:
            self._restored = None

    async def _async_scheduled_training(self, _now: datetime) -> None:
        await self.async_refresh()

    async def _async_update_data(self) -> Models | None:
        if self._restored is not None:
            models, self._restored = self._restored, None
            _LOGGER.debug("Restored the saved model of %s", self.settings.target)
            # Issues do not survive a restart; a restored model may still call for one.
            repairs.async_update_training_issues(self.hass, self.config_entry, models)
            return models
        return await self._async_train()

    async def _async_train(self) -> Models | None:
        # Reading too waits its turn: twenty entries must not load twenty histories at once.
        async with self.hass.data.setdefault(TRAINING_LOCK, asyncio.Lock()):
            # A reload (new options, say) may have replaced this coordinator meanwhile.
            if not self._is_current():
                return self.data
            entry_settings = self.settings
            # What the models are fitted with, even if feedback changes the settings meanwhile.
            fingerprint = entry_settings.training_fingerprint()
            feature_units = {f: entity_spec(self.hass, f).unit for f in entry_settings.features}
            settings = self._fit_settings(entry_settings)
            samples = None
            # Years of rows become a row object each, live for a moment, and are freed by
            # reference counting; with collection running, those alive at a young collection
            # were promoted, and Home Assistant's recorder thread set off a full collection
            # that stalled the event loop 200 ms (python -m bench.entries).
            async with busy_lock(self.hass):
                with COLLECTION_PAUSE:
                    history = await self._async_read_training_history(entry_settings)
                    if settings.watch_horizon_hours is not None:
                        end = dt_util.utcnow()
                        samples = await self._async_read_samples(
                            entity_spec(self.hass, entry_settings.target),
                            end - SAMPLES_TRAINING,
                            end,
                            tuple(entity_spec(self.hass, f) for f in entry_settings.features),
                        )
            executor = training_executor(self.hass)
            try:
                models = await executor.async_fit(
                    fit_models, history.frame, history.quality, settings, samples
                )
            except TrainingStoppedError:
                _LOGGER.debug("Training of %s stopped: Home Assistant is stopping", self.name)
                return self.data
        if not self._is_current():
            # Unloaded or reloaded (new options, say) during the fit: these models fit the old
            # settings, and saved as the entry's they would be restored as current at a start.
            _LOGGER.debug("%s dropped: the entry was unloaded during the fit", self.name)
            return self.data
        models.fingerprint = fingerprint
        models.feature_units = feature_units
        repairs.async_update_training_issues(self.hass, self.config_entry, models)
        # Held until the new models are returned: scoring or feedback in between would act
        # on the models being replaced (the coordinator publishes these without awaiting).
        async with self.config_entry.runtime_data.detector_lock:
            await self.hass.async_add_executor_job(continue_models, models, self.data)
            if models.forecaster is not None:
                state, watch = await self.hass.async_add_executor_job(_json_states, models)
                await self._store.async_save(
                    SavedState(models.forecaster, state, models_meta(models), watch, models.insight)
                )
        return models

    async def _async_read_training_history(self, settings: EntrySettings) -> HistoryResult:
        end = _hour_floor(dt_util.utcnow())
        start = end - timedelta(days=settings.training_days)
        excluded = tuple(
            ExcludedPeriod(period.start, period.end) for period in settings.excluded_periods
        )
        if settings.calendar:
            excluded += await async_calendar_periods(self.hass, settings.calendar, start, end)
        request = HistoryRequest(
            target=entity_spec(self.hass, settings.target),
            start=start,
            end=end,
            features=tuple(entity_spec(self.hass, f) for f in settings.features),
            excluded_periods=excluded,
        )
        return await self._async_read_history(request)

    def _fit_settings(self, settings: EntrySettings) -> FitSettings:
        energy = is_energy_like(self.hass, settings.target)
        if energy is None:
            # Nothing tells yet (a start-up before the target's integration is ready): what the
            # last training found still holds; an entry never trained is taken for energy.
            last = self.data.energy_like if self.data is not None else self._saved_energy_like
            energy = last is not False
        watch_horizon = None
        if not energy or settings.threshold is not None:
            warning = settings.threshold.warning_hours if settings.threshold else 0
            watch_horizon = min(max(settings.horizon_hours, warning), MAX_WARNING_HOURS)
        return FitSettings(
            time_zone=str(self.hass.config.time_zone),
            country=self.hass.config.country,
            engine=settings.engine,
            horizon_hours=settings.horizon_hours,
            feature_columns=settings.features,
            sensitivity=settings.sensitivity,
            energy_like=energy,
            watch_horizon_hours=watch_horizon,
            unit=entity_spec(self.hass, settings.target).unit or "",
            temperature_column=temperature_feature(self.hass, settings.features),
            weather_forecast=settings.weather is not None,
            latitude=self.hass.config.latitude,
            longitude=self.hass.config.longitude,
        )


def is_energy_like(hass: HomeAssistant, entity_id: str) -> bool | None:
    """Energy, power, gas and water get hourly day-ahead forecasts; other sensors a watch.

    None when the entity has neither a state nor an entity registry entry, as at start-up
    before its integration has set it up; then nothing tells what it measures.
    """
    try:
        # The state, or else the registry's record of the entity, which survives restarts.
        device_class = get_device_class(hass, entity_id)
    except HomeAssistantError:
        return None
    return device_class in ENERGY_LIKE or device_class is None


def _json_states(models: Models) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The detector's and the sensor forecaster's saved state: thousands of floats each."""
    detector = models.detector.to_dict() if models.detector is not None else None
    watch = models.watch.to_dict() if models.watch is not None else None
    return detector, watch


class PredictionCoordinator(_EntryCoordinator[Snapshot]):
    """Forecasts each hour, and scores anomalies soon after the target reports."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ForesightConfigEntry,
        settings: EntrySettings,
        training: TrainingCoordinator,
        store: ModelStore,
    ) -> None:
        """Create the coordinator and follow the target and the trainings."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"Foresight predictions of {settings.target}",
            update_interval=PREDICTION_INTERVAL,
            request_refresh_debouncer=Debouncer(
                hass, _LOGGER, cooldown=TARGET_CHANGE_COOLDOWN, immediate=False
            ),
        )
        self.training = training
        self._store = store
        # The unit of the snapshot's values: the one the models were trained in.
        self.unit: str | None = None
        entry.async_on_unload(training.async_add_listener(self._on_trained))
        entry.async_on_unload(
            async_track_state_change_event(hass, [settings.target], self._on_target_changed)
        )

    @callback
    def _on_trained(self) -> None:
        if self.data is not None:  # the first refresh happens in set-up
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} refresh after training"
            )

    @callback
    def _on_target_changed(self, _event: Event[EventStateChangedData]) -> None:
        self.hass.async_create_task(self.async_request_refresh(), eager_start=True)

    async def _async_update_data(self) -> Snapshot:
        # A refresh while Home Assistant stops (after a training it gave up, say) must not
        # read from a recorder that is shutting down.
        if self.hass.is_stopping and self.data is not None:
            return self.data
        now = dt_util.utcnow()
        models = self.training.data
        repairs.async_update_entity_issues(self.hass, self.config_entry, self.settings)
        if models is None:
            self.unit = entity_spec(self.hass, self.settings.target).unit
            return Snapshot(issued_at=now)
        # The models keep working in the units they were trained in until the next training,
        # whatever unit the user has given a sensor since (Wh instead of kWh, °F for °C).
        specs = self._specs_in_trained_units(models)
        if specs is None:
            self.config_entry.async_create_background_task(
                self.hass, self.training.async_request_refresh(), f"{DOMAIN} retrain for unit"
            )
            return Snapshot(issued_at=now)
        async with busy_lock(self.hass):
            snapshot, detector_state = await self._async_predict(now, models, *specs)
        if not self._is_current():
            # Unloaded meanwhile: its repairs were cleared and its store closed for good.
            return snapshot
        self._store.async_save_detector_later(detector_state, models_meta(models))
        repairs.async_update_anomaly_issue(self.hass, self.config_entry, snapshot)
        self.unit = specs[0].unit
        return snapshot

    def _specs_in_trained_units(
        self, models: Models
    ) -> tuple[EntitySpec, tuple[EntitySpec, ...]] | None:
        """The target and features, each asked for in the unit the models learnt it in.

        None when a sensor now has a unit of another kind (m³ instead of kWh): its values
        cannot be read in the models' unit, and fed to them they would forecast nonsense and
        raise false alarms, so the entry retrains instead.
        """
        trained = {self.settings.target: models.quality.unit, **models.feature_units}
        specs = []
        for entity_id in (self.settings.target, *self.settings.features):
            spec = entity_spec(self.hass, entity_id)
            unit = trained.get(entity_id) or spec.unit
            if spec.unit is not None and not can_convert(spec.unit, unit):
                _LOGGER.info("%s is now in %s, not %s: retraining", entity_id, spec.unit, unit)
                return None
            specs.append(replace(spec, unit=unit))
        return specs[0], tuple(specs[1:])

    async def _async_predict(
        self,
        now: datetime,
        models: Models,
        target: EntitySpec,
        features: tuple[EntitySpec, ...],
    ) -> tuple[Snapshot, dict[str, Any] | None]:
        end = _hour_floor(now)
        request = HistoryRequest(
            target=target, start=end - PREDICTION_HISTORY, end=end, features=features
        )
        history = await self._async_read_history(request)
        inputs = await self._async_prediction_inputs(now, target.unit, features)
        samples = None
        if models.watch is not None or judges_readings(models.detector):
            samples = await self._async_read_samples(
                request.target, now - SAMPLES_PREDICTION, now, request.features
            )
        async with self.config_entry.runtime_data.detector_lock:
            return await self.hass.async_add_executor_job(
                predict, models, history.frame, inputs, samples
            )

    async def _async_prediction_inputs(
        self, now: datetime, unit: str | None, features: tuple[EntitySpec, ...] = ()
    ) -> PredictionInputs:
        labels = {}
        for feature in self.settings.features:
            feature_state = self.hass.states.get(feature)
            if feature_state is not None:
                labels[feature] = str(feature_state.attributes.get(ATTR_FRIENDLY_NAME, feature))
        column = temperature_feature(self.hass, self.settings.features)
        rows = []
        if self.settings.weather and column:
            # The weather's forecast comes in the unit the temperature was learnt in.
            learnt = {spec.entity_id: spec.unit for spec in features}
            temperature_unit = learnt.get(column) or feature_unit(self.hass, column)
            rows = await async_weather_temperatures(
                self.hass, self.settings.weather, temperature_unit
            )
        return PredictionInputs(
            now=now,
            unit=unit or "",
            horizon_hours=self.settings.horizon_hours,
            labels=labels,
            future_column=column,
            future_rows=rows,
            threshold=self.settings.threshold,
        )
