"""After training a classifier: calibrated probabilities and a balanced decision, both fitted on the
validation split only, stored in best.pt and used by predict, the Playground and Compare.

Temperature scaling (Guo et al. 2017): one number T divides the logits, chosen to minimise the
validation negative log-likelihood. The predicted class does not change; the confidence does, so a
model that says 98.5 % when it is right 80 % of the time gets probabilities it has earned.

Logit adjustment (Menon et al. 2021): with class frequencies π from the training split,

    balanced score_y = logit_y - τ · log π_y

τ = 0 is the plain argmax ("most likely"); larger τ gives rare classes a fairer chance, trading
accuracy for macro-F1. τ is chosen on validation (the best macro-F1 on a grid), and the whole
accuracy / macro-F1 curve over τ is kept for the README and the reports.

Calibration error is measured with the one ECE of `rnnkit.core.metrics.calibration`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from rnnkit.core.metrics import calibration, classification_metrics

TAUS = tuple(round(0.25 * step, 2) for step in range(0, 13))  # 0, 0.25, ..., 3.0
DECISIONS = ("likely", "balanced")  # most likely class, or the logit-adjusted one


def nll(logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the targets under softmax(logits / T)."""
    return float(F.cross_entropy(logits.float() / temperature, targets))


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The T > 0 minimising the NLL of softmax(logits / T) (L-BFGS on log T, kept within [0.05, 20])."""
    if logits.numel() == 0:
        raise ValueError("no validation predictions to fit a temperature on")
    logits, targets = logits.detach().float(), targets.detach()
    log_t = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), targets)
        loss.backward()
        return loss

    optimiser.step(closure)
    temperature = float(log_t.detach().exp().clamp(0.05, 20.0))
    return temperature if nll(logits, targets, temperature) <= nll(logits, targets) else 1.0


def log_prior(train_targets: torch.Tensor, classes: int) -> torch.Tensor:
    """log of the training split's class frequencies (add-one smoothed: a class never seen is not -inf)."""
    counts = torch.bincount(train_targets.reshape(-1).long(), minlength=classes).float() + 1.0
    return (counts / counts.sum()).log()


def adjust(logits: torch.Tensor, prior: torch.Tensor, tau: float) -> torch.Tensor:
    """Logit-adjusted scores: logits - tau * log prior (tau = 0: the logits unchanged)."""
    return logits if tau == 0 else logits - tau * prior.to(logits.device, logits.dtype)


def tau_curve(logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor,
              class_names: tuple[str, ...], taus: tuple[float, ...] = TAUS) -> list[dict]:
    """Accuracy and macro-F1 of the adjusted decision at each tau."""
    rows = []
    for tau in taus:
        scores = classification_metrics(targets, adjust(logits, prior, tau).argmax(-1), class_names)
        rows.append({"tau": tau, "accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]})
    return rows


def fit(validation: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
        train_targets: torch.Tensor, class_names: tuple[str, ...]) -> dict:
    """Temperature and tau from validation (logits, targets); test figures raw and adjusted, for the record."""
    logits, targets = validation
    temperature = round(fit_temperature(logits, targets), 4)  # the T stored and applied: every figure uses it
    prior = log_prior(train_targets, logits.shape[-1])
    curve = tau_curve(logits, targets, prior, class_names)
    best = max(curve, key=lambda row: (row["macro_f1"], -row["tau"]))  # ties: the smaller adjustment
    test_logits, test_targets = test
    return {
        "temperature": temperature, "log_prior": [round(float(v), 6) for v in prior],
        "tau": best["tau"], "validation_curve": curve,
        "validation": {"nll": nll(logits, targets), "nll_calibrated": nll(logits, targets, temperature)},
        "test": {**_ece_pair(test_logits, test_targets, temperature),
                 "nll": nll(test_logits, test_targets), "nll_calibrated": nll(test_logits, test_targets, temperature),
                 "balanced": classification_metrics(test_targets, adjust(test_logits, prior, best["tau"]).argmax(-1),
                                                    class_names)},
        "test_curve": tau_curve(test_logits, test_targets, prior, class_names),
    }


def fit_model(evaluator, model, data, test: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict:
    """`fit` for a trained classifier: its logits on the validation split and on the test split (or the
    test logits already computed, e.g. kept by the test pass) through `evaluator` (rnnkit.training.evaluator)."""
    if test is None:
        test = evaluator.outputs(model, data.test)
    return fit(evaluator.outputs(model, data.validation), test, data.train.targets, data.spec.class_names)



def posthoc_record(epoch: int, fitted: dict, seconds: float) -> dict:
    """The `posthoc` line of metrics.jsonl for a fit of `epoch`'s weights: one shape, whoever fits (the
    worker after testing, or `python -m rnnkit calibrate` later)."""
    return {"kind": "posthoc", "epoch": int(epoch), **fitted, "seconds": round(seconds, 3)}

def _ece_pair(logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> dict:
    result = {}
    for name, scale in (("ece", 1.0), ("ece_calibrated", temperature)):
        confidence, predicted = (logits.float() / scale).softmax(-1).max(-1)
        reliability = calibration(confidence, predicted == targets)
        result[name], result[f"{name}_bins"] = reliability["ece"], reliability
    return result


def decide(logits: torch.Tensor, posthoc: dict | None, decision: str = "likely") -> torch.Tensor:
    """Scores to read a prediction from: calibrated logits (logits / T), logit-adjusted for 'balanced'.
    Without post-hoc figures (older checkpoints) the logits as they are."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}; valid: {', '.join(DECISIONS)}")
    if not posthoc:
        if decision == "balanced":
            raise ValueError("this model has no class frequencies for a balanced decision (trained before "
                             "they were stored); use the most likely class")
        return logits
    scores = logits.float() / float(posthoc.get("temperature", 1.0))
    if decision == "balanced":
        prior = torch.tensor(posthoc["log_prior"])
        scores = adjust(scores, prior, float(posthoc["tau"]) / float(posthoc.get("temperature", 1.0)))
    return scores
