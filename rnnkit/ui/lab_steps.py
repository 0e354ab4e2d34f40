"""The steps of a lab on the Lab page, one function per kind (`show_step` dispatches):

    read       the text
    run        what it trains, widgets only for what the lab lets the student change, the "full" switch where
               the step has the report's own recipe, one Start (through the queue, as Train starts a group),
               and the step's runs with their live state (the live view's rows, refreshed while they train)
    look       the named view of the step's runs (rnnkit.ui.lab_views)
    check      passed / not yet, the hint while not yet, and the numbers it was decided on
    question   a choice or free text, saved in the student's progress

Every text of the lab is plain text (st.text or `safe.plain`), never markdown or HTML.
"""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.labs import step_configs
from rnnkit.config.counts import maximum
from rnnkit.config.options import kind_of, label_of
from rnnkit.data.tasks import get_task
from rnnkit.model.cells import cell_names, get_cell
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.ui import lab_views, safe
from rnnkit.ui.form import form_fields
from rnnkit.ui.i18n import _
from rnnkit.ui.lab import LabSession
from rnnkit.ui.launch import start_configs
from rnnkit.ui.live import run_rows

LIVE_SECONDS = 2.0  # the run step's rows refresh this often while its runs train
MANY_RUNS = 6  # more rows than this (the horizon experiment's 18): folded, under a one-line summary


def kind_title(kind: str) -> str:
    return {"read": _("Read"), "run": _("Run"), "look": _("Look"), "check": _("Check"),
            "question": _("Question")}[kind]


def show_step(session: LabSession, step) -> None:
    """One step in a bordered box: its number and kind, whether it is done, then its content."""
    reached = session.reached()
    with st.container(border=True):
        title = _("Step {index} of {total}: {kind}").format(index=step.index, total=len(session.lab.steps),
                                                            kind=kind_title(step.kind))
        if session.done(step) and step.kind in ("run", "check", "question"):
            title = "✓ " + title
        elif step.index > reached:
            title += _(" (ahead of where you are)")
        st.markdown("**" + safe.plain(title) + "**")
        {"read": read_step, "run": run_step, "look": look_step, "check": check_step,
         "question": question_step}[step.kind](session, step)


def read_step(session: LabSession, step) -> None:
    st.text(step.text)


# ------------------------------------------------------------------------------------------ run
def run_step(session: LabSession, step) -> None:
    key = f"lab_{session.lab.id}_{step.index}"
    if step.text:
        st.text(step.text)
    full = False
    if step.full:
        full = st.toggle(_("full (the report's recipe)"), key=f"{key}_full",
                         help=_("The seed report's own size: far longer than a lesson on this computer"))
    try:
        base = step_configs(session.lab, step, full=full)
    except ValueError as error:
        safe.error(error)
        return
    st.caption(safe.plain(recipe_line(base)))
    adjust = adjust_widgets(step, base, key) if step.adjustable else {}
    if st.button(_("Start"), type="primary", key=f"{key}_start"):
        try:
            configs = step_configs(session.lab, step, full=full, adjust=adjust,
                                   data_dir=st.session_state.get("app_data_dir") or None)
            group = start_configs(configs)
        except QueueFull as error:
            safe.error(queue_full_message(error, _))
        except (ValueError, OSError) as error:
            safe.error(error)
        else:
            session.record["groups"][step.name] = group
            session.read_runs()
            session.save()
            st.rerun()  # the progress bar above, and the rows below at the pace of training runs
    live_rows(session, step, key)


def recipe_line(configs) -> str:
    """'Recall (synthetic) · RNN, LSTM, GRU · 1 seed · 6 runs' for the configs a Start would queue."""
    first = configs[0]
    archs = list(dict.fromkeys(config.model.arch for config in configs))
    lengths = sorted({config.task.options.sequence_length for config in configs
                      if hasattr(config.task.options, "sequence_length")})
    parts = [_(get_task(first.task.name).title), ", ".join(get_cell(arch).title for arch in archs)]
    if first.kind == "horizon" and lengths:
        parts.append(_("T = {lengths}").format(lengths=", ".join(map(str, lengths))))
    parts.append(_("{epochs} epoch(s)").format(epochs=first.train.epochs))
    parts.append(_("{count} run(s)").format(count=len(configs)))
    return " · ".join(parts)


def adjust_widgets(step, base, key: str) -> dict:
    """A widget for each setting the lab lets the student change, starting from the step's own value; returns
    {adjustable name: value} for the values that differ from it."""
    first, adjust = base[0], {}
    fields = {f"{section}.{item.name}": (item, declaration) for section, item, declaration
              in form_fields(first.task.name)}
    columns = st.columns(min(len(step.adjustable), 4))
    for index, name in enumerate(step.adjustable):
        widget_key = f"{key}_adjust_{name}"
        with columns[index % len(columns)]:
            if name == "seeds":
                current = len({config.train.seed for config in base}) if base else 1
                value = st.number_input(_("Seeds per architecture"), 1, maximum("seeds"), current, 1, key=widget_key)
                changed = int(value) != current
            elif name == "architectures":
                current = list(dict.fromkeys(config.model.arch for config in base))
                value = st.multiselect(_("Architectures"), cell_names(), default=current, key=widget_key)
                changed = list(value) != current
            elif name == "lengths":
                current = sorted({config.task.options.sequence_length for config in base})
                value = _lengths(st.text_input(_("Sequence lengths T (comma-separated)"),
                                               ", ".join(map(str, current)), max_chars=200, key=widget_key))
                changed = value is not None and value != current
            elif name in fields:
                item, declaration = fields[name]
                section, option = name.split(".", 1)
                part = first.task.options if section == "task" else getattr(first, section)
                current = getattr(part, option)
                value = _option_widget(item, declaration, current, widget_key)
                changed = value != current
            else:
                continue  # the validator lets a lab name only what the task has
            if changed and value is not None:
                adjust[name] = value
    return adjust


