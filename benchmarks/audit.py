"""Audit: the figures rnnkit shows, recomputed independently on fixture runs; exits 1 on any mismatch.

    python benchmarks/audit.py            # the full audit (about 10 s on 2 busy cores)
    python benchmarks/audit.py --quick    # fewer draws and configurations (tests/test_audit.py runs it)

One line per check, `ok`, `FAIL` or `skip` (real data not found), with the figures and the tolerance:
gradient flow on a padded batch of mixed lengths (against each sequence run ALONE through the cell equations
in float64), the paired intervals' coverage and the familywise false-verdict rate on simulated seeds,
parameter matching (counted by hand, searched by brute force), the majority-class baselines of the real names
and waimai data, a tiny recall run's ECE and temperature. The expected values come from `audit_checks.py`
(numpy, scipy and torch primitives), never from the rnnkit function under test; every draw is seeded.
"""
from __future__ import annotations

import argparse
import functools
import io
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import audit_checks as own  # the audit's own arithmetic, beside this file
from audit_checks import Result, compare_figures, verdict

from rnnkit.analysis.gradient_flow import gradient_flow, sequence_losses
from rnnkit.analysis.stats import compare_all
from rnnkit.config.run import MAX_WIDTH, POOLINGS, ModelConfig, RunConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.core import settings
from rnnkit.core.metrics import calibration
from rnnkit.data.datasets import MAJORITY_BASELINE
from rnnkit.data.presets import build_config
from rnnkit.data.sources import locate
from rnnkit.data.tasks import get_task
from rnnkit.model.budget import resolve_match
from rnnkit.model.cells import cell_names
from rnnkit.model.heads import build_model
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import RunStore
from rnnkit.training.checkpoint import load_checkpoint, model_from_checkpoint
from rnnkit.worker.execute import execute

SEED = 2024
GRADIENT_TOLERANCE = 1e-5  # relative: rnnkit's job losses run in float32 on the float64 model
COVERAGE_POINTS = 0.03  # the intervals' coverage within ±3 points of the stated confidence
EXACT = 1e-9  # ECE (absolute); the baselines, one division each, get 1e-12
NLL_TOLERANCE = 1e-6  # relative: the temperature is fitted in float32 (a resolution of about 1e-7)


def audited_cells() -> tuple[str, ...]:
    """The cells this audit has its own equations for (audit_checks: the classic RNN/LSTM/GRU/resLSTM). The
    newer cells (minGRU, minLSTM, sLSTM, the Transformer) are checked against step-by-step references in
    tests/test_family.py and tests/test_transformer.py instead."""
    return tuple(name for name in cell_names() if name in own.GATES)


def unaudited_check(quick: bool) -> list[Result]:
    """A `skip` line naming the registered cells this audit does not recompute, and where they are checked,
    so the audit's output never reads as covering every architecture."""
    left = [name for name in cell_names() if name not in audited_cells()]
    if not left:
        return []
    return [Result("skip", "cells without equations in audit_checks.py",
                   f"{', '.join(left)}: gradient flow and parameter matching not recomputed here; checked against "
                   "step-by-step references in tests/test_family.py (parallel = step form, the sLSTM against a "
                   "reference, float64, 1e-5) and tests/test_transformer.py (padding, causality)")]


