"""Logarithmic axes whose labels read cleanly (plotly's own label their minor ticks with one digit:
'1 2 5 10 2 5 100 2'): `log_ticks` for the metric figures (powers of ten, with 2 and 5 times them where the
values span about a decade or less), `log_axis` for the Inside page (powers of ten only, the range widened
to whole decades). Plain plotly axis dicts; no streamlit.
"""
from __future__ import annotations

import math

MAX_LOG_TICKS = 8  # powers of ten labelled on a log axis (every 2nd, 3rd ... power beyond that)


def log_ticks(values: list[float], most: int = 8) -> dict:
    """Ticks of a logarithmic axis over `values` that read cleanly: the powers of ten (1, 10, 100, or 10⁻¹³ ... 1
    with every second or third power when there are many), with 2 and 5 times them only where the values span
    about a decade or less, each label written in full (plotly's own labels its minor ticks with one digit:
    '1 2 5 10 2 5 100 2'). {} without positive values."""
    values = [value for value in values if value > 0]
    if not values:
        return {}
    low, high = min(values), max(values)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first) / most))
    ticks = [10.0 ** power for power in range(first, last + 1) if power % step == 0]  # 1 among them
    if sum(low <= tick <= high for tick in ticks) < 3:  # about a decade or less: 1, 2, 5, 10, 20, 50
        ticks = sorted(tick * factor for tick in ticks for factor in (1, 2, 5))
    plain = all(1e-3 <= tick < 1e5 for tick in ticks)  # '0.01', '100' as written; else every tick as a power
    return {"tickmode": "array", "tickvals": ticks,
            "ticktext": [f"{tick:g}" if plain else _power_text(tick) for tick in ticks]}


def _power_text(value: float) -> str:
    """'10<sup>−13</sup>', '5·10<sup>−6</sup>', '10<sup>0</sup>'."""
    power = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10.0 ** power)
    return ("" if mantissa == 1 else f"{mantissa}·") + f"10<sup>{power}</sup>".replace("-", "−")


def log_axis(values: list[float]) -> dict:
    """A log axis labelled at powers of ten only (0.01, 0.1, 1 or 10^-12, 10^-9 ...; plotly's own ticks add
    2 and 5 between them, which reads "1 2 5 10 2 5"). At least two powers are shown: data within one
    decade gets its axis widened to the decades around it; more than MAX_LOG_TICKS powers, every 2nd, 3rd ..."""
    positive = [value for value in values if value > 0 and math.isfinite(value)]
    if not positive:
        return {"type": "log"}
    low, high = math.log10(min(positive)), math.log10(max(positive))
    first, last = math.ceil(low), math.floor(high)
    if last - first < 1:  # fewer than two powers of ten inside the data: whole decades around it
        first, last = math.floor(low), max(math.ceil(high), math.floor(low) + 1)
        low, high = first, last
    margin = 0.04 * (high - low)
    every = max(1, math.ceil((last - first) / (MAX_LOG_TICKS - 1)))
    powers = list(range(math.ceil(first / every) * every, last + 1, every))  # 10^-12, 10^-9 ... not 10^-13, 10^-10
    written_out = all(-3 <= power <= 3 for power in powers)  # one style per axis
    return {"type": "log", "range": [low - margin, high + margin], "tickmode": "array",
            "tickvals": [10.0 ** power for power in powers],
            "ticktext": [power_of_ten(power, written_out) for power in powers]}


def power_of_ten(power: int, written_out: bool = True) -> str:
    """10**power as a tick label: written out (0.001, 1, 1000) or as 10 with a superscript."""
    if written_out:
        return f"{10.0 ** power:.{max(0, -power)}f}"
    return f"10<sup>{power}</sup>".replace("-", "\u2212")