def _lengths(text: str) -> list[int] | None:
    try:
        return sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()})
    except ValueError:
        safe.error(_("Sequence lengths are whole numbers separated by commas, e.g. 5, 10, 20"))
        return None


def _option_widget(item, declaration, current, key: str):
    """One declared option as a widget (its label, help, choices and bounds), starting at `current`."""
    label, help_text = _(label_of(item)), _(declaration.help)
    if declaration.choices is not None and current in declaration.choices:
        choices = list(declaration.choices)
        return st.selectbox(label, choices, index=choices.index(current), key=key, help=help_text)
    kind = kind_of(item)
    if kind is bool:
        return st.toggle(label, value=bool(current), key=key, help=help_text)
    low = declaration.minimum if declaration.minimum is not None else declaration.above
    if kind is int:
        low = declaration.minimum if declaration.minimum is not None else (
            int(declaration.above) + 1 if declaration.above is not None else None)
        high = int(declaration.maximum) if declaration.maximum is not None else None
        return int(st.number_input(label, low, high, int(current), 1, key=key, help=help_text))
    if kind is float:
        return float(st.number_input(label, None if low is None else float(low),
                                     None if declaration.maximum is None else float(declaration.maximum),
                                     float(current), format="%.4g", key=key, help=help_text))
    return current  # text and path options are not adjusted on the Lab page


def live_rows(session: LabSession, step, key: str) -> None:
    """The step's runs with their live state (the live view's rows: progress, ETA, Stop/Resume), refreshed
    while they train; once they have all ended the page reruns, so the checks below see the results."""
    runs = session.runs.get(step.name, [])
    if not runs:
        st.caption(_("No runs of this step yet: press Start."))
        return
    active = any(run.is_active() for run in runs)

    @st.fragment(run_every=LIVE_SECONDS if active else None)
    def rows() -> None:
        try:
            session.store.queue.dispatch()  # a run that died leaves room: the next waiting group starts
        except ValueError as error:
            safe.error(error)
        current = [session.store.get(run.run_id) for run in runs if run.path.is_dir()]
        states = [run.status()["state"] for run in current]
        st.caption(_("{done} of {total} run(s) of this step completed.").format(
            done=states.count("completed"), total=len(states)))
        if len(current) > MANY_RUNS:
            with st.expander(_("Every run of this step")):
                run_rows(current, key=f"{key}_rows")
        else:
            run_rows(current, key=f"{key}_rows")
        if active and not any(run.is_active() for run in current):
            st.rerun()  # they have ended: the whole page again, so the checks and views see the results

    rows()


# ------------------------------------------------------------------------------------- look, check
def look_step(session: LabSession, step) -> None:
    if step.text:
        st.text(step.text)
    lab_views.show_view(step.view, session.runs.get(step.run, []), f"lab_{session.lab.id}_{step.index}",
                        run_step_index=session.lab.run_step(step.run).index)


def check_step(session: LabSession, step) -> None:
    result = session.checks.get(step.index)
    if isinstance(result, str):
        safe.error(_("This check cannot be evaluated: {error}").format(error=result))
        return
    claim = safe.plain(step.text)
    if result is not None and result.passed is True:
        st.success(_("Passed: {claim}").format(claim=claim), icon=":material/check_circle:")
    elif result is not None and result.passed is False:
        st.warning(_("Not yet: {claim}").format(claim=claim), icon=":material/pending:")
        if step.hint:
            st.caption(safe.plain(_("Hint: {hint}").format(hint=step.hint)))
    else:
        st.info(_("Not yet: {claim}").format(claim=claim) + "  \n" + safe.plain(
            _("The runs of step {step} have not finished yet.").format(step=session.lab.run_step(step.run).index)),
            icon=":material/hourglass_top:")
    if result is not None and getattr(result, "detail", ""):
        st.text(result.detail)


# -------------------------------------------------------------------------------------- question
def question_step(session: LabSession, step) -> None:
    st.text(step.text)
    key = f"lab_{session.lab.id}_answer_{step.id}"
    saved = session.answer(step.id)
    if step.choices:
        choices = list(step.choices)
        if key not in st.session_state:
            st.session_state[key] = saved if saved in choices else None
        st.radio(_("Your answer"), choices, key=key, format_func=safe.plain, on_change=_save_answer,
                 args=(session, step.id, key))
        if saved and saved not in choices:  # chosen in the lab's other language
            st.caption(safe.plain(_("Saved: {answer}").format(answer=saved)))
    else:
        if key not in st.session_state:
            st.session_state[key] = saved
        st.text_area(_("Your answer"), key=key, max_chars=5000, on_change=_save_answer, args=(session, step.id, key))
        if st.button(_("Save the answer"), key=f"{key}_save"):
            _save_answer(session, step.id, key)
    if session.answer(step.id) and session.answer(step.id) == (st.session_state.get(key) or ""):
        st.caption(_("Saved."))


def _save_answer(session: LabSession, question_id: str, key: str) -> None:
    value = st.session_state.get(key)
    session.record["answers"][question_id] = value if isinstance(value, str) else ""
    session.save()