# ------------------------------------------------------------------------------------ gradient flow
def gradient_flow_check(quick: bool) -> list[Result]:
    name = (f"gradient flow, mixed lengths {'/'.join(map(str, own.LENGTHS))} ({'/'.join(audited_cells())} x "
            f"{'/'.join(POOLINGS)} pooling, bidirectional 2-layer, language model, forecast)")
    shown_all, expected_all, worst, cases = [], [], (-1.0, ""), own.gradient_cases(audited_cells(), POOLINGS)
    for number, (job, arch, pooling, bidirectional, layers, hidden) in enumerate(cases):
        torch.manual_seed(SEED + number)
        case = f"{job} {arch} {pooling}{' bidirectional' if bidirectional else ''} x{layers}"
        kind, width = ("tokens", own.VOCABULARY) if job == "language_model" else ("features", own.FEATURES)
        outputs = {"classify": own.CLASSES, "regress": own.HORIZON, "language_model": own.VOCABULARY}[job]
        config = ModelConfig(arch=arch, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                             pooling=pooling, embedding_size=4)
        model = build_model(config, TaskSpec(job, kind, width, outputs, own.TIME, "accuracy")).double().eval()
        inputs, lengths, targets = own.mixed_batch(job, torch.Generator().manual_seed(SEED + number))
        losses_of = functools.partial(sequence_losses, get_job(job), lengths=lengths, targets=targets)  # (batch,)
        flow = gradient_flow(model, losses_of, inputs, lengths)
        alone = [own.sequence_alone(model, arch, layers, bidirectional, pooling, job, inputs[row, :length],
                                    targets[row]) for row, length in enumerate(own.LENGTHS)]
        if [sorted(tap) for tap in flow] != [sorted(states) for states in alone[0]]:
            return [Result("FAIL", name, f"{case}: states shown {[sorted(tap) for tap in flow]}, expected "
                                         f"{[sorted(states) for states in alone[0]]}")]
        for index, tap in enumerate(flow):
            for state, shown in tap.items():
                expected = own.by_distance([sequence[index][state] for sequence in alone])[::-1]  # distance 0 last
                if len(shown) != len(expected):
                    return [Result("FAIL", name, f"{case}: {len(shown)} steps shown, {len(expected)} expected")]
                gap = float(np.max(np.abs(np.subtract(shown, expected)) / np.maximum(np.abs(expected), 1e-300)))
                worst = max(worst, (gap, case))
                shown_all += shown
                expected_all += expected
    return [compare_figures(name, shown_all, expected_all, GRADIENT_TOLERANCE, 1e-14,
                            f"{len(shown_all)} norms, worst {worst[1]}: ")]


# ------------------------------------------------------------------------------- intervals, verdicts
def coverage_check(quick: bool) -> list[Result]:
    """Paired differences N(0.5, 2^2) on scores near 5 (a loss: the 0.1 % resolution floor, about 0.005, is far
    below the spread), one pair, so one decision at 95 %; each interval also against the own paired t interval."""
    from scipy.stats import t as student
    from scipy.stats import ttest_rel

    draws, truth, results = (1000 if quick else 4000), 0.5, []
    rng = np.random.default_rng(SEED)
    for seeds in (3, 5, 10):
        second = 5.0 + rng.normal(0.0, 0.5, (draws, seeds))
        first = second + rng.normal(truth, 2.0, (draws, seeds))
        own_significant = ttest_rel(first, second, axis=1).pvalue < 0.05
        differences = first - second
        half = student.ppf(0.975, seeds - 1) * differences.std(axis=1, ddof=1) / np.sqrt(seeds)
        shown, expected, covered, agreed, confidences = [], [], 0, 0, set()
        for draw in range(draws):
            (pair,) = compare_all({"A": dict(enumerate(first[draw])), "B": dict(enumerate(second[draw]))}, "loss")
            sign = 1.0 if pair.a == "A" else -1.0  # the verdict reads the better variant first
            covered += pair.low <= sign * truth <= pair.high
            agreed += (pair.low > 0 or pair.high < 0) == pair.significant == bool(own_significant[draw])
            confidences.add(round(pair.confidence, 12))
            shown += [pair.low, pair.high]
            mean = sign * differences[draw].mean()
            expected += [mean - half[draw], mean + half[draw]]
        rate, stated = covered / draws, confidences.pop() if len(confidences) == 1 else float("nan")
        endpoints = compare_figures("", shown, expected, 1e-9, 1e-12)
        passed = abs(rate - stated) <= COVERAGE_POINTS and agreed == draws and endpoints.status == "ok"
        results.append(verdict(passed, f"interval coverage, {seeds} seeds",
                               f"{rate * 100:.1f} % of {draws:,} intervals cover the true difference (stated "
                               f"{stated * 100:g} %, allowed ±{COVERAGE_POINTS * 100:g} points); verdict = interval "
                               f"excludes 0 = own paired t-test in {agreed:,}/{draws:,}; endpoints vs own t interval: "
                               f"{endpoints.detail}"))
    return results


