"""The audit's own arithmetic (`benchmarks/audit.py`): every expected figure is computed here from its
definition, with numpy, scipy and torch primitives, never with the rnnkit function that shows it; and
how a shown figure is compared with it (`compare_figures`, one `Result` line per check).

    gradient_cases(...)        the models the gradient flow is checked on (every cell and pooling)
    mixed_batch(...)           their batch: lengths 20/15/9/4, garbage in the padding
    sequence_alone(...)        one sequence, unpadded, through the cell equations written out below (float64),
                               pooled, headed and scored here; autograd gives ||dL/dh_t|| (and ||dL/dc_t||)
    by_distance(...)           the mean at each distance d from every sequence's own last processed step
    core_count(...)            recurrent + head parameters from the weights per gate (numpy: many sizes at once)
    majority_figures(...)      the training split's commonest class, its accuracy and macro-F1 on another split
    calibration_bins(...)      ECE and the bins' counts, exact bin edges (k/bins <= p < (k+1)/bins, rationally)
    best_temperature(...)      the T minimising the NLL of softmax(logits / T), a bounded 1-D search in float64

Only the weights are read from a model (its state_dict, by name); how it computes is not used.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

GATES = {"rnn": 1, "lstm": 4, "gru": 3, "reslstm": 4}  # weight blocks per cell (the residual adds W_res)
LENGTHS, TIME = (20, 15, 9, 4), 22  # the gradient batch: mixed lengths, padded beyond the longest too
FEATURES, CLASSES, HORIZON, VOCABULARY = 5, 3, 2, 11


# ---------------------------------------------------------------------------------- a check's line
@dataclass(frozen=True)
class Result:
    status: str  # ok | FAIL | skip
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<6}{self.name}: {self.detail}"


def verdict(passed: bool, name: str, detail: str) -> Result:
    return Result("ok" if passed else "FAIL", name, detail)


def compare_figures(name: str, shown, expected, relative: float, absolute: float = 0.0, note: str = "") -> Result:
    """Shown against expected, element by element: ok when every |shown - expected| <= relative |expected|
    + absolute; the detail (after `note`) gives the largest relative difference, or the largest difference
    where the tolerance is absolute only."""
    shown, expected = np.asarray(shown, dtype=float).ravel(), np.asarray(expected, dtype=float).ravel()
    if shown.shape != expected.shape:
        return Result("FAIL", name, f"{note}{shown.size} figures shown, {expected.size} expected")
    gap = np.abs(shown - expected)
    passed = bool(np.all(gap <= relative * np.abs(expected) + absolute))
    if relative == 0:
        return verdict(passed, name, f"{note}max difference {np.max(gap, initial=0.0):.1e} (tolerance {absolute:g})")
    worst = float(np.max(gap / np.maximum(np.abs(expected), 1e-300), initial=0.0))
    return verdict(passed, name, f"{note}max relative difference {worst:.1e} (tolerance {relative:g})")


# ------------------------------------------------------------------------------ the gradient batch
def gradient_cases(cells: tuple[str, ...], poolings: tuple[str, ...]) -> list[tuple[str, str, str, bool, int, int]]:
    """(job, arch, pooling, bidirectional, layers, hidden): every cell x every pooling, one bidirectional
    two-layer stack per cell (hidden = input width: the residual cell's identity shortcut), the two-layer
    language model, the forecast head (MSE)."""
    cases = [("classify", arch, pooling, False, 1, 6) for arch in cells for pooling in poolings]
    cases += [("classify", arch, poolings[index % len(poolings)], True, 2, FEATURES)
              for index, arch in enumerate(cells)]
    cases += [("language_model", arch, "last", False, 2, 6) for arch in cells]
    return cases + [("regress", arch, "mean", False, 1, 6) for arch in cells]


def mixed_batch(job: str, generator: torch.Generator):
    """(inputs, lengths, targets) of four sequences of `LENGTHS`, with garbage in every padded step."""
    lengths = torch.tensor(LENGTHS)
    padded = torch.arange(TIME)[None, :] >= lengths[:, None]
    if job == "language_model":
        inputs = torch.randint(2, VOCABULARY, (len(LENGTHS), TIME), generator=generator)
        targets = torch.randint(2, VOCABULARY, (len(LENGTHS), TIME), generator=generator)
        return inputs, lengths, targets.masked_fill(padded, -100)  # -100: no target (cross-entropy's ignore index)
    inputs = torch.randn(len(LENGTHS), TIME, FEATURES, generator=generator, dtype=torch.float64)
    inputs[padded] = 1e3  # garbage that would show if padding leaked into a gradient
    if job == "classify":
        return inputs, lengths, torch.randint(0, CLASSES, (len(LENGTHS),), generator=generator)
    return inputs, lengths, torch.randn(len(LENGTHS), HORIZON, generator=generator)


# ------------------------------------------------------------------------------------------- weights
def layer_weights(model, layers: int, directions: int) -> list[list[dict[str, torch.Tensor | None]]]:
    """[layer][direction] -> W_ih, W_hh, b_ih, b_hh (and W_res or None), float64 copies from the state_dict:
    torch's fused layout (`backbone.rnn.weight_ih_l0_reverse`) or the scratch one (`backbone.layers.0.1.cell.*`)."""
    state = {name: value.detach().double().requires_grad_() for name, value in model.state_dict().items()
             if value.is_floating_point()}  # leaves of the graph autograd differentiates the states in
    result = []
    for layer in range(layers):
        row = []
        for direction in range(directions):
            fused = f"_l{layer}" + ("_reverse" if direction else "")
            scratch = f"backbone.layers.{layer}.{direction}.cell."
            if f"backbone.rnn.weight_ih{fused}" in state:
                weights = {name: state[f"backbone.rnn.{name}{fused}"]
                           for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
                weights["residual"] = None
            else:
                weights = {name: state[scratch + name] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
                weights["residual"] = state.get(scratch + "residual.weight")  # absent: F(x) = x
            row.append(weights)
        result.append(row)
    return result


# ------------------------------------------------------------------------------ one sequence, alone
def run_direction(arch: str, weights: dict, inputs: list[torch.Tensor]) -> tuple[list, list]:
    """The cell equations over `inputs` (each (width,)) in the order given: (h per step, c per step or [])."""
    w_ih, w_hh, b_ih, b_hh = (weights[name] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    size = w_hh.shape[1]
    h = c = torch.zeros(size, dtype=torch.float64)
    hs, cs = [], []
    for x in inputs:
        if arch == "rnn":  # h = tanh(W_ih x + b_ih + W_hh h + b_hh)
            h = torch.tanh(w_ih @ x + b_ih + w_hh @ h + b_hh)
        elif arch == "gru":  # torch's GRU: b_hn stays inside the reset gate's product
            from_input, from_state = w_ih @ x + b_ih, w_hh @ h + b_hh
            reset = torch.sigmoid(from_input[:size] + from_state[:size])
            update = torch.sigmoid(from_input[size:2 * size] + from_state[size:2 * size])
            candidate = torch.tanh(from_input[2 * size:] + reset * from_state[2 * size:])
            h = (1 - update) * candidate + update * h
        elif arch in ("lstm", "reslstm"):  # gates in torch's order: input, forget, candidate, output
            a = w_ih @ x + b_ih + w_hh @ h + b_hh
            i, f = torch.sigmoid(a[:size]), torch.sigmoid(a[size:2 * size])
            g, o = torch.tanh(a[2 * size:3 * size]), torch.sigmoid(a[3 * size:])
            c = f * c + i * g
            h = o * torch.tanh(c)
            if arch == "reslstm":  # h = o * tanh(c) + F(x): W_res x, or x itself where the widths are equal
                h = h + (x if weights["residual"] is None else weights["residual"] @ x)
            cs.append(c)
        else:
            raise ValueError(f"the audit has no equations for the cell {arch!r}: add them to run_direction")
        hs.append(h)
    return hs, cs


def sequence_alone(model, arch: str, layers: int, bidirectional: bool, pooling: str, job: str,
                   steps: torch.Tensor, target: torch.Tensor) -> list[dict[str, list[float]]]:
    """Per layer and direction, state name -> ||dL/d state|| by distance from that direction's last processed
    step (forward: the last token; backward: the first), for ONE sequence of `len(steps)` real steps."""
    directions = 2 if bidirectional else 1
    weights = layer_weights(model, layers, directions)
    state = {name: value.detach().double() for name, value in model.state_dict().items() if value.is_floating_point()}
    if steps.dtype == torch.long:  # token ids: the embedding is a table lookup
        inputs = [state["encoder.weight"][token] for token in steps.tolist()]
    else:
        inputs = [row.double() for row in steps]  # (features,) per step
    length, recorded, finals = len(inputs), [], []
    for layer in range(layers):
        per_token = [[] for _ in range(length)]
        finals = []
        for direction in range(directions):
            order = list(range(length)) if direction == 0 else list(range(length - 1, -1, -1))
            hs, cs = run_direction(arch, weights[layer][direction], [inputs[token] for token in order])
            recorded.append({"h": hs, "c": cs} if cs else {"h": hs})  # processing order
            finals.append(hs[-1])
            for position, token in enumerate(order):
                per_token[token].append(hs[position])
        inputs = [torch.cat(parts) for parts in per_token]  # (directions * hidden,) per token
    head_weight, head_bias = state["head.weight"], state["head.bias"]
    if job == "language_model":  # the mean cross-entropy over this sequence's own tokens
        losses = [torch.logsumexp(head_weight @ y + head_bias, 0) - (head_weight @ y + head_bias)[int(t)]
                  for y, t in zip(inputs, target[:length])]
        loss = torch.stack(losses).mean()
    else:
        if pooling == "last":
            pooled = torch.cat(finals)
        elif pooling == "mean":
            pooled = torch.stack(inputs).mean(0)
        elif pooling == "max":
            pooled = torch.stack(inputs).amax(0)
        else:
            raise ValueError(f"the audit has no pooling {pooling!r}: add it to sequence_alone")
        logits = head_weight @ pooled + head_bias
        if job == "classify":
            loss = torch.logsumexp(logits, 0) - logits[int(target)]
        else:
            loss = ((logits - target.double()) ** 2).mean()
    tensors = [value for states in recorded for series in states.values() for value in series]
    gradients = iter(torch.autograd.grad(loss, tensors, allow_unused=True))  # unused: no gradient, norm 0
    return [{name: [float(_norm(next(gradients))) for _ in series][::-1] for name, series in states.items()}
            for states in recorded]  # reversed: entry d is d steps before the last processed one


def _norm(gradient: torch.Tensor | None) -> float:
    return 0.0 if gradient is None else float(gradient.norm())


def by_distance(per_sequence: list[list[float]]) -> list[float]:
    """Entry d: the mean over the sequences longer than d of their norm at distance d."""
    longest = max(len(norms) for norms in per_sequence)
    return [float(np.mean([norms[d] for norms in per_sequence if len(norms) > d])) for d in range(longest)]


# ------------------------------------------------------------------------------------- parameters
def core_count(arch: str, hidden, width, outputs: int, layers: int = 1, bidirectional: bool = False):
    """Recurrent + head parameters: per direction GATES x hidden x (input + hidden + 2 biases), W_res
    (hidden x input) for the residual cell unless the widths are equal, and the head's (D + 1) x outputs."""
    if arch not in GATES:
        raise ValueError(f"the audit has no parameter count for the cell {arch!r}: add it to GATES")
    hidden, width = np.asarray(hidden, dtype=np.int64), np.asarray(width, dtype=np.int64)
    directions = 2 if bidirectional else 1
    total = (directions * hidden + 1) * outputs
    for layer in range(layers):
        reads = width if layer == 0 else directions * hidden
        per_direction = GATES[arch] * hidden * (reads + hidden + 2)
        if arch == "reslstm":
            per_direction = per_direction + np.where(reads == hidden, 0, reads * hidden)
        total = total + directions * per_direction
    return total


def some_pair_within(arch: str, outputs: int, layers: int, bidirectional: bool, target: int, limit: int) -> bool:
    """Whether any (hidden, embedding) pair up to `limit` is within 2 % of `target` (brute force, in blocks
    of 256 hidden sizes)."""
    embedding = np.arange(1, limit + 1)[None, :]
    for start in range(1, limit + 1, 256):
        hidden = np.arange(start, min(start + 256, limit + 1))[:, None]
        counts = core_count(arch, hidden, embedding, outputs, layers, bidirectional)
        if (np.abs(counts - target) <= 0.02 * target).any():
            return True
    return False


# -------------------------------------------------------------------------------------- baselines
def majority_figures(train_targets, other_targets) -> tuple[int, float, float]:
    """(class, accuracy, macro-F1) of always answering the training split's commonest class (smallest id on a
    tie); macro-F1 averages F1 = 2 TP / (2 TP + FP + FN) over the classes in the truth or the answers."""
    counts = Counter(int(value) for value in train_targets)
    majority = min(counts, key=lambda label: (-counts[label], label))
    truth = [int(value) for value in other_targets]
    correct = sum(1 for value in truth if value == majority)
    f1_scores = []
    for label in sorted(set(truth) | {majority}):
        true_positive = correct if label == majority else 0
        false_positive = len(truth) - correct if label == majority else 0
        false_negative = sum(1 for value in truth if value == label) - true_positive
        denominator = 2 * true_positive + false_positive + false_negative
        f1_scores.append(2 * true_positive / denominator if denominator else 0.0)
    return majority, correct / len(truth), float(np.mean(f1_scores))


# ------------------------------------------------------------------------------------ calibration
def calibration_bins(confidences, correct, bins: int = 15) -> tuple[float, list[int]]:
    """(expected calibration error, predictions per bin) after Guo et al. 2017: ECE = sum over bins of
    |bin| / n x |mean confidence - accuracy|; bin k = [k/bins, (k+1)/bins) decided exactly on the float's
    rational value, 1.0 in the last bin."""
    members: dict[int, list[tuple[float, bool]]] = {index: [] for index in range(bins)}
    for confidence, hit in zip(np.asarray(confidences, dtype=np.float64).tolist(), np.asarray(correct).tolist()):
        members[min(int(Fraction(confidence) * bins), bins - 1)].append((confidence, bool(hit)))
    total, gap = sum(len(items) for items in members.values()), 0.0
    for items in members.values():
        if items:
            mean_confidence = sum(value for value, _ in items) / len(items)
            accuracy = sum(1 for _, hit in items if hit) / len(items)
            gap += len(items) * abs(mean_confidence - accuracy)
    return gap / max(total, 1), [len(members[index]) for index in range(bins)]


def negative_log_likelihood(logits: np.ndarray, targets: np.ndarray, temperature: float) -> float:
    """Mean -log softmax(logits / T)[target], in float64."""
    scaled = logits / temperature
    top = scaled.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scaled - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_norm - scaled[np.arange(len(targets)), targets]))


def best_temperature(logits: np.ndarray, targets: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The NLL-minimising T in [low, high]: golden-section search on log T (the NLL is unimodal in it)."""
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(lambda log_t: negative_log_likelihood(logits, targets, float(np.exp(log_t))),
                            bounds=(np.log(low), np.log(high)), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(found.x))

