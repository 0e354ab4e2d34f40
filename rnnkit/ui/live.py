"""The live view of a comparison group: per run a progress row with Stop/Resume, the loss and the
job's headline metrics overlaid, the result once runs finish (test score per run beside chance and the
majority class, the best by validation score or a tie), and the confusion matrix with an epoch slider. Two
`st.fragment`s poll the run folders without redrawing the rest of the page: the progress rows every 2 s, the
charts every 4 s (a changed chart is costly for the browser to draw).
"""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import frames, reports, run_text
from rnnkit.core import settings
from rnnkit.core.metrics import metric_title
from rnnkit.model.cells import cell_names
from rnnkit.runs import group_names
from rnnkit.runs.access import may_change
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.runs.machine import current_load
from rnnkit.runs.store import Run, RunError
from rnnkit.ui import safe
from rnnkit.ui.curves import confusion_panel, metric_charts
from rnnkit.ui.i18n import _, language
from rnnkit.ui.labels import format_score, format_seconds, ordinal, state_word
from rnnkit.ui.session import store

LIVE_REFRESH_SECONDS = 2.0  # the progress rows while runs train
CHART_REFRESH_SECONDS = 4.0  # the curves and the confusion matrix while runs train (see `_charts`)
STARTUP_REFRESH_SECONDS = 0.25
QUEUED_REFRESH_SECONDS = 5.0


def progress_text(status: dict) -> str:
    """One line for a run's progress bar, in the session's language: where it stands, and while it waits or
    starts, what for (its place in the queue, the libraries loading, a machine other programs keep busy).
    `status` is `reports.progress` with `queue_place` (`Queue.places`), `launched` (a process was started
    for it) and `machine` (`rnnkit.runs.machine.MachineLoad`) added where known."""
    text = _state_text(status)
    machine = status.get("machine")
    if machine is not None and machine.busy and status["state"] in ("queued", "running"):
        text += " · " + machine_busy_text(machine)
    return text


def waiting_text(place: dict) -> str:
    """'queued: 3rd in line, 2 runs ahead use the 2 slots' (or what else the group waits for)."""
    if place.get("owner_busy"):
        return _("queued: waits until its owner's group in training ends ({place} in line)").format(
            place=ordinal(place["position"]))
    if place["position"] == 1:
        return _("queued: next in line, {training} run(s) ahead use the {capacity} slot(s)").format(
            training=place["training"], capacity=place["capacity"])
    return _("queued: {place} in line, {training} run(s) ahead use the {capacity} slot(s)").format(
        place=ordinal(place["position"]), training=place["training"], capacity=place["capacity"])


def machine_busy_text(machine) -> str:
    """'the machine is busy: 3 other programs use the cores'."""
    if machine.other_programs:
        return _("the machine is busy: {count} other program(s) use the cores").format(count=machine.other_programs)
    return _("the machine is busy: other programs use {used:.1f} of its {cores} cores").format(
        used=machine.other_cores, cores=machine.cores)


def _state_text(status: dict) -> str:
    state = state_word(status["state"])
    if status["state"] == "queued" and status.get("queue_place"):
        return waiting_text(status["queue_place"])
    if status["state"] == "queued" and status.get("launched") and not status["phase"]:
        return _("starting (loading libraries)")  # launched; the process imports torch before its first record
    if status["state"] in ("running", "queued") and status["phase"] == "loading data":
        return _("loading data")
    if status["state"] == "running" and status["step"] is not None:
        text = _("epoch {epoch}/{epochs} · step {step}/{steps}").format(
            epoch=status["epoch"] + 1, epochs=status["epochs"], step=status["step"], steps=status["steps_per_epoch"])
    elif status["epoch"] or status["state"] != "queued":
        text = _("{state} · epoch {epoch}/{epochs}").format(state=state, epoch=status["epoch"], epochs=status["epochs"])
    else:
        text = state
    if status["eta_seconds"] is not None:
        text += " · " + _("ETA {time}").format(time=format_seconds(status["eta_seconds"]))
    elif status.get("eta_estimating"):  # the first steps are timed before an ETA is given (rnnkit.worker.eta)
        text += " · " + _("ETA estimating…")
    if status["state"] == "stopped" and status["resume_step"]:
        text += " · " + _("Resume continues at step {step} of epoch {epoch}").format(
            step=status["resume_step"] + 1, epoch=status["epoch"] + 1)
    monitor = status["monitor"]
    if status["state"] == "completed" and status["test"].get(monitor) is not None:
        text += " · " + _("test {metric} {value}").format(metric=_(metric_title(monitor)),
                                                           value=format_score(monitor, status["test"][monitor]))
    return text


