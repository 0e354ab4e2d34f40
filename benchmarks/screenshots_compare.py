"""The README's pictures of Compare's seeds and sweep views, from existing folders of runs.

    python -m rnnkit train --task names --arch lstm,gru --seeds 3 --checkpoints-dir /tmp/shots/seeds
    python -m rnnkit sweep --task recall --preset quick --arch lstm,gru --grid task.sequence_length=60 \\
        --grid task.num_samples=3000 --grid train.epochs=5 --grid model.hidden_size=16,48 \\
        --grid train.learning_rate=0.001,0.005 --checkpoints-dir /tmp/shots/sweep
    python benchmarks/screenshots_compare.py /tmp/shots/seeds /tmp/shots/sweep docs/screenshots
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import browser


def shoot(checkpoints: Path, heading: str, target: Path) -> None:
    with browser.dashboard(checkpoints, checkpoints.parent / f"{checkpoints.name}-streamlit.log") as url, \
            browser.browser_page(height=1100) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Compare")
        section = page.get_by_role("heading", name=heading).first
        section.wait_for(timeout=30_000)
        section.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(2_000)
        page.screenshot(path=str(target))
        print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=Path, help="a folder of runs with a multi-seed group")
    parser.add_argument("sweep", type=Path, help="a folder of runs with a sweep")
    parser.add_argument("folder", type=Path, help="where the PNGs go")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    shoot(args.seeds, "Over seeds", args.folder / "compare_seeds.png")
    shoot(args.sweep, "Sweep", args.folder / "compare_sweep.png")


if __name__ == "__main__":
    main()
