"""Metrics as plain JSON-able dicts, computed with scikit-learn.

classification: accuracy, macro-F1, per-class precision/recall/F1/support, confusion matrix
regression:     MAE and RMSE, in the target's own units
language model: perplexity = exp(mean next-token cross-entropy over real tokens)
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import torch

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
}


def metric_title(name: str) -> str:
    return METRICS[name].title if name in METRICS else name.replace("_", " ")


def higher_is_better(name: str) -> bool:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; valid: {', '.join(METRICS)}")
    return METRICS[name].higher_is_better


def _numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def classification_metrics(targets, predictions, class_names: Sequence[str]) -> dict:
    """Metrics for class ids; `class_names` fixes the label order of the per-class lists."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_true, y_pred = _numpy(targets), _numpy(predictions)
    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # macro over the classes that occur (sklearn's default), so a class missing from a small
        # split does not count as F1 = 0
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "per_class": {
            "precision": [round(float(v), 4) for v in precision],
            "recall": [round(float(v), 4) for v in recall],
            "f1": [round(float(v), 4) for v in f1],
            "support": [int(v) for v in support],
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


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
