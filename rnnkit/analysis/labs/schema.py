"""What a lab is once read: the `Lab` and its `Step`s (frozen), the names a lab file may use, and `LabError`.

A lab file (`rnnkit/labs/<lab id>.<language>.yaml`, docs/writing-labs.md) holds a title, an aim, a background
and steps. A step is one of five kinds:

    read       plain text
    run        a group of runs (a comparison, or the memory-horizon experiment), started through the queue
    look       a view of a run step's runs (curves, confusion matrices, the verdict, the gradient reach, ...)
    check      a condition on a run step's results, evaluated by code: passed / not yet, with a hint
    question   free text or a choice, saved per student

Every text is plain text: it is shown escaped, never as markdown or HTML.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "zh")
STEP_KINDS = ("read", "run", "look", "check", "question")
VIEWS = ("curves", "confusion", "scores", "verdict", "gradient_flow", "gates", "horizon", "attributions",
         "embeddings")
# check kind -> its parameters (required; `finished` has none)
CHECK_KINDS: dict[str, tuple[str, ...]] = {
    "better": ("arch", "than", "metric"),
    "at_least": ("arch", "metric", "value"),
    "at_most": ("arch", "metric", "value"),
    "gradient_ratio": ("arch", "of", "distance", "below"),
    "horizon_longer": ("arch", "than", "threshold"),
    "finished": (),
}
METRICS = ("test_score", "best_val_score", "test_accuracy", "test_loss")
EXPERIMENTS = ("horizon",)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # lab ids, run names, question ids
TOP_KEYS = ("lab", "language", "title", "minutes", "source", "aim", "background", "steps")
SOURCE_KEYS = ("report", "year", "metric", "numbers", "recipe")
RUN_KEYS = ("name", "text", "task", "preset", "architectures", "seeds", "settings", "experiment", "lengths",
            "adjustable", "full")
FULL_KEYS = ("preset", "seeds", "settings", "lengths")
LOOK_KEYS = ("run", "view", "text")
CHECK_KEYS = ("run", "text", "hint")
QUESTION_KEYS = ("id", "text", "choices")
MAX_MINUTES = 600


class LabError(ValueError):
    """A lab file that cannot be used: its message lists every problem, one a line, as
    '<file name>, line N: what is wrong' (`errors` holds the lines)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class Step:
    """One step of a lab. `index` counts from 1 (step 1 is the first); `line` is its line in the file.
    Only the fields of its kind are set (the others keep their defaults)."""

    kind: str  # read | run | look | check | question
    index: int  # 1-based position in the lab
    line: int = 0  # 1-based line of the step in its file
    text: str = ""  # read: the text; run/look: what it does (optional); check: the claim; question: the question
    # run
    name: str = ""  # the run step's name, [a-z0-9-]+, what look and check steps refer to
    task: str = ""  # a task name (rnnkit.data.tasks)
    preset: str | None = None  # a preset of the task, or None for the plain defaults
    architectures: tuple[str, ...] = ()  # the architectures compared
    seeds: int = 1  # runs per architecture (and length)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"train": {"epochs": 4}, ...}
    experiment: str = ""  # "" (a comparison group) or "horizon" (the memory-horizon experiment)
    lengths: tuple[int, ...] = ()  # the horizon experiment's sequence lengths T
    adjustable: tuple[str, ...] = ()  # what the student may change: "seeds", "architectures", "lengths", "train.epochs"
    full: dict[str, Any] | None = None  # the report's own recipe: {"preset", "seeds", "settings", "lengths"}
    # look and check
    run: str = ""  # the run step's name
    view: str = ""  # look: one of VIEWS
    check: str = ""  # check: one of CHECK_KINDS
    params: dict[str, Any] = field(default_factory=dict)  # check: the kind's parameters
    hint: str = ""  # check: shown while not yet passed
    # question
    id: str = ""  # the question's id, [a-z0-9-]+: answers are saved under it
    choices: tuple[str, ...] = ()  # a choice question's choices; empty: free text


@dataclass(frozen=True)
class Lab:
    """A validated lab in one language."""

    id: str
    language: str  # en | zh
    title: str
    minutes: int  # the quick size's wall time on the 2-core CPU
    source: dict[str, Any] | None  # the seed report it reproduces: report, year, metric, numbers, recipe
    aim: str
    background: str
    steps: tuple[Step, ...]
    path: str = ""  # the file it was read from

    def run_step(self, name: str) -> Step:
        """The run step called `name` (ValueError naming the run steps when there is none)."""
        for step in self.steps:
            if step.kind == "run" and step.name == name:
                return step
        names = ", ".join(step.name for step in self.steps if step.kind == "run") or "none"
        raise ValueError(f"lab {self.id!r} has no run step {name!r}; its run steps: {names}")

    def step(self, index: int) -> Step:
        """Step `index` (1-based); ValueError when the lab has no such step."""
        if not isinstance(index, int) or not 1 <= index <= len(self.steps):
            raise ValueError(f"lab {self.id!r} has steps 1 to {len(self.steps)}, not {index!r}")
        return self.steps[index - 1]

    def run_steps(self) -> list[Step]:
        return [step for step in self.steps if step.kind == "run"]
