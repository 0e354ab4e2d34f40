"""Dashboard speed in a real browser (Debian chromium via Playwright), on this machine.

1. Start -> first live point: from the click on Start (recall, quick preset, rnn + lstm + gru) until
   every run's progress bar shows a step of epoch 1, i.e. its first loss point is on the chart.
   Goal ≤ 1.0 s with the warm worker (runs forked from a process with torch loaded).
2. The classroom comparison: from the click on Start until all three runs have finished, with the
   dashboard watching live. Goal ≤ 30 s (RNN at chance, LSTM and GRU ≥ 95 % test accuracy). The CPU seconds
   the runs, the dashboard's server and the browser used meanwhile are printed beside it (`CpuWatch`).
   With --paths warm,cold (the default) both are measured side by side in one run, the warm worker's
   and the cold start's (RNNKIT_WARM_WORKER=off: a new Python per group), each on a fresh dashboard, and
   one line holds both: `start -> first point: warm 0.8 s, cold 4.1 s`; per run, the start-up cost
   (folder created -> first loss point written) is printed for each path.
3. Page switch: from a click in the sidebar until the next page's title is drawn and the script run
   has finished; median over 3 rounds of Home -> Train -> Compare -> Playground. Goal ≤ 1 s; the
   first visit of each page is printed on its own.

With --screenshots DIR it lets the classroom run finish and saves Train (live), Compare and
Playground pictures there (the README's), on the last path measured.
Usage: python benchmarks/bench_app.py [--paths warm,cold] [--screenshots docs]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.runs import warm_client
from rnnkit.runs.machine import read_processes
from rnnkit.runs.store import RunStore
from tests import browser
from tests.waits import wait_until

PAGES = ("Home", "Train", "Compare", "Playground")


FIRST_POINT_WATCH = """pattern => {
    // Resolves window.firstPoint with the time (ms since the epoch) of the first frame drawn after every progress
    // bar showed a step: checked at each change of the page's text, so the watch costs the browser nothing
    // between changes and never makes it lay the page out; window.clickedAt holds the time of the click.
    const steps = new RegExp(pattern);
    window.clickedAt = undefined;  // the click itself, as the page received it (not when the driver sent it)
    document.addEventListener("click", () => { window.clickedAt ??= Date.now(); }, {capture: true, once: true});
    window.firstPoint = new Promise(resolve => {
        const check = () => {
            const texts = [...document.querySelectorAll("[data-testid='stProgress']")].map(bar => bar.textContent);
            if (texts.length === window.runsExpected && texts.every(text => steps.test(text))) {
                observer.disconnect();
                requestAnimationFrame(() => resolve(Date.now()));
            }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    });
}"""


def first_live_point(page, runs_expected: int, timeout: float = 60.0, start: str = "Start") -> float:
    """Seconds from the click on Start, as the page received it, until the first frame drawn after every run's
    progress bar showed a step.
    The page watches itself (a MutationObserver, `FIRST_POINT_WATCH`): reading the bars from here every 50 ms,
    as this did before, made the browser lay the page out 20 times a second while the runs started, CPU they
    would have used; and the clock started before the driver's checks of the button, not at the click."""
    page.evaluate(f"() => {{ window.runsExpected = {int(runs_expected)}; }}")
    page.evaluate(FIRST_POINT_WATCH, STEP_PATTERN)
    page.get_by_role("button", name=start, exact=True).click()
    shown = page.evaluate("() => Promise.race([window.firstPoint, new Promise(resolve => setTimeout(resolve, "
                          f"{int(timeout * 1000)}, null))])")
    clicked = page.evaluate("() => window.clickedAt")
    if shown is None or clicked is None:
        texts = page.locator("[data-testid='stProgress']").all_inner_texts()
        raise TimeoutError(f"no live point after {timeout}s (click seen: {clicked is not None}): {texts}")
    first_point.clicked_at = clicked / 1000  # the same clock as time.time() on this machine
    return (shown - clicked) / 1000


STEP_PATTERN = r"· step|epoch 2/|步|第 2/"  # a progress bar that shows a step (or has passed the first epoch)


first_point = first_live_point


def timeline(store: RunStore, clicked_at: float, path: str = "") -> None:
    """Where the seconds went: click -> run folder created (dashboard) -> first loss point written (worker);
    the difference is the run's start-up cost (a new Python and torch, or a fork, then data and model)."""
    for run in store.runs():
        created = run.info().get("created_at", clicked_at)
        steps = run.metrics("step")
        written = steps[0]["time"] if steps else float("nan")
        print(f"  {path} {run.run_id}: folder created +{created - clicked_at:.2f} s, "
              f"first point written +{written - clicked_at:.2f} s, start-up cost {written - created:.2f} s")


class CpuWatch(threading.Thread):
    """CPU seconds per kind of process on this machine while it runs (Linux: /proc/PID/stat, every 0.25 s): the
    dashboard's server, the browser, the runs (and the warm worker, idle between requests). A process that ends
    is counted up to its last sample, so a run's last quarter second may be missing."""

    KINDS = (("streamlit", "server"), ("chrom", "browser"), ("headless_shell", "browser"), ("-m rnnkit", "runs"))

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.first = self._sample()  # what each process had used before the watch began
        self.last: dict[int, tuple[str, float]] = {}
        self.done = threading.Event()
        self.started_at = time.time()

    def _sample(self) -> dict[int, tuple[str, float]]:
        found = {}
        for (pid, _started), process in read_processes().items():  # CPU ticks from /proc/PID/stat
            try:
                command = Path("/proc", str(pid), "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # ended meanwhile
                continue
            kind = next((name for word, name in self.KINDS if word in command), None)
            if kind:
                found[pid] = (kind, process.ticks / self.ticks)
        return found

    def run(self) -> None:
        while not self.done.wait(0.25):
            self.last.update(self._sample())

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.join()
        self.last.update(self._sample())
        totals: dict[str, float] = {}
        for pid, (kind, seconds) in self.last.items():
            before = self.first.get(pid)
            used = seconds - (before[1] if before and before[0] == kind else 0.0)
            totals[kind] = totals.get(kind, 0.0) + max(used, 0.0)
        return totals


def page_switches(page, rounds: int = 3, titles: tuple | None = None) -> list[float]:
    times = []
    pages = ("首页", *titles) if titles else PAGES
    for _ in range(rounds):
        for title in pages:
            started = time.perf_counter()
            browser.open_page(page, title)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="warm,cold", help="which start paths to measure, in order: warm, cold")
    parser.add_argument("--screenshots", default=None, help="folder for Train/Compare/Playground screenshots")
    parser.add_argument("--language", choices=("en", "zh"), default="en", help="the browser's language (interface)")
    parser.add_argument("--projector", action="store_true",
                        help="with --screenshots: also a 1280x720 projector-mode picture while the group trains")
    args = parser.parse_args()
    paths = [path.strip() for path in args.paths.split(",") if path.strip()]
    if not paths or any(path not in ("warm", "cold") for path in paths):
        parser.error("--paths takes warm, cold or both (warm,cold)")
    first_points, lessons = {}, {}
    for index, path in enumerate(paths):
        os.environ["RNNKIT_WARM_WORKER"] = "on" if path == "warm" else "off"
        if path == "warm":  # the dashboard starts it; a benchmark on a fresh machine waits until it answers
            warm_client.ensure_started()
            wait_until(warm_client.is_running, 120, "the warm worker")
        last = index == len(paths) - 1
        first_points[path], lessons[path] = measure(path, args, screenshots=args.screenshots if last else None)
    print("start -> first point: " + ", ".join(f"{path} {seconds:.2f} s" for path, seconds in first_points.items()))
    print("lesson (click -> all three finished): " + ", ".join(f"{path} {seconds:.1f} s"
                                                              for path, seconds in lessons.items()))


def measure(path: str, args, screenshots: str | None) -> tuple[float, float]:
    """One fresh dashboard: Start -> first point, the lesson, page switches (and the screenshots)."""
    words = {"en": ("en-US", "Train", "Compare", "Playground", "Start", "Projector mode", "Stop"),
             "zh": ("zh-CN", "训练", "比较", "试一试", "开始", "投影模式", "停止")}[args.language]
    suffix = "" if args.language == "en" else f"_{args.language}"
    checkpoints = Path(tempfile.mkdtemp(prefix="bench-app-")) / "checkpoints"
    store = RunStore(checkpoints)
    print(f"--- {path} start")
    with browser.dashboard(checkpoints, checkpoints.parent / "streamlit.log") as url, \
            browser.browser_page(height=2600, locale=words[0]) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, words[1])
        watch = CpuWatch()
        watch.start()
        seconds = first_live_point(page, runs_expected=3, start=words[4])
        print(f"start to first live point seconds: {seconds:.2f}")
        timeline(store, first_point.clicked_at, path)
        if screenshots:
            folder = Path(screenshots)
            folder.mkdir(parents=True, exist_ok=True)
            page.wait_for_timeout(20_000)  # mid-training: the LSTM/GRU curves have started to drop
            page.screenshot(path=str(folder / f"train_live{suffix}.png"))
            if args.projector:
                page.set_viewport_size({"width": 1280, "height": 720})
                page.get_by_text(words[5]).click()
                browser.wait_until_idle(page)
                page.wait_for_timeout(2_500)
                page.screenshot(path=str(folder / f"train_projector{suffix}.png"))
                page.get_by_text(words[5]).click()
                page.set_viewport_size({"width": 1400, "height": 2600})
                browser.wait_until_idle(page)
        while any(run.is_active() for run in store.runs()):
            time.sleep(0.2)
        lesson = time.time() - first_point.clicked_at
        used = watch.stop()
        print(f"classroom seconds (click to all three finished, dashboard watching): {lesson:.1f}")
        print(f"CPU seconds during the lesson ({os.cpu_count()} cores x {lesson:.1f} s): runs "
              f"{used.get('runs', 0):.1f}, dashboard server {used.get('server', 0):.1f}, "
              f"browser {used.get('browser', 0):.1f}")
        if screenshots:  # the view has settled once its rows' next refresh (2 s) took the Stop buttons away
            page.get_by_role("button", name=words[6], exact=True).first.wait_for(state="detached", timeout=30_000)
            browser.wait_until_idle(page)
            page.wait_for_timeout(1_000)
            page.screenshot(path=str(folder / f"train_done{suffix}.png"))
        switches = page_switches(page, titles=(words[1], words[2], words[3]) if args.language == "zh" else None)
        print(f"page switch seconds median: {statistics.median(switches):.2f}")
        print(f"page switch seconds max: {max(switches):.2f}")
        print("page switch seconds, in order: " + ", ".join(
            f"{PAGES[index % len(PAGES)]} {seconds:.2f}" for index, seconds in enumerate(switches)))
        if screenshots:
            browser.open_page(page, words[2])
            page.wait_for_timeout(1_500)
            page.screenshot(path=str(folder / f"compare{suffix}.png"))
            browser.open_page(page, words[3])
            page.wait_for_timeout(1_500)
            page.screenshot(path=str(folder / f"playground{suffix}.png"))
    for run in store.runs():
        summary = run.metrics("test")
        accuracy = summary[0]["test"]["accuracy"] if summary else None
        command = run.worker().get("command")
        started = command if isinstance(command, str) else "a new Python (cold)"
        print(f"run {run.run_id}: {run.status()['state']}, test accuracy {accuracy}, started: {started}")
    return seconds, lesson


if __name__ == "__main__":
    main()
