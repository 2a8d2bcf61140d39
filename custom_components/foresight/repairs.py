"""Repairs: what is wrong with an entry, said in the UI, with a fix where one exists."""

from datetime import timedelta
import math
from typing import TYPE_CHECKING, Any

from homeassistant.components.recorder.entity_options import is_entity_recorded
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant, callback, split_entity_id
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig
from homeassistant.util import dt as dt_util
import probatio

from .const import (
    CONF_CALENDAR_ENTITY,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    CONF_WEATHER_ENTITY,
    DOMAIN,
    SILENT_AFTER,
    SUSTAINED_ANOMALY,
)

if TYPE_CHECKING:
    from .coordinator import ForesightConfigEntry
    from .options import EntrySettings
    from .prediction import Snapshot
    from .training import Models

NOT_ENOUGH_HISTORY = "not_enough_history"
SERVING_BASELINE = "serving_baseline"
NO_RECENT_DATA = "no_recent_data"
SKLEARN_UNAVAILABLE = "sklearn_unavailable"
MISSING_ENTITY = "missing_entity"
NOT_RECORDED = "not_recorded"
SUSTAINED = "sustained_anomaly"
CHOICE_NORMAL = "mark_normal"
CHOICE_KEEP_WATCHING = "keep_watching"


def _issue_id(kind: str, entry: ForesightConfigEntry, suffix: str = "") -> str:
    return f"{kind}_{entry.entry_id}{'_' + suffix if suffix else ''}"


def _set_issue(
    hass: HomeAssistant,
    active: bool,
    kind: str,
    entry: ForesightConfigEntry,
    *,
    suffix: str = "",
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    is_fixable: bool = False,
    placeholders: dict[str, str] | None = None,
    data: dict[str, str | int | float | None] | None = None,
) -> None:
    """Raise the issue while its cause holds; delete it once the cause is gone."""
    issue_id = _issue_id(kind, entry, suffix)
    if not active:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=is_fixable,
        severity=severity,
        translation_key=kind,
        translation_placeholders={"entry": entry.title, **(placeholders or {})},
        data={"entry_id": entry.entry_id, **(data or {})},
    )


@callback
def async_update_training_issues(
    hass: HomeAssistant, entry: ForesightConfigEntry, models: Models
) -> None:
    """Issues that follow from a training: too little history, a weak model, no sklearn."""
    available = models.quality.hours_usable
    needed = models.hours_needed or 0
    ready = dt_util.now() + timedelta(hours=max(needed - available, 0))
    _set_issue(
        hass,
        models.hours_needed is not None,
        NOT_ENOUGH_HISTORY,
        entry,
        placeholders={
            "hours_available": str(available),
            "hours_needed": str(needed),
            "ready_date": ready.date().isoformat(),
        },
    )
    last_data = models.quality.last_timestamp
    silent = (
        models.trained_at is not None
        and last_data is not None
        and models.trained_at - last_data > SILENT_AFTER
    )
    _set_issue(
        hass,
        silent,
        NO_RECENT_DATA,
        entry,
        placeholders={
            "entity_id": entry.data[CONF_TARGET_ENTITY],
            "last_data": dt_util.as_local(last_data).date().isoformat() if last_data else "",
        },
    )
    # The forecaster the entity shows: for other sensors than energy, the sensor-paced one.
    # A model with nothing recent to be judged on (skill unknown) is not a weak model.
    forecaster = models.serving
    _set_issue(
        hass,
        forecaster is not None
        and forecaster.serves_baseline
        and math.isfinite(forecaster.backtest.skill),
        SERVING_BASELINE,
        entry,
        placeholders={
            "baseline": forecaster.baseline_name if forecaster else "",
            "skill": f"{100 * forecaster.backtest.skill:.0f}" if forecaster else "",
        },
    )
    _set_issue(
        hass, models.sklearn_missing, SKLEARN_UNAVAILABLE, entry, severity=ir.IssueSeverity.WARNING
    )


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of an entry that is unloaded or removed (set-up raises them again)."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and entry_id in issue_id:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_update_entity_issues(
    hass: HomeAssistant, entry: ForesightConfigEntry, settings: EntrySettings
) -> None:
    """Issues per configured entity: gone (with a fix flow to replace it), or not recorded."""
    registry = er.async_get(hass)
    # Until Home Assistant has started, an entity without a unique id (a YAML or template
    # sensor) has no state only because its platform has not loaded yet.
    started = hass.state is CoreState.running
    sensors = (settings.target, *settings.features)
    # The weather and the calendar are read through their actions, not from the recorder.
    others = tuple(entity_id for entity_id in (settings.weather, settings.calendar) if entity_id)
    for entity_id in (*sensors, *others):
        missing = (
            started and hass.states.get(entity_id) is None and registry.async_get(entity_id) is None
        )
        _set_issue(
            hass,
            not missing and entity_id in sensors and not is_entity_recorded(hass, entity_id),
            NOT_RECORDED,
            entry,
            suffix=entity_id,
            severity=ir.IssueSeverity.ERROR,
            placeholders={"entity_id": entity_id},
        )
        _set_issue(
            hass,
            missing,
            MISSING_ENTITY,
            entry,
            suffix=entity_id,
            severity=ir.IssueSeverity.ERROR,
            is_fixable=True,
            placeholders={"entity_id": entity_id},
            data={"entity_id": entity_id},
        )


