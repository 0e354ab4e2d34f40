"""weather: 5 days of weather records -> the temperature of the next 2 days (multi-step forecast).

Two sources, one design (seed report 004's Jena setup):

    source   resolution  input               output            train years  test years
    jena     10 minutes  720 steps x 7       288 temperatures  2009-2014    2015-2016
    beijing  1 hour      120 steps x 9       48 temperatures   2010-2013    2014

    time ──►  |<──────── 5 days in ────────>|<── 2 days out ──>|
              day d                          day d+5            day d+7
    windows start at midnight and slide by one day

Jena's features are the report's: hour, T (degC), H2OC, rho, sh, Tpot, VPmax. Beijing PM2.5's weather
columns stand in offline: hour, TEMP, DEWP, PRES, cumulated wind speed Iws and the wind direction
(one-hot NE/NW/SE/calm). The series is put on a regular time grid; gaps up to 2 hours are
interpolated and windows that still contain a gap are dropped. Normalisation statistics come from
the training years only. Validation: every 5th block of 28 days inside the training years, with
windows that would straddle a block boundary dropped, so no validation day is seen in training.

Every run reports its test MAE/RMSE in °C beside two baselines on the same windows: repeating the
last 2 days, and the training years' hourly climatology (mean temperature at that hour within ±7
days of the same day of the year).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit.config.options import Options, option
from rnnkit.config.run import TaskConfig
from rnnkit.core.metrics import regression_metrics
from rnnkit.data.sources import DataSource, resolve
from rnnkit.data.tasks.base import Progress, SequenceDataset, Task, TaskData

INPUT_DAYS, OUTPUT_DAYS = 5, 2
BLOCK_DAYS, VALIDATION_EVERY = 28, 5
MAX_GAP_HOURS = 2
PLAYGROUND_EXAMPLES = 48  # test windows stored in the checkpoint for the playground
MODEL, BASELINES = "model", ("repeat last 2 days", "hourly climatology")  # the forecasts a window's errors compare


@dataclass(frozen=True)
class WeatherSource:
    data: DataSource
    steps_per_hour: int
    target: str  # temperature column
    features: tuple[str, ...]  # numeric columns, after "hour"
    categorical: str  # one-hot column ("" for none)
    categories: tuple[str, ...]
    train_years: tuple[int, int]
    test_years: tuple[int, int]


SOURCES = {
    "beijing": WeatherSource(
        data=DataSource(task="weather (beijing)",
                        candidates=("beijing_pm25/PRSA_data_2010.1.1-2014.12.31.csv",
                                    "PRSA_data_2010.1.1-2014.12.31.csv"),
                        url="https://archive.ics.uci.edu/ml/machine-learning-databases/00381/PRSA_data_2010.1.1-2014.12.31.csv",
                        download_name="PRSA_data_2010.1.1-2014.12.31.csv"),
        steps_per_hour=1, target="TEMP", features=("TEMP", "DEWP", "PRES", "Iws"),
        categorical="cbwd", categories=("NE", "NW", "SE", "cv"), train_years=(2010, 2013), test_years=(2014, 2014),
    ),
    "jena": WeatherSource(
        data=DataSource(task="weather (jena)",
                        candidates=("jena_climate/jena_climate_2009_2016.csv", "jena_climate_2009_2016.csv"),
                        url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip",
                        download_name="jena_climate_2009_2016.csv.zip", extract=True,
                        unpacked="jena_climate/jena_climate_2009_2016.csv"),
        steps_per_hour=6, target="T (degC)",
        features=("T (degC)", "H2OC (mmol/mol)", "rho (g/m**3)", "sh (g/kg)", "Tpot (K)", "VPmax (mbar)"),
        categorical="", categories=(), train_years=(2009, 2014), test_years=(2015, 2016),
    ),
}


def read_series(path: Path, source: WeatherSource):
    """A regular time grid (pandas DataFrame) with 'hour', the features, one-hot columns; gaps interpolated."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable CSV ({error})") from error
    if "Date Time" in frame.columns:
        time = pd.to_datetime(frame["Date Time"], format="%d.%m.%Y %H:%M:%S", errors="coerce")
    elif {"year", "month", "day", "hour"} <= set(frame.columns):
        time = pd.to_datetime(frame[["year", "month", "day", "hour"]], errors="coerce")
    else:
        raise ValueError(f"{path} has no 'Date Time' column nor year/month/day/hour columns")
    needed = set(source.features) | ({source.categorical} if source.categorical else set())
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    frame = frame.assign(time=time).dropna(subset=["time"]).drop_duplicates("time").set_index("time").sort_index()
    numeric = frame[list(source.features)].apply(pd.to_numeric, errors="coerce")
    numeric = numeric.mask(numeric < -9000)  # Jena marks broken sensor readings with -9999
    for category in source.categories:
        numeric[f"{source.categorical}={category}"] = (frame[source.categorical] == category).astype(float)
    step = pd.Timedelta(minutes=60 // source.steps_per_hour)
    grid = pd.date_range(numeric.index[0].floor("D"), numeric.index[-1].ceil("D") - step, freq=step)
    numeric = numeric.reindex(grid).interpolate(limit=MAX_GAP_HOURS * source.steps_per_hour, limit_area="inside")
    numeric.insert(0, "hour", grid.hour + grid.minute / 60)
    return numeric


def make_windows(series, source: WeatherSource):
    """Window start indices (at midnight), split into train/validation/test by the rules above."""
    per_day = 24 * source.steps_per_hour
    span = (INPUT_DAYS + OUTPUT_DAYS) * per_day
    values = series.to_numpy(dtype=np.float32)
    complete = ~np.isnan(values).any(axis=1)
    bad_before = np.concatenate([[0], np.cumsum(~complete)])  # gaps in [i, j) = bad_before[j] - bad_before[i]
    years = series.index.year.to_numpy()
    day_number = np.arange(len(series)) // per_day
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for start in range(0, len(series) - span + 1, per_day):
        end = start + span
        if bad_before[end] - bad_before[start]:
            continue
        first, last = years[start], years[end - 1]
        if source.test_years[0] <= first and last <= source.test_years[1]:
            parts["test"].append(start)
        elif source.train_years[0] <= first and last <= source.train_years[1]:
            split = _block_split(day_number[start])
            if split != _block_split(day_number[end - 1]):
                continue  # straddles a train/validation boundary: its days would leak across the split
            parts[split].append(start)
    return values, parts


def _block_split(day: int) -> str:
    return "validation" if (day // BLOCK_DAYS) % VALIDATION_EVERY == VALIDATION_EVERY - 1 else "train"


def climatology(series, source: WeatherSource) -> np.ndarray:
    """(366, 24) mean temperature per day of year and hour over the training years, ±7 days smoothed."""
    train = series[(series.index.year >= source.train_years[0]) & (series.index.year <= source.train_years[1])]
    table = train[source.target].groupby([train.index.day_of_year - 1, train.index.hour]).mean().unstack()
    table = table.reindex(range(366)).to_numpy()
    padded = np.concatenate([table[-7:], table, table[:7]])
    kernel = np.ones(15) / 15
    smoothed = np.stack([np.convolve(np.nan_to_num(padded[:, h], nan=np.nanmean(padded[:, h])), kernel, "valid")
                         for h in range(24)], axis=1)
    return smoothed


@dataclass(frozen=True)
class WeatherOptions(Options):
    station: str = option("beijing", "which records: beijing (hourly, offline) or jena (10-minute, the lab "
                          "report's)", choices=tuple(SOURCES), flags=("--source",))


class WeatherTask(Task):
    name = "weather"
    job, input_kind, selection_metric = "regress", "features", "mae"
    sources = tuple(source.data for source in SOURCES.values())
    Options = WeatherOptions
    renamed_options = {"source": "station"}
    playground = "forecast"
    title = "Weather: 5 days in, next 2 days of temperature out"
    description = (
        "Forecast the temperature of the next 48 hours from 5 days of weather records (Beijing hourly "
        "data offline; Jena 10-minute data as in the lab report when downloaded). A forecast is only "
        "good if it beats the easy answers, so every run is measured against 'repeat the last 2 days' "
        "and 'the usual temperature for that day and hour'."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        name = config.options.station
        source = SOURCES[name]
        path = resolve(source.data, config.data_dir, progress)
        series = read_series(path, source)
        values, parts = make_windows(series, source)
        if not parts["train"] or not parts["test"]:
            raise ValueError(f"{path} has no complete 7-day windows in the training years {source.train_years} "
                             f"and the test years {source.test_years}")
        train_rows = (series.index.year >= source.train_years[0]) & (series.index.year <= source.train_years[1])
        mean, std = np.nanmean(values[train_rows], axis=0), np.nanstd(values[train_rows], axis=0)
        std[std == 0] = 1.0
        normalised = (values - mean) / std
        target_column = list(series.columns).index(source.target)
        per_day = 24 * source.steps_per_hour
        steps_in, steps_out = INPUT_DAYS * per_day, OUTPUT_DAYS * per_day
        target_mean, target_std = float(mean[target_column]), float(std[target_column])

        def dataset(starts: list[int]) -> SequenceDataset:
            index = torch.tensor(starts)[:, None]
            inputs = torch.from_numpy(normalised)[index + torch.arange(steps_in)]  # (windows, steps_in, features)
            targets = torch.from_numpy(normalised[:, target_column])[index + steps_in + torch.arange(steps_out)]
            return SequenceDataset(inputs, torch.full((len(starts),), steps_in), targets)

        train, validation, test = (dataset(parts[key]) for key in ("train", "validation", "test"))
        raw_target = values[:, target_column]
        table = climatology(series, source)
        day_of_year = np.minimum(series.index.day_of_year.to_numpy() - 1, 365)
        hours = series.index.hour.to_numpy()

        def reference(starts: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """(truth, repeat-last-2-days, climatology) temperatures of windows, each (windows, steps_out)."""
            index = np.array(starts)[:, None]
            target_steps = index + steps_in + np.arange(steps_out)
            return (raw_target[target_steps], raw_target[target_steps - steps_out],
                    table[day_of_year[target_steps], hours[target_steps]])

        def baselines_of(truth, repeat, normal) -> dict[str, dict[str, float]]:
            return dict(zip(BASELINES, (regression_metrics(truth, repeat), regression_metrics(truth, normal))))

        truth, repeat, normal = reference(parts["test"])
        test_index = np.array(parts["test"])[:, None]
        baselines = baselines_of(truth, repeat, normal)
        validation_baselines = baselines_of(*reference(parts["validation"])) if parts["validation"] else {}
        spec = self.spec(input_size=values.shape[1], output_size=steps_out, max_steps=steps_in,
                         target_mean=target_mean, target_std=target_std, unit="°C")
        shown = list(range(0, len(test), max(1, len(test) // PLAYGROUND_EXAMPLES)))[:PLAYGROUND_EXAMPLES]
        artifacts = {
            "source": name, "features": list(series.columns), "steps_per_hour": source.steps_per_hour,
            "target_mean": target_mean, "target_std": target_std,
            "examples": {  # a sample of test windows, so the playground works without the data
                "inputs": test.inputs[shown], "targets": truth[shown].tolist(), "repeat": repeat[shown].tolist(),
                "climatology": normal[shown].tolist(),
                "input_temperatures": raw_target[test_index[shown, 0, None] + np.arange(steps_in)].tolist(),
                "start_times": [str(series.index[parts["test"][i]]) for i in shown],
            },
            "test_baselines": baselines,  # the baselines' errors over the whole test years, beside the model's
        }
        progress(f"weather ({name}): {len(train)}/{len(validation)}/{len(test)} windows of "
                 f"{steps_in} steps x {values.shape[1]} features -> {steps_out} temperatures")
        return TaskData(spec, train, validation, test, artifacts=artifacts, baselines=baselines,
                        validation_baselines=validation_baselines)

    def examples(self, artifacts: dict, count: int, seed: int) -> SequenceDataset:
        """Stored test windows (the playground's forecasts), in stored order."""
        stored = artifacts["examples"]
        count = min(count, len(stored["targets"]))
        inputs = stored["inputs"][:count]
        targets = (torch.tensor(stored["targets"][:count]) - artifacts["target_mean"]) / artifacts["target_std"]
        return SequenceDataset(inputs, torch.full((count,), inputs.shape[1]), targets)


def window_errors(examples: dict, predictions: list[list[float]]) -> list[dict[str, float]]:
    """Per stored test window (the checkpoint's `examples`, in order): the mean absolute error in °C of the
    model's forecast (`predictions`, one list of temperatures per window) and of each baseline, keyed
    "model" and by the baselines' names, as the Playground shows them."""
    errors = []
    for index, prediction in enumerate(predictions):
        truth = np.asarray(examples["targets"][index], dtype=float)
        forecasts = {MODEL: prediction, BASELINES[0]: examples["repeat"][index],
                     BASELINES[1]: examples["climatology"][index]}
        errors.append({name: float(np.mean(np.abs(np.asarray(values, dtype=float) - truth)))
                       for name, values in forecasts.items()})
    return errors


def winning_baseline(errors: dict[str, float]) -> str | None:
    """On one window: the baseline closest to the truth when it beats the model's forecast, else None."""
    best = min(BASELINES, key=lambda name: errors[name])
    return best if errors[best] < errors[MODEL] else None


def default_window(errors: list[dict[str, float]]) -> int:
    """The window the Playground opens on: the first where the model beats both baselines (what the task
    teaches: a forecast is good only if it beats the easy answers), else the first."""
    return next((index for index, row in enumerate(errors) if winning_baseline(row) is None), 0)
