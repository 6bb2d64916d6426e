"""DCASE 2017 Task 2 scoring of detected events: event-based, onset only, 500 ms collar.

``sed_eval`` (TUT-ARG's toolbox, the challenge's own) computes the error rate
ER = (substitutions + deletions + insertions) / reference events and F1; this module only shapes
our events into its lists and adds the median absolute onset error of the matched events.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

COLLAR_S = 0.5

Events = Sequence[Tuple[float, float]]


def _event_list(file_events: Mapping[str, Events], label: str):
    import dcase_util
    rows = [{"filename": name, "event_label": label, "onset": float(on), "offset": float(off)}
            for name, events in file_events.items() for on, off in events]
    return dcase_util.containers.MetaDataContainer(rows)


def _number(value) -> "float | None":
    """A float, or None where sed_eval answers NaN (e.g. ER without reference events)."""
    value = float(value)
    return None if np.isnan(value) else value


def median_onset_error_s(reference: Mapping[str, Events], estimated: Mapping[str, Events],
                         collar_s: float = COLLAR_S) -> float:
    """Median |estimated - reference| onset over reference events that have an estimate within
    the collar (each matched to the nearest unused estimate); NaN when none matched."""
    errors: List[float] = []
    for name, events in reference.items():
        free = sorted(on for on, _ in estimated.get(name, ()))
        for onset, _ in events:
            if not free:
                break
            gaps = [abs(e - onset) for e in free]
            best = int(np.argmin(gaps))
            if gaps[best] <= collar_s:
                errors.append(gaps[best])
                free.pop(best)
    return float(np.median(errors)) if errors else float("nan")


def score_events(reference: Mapping[str, Events], estimated: Mapping[str, Events],
                 label: str, collar_s: float = COLLAR_S) -> Dict:
    """Event-based ER, F1, precision, recall, substitution/deletion/insertion rates (sed_eval,
    onset only, ``collar_s``) and the median onset error in ms, over every file in
    ``reference`` (files without events included: they can only gain insertions)."""
    import sed_eval
    metrics = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=[label], t_collar=collar_s, evaluate_onset=True, evaluate_offset=False)
    ref_list, est_list = _event_list(reference, label), _event_list(estimated, label)
    for name in reference:
        metrics.evaluate(reference_event_list=ref_list.filter(filename=name),
                         estimated_event_list=est_list.filter(filename=name))
    overall = metrics.results_overall_metrics()
    n_ref = sum(len(v) for v in reference.values())
    n_est = sum(len(estimated.get(k, ())) for k in reference)
    median_error = median_onset_error_s(reference, estimated, collar_s)
    return {"error_rate": _number(overall["error_rate"]["error_rate"]),
            "f1": _number(overall["f_measure"]["f_measure"]),
            "precision": _number(overall["f_measure"]["precision"]),
            "recall": _number(overall["f_measure"]["recall"]),
            "deletion_rate": _number(overall["error_rate"]["deletion_rate"]),
            "insertion_rate": _number(overall["error_rate"]["insertion_rate"]),
            "reference_events": int(n_ref), "estimated_events": int(n_est),
            "files": len(reference),
            "median_onset_error_ms": (None if np.isnan(median_error)
                                      else round(1000.0 * median_error, 1))}


def clip_references(metadata: Sequence[Mapping]) -> Dict[str, List[Tuple[float, float]]]:
    """Reference events per clip from the recipes' onsets and durations (no event: [])."""
    return {m["mixture_id"]: ([] if m.get("event_onset_s") is None else
                              [(m["event_onset_s"], m["event_onset_s"] + m["event_duration_s"])])
            for m in metadata}


def score_clips(frame_probability: np.ndarray, metadata: Sequence[Mapping], rule, label: str,
                detect) -> Dict:
    """Score clip-length test examples: ``frame_probability`` [clips, frames] (running
    probabilities), ``metadata`` from ``examples.load_examples``, ``detect(probability, rule)``
    the event rule. Overall over every clip, and per EBR over the clips with an event at that
    EBR (deletions and insertions within them)."""
    reference = clip_references(metadata)
    estimated = {m["mixture_id"]: detect(p, rule) for p, m in zip(frame_probability, metadata)}
    result = {"overall": score_events(reference, estimated, label), "per_ebr": {}}
    for ebr in sorted({m["ebr_db"] for m in metadata if m.get("event_onset_s") is not None}):
        names = [m["mixture_id"] for m in metadata
                 if m.get("event_onset_s") is not None and m["ebr_db"] == ebr]
        result["per_ebr"][f"{ebr:g}"] = score_events({n: reference[n] for n in names},
                                                     {n: estimated[n] for n in names}, label)
    return result


def summary_line(scores: Mapping) -> str:
    """``ER 0.31, F1 82.0 %, median onset error 120.0 ms`` (n/a where undefined)."""
    def show(value, scale=1.0, digits=2, unit=""):
        return "n/a" if value is None else f"{scale * value:.{digits}f}{unit}"
    return (f"ER {show(scores['error_rate'])}, F1 {show(scores['f1'], 100, 1, ' %')}, "
            f"median onset error {show(scores['median_onset_error_ms'], 1, 0, ' ms')}")
