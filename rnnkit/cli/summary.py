"""What `eval` prints by default: a few lines a person reads, instead of every number (those come with --json).

    names-lstm · test split · best checkpoint
    accuracy 80.2 % · macro-F1 44.1 % · ECE 3.2 % · loss 0.598 (chance 5.6 %)
    class           precision  recall      F1  support
    Arabic             28.6 %  18.2 %  22.2 %       11
    ...                                            (one line per class, for at most 20 classes)
    every number (per-class lists, the confusion matrix, calibration bins): add --json

Scores read as on the dashboard (`rnnkit.analysis.run_text.format_score`: percent for fractions).
"""
from __future__ import annotations

from rnnkit.core.metrics import METRICS, metric_title

MAX_CLASS_LINES = 20  # more classes than this: one line about them instead of a line each
PER_CLASS = ("precision", "recall", "f1")


def eval_lines(name: str, metrics: dict, split: str, checkpoint: str, selection_metric: str = "",
               class_names: list[str] | None = None, chance: float | None = None) -> list[str]:
    """The summary of one run's evaluation: what was evaluated, the headline metrics (the one the run selects
    its best epoch by first), then one line per class for a classifier of at most MAX_CLASS_LINES classes."""
    from rnnkit.analysis.run_text import format_score  # pandas and the figures' names: only `eval` pays

    names = [metric for metric in METRICS if isinstance(metrics.get(metric), (int, float))]
    names.sort(key=lambda metric: (metric != selection_metric, metric == "loss"))
    headline = " · ".join(f"{metric_title(metric)} {format_score(metric, metrics[metric])}" for metric in names)
    if chance is not None and "accuracy" in names:
        headline += f" (chance {format_score('accuracy', chance)})"
    lines = [f"{name} · {split} split · {checkpoint} checkpoint", headline]
    per_class = metrics.get("per_class")
    if isinstance(per_class, dict) and isinstance(per_class.get("support"), list):
        count = len(per_class["support"])
        labels = list(class_names or [])
        labels = labels if len(labels) == count else [str(index) for index in range(count)]
        if count <= MAX_CLASS_LINES:
            width = max([len("class"), *(len(label) for label in labels)])
            lines.append(f"{'class':<{width}}  {'precision':>9}  {'recall':>7}  {'F1':>7}  {'support':>7}")
            for index, label in enumerate(labels):
                scores = [format_score("accuracy", per_class[key][index]) for key in PER_CLASS]
                lines.append(f"{label:<{width}}  {scores[0]:>9}  {scores[1]:>7}  {scores[2]:>7}  "
                             f"{per_class['support'][index]:>7}")
        else:
            recalls = sorted(zip(per_class["recall"], labels))
            lines.append(f"{count} classes; lowest recall {recalls[0][1]} {format_score('accuracy', recalls[0][0])}, "
                         f"highest {recalls[-1][1]} {format_score('accuracy', recalls[-1][0])}")
    extra = [key for key in ("per_class", "confusion_matrix", "calibration") if key in metrics]
    if extra:
        lines.append(f"every number ({', '.join(key.replace('_', ' ') for key in extra)}): add --json")
    return lines


def ensemble_lines(results: dict, split: str) -> list[str]:
    """One line per architecture of `eval GROUP --ensemble`: the ensemble's scores beside its members' mean and
    the best member (chosen by validation)."""
    from rnnkit.analysis.run_text import format_score

    lines = []
    for label, result in results.items():
        scores = ", ".join(f"{metric_title(metric)} {format_score(metric, value)}"
                           for metric, value in result["ensemble"].items())
        mean = ", ".join(f"{metric_title(metric)} {format_score(metric, value)}"
                         for metric, value in result["members_mean"].items())
        lines.append(f"{label}: ensemble of {result['members']} on {split}: {scores}; members' mean: {mean}")
        best = result.get("best_member")
        if best:
            metric = best["chosen_by"].rsplit(" ", 1)[-1]
            lines.append(f"  best member by validation {metric_title(metric)}: {best['run']} "
                         f"({split} {format_score(metric, best.get(split))})")
        if "temperature" in result:
            lines.append(f"  the ensemble's own temperature {result['temperature']:.2f}: ECE "
                         f"{format_score('ece', result['ece_calibrated'])}")
    lines.append("every number: add --json")
    return lines
