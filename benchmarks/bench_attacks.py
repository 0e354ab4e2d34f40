"""A hostile student in a class that is training: every attack of issue 22 tried for real while six
other students' groups train, through the same run store, roster and login throttle the dashboard uses.

    python benchmarks/bench_attacks.py               # 6 classmates x (rnn, lstm, gru) on tiny recall runs
    python benchmarks/bench_attacks.py --students 3  # a shorter try

Each attack prints `refused` (a one-line error that names what is wrong), `contained` (allowed, but kept
to its limits: e.g. an oversized group waits for room), or `BROKE` (an exception a user would see as a
traceback, or the attack worked). Then the classmates' runs must all complete. Exit status 1 if
anything broke or a classmate's run did not complete.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.core.jsonl import read_records
from rnnkit.runs.access import Roster, User, hash_code, normalise_name
from rnnkit.runs.folder import RunError
from rnnkit.runs.groups import group_configs
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunStore, delete_run
from rnnkit.runs.throttle import LoginThrottle

TINY = {"task": {"sequence_length": 8, "num_samples": 240}, "train": {"epochs": 2, "batch_size": 32}}
FINAL = ("completed", "failed", "stopped", "interrupted")
QUEUE_SETTINGS = {"max_running_groups": 1, "max_waiting_groups": 2, "max_group_runs": 24, "max_run_minutes": 10}
USER_ERRORS = (ValueError, RunError)


def attacks(root: Path, mallory: RunStore, victim_run: str) -> list[tuple[str, Callable[[], str]]]:
    """(name, attempt) pairs; an attempt returns 'refused' or 'contained', or raises what broke."""

    def refused(build: Callable[[], object]) -> Callable[[], str]:
        def attempt() -> str:
            try:
                build()
            except USER_ERRORS:
                return "refused"
            return "BROKE (accepted)"
        return attempt

    def start(overrides: dict) -> Callable[[], object]:
        return lambda: mallory.start(group_configs("recall", "quick", ["lstm"], overrides))

    def hostile_folder() -> str:
        own = mallory.start(group_configs("recall", "quick", ["rnn"], TINY))[0]
        mallory.stop(own.run_id)
        for name, content in (("config.json", "[" * 100_000), ("status.json", "{\"pid\": 99999999999999999999}"),
                              ("worker.json", b"\x00\xff" * 5000), ("limits.json", "[]")):
            path = own.path / name
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with open(own.metrics_path, "a", encoding="utf-8") as handle:
            handle.write("{" * 50_000 + "\n")
        listed = RunStore(root).runs()  # every reader, as `runs` and the pages use them
        for run in listed:
            run.status(), run.worker(), run.limits(), run.metrics()
        return "contained"

    def hostile_queue_entry() -> str:
        queue = root / ".queue"
        queue.mkdir(exist_ok=True)
        (queue / "0000000000-hostile.json").write_text("[" * 100_000, encoding="utf-8")
        RunStore(root).queue.dispatch()
        return "contained"

    def oversized_group() -> str:
        runs = mallory.start(group_configs("recall", "quick", ["rnn", "lstm", "gru"], TINY, seeds=8))
        training = sum(run.raw_status().get("state") == "running" for run in runs)
        for run in runs:  # leave the machine to the class
            mallory.stop(run.run_id)
        return "contained" if training <= RunStore(root).queue.summary()["capacity"] else "BROKE (all started)"

    def guessing() -> str:
        roster = Roster.from_settings({"mode": "classroom", "users": {"alice": {"role": "student",
                                                                                  "code_hash": hash_code("tulip-42")}}})
        throttle, verified = LoginThrottle(root / ".login"), 0
        for _ in range(40):
            if throttle.check_in(normalise_name("alice"), "10.0.0.9") == 0.0:
                verified += 1
                if roster.authenticate("alice", "wrong-code") is not None:
                    return "BROKE (a wrong code logged in)"
        return "refused" if verified <= throttle.policy.max_failures_per_name else f"BROKE ({verified} verifications)"

    def lookalike_names() -> str:
        entries = {name: {"role": "student", "code_hash": hash_code("tulip-42")} for name in ("alice", "Alice ")}
        return refused(lambda: Roster.from_settings({"mode": "classroom", "users": entries}))()

    def escape_upload() -> str:
        from rnnkit.runs.uploads import save_upload, user_folder

        student = User("mallory", "student")
        try:
            path = save_upload("../../outside.csv", b"text,label\n", student)
        except USER_ERRORS:
            return "refused"
        inside = path.resolve().is_relative_to(user_folder(student).resolve())
        return "contained" if inside else f"BROKE (written to {path})"

    return [
        ("epochs = 10**9", refused(start({"train": {"epochs": 10**9}}))),
        ("hidden_size = 10**6", refused(start({"model": {"hidden_size": 10**6}}))),
        ("num_samples = 10**11", refused(start({"task": {"num_samples": 10**11}}))),
        ("sequence_length = 10**8", refused(start({"task": {"sequence_length": 10**8}}))),
        ("learning_rate = nan", refused(start({"train": {"learning_rate": math.nan}}))),
        ("learning_rate = inf", refused(start({"train": {"learning_rate": math.inf}}))),
        ("stop_at_score = nan", refused(start({"train": {"stop_at_score": math.nan}}))),
        ("weight_decay = 1e308", refused(start({"train": {"weight_decay": 1e308}}))),
        ("seed = 2**80", refused(start({"train": {"seed": 2**80}}))),
        ("a run that cannot fit (hidden 8192, 16 layers)", refused(start({"model": {"hidden_size": 8192,
                                                                                     "num_layers": 16}}))),
        ("stop a classmate's run", refused(lambda: mallory.stop(victim_run))),
        ("delete a classmate's run", refused(lambda: delete_run(mallory, victim_run))),
        ("resume a classmate's run", refused(lambda: mallory.resume(victim_run))),
        ("a group of 24 runs", oversized_group),
        ("hostile files in her own run folder", hostile_folder),
        ("a hostile queue entry", hostile_queue_entry),
        ("40 code guesses for one name", guessing),
        ("a roster name that differs only in case/space", lookalike_names),
        ("an upload named ../../outside.csv", escape_upload),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6, help="classmates training while the attacks run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the classmates' runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["RNNKIT_CACHE_DIR"] = str(Path(folder) / "cache")  # uploads land in this temporary folder
        root = Path(folder) / "checkpoints"
        limits = Limits.for_student(QUEUE_SETTINGS)
        classmates = []
        for index in range(args.students):
            store = RunStore(root, user=User(f"student{index}", "student"), limits=limits)
            classmates += store.start(group_configs("recall", "quick", ["rnn", "lstm", "gru"], TINY))
        mallory = RunStore(root, user=User("mallory", "student"), limits=limits)
        results = []
        for name, attempt in attacks(root, mallory, classmates[0].run_id):
            try:
                outcome = attempt()
            except Exception as error:  # noqa: BLE001 - the benchmark's whole point: report what broke
                outcome = f"BROKE ({type(error).__name__}: {str(error)[:120]})"
            results.append(outcome)
            print(f"{name:50} {outcome}", flush=True)
        deadline, store = time.monotonic() + args.timeout, RunStore(root)
        while time.monotonic() < deadline:
            store.queue.dispatch()
            states = [store.get(run.run_id).status().get("state") for run in classmates]
            if all(state in FINAL for state in states):
                break
            time.sleep(2)
        completed = sum(state == "completed" for state in states)
        unparsed = sum(len(read_records(run.metrics_path)) == 0 for run in classmates)
        tried, refused = len(results), sum(outcome in ("refused", "contained") for outcome in results)
        broke = tried - refused
        print(json.dumps({"tried": tried, "refused_or_contained": refused, "broke": broke,
                          "classmates_runs": len(classmates), "completed": completed,
                          "runs_without_metrics": unparsed}))
        print(f"tried {tried} / refused {refused} / broke {broke}; classmates' runs completed "
              f"{completed}/{len(classmates)}")
    return 0 if broke == 0 and completed == len(classmates) else 1


if __name__ == "__main__":
    sys.exit(main())
