"""Metrics as plain JSON-able dicts, computed with scikit-learn.

classification: accuracy, macro-F1, per-class precision/recall/F1/support, confusion matrix
regression:     MAE and RMSE, in the target's own units
language model: perplexity = exp(mean next-token cross-entropy over real tokens)
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import numpy as np

# scikit-learn (with scipy) takes over a second to import; it is imported where metrics are first
# computed, at the end of the first epoch, so a training process shows its first loss point sooner



class Metric(NamedTuple):
    title: str  # how charts and tables name it
    higher_is_better: bool  # decides the best epoch, early stopping and every "who won"


# the one place that says what a metric is called and which direction is better
METRICS = {
    "loss": Metric("loss", False),
    "accuracy": Metric("accuracy", True),
    "macro_f1": Metric("macro-F1", True),
    "mae": Metric("MAE", False),
    "rmse": Metric("RMSE", False),
    "perplexity": Metric("perplexity", False),
    "ece": Metric("ECE", False),
}
CALIBRATION_BINS = 15


def metric_title(name: str) -> str:
    return METRICS[name].title if name in METRICS else name.replace("_", " ")


def higher_is_better(name: str) -> bool:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; valid: {', '.join(METRICS)}")
    return METRICS[name].higher_is_better


def _numpy(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor (this module imports no torch)
        return values.detach().cpu().numpy()
    return np.asarray(values)


def classification_metrics(targets, predictions, class_names: Sequence[str]) -> dict:
    """Metrics for class ids; `class_names` fixes the label order of the per-class lists.

    The numbers are scikit-learn's (`precision_recall_fscore_support` with `zero_division=0`, `f1_score`'s
    macro average, `confusion_matrix`), computed here from one confusion matrix: scikit-learn's input checks
    cost about 40 ms a call, and a run calls this after every epoch and some thirty times while fitting its
    balanced decision (1.6 s of a 19 s lesson run). Ids outside the classes, or no ids at all, go to
    scikit-learn itself. tests/test_baselines.py holds the two equal."""
    y_true, y_pred = _numpy(targets).reshape(-1), _numpy(predictions).reshape(-1)
    classes = len(class_names)
    if (not y_true.size or y_true.shape != y_pred.shape or not _ids_within(y_true, classes)
            or not _ids_within(y_pred, classes)):
        return _classification_metrics_sklearn(y_true, y_pred, classes)
    y_true, y_pred = y_true.astype(np.int64), y_pred.astype(np.int64)
    confusion = np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)
    hits = np.diag(confusion).astype(np.float64)
    support, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    precision = np.divide(hits, predicted, out=np.zeros(classes), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros(classes), where=support > 0)
    both = support + predicted  # scikit-learn's F1: 2·tp / (true + predicted)
    f1 = np.divide(2 * hits, both, out=np.zeros(classes), where=both > 0)
    # macro over the classes that occur (sklearn's default), so a class missing from a small split does not
    # count as F1 = 0
    return _scores(np.mean(y_true == y_pred), np.average(f1[both > 0]), precision, recall, f1, support, confusion)


def _ids_within(values: np.ndarray, classes: int) -> bool:
    return bool(np.issubdtype(values.dtype, np.integer) and values.min() >= 0 and values.max() < classes)


def _classification_metrics_sklearn(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(range(classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return _scores(accuracy_score(y_true, y_pred), f1_score(y_true, y_pred, average="macro", zero_division=0),
                   precision, recall, f1, support, confusion_matrix(y_true, y_pred, labels=labels))


def _scores(accuracy, macro_f1, precision, recall, f1, support, confusion) -> dict:
    return {
        "accuracy": float(accuracy),
        "macro_f1": float(macro_f1),
        "per_class": {
            "precision": [round(float(v), 4) for v in precision],
            "recall": [round(float(v), 4) for v in recall],
            "f1": [round(float(v), 4) for v in f1],
            "support": [int(v) for v in support],
        },
        "confusion_matrix": np.asarray(confusion).tolist(),
    }


def calibration(confidences, correct, bins: int = CALIBRATION_BINS) -> dict:
    """Expected calibration error and the reliability diagram's bins: the predictions are grouped by
    their confidence (the top class's probability) into `bins` equal-width bins; ECE is the mean gap
    between confidence and accuracy over the bins, weighted by how many predictions each holds
    (Guo et al. 2017). The one implementation: Compare, temperature scaling and the reports use it."""
    confidence = _numpy(confidences).astype(np.float64).reshape(-1)
    hits = _numpy(correct).astype(np.float64).reshape(-1)
    if confidence.shape != hits.shape:
        raise ValueError("one correctness value per confidence is needed")
    if confidence.size and (confidence.min() < 0 or confidence.max() > 1):
        raise ValueError("confidences are probabilities in [0, 1]")
    index = np.minimum((confidence * bins).astype(int), bins - 1)  # [k/bins, (k+1)/bins); 1.0 in the last
    count = np.bincount(index, minlength=bins)
    confidence_sum = np.bincount(index, weights=confidence, minlength=bins)
    hit_sum = np.bincount(index, weights=hits, minlength=bins)
    filled = count > 0
    mean_confidence = np.divide(confidence_sum, count, out=np.zeros(bins), where=filled)
    accuracy = np.divide(hit_sum, count, out=np.zeros(bins), where=filled)
    ece = float(np.sum(count * np.abs(mean_confidence - accuracy)) / max(confidence.size, 1))
    return {"ece": ece, "count": [int(value) for value in count],
            "confidence": [round(float(value), 4) for value in mean_confidence],
            "accuracy": [round(float(value), 4) for value in accuracy]}


def regression_metrics(targets, predictions) -> dict:
    """MAE and RMSE over every predicted value (all horizons of all sequences)."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    y_true = _numpy(targets).reshape(-1).astype(np.float64)
    y_pred = _numpy(predictions).reshape(-1).astype(np.float64)
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
    }


def perplexity(mean_loss: float) -> float:
    """exp(loss), capped so a diverging model reports a large number instead of overflowing."""
    return float(math.exp(min(mean_loss, 50.0)))


def is_better(metric: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value > best if higher_is_better(metric) else value < best


def best_epoch_record(epochs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The epoch record of a run's best epoch, as its LAST record says (earlier records name the best epoch
    so far); None before the first epoch. The one lookup the reports, sweeps and checkpoints share."""
    if not epochs:
        return None
    best = epochs[-1].get("best_epoch")
    return next((record for record in epochs if record.get("epoch") == best), epochs[-1])