def familywise_check(quick: bool) -> list[Result]:
    """Groups with no true difference (a shared seed effect plus noise), 3 seeds: how often any verdict says
    significant, against 5 % plus two simulation standard errors; uncorrected t-tests for contrast."""
    from scipy.stats import ttest_rel

    draws, seeds, results = (500 if quick else 2000), 3, []
    rng = np.random.default_rng(SEED + 1)
    for variants in (3, 5):
        scores = 1.0 + rng.normal(0.0, 0.1, (draws, 1, seeds)) + rng.normal(0.0, 0.05, (draws, variants, seeds))
        flagged = sum(any(pair.significant for pair in compare_all(
            {f"v{index}": dict(enumerate(scores[draw, index])) for index in range(variants)}, "loss"))
            for draw in range(draws))
        uncorrected = np.zeros(draws, dtype=bool)
        for first, second in itertools.combinations(range(variants), 2):
            uncorrected |= ttest_rel(scores[:, first], scores[:, second], axis=1).pvalue < 0.05
        rate, bound = flagged / draws, 0.05 + 2 * np.sqrt(0.05 * 0.95 / draws)
        name = f"familywise false-verdict rate, {variants} architectures x {seeds} seeds"
        results.append(verdict(rate <= bound, name, f"{rate * 100:.1f} % of {draws:,} groups with no difference got "
                               f"a significant verdict (bound {bound * 100:.1f} %: 5 % + 2 SE); uncorrected own "
                               f"t-tests: {uncorrected.mean() * 100:.1f} %"))
    return results


# ------------------------------------------------------------------------------- parameter matching
def matching_check(quick: bool) -> list[Result]:
    shapes = [("names", TaskSpec("classify", "tokens", 84, 18, 20, "accuracy")),  # 84 characters, 18 classes
              ("recall", TaskSpec("classify", "features", 11, 10, 150, "accuracy")),
              ("1-feature forecast", TaskSpec("regress", "features", 1, 24, 72, "mae"))]
    references = ("lstm",) if quick else ("lstm", "gru")
    structures = ((1, False), (2, True)) if quick else ((1, False), (1, True), (2, False))
    hidden_sizes, sizes = ((4, 64) if quick else (4, 16, 64)), np.arange(1, MAX_WIDTH + 1)
    cases = counted = within = flagged = 0
    problems = []
    for (label, spec), arch, reference, hidden, (layers, bidirectional) in itertools.product(
            shapes, audited_cells(), references, hidden_sizes, structures):
        config = ModelConfig(arch=arch, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                             embedding_size=64, match_parameters=reference)
        resolved, match = resolve_match(config, spec)
        tokens = spec.input_kind == "tokens"
        width, trained_width = (64, resolved.embedding_size) if tokens else (spec.input_size, spec.input_size)
        target = int(own.core_count(reference, hidden, width, spec.output_size, layers, bidirectional))
        trained = int(own.core_count(arch, resolved.hidden_size, trained_width, spec.output_size, layers,
                                     bidirectional))
        with torch.device("meta"):  # the model the run trains, its recurrent layers and head counted here
            model = build_model(resolved, spec)
        built = sum(parameter.numel() for part in (model.backbone, model.head) for parameter in part.parameters())
        case = f"{label} {arch}~{reference} hidden {hidden} x{layers}{' bidirectional' if bidirectional else ''}"
        cases += 1
        if (match.reference_core_parameters, match.core_parameters, built) == (target, trained, trained):
            counted += 1
        else:
            problems.append(f"{case}: counts {match.reference_core_parameters}/{match.core_parameters}/{built}, "
                            f"own {target}/{trained}")
        if match.within_tolerance:
            within += 1
            if abs(trained - target) > 0.02 * target:
                problems.append(f"{case}: said within 2 %, own counts differ by {(trained - target) / target:+.2%}")
            continue
        flagged += 1
        gaps = np.abs(own.core_count(arch, sizes, width, spec.output_size, layers, bidirectional) - target)
        if gaps.min() < abs(trained - target) or (tokens and own.some_pair_within(
                arch, spec.output_size, layers, bidirectional, target, MAX_WIDTH)):
            problems.append(f"{case}: flagged at {(trained - target) / target:+.2%}, a size in the range does better")
    detail = (f"{cases} configurations ({', '.join(label for label, _ in shapes)}; hidden "
              f"{'/'.join(map(str, hidden_sizes))}; every cell): own counts = ParameterMatch = built model in "
              f"{counted}/{cases}; {within} within 2 % (own counts agree), {flagged} flagged with no hidden "
              f"(or embedding) size up to {MAX_WIDTH} doing better")
    return [verdict(not problems, "parameter matching", detail + ("" if not problems else "; " + problems[0]))]


