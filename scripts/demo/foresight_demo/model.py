"""A seeded, deterministic model of a small household with a heat pump.

Every value is a pure function of the seed and the time, sampled on a one-minute grid, so
imported history and live values come from the same model and never disagree. There is no
state to carry between calls: the same seed gives the same home, minute for minute.

The home: two working adults, a heat pump for heating and hot water (its electricity depends
on the outdoor temperature through the heat loss and the coefficient of performance), a
fridge, a washing machine and a dishwasher, lighting that depends on daylight, cooking and
evening entertainment. Weekdays differ from weekends; some weekdays are spent working from
home; appliances run on some days and not others.

The kitchen freezer is simulated too, as a temperature: about -18 °C with the compressor's
cycles, and now and then a door left ajar, when it warms by about 2 °C an hour until someone
closes it an hour or two later and it recovers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
import math

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]

STEP_SECONDS = 60
_DAY = 86_400.0
_YEAR_DAYS = 365.2425
_JOULES_PER_KWH = 3.6e6
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)

FREEZER_SET_POINT = -18.0  # °C
FREEZER_CYCLE_MINUTES = 44.0
FREEZER_ON_SHARE = 0.35  # of each cycle, the compressor runs
FREEZER_SWING = 1.2  # °C from the coldest to the warmest point of a cycle
FREEZER_AJAR_SHARE = 0.25  # of days on which the door is left ajar once
FREEZER_WARMING_PER_HOUR = 2.0  # °C an hour while the door is ajar
FREEZER_RECOVERY_HOURS = 40 / 60  # time constant of the recovery once the door is closed


def _mix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64 finaliser: a fast, well-spread integer hash (wrapping uint64 arithmetic)."""
    z = values.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z & _MASK64


@dataclass(frozen=True, slots=True)
class HomeSample:
    """Values of every simulated quantity at each minute of a time grid."""

    timestamps: FloatArray
    outdoor_temperature: FloatArray  # °C
    room_temperature: FloatArray  # °C
    heat_pump_power: FloatArray  # W
    washing_machine_power: FloatArray  # W
    dishwasher_power: FloatArray  # W
    home_power: FloatArray  # W, the whole home including the appliances above
    freezer_temperature: FloatArray  # °C

    @property
    def energy_kwh(self) -> FloatArray:
        """Energy the whole home used in each minute, in kWh."""
        return self.home_power * STEP_SECONDS / _JOULES_PER_KWH


@dataclass(frozen=True, slots=True)
class _Grid:
    """The minutes being sampled and their local calendar."""

    minutes: IntArray  # minutes since 1970 (UTC)
    ts: FloatArray  # timestamps
    epoch_days: FloatArray  # days since 1970 (UTC), fractional
    day: IntArray  # local calendar day, days since 1970
    hour: FloatArray  # local hour of day, fractional
    weekend: BoolArray


