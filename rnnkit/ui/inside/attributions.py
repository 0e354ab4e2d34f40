"""Inside view *Which inputs mattered*: integrated gradients of one output, drawn as coloured tokens and a
bar per token, or for number inputs a step x feature map with bars per step (per day for weather) and per
feature. `show_attributions` draws them for the Playground too.

Integrating takes seconds (more on a busy machine): it runs as a job (`rnnkit.ui.work`) whose box says
the step (loading captum, once per server; the integration points done) and how far; a rerun while it
works follows the same job instead of starting again. The explained class is chosen per model (its
widget's key holds the model), so a class chosen for one task is never applied to another's."""
from __future__ import annotations

import hashlib

import streamlit as st

from rnnkit.analysis.attribution import attribute, per_group
from rnnkit.analysis.inference import Predictor
from rnnkit.data import inputs
from rnnkit.ui import charts, safe, work
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _
from rnnkit.ui.inside.common import Chosen, choose_input, explain

NEEDS_MODEL = True

PREDICTED = -1  # the class box's first option: explain whichever class the model predicts


def title() -> str:
    return _("Which inputs mattered")


def show(chosen: Chosen, key: str) -> None:
    predictor = chosen.predictor
    if predictor.spec.job == "language_model":
        st.info(_("Attributions are shown for classifiers and forecasts; the poem model writes text."))
        return
    explain(_("integrated gradients: how much each input step (token) pushed the chosen output up (red) or "
              "down (blue), measured from an empty input; the scores add up to the output's change."),
            _("the few tokens that carry the decision, e.g. 'superb' for a positive review or the first step "
              "of a recall sequence."))
    model_input = choose_input(predictor, key)
    if model_input is None:
        return
    spec = predictor.spec
    target = hour = None
    if spec.job == "classify":
        names = list(spec.class_names)
        class_key = f"{key}_class_{model_key(chosen.path)}"  # one choice per model: Recall's class 9 is not Names'
        relabel(class_key)
        chosen_class = st.selectbox(_("explain the score of class"), [PREDICTED, *range(len(names))],
                                    format_func=lambda i: _("the predicted class") if i == PREDICTED else names[i],
                                    key=class_key)
        target = None if chosen_class == PREDICTED else chosen_class  # None: the model's own prediction
    elif spec.output_size > 1:
        relabel(f"{key}_which")
        which = st.radio(_("explain"), ["mean", "hour"], horizontal=True, key=f"{key}_which",
                         format_func=lambda w: _("the mean forecast") if w == "mean" else _("one forecast step"))
        if which == "hour":
            hour = st.slider(_("forecast step"), 1, spec.output_size, 1, key=f"{key}_hour") - 1
    show_attributions(predictor, model_input, key, target=target, hour=hour)


def show_attributions(predictor: Predictor, model_input: inputs.ModelInput, key: str, target: int | None = None,
                      hour: int | None = None) -> None:
    """Integrated gradients of one output, drawn: coloured tokens and a bar per token, or for number
    inputs a step x feature map with bars per step (per day for weather) and per feature. Used by the
    Inside page and the Playground."""
    spec = predictor.spec
    inputs = (id(predictor), tuple(model_input.steps), tuple(model_input.inputs[0].flatten().tolist()), target, hour)
    job = work.job(f"{key}_job", inputs, attribute, predictor, model_input, target=target, hour=hour)
    try:
        result = work.follow(job, _("Which inputs mattered: integrated gradients"), _progress_words)
    except ValueError as error:
        safe.error(error)
        return
    if spec.job == "classify":
        what = _("the score of class {name}").format(name=spec.class_names[target if target is not None else int(
            predictor.outputs(model_input.inputs[:1], model_input.lengths[:1]).argmax(-1)[0])])
    else:
        what = _("the mean forecast") if hour is None else _("forecast step {step}").format(step=hour + 1)
    st.caption(safe.plain(_("Explained: {what}; output {output:.3f}, for an empty input {baseline:.3f}; the scores "
                            "sum to the difference within {error:.1%}.").format(
        what=what, output=result.output, baseline=result.baseline_output, error=result.relative_error)))
    if spec.input_kind == "tokens":
        st.plotly_chart(charts.coloured_text_figure(model_input.steps, result.scores), key=f"{key}_text")
        st.plotly_chart(charts.attribution_bars(model_input.steps, result.scores, _("attribution per token"),
                                                 _("step (token)")), key=f"{key}_bars")
        return
    st.plotly_chart(charts.feature_attribution_figure(result.scores, model_input.steps, model_input.features),
                    key=f"{key}_features")
    st.plotly_chart(charts.attribution_bars(model_input.steps, result.per_step, _("attribution per input step"),
                                             _("input step")), key=f"{key}_steps")
    per_day = int(round(24 * float(predictor.artifacts.get("steps_per_hour", 0)))) or 0
    if per_day and len(model_input.steps) > per_day:
        days = per_group(result.scores, per_day)
        st.plotly_chart(charts.attribution_bars([_("day {day}").format(day=d + 1) for d in range(len(days))], days,
                                                 _("attribution per input day"), _("input day")), key=f"{key}_days")
    totals = result.scores.sum(axis=0)
    st.plotly_chart(charts.attribution_bars(model_input.features, totals, _("attribution per feature"),
                                             _("feature")), key=f"{key}_totals")


def model_key(path: str | None) -> str:
    """A short key part that names the model at `path`."""
    return hashlib.sha1(str(path).encode()).hexdigest()[:12]


def _progress_words(stage: str, details: dict) -> str:
    if stage == "load":
        return _("loading captum, the attribution library (once per server) ...")
    if details.get("round", 1) == 1:
        return _("integrating gradients along {points} points ...").format(points=details["points"])
    return _("the scores missed the output's change by more than 1 %: again with {points} points ...").format(
        points=details["points"])