# ---------------------------------------------------------------------------- baselines, calibration
def baselines_check(quick: bool) -> list[Result]:
    """The majority-class line of the real names and waimai data: the task's own split, counted here."""
    results = []
    for name in ("names", "waimai"):
        task, title = get_task(name), f"baseline, majority class, {name}"
        if not any(locate(source, None) for source in task.sources):  # never a download
            results.append(Result("skip", title, f"data missing at {settings.data_dir() or '$RNNKIT_DATA_DIR'}"))
            continue
        config = build_config(name, None, {})
        data = task.load(config.task, config.train.split_seed, progress=lambda text: None)
        shown, expected, figures = [], [], []
        for split, baselines in (("test", data.baselines), ("validation", data.validation_baselines)):
            majority, accuracy, macro_f1 = own.majority_figures(data.train.targets.tolist(),
                                                               getattr(data, split).targets.tolist())
            shown += [baselines[MAJORITY_BASELINE]["accuracy"], baselines[MAJORITY_BASELINE]["macro_f1"]]
            expected += [accuracy, macro_f1]
            figures.append(f"{split} accuracy {accuracy * 100:.2f} %, macro-F1 {macro_f1 * 100:.2f} %")
        result = compare_figures(title, shown, expected, 0.0, 1e-12)
        results.append(Result(result.status, title, f"always {data.spec.class_names[majority]!r} (the training "
                              f"split's commonest): {'; '.join(figures)}; shown vs own: {result.detail}"))
    return results


