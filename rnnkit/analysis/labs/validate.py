"""Checking a lab file against the format (docs/writing-labs.md): every problem found, each as
'<file name>, line N: what is wrong', in line order.

    check_lab_text(text, file_name, sibling)  ->  Lab, or LabError listing all problems

Beyond the form of each value, a run step is checked by building its configs (dry: nothing is created), so
an unknown task, preset, architecture or setting is an error on the step's line; look and check steps must
name a run step before them; question ids and run names are unique. `sibling` (the other language's file)
must agree with this one: the same steps in the same order, the same runs, checks and choices.
"""
from __future__ import annotations

from typing import Any

from rnnkit.analysis.labs import schema
from rnnkit.analysis.labs.document import DocumentError, Lines, read_document
from rnnkit.analysis.labs.schema import Lab, LabError, Step
from rnnkit.analysis.labs.steps import check_step, look_step, question_step, run_step


class Checker:
    """Collects the problems of one document."""

    def __init__(self, file_name: str, lines: Lines) -> None:
        self.file_name, self.lines, self.errors = file_name, lines, []  # errors: (line, message)

    def error(self, path: tuple, message: str) -> None:
        self.errors.append((self.lines.of(path), message))

    def raise_errors(self) -> None:
        if self.errors:
            ordered = sorted(set(self.errors), key=lambda error: error[0])
            raise LabError([f"{self.file_name}, line {line}: {message}" for line, message in ordered])

    # ------------------------------------------------------------------------------------------ values
    def mapping(self, value: Any, path: tuple, what: str, keys: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.error(path, f"{what} must be a mapping (key: value lines), not {_kind(value)}")
            return {}
        for key in value:
            if str(key) not in keys:
                self.error(path + (key,), f"{what}: unknown key {str(key)!r}; valid: {', '.join(keys)}")
        return {str(key): item for key, item in value.items()}

    def text(self, value: Any, path: tuple, what: str, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(path, f"{what} must be {'a non-empty' if required else 'a'} text, not {_kind(value)}")
            return ""
        return value

    def name(self, value: Any, path: tuple, what: str) -> str:
        if not isinstance(value, str) or not schema.NAME_PATTERN.match(value):
            self.error(path, f"{what} must be lower-case letters, digits and '-' (e.g. 'lstm-vs-rnn'), "
                             f"not {_shown(value)}")
            return ""
        return value

    def whole(self, value: Any, path: tuple, what: str, low: int = 1, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            bound = f"from {low} to {high}" if high else f"of at least {low}"
            self.error(path, f"{what} must be a whole number {bound}, not {_shown(value)}")
            return low
        return value

    def number(self, value: Any, path: tuple, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(path, f"{what} must be a number, not {_shown(value)}")
            return 0.0
        return float(value)

    def texts(self, value: Any, path: tuple, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            self.error(path, f"{what} must be a list of texts, e.g. [rnn, lstm], not {_shown(value)}")
            return ()
        return tuple(value)

    def choice(self, value: Any, path: tuple, what: str, valid: tuple[str, ...]) -> str:
        if value not in valid:
            self.error(path, f"{what}: unknown {_shown(value)}; valid: {', '.join(valid)}")
            return ""
        return value


def check_lab_text(text: str, file_name: str, sibling: tuple[str, str] | None = None) -> Lab:
    """The lab in `text` (from a file called `file_name`), validated; LabError lists every problem.
    `sibling` is (text, file name) of the other language's file of the same lab, checked for agreement."""
    try:
        data, lines = read_document(text)
    except DocumentError as error:
        raise LabError([f"{file_name}, line {error.line}: {error.problem}"]) from None
    checker = Checker(file_name, lines)
    for line, path, key in lines.duplicates:
        checker.errors.append((line, f"{_where(path)}: the key {key!r} appears twice"))
    lab = _lab(checker, data, file_name)
    if sibling is not None and not checker.errors:
        _agree(checker, lab, sibling)
    checker.raise_errors()
    return lab


def _lab(checker: Checker, data: Any, file_name: str) -> Lab:
    top = checker.mapping(data, (), "the lab", schema.TOP_KEYS)
    for key in ("lab", "language", "title", "minutes", "aim", "steps"):
        if data is not None and isinstance(data, dict) and key not in top:
            checker.error((), f"the lab has no {key!r}")
    parts = file_name.split(".")
    lab_id = checker.name(top.get("lab"), ("lab",), "lab (the id)")
    language = checker.choice(top.get("language"), ("language",), "language", schema.LANGUAGES)
    if len(parts) != 3 or parts[2] != "yaml":
        checker.error((), "a lab file's name is '<lab id>.<language>.yaml', e.g. 'memory-horizon.en.yaml'")
    else:
        if lab_id and parts[0] != lab_id:
            checker.error(("lab",), f"lab {lab_id!r} differs from the file name's {parts[0]!r}")
        if language and parts[1] != language:
            checker.error(("language",), f"language {language!r} differs from the file name's {parts[1]!r}")
    title = checker.text(top.get("title"), ("title",), "title")
    minutes = checker.whole(top.get("minutes"), ("minutes",), "minutes", 1, schema.MAX_MINUTES)
    source = _source(checker, top["source"]) if top.get("source") is not None else None
    aim = checker.text(top.get("aim"), ("aim",), "aim")
    background = checker.text(top.get("background"), ("background",), "background", required=False)
    raw_steps = top.get("steps")
    steps: list[Step] = []
    if "steps" in top and (not isinstance(raw_steps, list) or not raw_steps):
        checker.error(("steps",), "steps must be a list of at least one step (- read: ..., - run: ...)")
    elif isinstance(raw_steps, list):
        for position, raw in enumerate(raw_steps):
            step = _step(checker, raw, position, steps)
            if step is not None:
                steps.append(step)
    return Lab(id=lab_id, language=language, title=title, minutes=minutes, source=source, aim=aim,
               background=background, steps=tuple(steps))


def _source(checker: Checker, value: Any) -> dict:
    source = checker.mapping(value, ("source",), "source", schema.SOURCE_KEYS)
    for key in ("report", "numbers"):
        if value is not None and isinstance(value, dict) and key not in source:
            checker.error(("source",), f"source has no {key!r}")
    if "report" in source:
        source["report"] = checker.text(str(source["report"]), ("source", "report"), "source.report")
    if "year" in source:
        checker.whole(source["year"], ("source", "year"), "source.year", 1900, 2100)
    if "metric" in source:
        checker.choice(source["metric"], ("source", "metric"), "source.metric", schema.METRICS)
    if "recipe" in source:
        checker.text(source["recipe"], ("source", "recipe"), "source.recipe")
    if "numbers" in source:
        numbers = source["numbers"]
        if not isinstance(numbers, dict) or not numbers:
            checker.error(("source", "numbers"), "source.numbers must map architectures to numbers, e.g. "
                                                  "{lstm: 0.8262, gru: 0.8438}")
        else:
            for arch, number in numbers.items():
                checker.number(number, ("source", "numbers", arch), f"source.numbers.{arch}")
            source["numbers"] = {str(arch): number for arch, number in numbers.items()}
    return source


def _step(checker: Checker, raw: Any, position: int, before: list[Step]) -> Step | None:
    path = ("steps", position)
    if not isinstance(raw, dict) or len(raw) != 1:
        checker.error(path, f"step {position + 1}: a step is one of {', '.join(schema.STEP_KINDS)} "
                            "(one key, e.g. '- read: ...')")
        return None
    kind, body = next(iter(raw.items()))
    kind = str(kind)
    where = f"step {position + 1} ({kind})"
    if kind not in schema.STEP_KINDS:
        checker.error(path, f"step {position + 1}: unknown step kind {kind!r}; valid: {', '.join(schema.STEP_KINDS)}")
        return None
    line = checker.lines.of(path)  # the step's first line, '- run:'
    path = path + (kind,)
    if kind == "read":
        return Step("read", position + 1, line, text=checker.text(body, path, where))
    build = {"run": run_step, "look": look_step, "check": check_step, "question": question_step}[kind]
    fields = build(checker, body, path, where, before)
    return Step(kind, position + 1, line, **fields)


def _agree(checker: Checker, lab: Lab, sibling: tuple[str, str]) -> None:
    """The other language's file of this lab must have the same steps, runs, checks, choices and source figures."""
    text, name = sibling
    try:
        other = check_lab_text(text, name)
    except LabError:
        return  # its own check names its problems
    if (lab.id, lab.minutes) != (other.id, other.minutes):
        checker.error(("minutes",), f"lab id and minutes must equal those of {name}")
    if (lab.source or {}).get("numbers") != (other.source or {}).get("numbers"):
        checker.error(("source",), f"source.numbers must equal those of {name}")
    if [step.kind for step in lab.steps] != [step.kind for step in other.steps]:
        checker.error(("steps",), f"the steps' kinds must be those of {name}, in the same order: "
                                  f"{', '.join(step.kind for step in other.steps)}")
        return
    for mine, theirs in zip(lab.steps, other.steps):
        if _shared(mine) != _shared(theirs):
            checker.error(("steps", mine.index - 1), f"step {mine.index} ({mine.kind}) differs from step "
                                                     f"{theirs.index} of {name} in more than its texts")


def _shared(step: Step) -> tuple:
    """What both languages of a step must share: everything but the texts (a choice's count, not its words)."""
    return (step.kind, step.name, step.task, step.preset, step.architectures, step.seeds, repr(step.settings),
            step.experiment, step.lengths, step.adjustable, repr(step.full), step.run, step.view, step.check,
            repr(step.params), step.id, len(step.choices))


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a text", type(None): "nothing"}.get(type(value), _shown(value))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _where(path: tuple) -> str:
    return "top level" if not path else ".".join(str(part) for part in path)
