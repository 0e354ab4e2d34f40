"""Inside view *Which inputs mattered*: integrated gradients of one output, drawn as coloured tokens and a
bar per token, or for number inputs a step x feature map with bars per step (per day for weather) and per
feature. `show_attributions` draws them for the Playground too."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.attribution import attribute, per_group
from rnnkit.analysis.inference import Predictor
from rnnkit.data import inputs
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.inside.common import Chosen, choose_input, explain

NEEDS_MODEL = True


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
        with_prediction = predictor.describe(predictor.outputs(model_input.inputs[:1], model_input.lengths[:1]))[0]
        names = list(spec.class_names)
        target = st.selectbox(_("explain the score of class (default: the prediction)"), list(range(len(names))),
                              index=names.index(with_prediction["label"]), format_func=lambda i: names[i],
                              key=f"{key}_class")
    elif spec.output_size > 1:
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
    with st.spinner(_("integrating gradients ...")):
        try:
            result = attribute(predictor, model_input, target=target, hour=hour)
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