def calibration_check(quick: bool) -> list[Result]:
    """A tiny recall run (GRU 32, 10 epochs; 80 % test accuracy): the test line's ECE and reliability bins and
    the post-hoc line's temperature and ECE before and after, from the run's own logits (best.pt, its splits)."""
    with tempfile.TemporaryDirectory() as folder:
        run = RunStore(folder).create(build_config("recall", None, {
            "task": {"sequence_length": 8, "num_samples": 400}, "model": {"arch": "gru", "hidden_size": 32},
            "train": {"epochs": 10, "batch_size": 16, "learning_rate": 1e-2}}))
        if execute(run, stream=io.StringIO(), install_signals=False) != "completed":
            return [Result("FAIL", "calibration", f"the fixture run did not complete: {run.status()}")]
        test_line, posthoc = run.metrics("test")[-1]["test"], run.metrics("posthoc")[-1]
        payload = load_checkpoint(run.best_path)
    config, model = RunConfig.from_dict(payload["config"]), model_from_checkpoint(payload)
    data = get_task(config.task.name).load(config.task, config.train.split_seed, progress=lambda text: None)
    logits, size = {}, 2 * config.train.batch_size  # the evaluator's batches, in order: the run's float32 logits
    with torch.no_grad():
        for split in ("validation", "test"):
            dataset = getattr(data, split)
            logits[split] = torch.cat([model(dataset.inputs[start:start + size], dataset.lengths[start:start + size])
                                       for start in range(0, len(dataset), size)])
    temperature, figures = posthoc["temperature"], {}
    for scale in (1.0, temperature):
        confidence, predicted = torch.softmax(logits["test"] / scale, dim=-1).max(dim=-1)  # float32, as the run's
        figures[scale] = own.calibration_bins(confidence.numpy(), (predicted == data.test.targets).numpy())
    title = f"calibration, {len(data.test)} test predictions of a tiny recall run, 15 bins"
    shown_ece, scaled_ece = test_line["ece"], posthoc["test"]["ece_calibrated"]
    raw = compare_figures(f"{title}: test ECE and reliability bins",
                          [shown_ece, posthoc["test"]["ece"], *test_line["calibration"]["count"]],
                          [figures[1.0][0]] * 2 + figures[1.0][1], 0.0, EXACT,
                          f"shown {shown_ece:.9f}, own {figures[1.0][0]:.9f}; ")
    scaled = compare_figures(f"{title}: ECE and bins after temperature scaling at the recorded T = {temperature}",
                             [scaled_ece, *posthoc["test"]["ece_calibrated_bins"]["count"]],
                             [figures[temperature][0], *figures[temperature][1]], 0.0, EXACT,
                             f"shown {scaled_ece:.9f}, own {figures[temperature][0]:.9f}; ")
    validation = logits["validation"].double().numpy(), data.validation.targets.numpy()
    best = own.best_temperature(*validation)  # a flat-bottomed optimum: judged by the NLL reached
    reached, lowest = (own.negative_log_likelihood(*validation, value) for value in (temperature, best))
    fitted = compare_figures("calibration, fitted temperature (validation NLL at the recorded T vs its minimum)",
                             [reached], [lowest], NLL_TOLERANCE, note=f"recorded T = {temperature} reaches "
                             f"{reached:.9f}, own minimum {lowest:.9f} at T = {best:.6f}; ")
    edges = np.array([0.0, 1.0, *(np.arange(1, 15, dtype=np.float32) / np.float32(15))] * 3, dtype=np.float32)
    hits = np.arange(len(edges)) % 3 == 0
    shown_edges, expected_edges = calibration(torch.from_numpy(edges), torch.from_numpy(hits)), \
        own.calibration_bins(edges, hits)
    binning = compare_figures("calibration binning on the bin edges (k/15 in float32, 0 and 1)",
                              [shown_edges["ece"], *shown_edges["count"]], [expected_edges[0], *expected_edges[1]],
                              0.0, 1e-12)
    return [raw, scaled, fitted, binning]


# -------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer draws and configurations (the test's run)")
    arguments = parser.parse_args(argv)
    started, results = time.perf_counter(), []
    torch.set_num_threads(1)  # small models: threads only contend on a shared machine
    for check in (gradient_flow_check, coverage_check, familywise_check, matching_check, baselines_check,
                  calibration_check, unaudited_check):
        try:
            lines = check(arguments.quick)
        except Exception as error:  # noqa: BLE001 - a crashed check is a failed check, and the others still run
            lines = [Result("FAIL", check.__name__, f"{type(error).__name__}: {error}")]
        for result in lines:
            print(result.line(), flush=True)
        results += lines
    failed = sum(result.status == "FAIL" for result in results)
    skipped = sum(result.status == "skip" for result in results)
    print(f"audit: {len(results)} checks, {failed} failed, {skipped} skipped in "
          f"{time.perf_counter() - started:.1f} s{' (--quick)' if arguments.quick else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
