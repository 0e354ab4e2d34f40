"""The README's pictures of the Inside page, from a folder holding a recall group and a horizon group
(the demos supply the IMDB and names models).

    python -m rnnkit train --task recall --preset horizon --arch rnn,lstm,gru --sequence-length 200 \\
        --checkpoints-dir /tmp/shots/inside
    python -m rnnkit horizon --checkpoints-dir /tmp/shots/inside
    python benchmarks/screenshots_inside.py /tmp/shots/inside docs/screenshots
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.runs.store import RunStore
from tests import browser

VIEWS = {  # picture -> (view, task, model label part, figure text to wait for, scroll to)
    "inside_gradients.png": ("Gradient flow", "Recall", "lstm", "gradient reaching each step", "Models (default"),
    "inside_gates.png": ("Gates and states", "Recall", "lstm", "forget gate f", "LSTM"),
    "inside_attributions.png": ("Which inputs mattered", "IMDB", "demo", "coloured by attribution", "Explained"),
    "inside_embeddings.png": ("Embeddings", "IMDB", "demo", "after training", "Look up"),
    "inside_horizon.png": ("Memory horizon", None, None, "where memory ends", "Latest experiment"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", type=Path, help="folder with the recall group at T = 200 and a horizon group")
    parser.add_argument("target", type=Path, help="where the PNG files go")
    args = parser.parse_args()
    long_group = [run for run in RunStore(args.checkpoints).runs() if run.config().kind != "horizon"]
    chosen = {run.config().model.arch: run.run_id for run in long_group}
    with browser.dashboard(args.checkpoints, args.checkpoints.parent / "inside-streamlit.log") as url, \
            browser.browser_page(height=1300) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Inside", heading="Inside the network")
        for picture, (view, task, model, drawn, scroll_to) in VIEWS.items():
            page.get_by_text(view, exact=True).click()
            browser.wait_until_idle(page)
            if task:
                browser.choose_option(page, "Task", task)
                browser.choose_option(page, "Model", chosen.get(model, model))
            page.locator(".js-plotly-plot", has_text=drawn).first.wait_for(timeout=60_000)
            page.get_by_text(scroll_to).first.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1_500)
            page.screenshot(path=str(args.target / picture))
            print(f"wrote {args.target / picture}")


if __name__ == "__main__":
    main()