# ---------------------------------------------------------------------------------- live view
def _ordered(runs: list[Run]) -> list[Run]:
    order = {arch: index for index, arch in enumerate(cell_names())}
    return sorted(runs, key=lambda run: (order.get(reports.arch_of(run), 99), run.run_id))


def run_rows(runs: list[Run], key: str) -> None:
    """Per run: name, progress bar with epoch/step/ETA (the test score once done), Stop or Resume."""
    run_store = store()  # one store (and one look at who is logged in) for all rows
    places = run_store.queue.places()
    statuses = {run.run_id: reports.progress(run) for run in runs}
    active = [run_id for run_id, status in statuses.items() if status["state"] in ("queued", "running")]
    machine = current_load(len(active)) if active and not settings.ray_address() else None  # a cluster: not here
    for run in runs:
        status = statuses[run.run_id]
        status.update(queue_place=places.get(run.run_id), launched=bool(run.worker()), machine=machine)
        name, bar, action = st.columns([2, 6, 1.3])
        name.markdown(f"<span style='color:{frames.run_colour(run)}'>●</span> **{reports.run_label(run, language())}**",
                      unsafe_allow_html=True, help=run.run_id)
        bar.progress(status["fraction"], text=progress_text(status))
        mine = may_change(run_store.user, run.owner())  # another student's run: watch only
        if mine and status["state"] in ("running", "queued"):
            if action.button(_("Stop"), key=f"{key}_stop_{run.run_id}"):
                run_store.stop(run.run_id)
        elif mine and status["state"] in RESUMABLE_STATES:
            if action.button(_("Resume"), key=f"{key}_resume_{run.run_id}"):
                try:
                    run_store.resume(run.run_id)
                except QueueFull as error:
                    safe.error(queue_full_message(error, _))
                except RunError as error:
                    safe.error(error)
                else:  # the rows above were drawn before the resume, and a finished group's view does not poll:
                    st.rerun()  # rerun the page, so the row moves now and the view polls at the pace that fits
        if status["state"] in ("failed", "interrupted") and status["error"]:
            safe.error(f"{reports.run_label(run, language())}: {status['error']}")


def result_summary(runs: list[Run]) -> None:
    """Once runs have finished: the line of `result_line`."""
    line = result_line(runs)
    if line:
        st.success(line, icon=":material/emoji_events:")


def result_line(runs: list[Run]) -> str | None:
    """The line of `rnnkit.analysis.run_text.result_line` in the session's language (the HTML report prints the
    same): test scores beside chance and the majority class, ordered and judged by VALIDATION score."""
    return run_text.result_line(runs, language())


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def live_view(group: str) -> None:
    """The group's runs, refreshed while they train (only this part of the page reruns): the progress rows
    every `LIVE_REFRESH_SECONDS` and the charts every `CHART_REFRESH_SECONDS`; the rows faster while a
    launched run has not written its first point yet, so it shows up at once; slowly while the group waits in
    the queue; not at all once every run has ended (a finished group costs the server and the browser next to
    nothing: while one of its runs could be resumed, only the runs' states are read, every
    `QUEUED_REFRESH_SECONDS`). A Resume clicked here reruns the page at once."""
    mode = _refresh_mode(store().runs(group=group))
    rename_box(group)
    if mode == "finished":
        _watch_for_restart(group)

    @st.fragment(run_every=REFRESH_SECONDS[mode])
    def panel() -> None:
        run_store = store()
        try:
            run_store.queue.dispatch()  # a run that died leaves room: the next waiting group starts
        except ValueError as error:  # e.g. a bad RNNKIT_QUEUE_CAPACITY: say so, keep showing the runs
            safe.error(error)
        runs = _ordered(run_store.runs(group=group))
        if not runs:
            st.info(_("No runs in this group yet."))
            return
        now = _refresh_mode(runs)
        queue_note(run_store, runs)
        run_rows(runs, key="live")
        if now != mode:  # started, charted or finished: rerun the page once, so the charts below appear (or take
            st.rerun()  # their last state) and each part polls at the interval that fits (a fragment keeps the
            # interval it was drawn with)

    panel()
    if mode in ("training", "finished"):  # nothing to chart before; drawing would only take CPU from the runs
        _charts(group, every=CHART_REFRESH_SECONDS if mode == "training" else None)