class HomeModel:
    """The simulated home: ``sample`` evaluates it at whole minutes."""

    def __init__(self, seed: int, time_zone: tzinfo) -> None:
        """Create the home of this seed, living in this time zone."""
        self.seed = seed
        self.time_zone = time_zone
        phases = self._uniform(np.arange(4, dtype=np.int64), stream=90) * 2 * math.pi
        self._weather_phases = phases
        self._fridge_phase = float(self._uniform(np.zeros(1, dtype=np.int64), stream=91)[0]) * 47
        self._freezer_phase = (
            float(self._uniform(np.zeros(1, dtype=np.int64), stream=92)[0]) * FREEZER_CYCLE_MINUTES
        )

    # Random numbers: hashes of (seed, stream, key), so any minute or day can be drawn alone.

    def _uniform(self, keys: IntArray, stream: int) -> FloatArray:
        """Uniform numbers in [0, 1) for integer keys (days or minutes)."""
        with np.errstate(over="ignore"):
            salt = _mix(np.array([self.seed * 1_000_003 + stream], dtype=np.uint64))[0]
            mixed = _mix(keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt)
        return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def _normal(self, keys: IntArray, stream: int) -> FloatArray:
        """Standard normal numbers for integer keys (Box-Muller)."""
        u1 = np.maximum(self._uniform(keys, stream), 1e-12)
        u2 = self._uniform(keys, stream + 500)
        normal: FloatArray = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)
        return normal

    def _utc_offsets(self, timestamps: FloatArray) -> FloatArray:
        """The time zone's UTC offset (seconds) at each timestamp, looked up once per hour."""
        hours = np.floor(timestamps / 3600.0).astype(np.int64)
        unique, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array(
            [
                datetime.fromtimestamp(int(hour) * 3600, UTC)
                .astimezone(self.time_zone)
                .utcoffset()
                .total_seconds()  # type: ignore[union-attr]
                for hour in unique
            ],
            dtype=np.float64,
        )
        return offsets[inverse]

    def sample(self, start: float, count: int) -> HomeSample:
        """Evaluate the home at ``count`` whole minutes from ``start`` (rounded down)."""
        first = math.floor(start / STEP_SECONDS)
        minutes = np.arange(first, first + count, dtype=np.int64)
        ts = minutes.astype(np.float64) * STEP_SECONDS
        local = ts + self._utc_offsets(ts)
        day = np.floor(local / _DAY).astype(np.int64)  # local calendar day, days since 1970
        hour = (local - day * _DAY) / 3600.0  # local hour of day, fractional
        grid = _Grid(
            minutes=minutes,
            ts=ts,
            epoch_days=ts / _DAY,
            day=day,
            hour=hour,
            weekend=(day + 3) % 7 >= 5,  # 1970-01-01 was a Thursday; Monday is 0
        )
        outdoor, outdoor_daily = self._outdoor(grid)
        plan = self._day_plan(grid)
        home_awake = self._home_and_awake(grid, plan)

        room, heating_boost = self._room(grid, plan, outdoor_daily, home_awake)
        heat_pump = self._heat_pump(grid, outdoor, outdoor_daily, room, heating_boost)
        washer = self._washing_machine(grid, plan)
        dishwasher = self._dishwasher(grid)
        other = self._other_loads(grid, plan, home_awake)

        return HomeSample(
            timestamps=ts,
            outdoor_temperature=outdoor,
            room_temperature=room,
            heat_pump_power=heat_pump,
            washing_machine_power=washer,
            dishwasher_power=dishwasher,
            home_power=heat_pump + washer + dishwasher + other,
            freezer_temperature=self._freezer(grid),
        )

    # Weather.

    def _outdoor(self, grid: _Grid) -> tuple[FloatArray, FloatArray]:
        """Outdoor temperature, and its slowly varying part without the daily cycle."""
        epoch_days, hour = grid.epoch_days, grid.hour
        season = -np.cos(2 * math.pi * (epoch_days - 18.0) / _YEAR_DAYS)  # -1 mid-January
        weather = np.zeros_like(epoch_days)
        for period, amplitude, phase in zip(
            (2.9, 5.3, 8.7, 17.1), (1.2, 1.8, 2.0, 1.5), self._weather_phases, strict=True
        ):
            weather += amplitude * np.sin(2 * math.pi * epoch_days / period + phase)
        daily = 9.5 + 8.5 * season + weather
        swing = 3.5 + 1.5 * season  # wider days in summer
        diurnal = -swing * np.cos(2 * math.pi * (hour - 3.0) / 24.0)
        jitter = 0.12 * self._normal(grid.minutes, stream=1)
        return daily + diurnal + jitter, daily

    # Behaviour.

    def _day_plan(self, grid: _Grid) -> dict[str, FloatArray]:
        """Per local day: when the household wakes, leaves, returns, sleeps, eats."""
        day, weekend = grid.day, grid.weekend
        wake = np.where(
            weekend, 8.2 + 0.6 * self._normal(day, 10), 6.4 + 0.3 * self._normal(day, 10)
        )
        sleep = np.where(
            weekend, 23.6 + 0.5 * self._normal(day, 11), 22.9 + 0.4 * self._normal(day, 11)
        )
        return {
            "wake": wake,
            "sleep": sleep,
            "leave": 7.9 + 0.25 * self._normal(day, 12),
            "back": 17.4 + 0.6 * self._normal(day, 13),
            "home_office": (self._uniform(day, 14) < 0.3).astype(np.float64),
            "outing": (self._uniform(day, 15) < 0.45).astype(np.float64),
            "outing_start": 13.5 + 0.8 * self._normal(day, 16),
            "outing_hours": 3.0 + 1.0 * self._uniform(day, 17),
            "dinner": np.where(weekend, 18.4 + 0.4 * self._normal(day, 18), 0.0),
            "cooks": (self._uniform(day, 19) < 0.85).astype(np.float64),
        }

    @staticmethod
    def _home_and_awake(grid: _Grid, plan: dict[str, FloatArray]) -> BoolArray:
        hour, weekend = grid.hour, grid.weekend
        awake = (hour >= plan["wake"]) & (hour < plan["sleep"])
        at_work = (
            ~weekend & (plan["home_office"] == 0) & (hour >= plan["leave"]) & (hour < plan["back"])
        )
        out = (
            weekend
            & (plan["outing"] == 1)
            & (hour >= plan["outing_start"])
            & (hour < plan["outing_start"] + plan["outing_hours"])
        )
        home_awake: BoolArray = awake & ~at_work & ~out
        return home_awake

    # Heating.

    @staticmethod
    def _sigmoid(x: FloatArray) -> FloatArray:
        return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))

    def _room(
        self,
        grid: _Grid,
        plan: dict[str, FloatArray],
        outdoor_daily: FloatArray,
        home_awake: BoolArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Living-room temperature and the extra heat (W) needed while it warms up.

        The thermostat keeps 21 °C from half an hour before waking to bedtime and sets back to
        17.5 °C at night; the room warms within about an hour and cools slowly. In warm weather
        the room floats above the set point.
        """
        hour = grid.hour
        comfort_from = plan["wake"] - 0.5
        comfort_to = plan["sleep"] - 0.3
        up_x = (hour - comfort_from - 0.6) / 0.25
        warming = self._sigmoid(up_x)
        cooling = self._sigmoid((hour - comfort_to - 1.5) / 0.8)
        comfort = np.clip(warming - cooling, 0.0, 1.0)
        heated = 17.5 + 3.5 * comfort
        floating = 19.8 + 0.45 * (outdoor_daily - 14.0)
        gains = np.where(home_awake & (hour > 17.0), 0.3, 0.0)
        room = np.maximum(heated, floating) + gains + 0.06 * self._normal(grid.minutes, 2)
        # d(warming)/dh * 3.5 K * 2.2 kWh/K of thermal mass, as watts while the room warms.
        boost = warming * (1.0 - warming) / 0.25 * 3.5 * 2200.0
        return np.round(room, 2), np.where(heated > floating, boost, 0.0)

    def _heat_pump(
        self,
        grid: _Grid,
        outdoor: FloatArray,
        outdoor_daily: FloatArray,
        room: FloatArray,
        boost: FloatArray,
    ) -> FloatArray:
        """Electric power of the heat pump: space heating below 15.5 °C, and hot water daily."""
        minutes, hour = grid.minutes, grid.hour
        heat_loss = 165.0 * (room - outdoor) - 350.0 + boost  # W of heat the house needs
        heating_season = outdoor_daily < 15.5
        thermal = np.where(heating_season, np.maximum(heat_loss, 0.0), 0.0)
        cop = np.clip(3.1 + 0.09 * outdoor, 2.2, 5.0)
        electric = thermal / cop
        # Below its minimum output the compressor cycles: on a third of the time.
        cycling = (electric > 0) & (electric < 300)
        on = self._uniform(minutes // 10, stream=3) < electric / 300.0
        electric = np.where(cycling, np.where(on, 300.0, 0.0), electric)
        circulation = np.where(heating_season, 25.0, 0.0)
        hot_water = np.where((hour >= 5.1) & (hour < 5.95), 1300.0, 0.0)
        noise = 1.0 + 0.05 * self._normal(minutes, 4)
        power: FloatArray = np.maximum((electric + hot_water) * noise + circulation, 0.0)
        return np.round(power, 1)

    # Appliances.

    @staticmethod
    def _profile(elapsed: FloatArray, phases: tuple[tuple[float, float], ...]) -> FloatArray:
        """Power of a programme given minutes since it started: phases of (minutes, watts)."""
        power = np.zeros_like(elapsed)
        begin = 0.0
        for length, watts in phases:
            power = np.where((elapsed >= begin) & (elapsed < begin + length), watts, power)
            begin += length
        return power

    _WASHER_PHASES = ((5, 90.0), (20, 2050.0), (65, 210.0), (5, 60.0), (10, 480.0), (5, 40.0))
    _DISHWASHER_PHASES = ((15, 110.0), (22, 1950.0), (45, 75.0), (16, 1850.0), (27, 15.0))

    def _washing_machine(self, grid: _Grid, plan: dict[str, FloatArray]) -> FloatArray:
        """Saturday and Sunday mornings often, a weekday evening now and then."""
        minutes, day, hour, weekend = grid.minutes, grid.day, grid.hour, grid.weekend
        runs = self._uniform(day, 20) < np.where(weekend, 0.65, 0.2)
        morning = 9.5 + 0.9 * self._normal(day, 21)
        evening = plan["back"] + 1.0 + 0.3 * self._uniform(day, 21)
        start = np.where(weekend, morning, evening)
        elapsed = (hour - start) * 60.0
        power = self._profile(elapsed, self._WASHER_PHASES)
        wobble = 1.0 + 0.15 * self._normal(minutes, 5)
        return np.round(np.where(runs, power * wobble, 0.0).clip(min=0.0), 1)

    def _dishwasher(self, grid: _Grid) -> FloatArray:
        """Most evenings after dinner; a late programme runs on past midnight."""
        minutes, day, hour = grid.minutes, grid.day, grid.hour
        total = np.zeros_like(hour)
        for days_back in (0, 1):  # a programme started yesterday evening may still run
            started = day - days_back
            was_weekend = (started + 3) % 7 >= 5
            runs = self._uniform(started, 22) < np.where(was_weekend, 0.85, 0.7)
            start = 21.3 + 0.4 * self._normal(started, 23)
            elapsed = (hour + 24.0 * days_back - start) * 60.0
            total += np.where(runs, self._profile(elapsed, self._DISHWASHER_PHASES), 0.0)
        wobble = 1.0 + 0.04 * self._normal(minutes, 6)
        return np.round(total * wobble, 1)

    def _other_loads(
        self, grid: _Grid, plan: dict[str, FloatArray], home_awake: BoolArray
    ) -> FloatArray:
        """Standby, fridge, lights after dark, cooking, screens and the home office."""
        minutes, ts, day, hour = grid.minutes, grid.ts, grid.day, grid.hour
        weekend, epoch_days = grid.weekend, grid.epoch_days
        standby = 105.0 + 8.0 * self._normal(minutes // 15, 7)
        fridge = np.where(((ts / 60.0 + self._fridge_phase) % 47.0) < 17.0, 85.0, 0.0)
        winter = np.cos(2 * math.pi * (epoch_days + 10.0) / _YEAR_DAYS)  # 1 at the solstice
        sunrise = 6.2 + 1.9 * winter
        sunset = 18.3 - 2.2 * winter
        dark = (hour < sunrise + 0.5) | (hour > sunset - 0.5)
        presence = np.where(home_awake, 120.0 + np.where(dark, 190.0, 0.0), 0.0)
        screens = np.where(home_awake & (hour >= 19.5) & (hour < 22.8), 160.0, 0.0)
        office = np.where(
            home_awake & (plan["home_office"] == 1) & ~weekend & (hour >= 9) & (hour < 17),
            95.0,
            0.0,
        )
        hob = 0.55 + 0.45 * self._uniform(minutes, 8)  # hobs and ovens cycle
        breakfast = home_awake & (hour >= plan["wake"] + 0.3) & (hour < plan["wake"] + 0.55)
        dinner_at = np.where(weekend, plan["dinner"], plan["back"] + 0.8)
        dinner = home_awake & (plan["cooks"] == 1) & (hour >= dinner_at) & (hour < dinner_at + 0.75)
        lunch = weekend & home_awake & (hour >= 12.2) & (hour < 12.9)
        cooking = (
            np.where(breakfast, 1100.0, 0.0)
            + np.where(dinner, 1900.0, 0.0)
            + np.where(lunch & (self._uniform(day, 24) < 0.6), 1500.0, 0.0)
        ) * hob
        total: FloatArray = standby + fridge + presence + screens + office + cooking
        return total

    # The freezer.

    def freezer_door_ajar(self, day: IntArray) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Per local day: whether the door is left ajar, from when (hour) and for how long (h)."""
        ajar = self._uniform(day, 30) < FREEZER_AJAR_SHARE
        start = np.clip(18.0 + 3.0 * self._normal(day, 31), 7.0, 22.5)
        hours = 1.0 + self._uniform(day, 32)  # found and closed after one to two hours
        return ajar, start, hours

    def _freezer(self, grid: _Grid) -> FloatArray:
        """Freezer temperature: compressor cycles around -18 °C, and the door now and then.

        The compressor runs about a third of each 44-minute cycle and pulls the air down by
        1.2 °C, which then creeps back up. A door left ajar warms the freezer by 2 °C an hour
        although the compressor runs all the time; once closed, the extra warmth decays with a
        time constant of 40 minutes.
        """
        minutes, day, hour = grid.minutes, grid.day, grid.hour
        cycle_minutes = (minutes.astype(np.float64) + self._freezer_phase) % FREEZER_CYCLE_MINUTES
        at, on = cycle_minutes / FREEZER_CYCLE_MINUTES, FREEZER_ON_SHARE
        # Saw-tooth: falls while the compressor runs (first part), rises while it rests.
        tooth = np.where(at < on, 1.0 - 2.0 * at / on, -1.0 + 2.0 * (at - on) / (1.0 - on))
        swing = tooth * FREEZER_SWING / 2.0
        excess = np.zeros_like(hour)
        for days_back in (0, 1):  # a door left ajar late yesterday may still be recovering
            ajar, start, hours = self.freezer_door_ajar(day - days_back)
            elapsed = hour + 24.0 * days_back - start
            warming = FREEZER_WARMING_PER_HOUR * np.clip(elapsed, 0.0, hours)
            recovery = np.exp(-np.maximum(elapsed - hours, 0.0) / FREEZER_RECOVERY_HOURS)
            excess += np.where(ajar & (elapsed >= 0.0), warming * recovery, 0.0)
        # While the door is open the compressor runs without pause: no cycles.
        cycling = np.exp(-2.0 * excess)
        noise = 0.05 * self._normal(minutes, 33)
        temperature: FloatArray = np.round(FREEZER_SET_POINT + swing * cycling + excess + noise, 2)
        return temperature


def hourly_statistics(model: HomeModel, start: float, hours: int) -> tuple[HomeSample, FloatArray]:
    """Sample whole hours from ``start``; also return each hour's energy in kWh."""
    sample = model.sample(start, hours * 60)
    energy = sample.energy_kwh.reshape(hours, 60).sum(axis=1)
    return sample, energy


def energy_between(model: HomeModel, start: float, end: float) -> float:
    """Energy (kWh) the home used from ``start`` to ``end``, in day-sized pieces."""
    total = 0.0
    first = math.floor(start / STEP_SECONDS)
    last = math.floor(end / STEP_SECONDS)
    chunk = 1440
    minute = first
    while minute < last:
        count = min(chunk, last - minute)
        total += float(model.sample(minute * STEP_SECONDS, count).energy_kwh.sum())
        minute += count
    if end > last * STEP_SECONDS:
        power = float(model.sample(last * STEP_SECONDS, 1).home_power[0])
        total += power * (end - last * STEP_SECONDS) / _JOULES_PER_KWH
    # The part of the first minute before ``start`` was counted above; take it back out.
    if start > first * STEP_SECONDS:
        power = float(model.sample(first * STEP_SECONDS, 1).home_power[0])
        total -= power * (start - first * STEP_SECONDS) / _JOULES_PER_KWH
    return total
