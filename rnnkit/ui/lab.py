"""The Lab page's frame (pages/lab.py): which lab, whose progress, and where the student stands.

    pick_lab()       the lab box (lab ids, titled in the session's language; 中文 falls back to English where a
                     lab has no Chinese file), kept in the address as ?lab=ID; a bad id there is said, not run
    owner_key()      whose progress: the logged-in name in classroom mode, else this browser's random id, kept
                     in a cookie and in the address (?learner=ID), so a reload and a server restart keep it
    LabSession       the lab, the student's saved record (rnnkit.runs.lab_progress) and the runs of each run
                     step, read once per page run; the checks evaluated once (rnnkit.analysis.labs)
    progress_bar()   the first step not done yet: a run step whose runs have not all completed, a check not
                     passed, a question not answered (read and look steps never hold a student back)

Every text of a lab is plain text: shown through st.text or `safe.plain`, never as markdown or HTML.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.components.v2 import component

from rnnkit.analysis.labs import Lab, LabError, evaluate_check, lab_ids, lab_runs, load_lab
from rnnkit.runs.lab_progress import LabProgress
from rnnkit.runs.store import Run, RunStore
from rnnkit.ui import safe
from rnnkit.ui.auth import current_user
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _, language
from rnnkit.ui.session import store

LAB_PARAMETER = "lab"  # ?lab=memory-horizon
LEARNER_PARAMETER = "learner"  # ?learner=<32 hex>: this browser's progress (single-user mode)
COOKIE = "rnnkit_lab_learner"
LEARNER_PATTERN = re.compile(r"^[0-9a-f]{32}$")
COOKIE_DAYS = 365
SAVED = ("step", "answers", "groups")  # what the progress file keeps (rnnkit.runs.lab_progress)
CACHE_SECONDS = 60  # a teacher's edit of a lab file shows within a minute
# runs in the page (a components.v2 component has no iframe): keep this browser's random lab id in a cookie
_WRITE_COOKIE_JS = """
export default function ({ data }) {
  if (!data || data.name !== "rnnkit_lab_learner" || !/^[0-9a-f]{32}$/.test(data.value)) {
    return;
  }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${data.value}; Max-Age=${Math.floor(data.max_age)}; Path=/; SameSite=Strict${secure}`;
}
"""
_cookie_writer = component("rnnkit_lab_learner_cookie", js=_WRITE_COOKIE_JS)


@st.cache_resource(ttl=CACHE_SECONDS, show_spinner=False)
def cached_lab(lab_id: str, lab_language: str) -> Lab:
    """The validated lab (LabError when its file is broken), cached a minute per language."""
    return load_lab(lab_id, lab_language)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def shipped_labs() -> list[str]:
    return list(lab_ids())


def lab_title(lab_id: str) -> str:
    try:
        return cached_lab(lab_id, language()).title
    except (LabError, ValueError, OSError):
        return lab_id  # a broken file: its id, and the page says what is wrong once it is picked


def pick_lab() -> Lab | None:
    """The lab box; None (with the reason shown) when there is no lab or the chosen one cannot be read."""
    ids = shipped_labs()
    if not ids:
        st.info(_("No labs are installed."))
        return None
    wanted = st.query_params.get(LAB_PARAMETER)
    if wanted is not None and wanted not in ids and st.session_state.get("lab_refused") != wanted:
        st.session_state["lab_refused"] = wanted  # said once per bad link, then the box's choice counts
        st.warning(safe.plain(_("There is no lab called “{lab}”; choose one of the labs below.").format(
            lab=str(wanted)[:80])))
    elif wanted in ids and st.session_state.get("lab_linked") != wanted:
        st.session_state["lab_linked"] = wanted  # a link to a lab opens it
        st.session_state["lab_pick"] = wanted
    if st.session_state.get("lab_pick") not in ids:
        st.session_state["lab_pick"] = ids[0]
    relabel("lab_pick")  # after a language switch, the titles in the new language
    lab_id = st.selectbox(_("Lab"), ids, format_func=lab_title, key="lab_pick")
    if st.query_params.get(LAB_PARAMETER) != lab_id:
        st.query_params[LAB_PARAMETER] = lab_id
    try:
        return cached_lab(lab_id, language())
    except (LabError, ValueError, OSError) as error:
        safe.error(_("This lab cannot be opened: {error}").format(error=error))
        return None


def owner_key() -> str:
    """Whose progress this is: the logged-in name in classroom mode; in single-user mode this browser's
    random id (the cookie first, then the address, else a new one), written back to both."""
    user = current_user()
    if user is not None:
        return user.name
    known = st.session_state.get("lab_learner")
    if not _is_learner(known):
        cookie = st.context.cookies.get(COOKIE)
        address = st.query_params.get(LEARNER_PARAMETER)
        known = next((value for value in (cookie, address) if _is_learner(value)), None) or secrets.token_hex(16)
        st.session_state["lab_learner"] = known
    if st.query_params.get(LEARNER_PARAMETER) != known:
        st.query_params[LEARNER_PARAMETER] = known
    if st.context.cookies.get(COOKIE) != known:  # until a new connection shows the browser keeps it
        _cookie_writer(key="lab_cookie", data={"name": COOKIE, "value": known, "max_age": COOKIE_DAYS * 86400})
    return known


def _is_learner(value: Any) -> bool:
    return isinstance(value, str) and bool(LEARNER_PATTERN.match(value))


@dataclass
class LabSession:
    """One page run's view of a lab for one student."""

    lab: Lab
    owner: str  # the progress's owner key
    store: RunStore
    progress: LabProgress
    record: dict = field(default_factory=dict)  # step, answers, groups (and a warning when the file was unreadable)
    runs: dict[str, list[Run]] = field(default_factory=dict)  # run step name -> its latest group's runs
    checks: dict[int, Any] = field(default_factory=dict)  # check step index -> CheckResult (or the error's text)

    runs_owner: str = ""  # whose runs: the student's name in classroom mode, "" in single-user mode

    @classmethod
    def open(cls, lab: Lab, owner: str) -> "LabSession":
        """This session's own lab: the owner's progress, the runs it started."""
        user = current_user()
        return cls.of_student(lab, owner, store(), user.name if user is not None else "")

    @classmethod
    def of_student(cls, lab: Lab, owner: str, run_store: RunStore, runs_owner: str | None = None) -> "LabSession":
        """The lab as the student `owner` has done it (a teacher's view of a student: `runs_owner` = `owner`)."""
        session = cls(lab, owner, run_store, LabProgress(run_store.root, owner))
        session.record = dict(session.progress.get(lab.id) or {})
        session.runs_owner = owner if runs_owner is None else runs_owner
        for section in ("answers", "groups"):
            if not isinstance(session.record.get(section), dict):
                session.record[section] = {}
        session.read_runs()
        return session

    def read_runs(self) -> None:
        """Each run step's runs: the group this student started last (saved in the progress), else in classroom
        mode the lab's latest group of that step started by this student (e.g. `python -m rnnkit lab run`). In
        single-user mode every run is nobody's, so only the saved group counts: another browser's runs are not
        this browser's."""
        for step in self.lab.run_steps():
            group = self.record["groups"].get(step.name)
            runs = self.store.runs(group=group) if isinstance(group, str) and group else []
            if runs and self.runs_owner and any(run.owner() != self.runs_owner for run in runs):
                runs = []  # a record names only its owner's groups
            if not runs and self.runs_owner:
                runs = list(lab_runs(self.store, self.lab, step.name, self.runs_owner))
            self.runs[step.name] = runs
        for step in self.lab.steps:
            if step.kind == "check":
                try:
                    self.checks[step.index] = evaluate_check(self.lab, step, self.runs.get(step.run, []))
                except (ValueError, OSError) as error:  # a damaged run folder: say so at the check
                    self.checks[step.index] = str(error)

    def save(self) -> bool:
        """Write the progress; False (with the reason shown) when it cannot be written."""
        self.record["step"] = self.reached()
        try:
            self.progress.save(self.lab.id, {key: self.record[key] for key in SAVED if key in self.record})
        except (ValueError, OSError) as error:
            safe.error(_("Your progress could not be saved: {error}").format(
                error=getattr(error, "strerror", None) or error))
            return False
        return True

    def answer(self, question_id: str) -> str:
        saved = self.record["answers"].get(question_id)
        return saved if isinstance(saved, str) else ""

    def done(self, step) -> bool:
        if step.kind == "run":
            runs = self.runs.get(step.name, [])
            return bool(runs) and all(run.status()["state"] == "completed" for run in runs)
        if step.kind == "check":
            return getattr(self.checks.get(step.index), "passed", None) is True
        if step.kind == "question":
            return bool(self.answer(step.id).strip())
        return True  # read and look steps hold nobody back

    def reached(self) -> int:
        """The index (1-based) of the first step not done; one past the last when every step is done."""
        return next((step.index for step in self.lab.steps if not self.done(step)), len(self.lab.steps) + 1)


def progress_bar(session: LabSession) -> None:
    total, reached = len(session.lab.steps), session.reached()
    if reached > total:
        text = _("Every step is done: write your lab report below.")
    else:
        text = _("You are at step {step} of {total}; you may read ahead.").format(step=reached, total=total)
    st.progress((reached - 1) / total if total else 1.0, text=text)
    if session.record.get("step") != reached:
        session.save()  # where the student stands, for the teacher's list