@callback
def async_update_anomaly_issue(
    hass: HomeAssistant, entry: ForesightConfigEntry, snapshot: Snapshot
) -> None:
    """An issue once an anomaly has lasted; cleared when it ends or the user answered."""
    anomaly = snapshot.anomaly
    since = anomaly.since if anomaly is not None and anomaly.is_anomaly else None
    sustained = since is not None and snapshot.issued_at - since >= SUSTAINED_ANOMALY
    acknowledged = entry.runtime_data.store.acknowledged_anomaly
    _set_issue(
        hass,
        sustained and since != acknowledged,
        SUSTAINED,
        entry,
        is_fixable=True,
        placeholders={
            "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M") if since else "",
            "explanation": anomaly.text if anomaly else "",
        },
        data={"since": since.isoformat() if since else None},
    )


class MissingEntityRepairFlow(RepairsFlow):
    """Pick the entity that replaces one that was removed."""

    def __init__(self, entry: ForesightConfigEntry, entity_id: str) -> None:
        """Remember which entity of which entry is missing."""
        self._entry = entry
        self._entity_id = entity_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Ask for the replacement."""
        return await self.async_step_replace()

    async def async_step_replace(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Swap the entity in the entry's data and reload it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            replacement = user_input["replacement"]
            data = dict(self._entry.data)
            for key in (CONF_TARGET_ENTITY, CONF_WEATHER_ENTITY, CONF_CALENDAR_ENTITY):
                if data.get(key) == self._entity_id:
                    data[key] = replacement
            data[CONF_FEATURE_ENTITIES] = [
                replacement if feature == self._entity_id else feature
                for feature in data.get(CONF_FEATURE_ENTITIES, [])
            ]
            errors = self._errors(data[CONF_TARGET_ENTITY], data[CONF_FEATURE_ENTITIES])
            if not errors:
                self.hass.config_entries.async_update_entry(
                    self._entry, data=data, unique_id=data[CONF_TARGET_ENTITY]
                )
                ir.async_delete_issue(
                    self.hass, DOMAIN, _issue_id(MISSING_ENTITY, self._entry, self._entity_id)
                )
                self.hass.config_entries.async_schedule_reload(self._entry.entry_id)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="replace",
            data_schema=probatio.Schema(
                {
                    probatio.Required("replacement"): EntitySelector(
                        EntitySelectorConfig(domain=split_entity_id(self._entity_id)[0])
                    )
                }
            ),
            errors=errors,
            description_placeholders={"entity_id": self._entity_id},
        )

    def _errors(self, target: str, features: list[str]) -> dict[str, str]:
        """The config flow's checks, for the entry the replacement makes."""
        if target in features:
            return {"replacement": "feature_is_target"}
        if len(set(features)) < len(features):
            return {"replacement": "already_a_feature"}
        # Two entries predicting one sensor would give their entities the same unique ids.
        other = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, target)
        if other is not None and other.entry_id != self._entry.entry_id:
            return {"replacement": "already_configured"}
        return {}


class SustainedAnomalyRepairFlow(RepairsFlow):
    """Tell Foresight whether a lasting anomaly is the new normal."""

    def __init__(self, entry: ForesightConfigEntry) -> None:
        """Remember the entry whose anomaly this is."""
        self._entry = entry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Offer the two answers."""
        if self._entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        return self.async_show_menu(
            step_id="init", menu_options=[CHOICE_NORMAL, CHOICE_KEEP_WATCHING]
        )

    async def async_step_mark_normal(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Learn the period as normal: the alarm clears."""
        from .services import async_mark_period  # noqa: PLC0415 - services imports repairs

        anomaly = self._entry.runtime_data.predictions.data.anomaly
        if anomaly is not None and anomaly.since is not None:
            await async_mark_period(
                self.hass, self._entry, anomaly.since, dt_util.utcnow(), normal=True
            )
        ir.async_delete_issue(self.hass, DOMAIN, _issue_id(SUSTAINED, self._entry))
        return self.async_create_entry(data={})

    async def async_step_keep_watching(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Keep the alarm on, but stop asking about this one."""
        anomaly = self._entry.runtime_data.predictions.data.anomaly
        self._entry.runtime_data.store.async_acknowledge_anomaly(anomaly.since if anomaly else None)
        ir.async_delete_issue(self.hass, DOMAIN, _issue_id(SUSTAINED, self._entry))
        return self.async_create_entry(data={})


class EntryRemovedRepairFlow(RepairsFlow):
    """The fix of an issue whose entry was removed while the issue was still shown."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Nothing is left to fix."""
        return self.async_abort(reason="entry_removed")


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of an issue (called by the repairs integration)."""
    entry = hass.config_entries.async_get_entry(str((data or {}).get("entry_id")))
    if entry is None or entry.domain != DOMAIN:
        return EntryRemovedRepairFlow()
    if issue_id.startswith(MISSING_ENTITY):
        return MissingEntityRepairFlow(entry, str((data or {})["entity_id"]))
    return SustainedAnomalyRepairFlow(entry)
