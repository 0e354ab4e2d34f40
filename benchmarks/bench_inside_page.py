"""How long the Inside page takes to draw, from the click to the figure in a real browser (chromium).

    python benchmarks/bench_inside_page.py

Trains a recall LSTM with hidden size 128 at T = 200 (one short epoch: the weights do not change the
drawing cost), serves the dashboard, opens Inside, picks the run, and times (median of 5, each from
another view) the click on "Gates and states" until the heatmaps of all six gates and states of the
200-step input are drawn, and the click on "Which inputs mattered" until the attributions are.
Prints `name: value` lines, e.g. `gate heatmaps (200 steps x 128 units): 0.9 s` (goal ≤ 2 s).
"""
from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunStore
from rnnkit.worker.execute import execute
from tests import browser

STEPS, HIDDEN, REPEATS = 200, 128, 5


def timed_click(page, view: str, drawn: str, away: str) -> float:
    page.get_by_text(away, exact=True).click()
    browser.wait_until_idle(page)
    started = time.perf_counter()
    page.get_by_text(view, exact=True).click()
    page.locator(".js-plotly-plot", has_text=drawn).first.wait_for(timeout=60_000)
    return time.perf_counter() - started


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="inside-page-"))
    store = RunStore(root / "checkpoints")
    config = build_config("recall", None, {"task": {"sequence_length": STEPS, "num_samples": 300},
                                           "model": {"arch": "lstm", "hidden_size": HIDDEN},
                                           "train": {"epochs": 1, "batch_size": 64}})
    run = store.create(config)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    with browser.dashboard(store.root, root / "streamlit.log") as url, browser.browser_page(height=2000) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Inside", heading="Inside the network")
        browser.choose_option(page, "Task", "Recall")
        browser.choose_option(page, "Model", run.run_id)
        timed_click(page, "Gates and states", "forget gate f", "Memory horizon")  # warm: model cached, imports done
        gates = [timed_click(page, "Gates and states", "forget gate f", "Memory horizon") for _ in range(REPEATS)]
        attributions = [timed_click(page, "Which inputs mattered", "attribution per input step", "Memory horizon")
                        for _ in range(REPEATS)]
    print(f"gate heatmaps ({STEPS} steps x {HIDDEN} units): {statistics.median(gates):.2f} s")
    print(f"attributions ({STEPS} steps): {statistics.median(attributions):.2f} s")


if __name__ == "__main__":
    main()