def _charts(group: str, every: float | None) -> None:
    """The result line, the curves and the confusion matrix: a fragment of its own that follows the runs more
    slowly than their progress rows. Streamlit draws a Plotly figure whose content changed as a new chart, so
    each refresh of the curves costs the browser far more than a refresh of the rows (`CHART_REFRESH_SECONDS`);
    a choice made here (run, epoch, normalise) reruns only this part."""
    @st.fragment(run_every=every)
    def charts() -> None:
        runs = _ordered(store().runs(group=group))
        if not runs:
            return
        result_summary(runs)
        metric_charts(runs, key="live")
        confusion_panel(runs, key="live")

    charts()


def watching_labels(runs: list[Run], root) -> dict[str, str]:
    """group id -> 'recall · rnn/lstm/gru · 08:01 · alice' for the Train page's *Watching* box: the group's name
    (`rnnkit.runs.group_names`), then who started its runs (classroom mode: a teacher sees every student's
    groups and finds one by its owner); a group of single-user mode has no owner to name."""
    owners: dict[str, list[str]] = {}
    for run in runs:
        group, owner = reports.group_of(run), run.owner()
        if group and owner and owner not in owners.setdefault(group, []):
            owners[group].append(owner)
    return {group: " · ".join([label, ", ".join(owners[group])]) if owners.get(group) else label
            for group, label in group_names.group_labels(runs, root).items()}


def rename_box(group: str) -> None:
    """The group's name as people read it, which its owner (every run's) or a teacher can change; the id
    stays what folders, links and the command line use (`rnnkit.runs.group_names`)."""
    run_store = store()
    runs = run_store.runs(group=group)
    if not runs or not all(may_change(run_store.user, run.owner()) for run in runs):
        return
    with st.expander(_("Rename this group")):
        st.caption(safe.plain(_("Its id stays {group} (folders, links, the command line); an empty name goes back to "
                                "the one made from its content and time.").format(group=group)))
        name = st.text_input(_("Name"), value=group_names.stored_label(run_store.root, group),
                             max_chars=group_names.MAX_LABEL_CHARACTERS, key=f"live_rename_{group}",
                             placeholder=group_names.default_label(runs, group))
        if st.button(_("Save the name"), key=f"live_rename_save_{group}"):
            try:
                group_names.rename_group(run_store.root, group, name, runs, run_store.user)
            except (RunError, OSError) as error:
                safe.error(error)
            else:
                st.rerun()


def _watch_for_restart(group: str) -> None:
    """While every run of the group has ended, the view draws once and does not poll; a run resumed elsewhere
    (another tab, the command line, a teacher) would stay "stopped" on this screen. This small fragment reads
    only the runs' status files, every `QUEUED_REFRESH_SECONDS`, and reruns the page once one is active again."""
    if not any(run.status()["state"] in RESUMABLE_STATES for run in store().runs(group=group)):
        return  # every run completed: nothing can start again here

    @st.fragment(run_every=QUEUED_REFRESH_SECONDS)
    def watch() -> None:
        if _refresh_mode(store().runs(group=group)) != "finished":
            st.rerun()

    watch()


RESUMABLE_STATES = ("stopped", "interrupted", "failed")
REFRESH_SECONDS = {"starting": STARTUP_REFRESH_SECONDS, "training": LIVE_REFRESH_SECONDS,
                   "waiting": QUEUED_REFRESH_SECONDS, "finished": None}


def _refresh_mode(runs: list[Run]) -> str:
    """starting (a launched run has no loss point yet) | training | waiting (only queued, nothing to
    chart) | finished (no run is queued or running)."""
    states = {run.run_id: run.status()["state"] for run in runs}
    active = [run for run in runs if states[run.run_id] in ("queued", "running")]
    if not active:
        return "finished"
    if any(run.worker() and not run.metrics("step") for run in active):  # its start record alone is no point
        return "starting"
    if all(states[run.run_id] == "queued" and not run.worker() for run in active) and \
            not any(run.metrics_size() for run in runs):
        return "waiting"
    return "training"


def queue_note(run_store, runs: list[Run]) -> None:
    """While this group waits: how busy the machine is, so a wait does not look like a hang."""
    positions = run_store.queue.positions()
    if not any(run.run_id in positions for run in runs):
        return
    summary = run_store.queue.summary()
    st.info(_("This group waits for its turn: {training} run(s) are training (the server trains about "
              "{capacity} at once) and {groups} group(s) are waiting. It starts by itself.").format(
        training=summary["training_runs"], capacity=summary["capacity"], groups=summary["waiting_groups"]),
        icon=":material/hourglass_top:")
