"""The benchmark's stand-in for the recorder keeps what Home Assistant would keep."""

import numpy as np
import pandas as pd

from bench.sensor_home import as_recorded


def test_only_changes_are_recorded_and_an_outage_once() -> None:
    minutes = pd.Series(
        [230.0, 230.0, 231.5, np.nan, np.nan, 231.5, 231.5, 229.0],
        index=pd.date_range("2010-01-01", periods=8, freq="1min", tz="UTC"),
    )

    recorded = as_recorded(minutes)

    assert list(recorded.index.minute) == [0, 2, 3, 5, 7]
    assert recorded.iloc[2:3].isna().all()
    assert recorded.dropna().to_list() == [230.0, 231.5, 231.5, 229.0]
