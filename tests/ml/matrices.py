"""Hand-made feature matrices for engine tests: the calendar columns as build_features sets them."""

import numpy as np


def calendar_columns(
    hour: np.ndarray, weekday: np.ndarray, year_angle: np.ndarray
) -> dict[str, np.ndarray]:
    """The daily pattern, the season and the groups' own copies of the hour and the season."""
    sine, cosine = np.sin(year_angle), np.cos(year_angle)
    return {
        "hour": hour,
        "weekday": weekday,
        "year_sin": sine,
        "year_cos": cosine,
        "season_hour": hour,
        "level_hour": hour,
        "level_year_sin": sine,
        "level_year_cos": cosine,
    }
