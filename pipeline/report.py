"""The run report: what a person wants to see after ``python -m pipeline run``.

Everything in it is read from the run's ML Metadata and the artifacts it points to (TFMA results,
the Trainers' metrics.json, the Pusher's output), never recomputed or typed in.
Written as ``report.md``, ``report.json`` and ``report.png`` under ``<output>/reports/<run>/``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from typing import Dict, List, Optional

from components.model import plots
from components.tfx import evaluation
from pipeline import mlmd_reader
from pipeline.configs import PipelineConfig
from components.model.machine import describe_machine

EBR_SLICES = ("ebr_db=-6", "ebr_db=0", "ebr_db=6")
MODEL_NODES = {"transfer": ("TransferTrainer", "TransferEvaluator"),
               "scratch": ("ScratchTrainer", "ScratchEvaluator")}
REAL_EVALUATORS = {"transfer": "TransferRealEvaluator", "scratch": "ScratchRealEvaluator"}
IMPACT_EVALUATORS = {"transfer": "TransferImpactEvaluator", "scratch": "ScratchImpactEvaluator"}


def _read_json(path: str) -> Optional[dict]:
    if path and os.path.exists(path):
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    return None


def _blessing_reason(evaluation_uri: str, blessed: bool, config: PipelineConfig) -> str:
    import tensorflow_model_analysis as tfma
    result = tfma.load_validation_result(evaluation_uri)
    if blessed:
        return (f"accuracy >= {config.accuracy_threshold:.2f} and no drop of more than "
                f"{config.max_accuracy_drop:.2f} against the latest blessed model (if any)")
    return validation_failures_text(result)


def validation_failures_text(result, most: int = 4) -> str:
    """TFMA's failed thresholds in one line: metric, slice, value and the bound it missed
    (TFMA leaves ``message`` empty for value and change thresholds), each failure once."""
    lines: List[str] = []
    for per_slice in result.metric_validations_per_slice:
        where = ", ".join(f"{k.column}={_slice_value(k)}" for k in
                          per_slice.slice_key.single_slice_keys) or "overall"
        for failure in per_slice.failures:
            text = f"{failure.metric_key.name} ({where})"
            if failure.metric_value.HasField("double_value"):
                text += f" = {failure.metric_value.double_value.value:.4f}"
            text += _threshold_text(failure.metric_threshold)
            if failure.message:
                text += f": {failure.message}"
            if text not in lines:
                lines.append(text)
    if not lines:
        return "validation failed (see the Evaluator's validation result)"
    more = f"; and {len(lines) - most} more" if len(lines) > most else ""
    return "; ".join(lines[:most]) + more


def _slice_value(key) -> str:
    kind = key.WhichOneof("kind")
    value = getattr(key, kind) if kind else ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _threshold_text(threshold) -> str:
    """' below the bound' of a TFMA MetricThreshold (value and/or change threshold)."""
    parts = []
    if threshold.HasField("value_threshold"):
        bound = threshold.value_threshold
        if bound.HasField("lower_bound"):
            parts.append(f"needs >= {bound.lower_bound.value:g}")
        if bound.HasField("upper_bound"):
            parts.append(f"needs <= {bound.upper_bound.value:g}")
    if threshold.HasField("change_threshold"):
        change = threshold.change_threshold
        if change.HasField("absolute"):
            higher_is_better = change.direction == 2   # tfma.MetricDirection.HIGHER_IS_BETTER
            parts.append(f"change against the baseline needs {'>=' if higher_is_better else '<='} "
                         f"{change.absolute.value:g}")
    return (", " + " and ".join(parts)) if parts else ""


def build_report(config: PipelineConfig, run_id: Optional[str] = None,
                 wall_seconds: Optional[float] = None, machine: Optional[Dict] = None) -> Dict:
    """Collect the report of a run (default: the latest) as a JSON-able dict; ``machine`` is
    :func:`components.model.machine.machine` of the process that ran it."""
    run = mlmd_reader.read_run(config.metadata_path, config.pipeline_id, run_id)
    report: Dict = {"run_id": run.run_id, "pipeline": config.pipeline_id,
                    "profile": config.profile, "metadata": config.metadata_path,
                    "wall_seconds": wall_seconds, "machine": machine,
                    "components": {n: r.state for n, r in run.nodes.items()}}
    data = {}
    for task, node in (("source", "SourceExampleGen"), ("target", "TargetExampleGen")):
        art = run.output(node, "examples")
        if art:
            data[task] = json.loads(art.properties.get("generation", "{}"))
    report["data"] = data
    report["target_class"] = ((data.get("target") or {}).get("classes") or [config.target_class])[0]
    report["source_classes"] = (data.get("source") or {}).get("classes") or config.source_class_list
    report["target_data"] = (data.get("target") or {}).get("data", config.target_data)
    report["scenes_disjoint"] = all(gen.get("scenes_disjoint", True) for gen in data.values())
    source_model = run.output("SourceTrainer", "model")
    source_metrics = _read_json(os.path.join(source_model.uri, "metrics.json")) if source_model else None
    report["source_model"] = source_metrics and {
        "eval_accuracy": source_metrics["metrics"].get("eval", {}).get("accuracy"),
        "train_accuracy": source_metrics["metrics"]["train"]["accuracy"],
        "seconds_per_epoch": source_metrics["seconds_per_epoch"]}
    models = {}
    for name, (trainer, evaluator) in MODEL_NODES.items():
        model = run.output(trainer, "model")
        evaluation_art = run.output(evaluator, "evaluation")
        if not (model and evaluation_art):
            continue
        metrics = evaluation.read_metrics(evaluation_art.uri)
        trained = _read_json(os.path.join(model.uri, "metrics.json")) or {}
        models[name] = {"method": trained.get("method"), "model_uri": model.uri,
                        "evaluation_uri": evaluation_art.uri,
                        "seconds_per_epoch": trained.get("seconds_per_epoch"),
                        "networks": len(trained.get("members") or []) or 1,
                        "locator": bool(trained.get("locator")),
                        "onset_fusion": trained.get("onset_fusion"),
                        "slices": metrics, "events": trained.get("events")}
    report["models"] = models
    if "transfer" in models and "scratch" in models:
        t = models["transfer"]["slices"]["overall"]["binary_accuracy"]
        s = models["scratch"]["slices"]["overall"]["binary_accuracy"]
        report["gain_pp"] = 100.0 * (t - s)
    blessing = run.output("TransferEvaluator", "blessing")
    blessed = bool(blessing and blessing.properties.get("blessed") == 1)
    report["blessed"] = blessed
    if "transfer" in models:
        report["blessing_reason"] = _blessing_reason(models["transfer"]["evaluation_uri"],
                                                     blessed, config)
    gate = run.output("RealAudioGate", "real_blessing")
    if gate:   # with a real-audio branch the Pusher reads the gate's blessing
        report["blessed"] = gate.properties.get("blessed") == 1
        if blessed and not report["blessed"]:
            report["blessing_reason"] = gate.properties.get("reason")
    report["real"] = _real_section(run, config)
    pushed = run.output("Pusher", "pushed_model")
    report["pushed"] = bool(pushed and pushed.properties.get("pushed") == 1)
    report["pushed_path"] = pushed.properties.get("pushed_destination") if report["pushed"] else None
    report["pushed_version"] = pushed.properties.get("pushed_version") if report["pushed"] else None
    report["already_served"] = bool(report["pushed"] and pushed.properties.get("already_served") == 1)
    return report


def _real_section(run, config: PipelineConfig) -> Dict:
    """Metrics of both models on the real recordings, per background and EBR, or why not."""
    examples = run.output("RealExampleGen", "examples")
    if not examples:
        return {"evaluated": False,
                "why": ("real_audio is off, or the set could not be fetched (the run's first "
                        "lines say why)")}
    models, impacts = _evaluations(run, REAL_EVALUATORS), _evaluations(run, IMPACT_EVALUATORS)
    gate = run.output("RealAudioGate", "real_blessing")
    backgrounds = sorted({k.split(",")[0][len("scene="):] for m in models.values() for k in m
                          if k.startswith("scene=")})
    section = {"evaluated": True, "data": json.loads(examples.properties.get("generation", "{}")),
               "models": models, "impacts": impacts, "backgrounds": backgrounds,
               "threshold": config.real_accuracy_threshold,
               "impact_limit": config.max_impact_false_alarms,
               "gate_reason": gate.properties.get("reason") if gate else None}
    if "transfer" in models and "scratch" in models:
        section["gain_pp"] = 100.0 * (models["transfer"]["overall"]["binary_accuracy"]
                                      - models["scratch"]["overall"]["binary_accuracy"])
    if "transfer" in models:
        section["transfer_fires_in"] = firing_backgrounds(models["transfer"], backgrounds)
    return section


def _evaluations(run, nodes: Dict[str, str]) -> Dict[str, Dict]:
    """Model name -> the metrics of every slice its Evaluator node wrote (nodes that ran)."""
    found = {name: run.output(node, "evaluation") for name, node in nodes.items()}
    return {name: evaluation.read_metrics(art.uri) for name, art in found.items() if art}


# A model that tags at least this share of a background's event-free excerpts as the event
# would fire most of the time where that background is common: the report warns about it.
FIRING_FALSE_ALARMS = 0.5


def firing_backgrounds(slices: Dict, backgrounds: List[str]) -> Dict[str, float]:
    """The real backgrounds in which a model tags at least :data:`FIRING_FALSE_ALARMS` of the
    excerpts without an event as the event: background -> false-alarm rate."""
    rates = {bg: _rate(slices, f"label=0,scene={bg}", negatives=True) for bg in backgrounds}
    return {bg: rate for bg, rate in rates.items()
            if rate is not None and rate >= FIRING_FALSE_ALARMS}


def real_audio_warning(report: Dict) -> Optional[str]:
    """One console line when the real recordings speak against the transfer model (it is below
    the scratch model there, or it fires on most event-free excerpts of a background), else None."""
    real = report.get("real") or {}
    if not real.get("evaluated") or "transfer" not in real.get("models", {}):
        return None
    below = real.get("gain_pp") is not None and real["gain_pp"] < 0
    firing = real.get("transfer_fires_in") or {}
    impacts = _rate((real.get("impacts") or {}).get("transfer", {}), "overall", negatives=True)
    on_impacts = impacts is not None and impacts >= FIRING_FALSE_ALARMS
    if not (below or firing or on_impacts):
        return None
    event = report.get("target_class", "the event")
    accuracy = real["models"]["transfer"]["overall"]["binary_accuracy"]
    line = f"Warning: on real recordings the transfer model scores {100 * accuracy:.1f} %"
    if below:
        line += f", {-real['gain_pp']:.1f} points below the scratch model"
    if firing:
        line += (f"{',' if below else ''} and tags most event-free excerpts as {event} in "
                 + ", ".join(f"{bg} ({100 * rate:.0f} %)" for bg, rate in firing.items()))
    if on_impacts:
        line += (f"{',' if below or firing else ''} and tags {100 * impacts:.0f} % of real "
                 f"sharp sounds of other kinds (doors, knocks) as {event}")
    return line + " (the report's section 'On real recordings')"


def _rate(slices: Dict, key: str, negatives: bool = False) -> Optional[float]:
    """Accuracy of a slice, or 1 - accuracy for a slice of negatives (the false-alarm rate)."""
    value = slices.get(key, {}).get("binary_accuracy")
    if value is None:
        return None
    return 1.0 - value if negatives else value


def _pct(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def _auc_text(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _scene_names(models: Dict) -> List[str]:
    names = set()
    for model in models.values():
        names.update(k for k in model["slices"] if k.startswith("scene="))
    return sorted(names)


def render_markdown(report: Dict) -> str:
    """The report as Markdown."""
    target = report.get("target_class", "glassbreak")
    sources = report.get("source_classes", ["babycry"])
    lines = [f"# Run report: {target} tagger, {report['pipeline']} ({report['profile']} profile)",
             "",
             f"- task: tag **{target}**, transferred from a source model of "
             f"{', '.join(sources)} ({len(sources)} class{'es' if len(sources) > 1 else ''})",
             f"- ML Metadata run id: `{report['run_id']}` ({report['metadata']})"]
    if report.get("wall_seconds") is not None:
        lines.append(f"- wall time: {report['wall_seconds']:.0f} s")
    if report.get("machine"):
        lines.append(f"- ran on: {describe_machine(report['machine'])}")
    states = report["components"]
    lines.append(f"- components: {len(states)}, " + ", ".join(
        f"{state.lower()} {sum(1 for s in states.values() if s == state)}"
        for state in sorted(set(states.values()))))
    lines += ["", "## Data", "",
              "| task | classes | data | scenes | train clips | eval clips | clip length | "
              "seeds (train/eval) |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for task, gen in report["data"].items():
        lines.append(f"| {task} | {', '.join(gen.get('classes', []))} | `{gen.get('data')}` | "
                     f"{', '.join(gen.get('scenes', []))} | {gen['clips'].get('train', 0)} | "
                     f"{gen['clips'].get('eval', 0)} | "
                     f"{gen['clip_duration_s']:g} s ({gen['frames']} frames) | "
                     f"{gen['train_seed']}/{gen['eval_seed']} |")
    if not report.get("scenes_disjoint", True):
        lines += ["", "**The source and target tasks share background scenes** (their data "
                  "does not allow disjoint scenes): the transfer gain below is not measured "
                  "across scenes as in the paper."]
    test_kind = ("Synthetic test set (the embedded corpus): on its own not evidence that the "
                 "model works on real recordings; see 'On real recordings'."
                 if report.get("target_data", "embedded") == "embedded" else
                 f"Test set: mixtures of the test recordings of `{report.get('target_data')}` "
                 "(held-out locations and authors).")
    lines += ["", f"## Models on the {target} test set (TFMA)", "", test_kind, "",
              "| model | method | accuracy | AUC | precision | recall | s/epoch |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, model in report["models"].items():
        overall = model["slices"]["overall"]
        spe = model.get("seconds_per_epoch")
        method = model["method"] + (f" (mean of {model['networks']} trainings)"
                                    if model.get("networks", 1) > 1 else "") + (
            " + locator" if model.get("locator") else "") + (
            " + onset fusion" if model.get("onset_fusion") else "")
        lines.append(f"| {name} | {method} | {_pct(overall.get('binary_accuracy'))} | "
                     f"{overall.get('auc', float('nan')):.3f} | {_pct(overall.get('precision'))} | "
                     f"{_pct(overall.get('recall'))} | "
                     f"{'n/a' if spe is None else format(spe, '.2f')} |")
    lines += _fusion_markdown(report["models"])
    if report.get("source_model"):
        src = report["source_model"]
        lines += ["", f"Source model ({', '.join(sources)}) accuracy on the source test set: "
                  f"{_pct(src['eval_accuracy'])} % (Keras evaluation)."]
    if "gain_pp" in report:
        lines += ["", f"**Gain of transfer over scratch: {report['gain_pp']:+.1f} percentage "
                  "points** on the same target test set."]
    lines += ["", "## Detection rate of positive clips per EBR", "",
              "(`ebr_db` exists only on clips with an event, so this is the share of events found.)",
              "", "| model | " + " | ".join(s.replace("ebr_db=", "") + " dB" for s in EBR_SLICES) + " |",
              "| --- |" + " --- |" * len(EBR_SLICES)]
    for name, model in report["models"].items():
        lines.append(f"| {name} | " + " | ".join(
            _pct(model["slices"].get(s, {}).get("binary_accuracy")) for s in EBR_SLICES) + " |")
    scenes = _scene_names(report["models"])
    lines += ["", "## Accuracy per scene", "", "| model | " + " | ".join(
        s.replace("scene=", "") for s in scenes) + " |", "| --- |" + " --- |" * len(scenes)]
    for name, model in report["models"].items():
        lines.append(f"| {name} | " + " | ".join(
            _pct(model["slices"].get(s, {}).get("binary_accuracy")) for s in scenes) + " |")
    lines += _events_markdown(report["models"], target)
    lines += _real_markdown(report.get("real") or {"evaluated": False, "why": "not recorded"},
                            report.get("target_data", "embedded"))
    lines += ["", "## Gate and push", "",
              f"- blessed: **{'yes' if report['blessed'] else 'no'}** - {report.get('blessing_reason', '')}",
              f"- pushed: {'yes' if report['pushed'] else 'no'}"
              + (" (the same model was already the served version: not copied again)"
                 if report.get("already_served") else "")]
    if report["pushed"]:
        lines.append(f"- model path: `{report['pushed_path']}` (version {report['pushed_version']})")
    lines += ["", "![accuracies](report.png)", ""]
    if (report.get("real") or {}).get("evaluated"):
        lines += ["![real recordings](real.png)", ""]
    return "\n".join(line for line in lines if line is not None)


def _fusion_markdown(models: Dict) -> List[str]:
    """What the onset fusion did, measured by the Trainers: the network alone and fused."""
    fused = {name: m["onset_fusion"] for name, m in models.items() if m.get("onset_fusion")}
    if not fused:
        return []
    clips = next(iter(fused.values()))["calibration"]["clips"]
    lines = ["", f"Onset fusion (`onset_fusion=1`, components/model/fusion.py): each model's "
             "probability is its network's fused with two numbers about the clip's sharpest "
             "onset (its strength and the spectral centroid of the next 100 ms), weights fitted "
             f"on {clips} calibration clips mixed from the training recordings (not the test "
             "set). The Trainers' own measurement on this test set, network alone -> fused:", ""]
    for name, f in fused.items():
        e, w = f["eval"], f["weights"]
        lines.append(f"- {name}: accuracy {_pct(e['network_accuracy'])} -> "
                     f"{_pct(e['fused_accuracy'])} %, AUC {e['network_auc']:.3f} -> "
                     f"{e['fused_auc']:.3f} (weights: logit {w['w_logit']:.2f}, log(1 + peak) "
                     f"{w['w_peak']:.2f}, centroid/kHz"
                     + (f" capped at {w['centroid_cap_khz']:g} kHz"
                        if w.get("centroid_cap_khz") else "")
                     + f" {w['w_centroid']:.2f}, bias {w['bias']:.2f})")
    if len(fused) == 2:
        t, s = (fused[n]["eval"]["network_accuracy"] for n in ("transfer", "scratch"))
        lines += ["", f"Gain of the transfer network alone over the scratch network alone: "
                  f"{100 * (t - s):+.1f} percentage points (the paper's comparison; the gain "
                  "below is between the fused models)."]
    return lines


def _events_markdown(models: Dict, target: str) -> List[str]:
    """Event onsets scored like DCASE 2017 Task 2 (the Trainers' events on the test set)."""
    scored = {name: m["events"] for name, m in models.items() if m.get("events")}
    if not scored:
        return []
    rule = next(iter(scored.values()))["rule"]
    if rule.get("onsets", "running") == "strength":
        how = ("Events: one per test clip the model tags, at the clip's strongest spectral rise "
               "(`--set event_onsets=strength`, components/model/localize.py)")
    else:
        how = (f"Events from each model's running probability per frame (threshold "
               f"{rule['threshold']}, median {rule['median_s']} s, gaps < {rule['min_gap_s']} s "
               "joined)" + ("" if not any(m.get("locator") for m in models.values()) else
                            "; a model with a locator (setting `locator`) takes the frames from "
                            "its locator, a second network of the paper's kind, in the clips "
                            "its tagger tags (none in the others)"))
    lines = ["", "## Where in the clip: event onsets", "",
             f"{how}, scored like DCASE 2017 Task 2 with sed_eval: event-based, onset only, "
             f"500 ms collar, on the same {target} test set (synthetic where the data is the "
             "embedded corpus). The DCASE 2017 baseline reached glass break ER 0.22 / F1 88.5 %.",
             "", "| model | part | ER | F1 | median onset error ms | events found / true |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, events in scored.items():
        parts = [("overall", events["overall"])] + [(f"EBR {k} dB", v)
                                                    for k, v in events["per_ebr"].items()]
        for part, v in parts:
            er = "n/a" if v["error_rate"] is None else f"{v['error_rate']:.2f}"
            onset = v["median_onset_error_ms"]
            lines.append(f"| {name} | {part} | {er} | {_pct(v['f1'])} | "
                         f"{'n/a' if onset is None else format(onset, '.0f')} | "
                         f"{v['estimated_events']} / {v['reference_events']} |")
    lines += ["", "![events](events.png)"]
    return lines


def _real_markdown(real: Dict, target_data: str = "embedded") -> List[str]:
    lines = ["", "## On real recordings", ""]
    if not real["evaluated"] and target_data != "embedded":
        return lines + [f"No separate real-audio set ({real['why']}). The target test set above "
                        f"is mixed from the test recordings of `{target_data}`: if those are "
                        "real recordings, its figures are the real-audio evidence."]
    if not real["evaluated"]:
        return lines + [f"Not evaluated: {real['why']}. Nothing in this report then says how "
                        "the model does on real audio."]
    data = real["data"]
    lines += [f"{data.get('clips', {}).get('eval', 0)} clips of {data.get('clip_duration_s', 0):g} s "
              f"mixed from the real recordings in `{data.get('data')}` (every real "
              f"{', '.join(data.get('classes') or ['glassbreak'])} recording at "
              f"-6/0/+6 dB over {data.get('excerpts')} excerpt(s) of every real background, and "
              "as many excerpts without an event; seed "
              f"{data.get('eval_seed')}). No model saw these files in training.", "",
              "| model | accuracy | AUC | false alarms | detected events |",
              "| --- | --- | --- | --- | --- |"]
    for name, slices in real["models"].items():
        overall = slices.get("overall", {})
        lines.append(f"| {name} | {_pct(overall.get('binary_accuracy'))} | "
                     f"{overall.get('auc', float('nan')):.3f} | "
                     f"{_pct(_rate(slices, 'label=0', negatives=True))} | "
                     f"{_pct(_rate(slices, 'label=1'))} |")
    if real.get("gain_pp") is not None:
        lines += ["", f"**Gain of transfer over scratch on real recordings: {real['gain_pp']:+.1f} "
                  "percentage points** (on the synthetic test set: see above)."]
    if real.get("transfer_fires_in"):
        lines += ["", "**Warning: the transfer model tags most excerpts without an event as "
                  f"{', '.join(data.get('classes') or ['the event'])} in "
                  + ", ".join(f"{bg} ({_pct(rate)} %)" for bg, rate in
                              real["transfer_fires_in"].items())
                  + "**: where such sounds are common it would fire most of the time."]
    names = list(real["models"])
    lines += ["", "False alarms (share of excerpts without an event tagged as one) and detected "
              "events per background, %, and the ROC AUC within each background (excerpts with "
              "an event against those without: how well the scores separate them there, at "
              "any threshold):", "",
              "| background | " + " | ".join(f"{n} false alarms | {n} detected | {n} AUC"
                                            for n in names) + " |",
              "| --- |" + " --- |" * (3 * len(names))]
    for bg in real["backgrounds"]:
        cells = []
        for n in names:
            slices = real["models"][n]
            cells += [_pct(_rate(slices, f"label=0,scene={bg}", negatives=True)),
                      _pct(_rate(slices, f"label=1,scene={bg}")),
                      _auc_text(slices.get(f"scene={bg}", {}).get("auc"))]
        lines.append(f"| {bg} | " + " | ".join(cells) + " |")
    lines += ["", "Detected events per EBR, %:", "",
              "| model | " + " | ".join(s.replace("ebr_db=", "") + " dB" for s in EBR_SLICES) + " |",
              "| --- |" + " --- |" * len(EBR_SLICES)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(_pct(_rate(real["models"][n], s))
                                             for s in EBR_SLICES) + " |")
    lines += _impact_markdown(real.get("impacts") or {}, data)
    threshold = real.get("threshold") or 0.0
    limit = real.get("impact_limit", 1.0)
    impact_rule = (f", false alarms on real impacts <= {limit:.2f}"
                   if limit < 1 and real.get("impacts") else "")
    accuracy_rule = (f"accuracy >= {threshold:.2f}" if threshold > 0
                     else "not required (real_accuracy_threshold = 0)")
    lines += ["", f"Real-audio gate: {accuracy_rule}{impact_rule}; "
              f"outcome: {real.get('gate_reason') or 'n/a'}."]
    return lines


def _impact_markdown(impacts: Dict, data: Dict) -> List[str]:
    """False alarms on the real impacts, overall, per kind and per background (or nothing)."""
    if not impacts:
        return []
    names = list(impacts)
    kinds = sorted({k[len("impact="):] for m in impacts.values() for k in m
                    if k.startswith("impact=")})
    scenes = sorted({k[len("scene="):] for m in impacts.values() for k in m
                     if k.startswith("scene=")})
    event = ", ".join(data.get("classes") or ["the event"])
    lines = ["", f"**Sharp sounds that are not {event}**: "
             f"{data.get('clips', {}).get('impacts', 0)} more excerpts without an event, each "
             f"holding one real impact of another kind ({', '.join(kinds)}) at -6/0/+6 dB. A "
             "model that fires on any sharp sound tags them; false alarms %, overall and per "
             "kind:", "",
             "| model | all impacts | " + " | ".join(kinds) + " |",
             "| --- |" + " --- |" * (len(kinds) + 1)]
    for n in names:
        lines.append(f"| {n} | {_pct(_rate(impacts[n], 'overall', negatives=True))} | "
                     + " | ".join(_pct(_rate(impacts[n], f'impact={k}', negatives=True))
                                  for k in kinds) + " |")
    lines += ["", "The same per background, %: " + "; ".join(
        f"{n}: " + ", ".join(f"{s} {_pct(_rate(impacts[n], f'scene={s}', negatives=True))}"
                             for s in scenes) for n in names) + "."]
    return lines


def write_report(report: Dict, directory: str) -> str:
    """Write report.md/.json/.png into ``directory``; return the Markdown path."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "report.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    groups = ["overall"] + [s.replace("ebr_db=", "EBR ") + " dB" for s in EBR_SLICES]
    series = {f"{name} ({model['method']})": [model["slices"].get(key, {}).get("binary_accuracy")
                                              for key in ("overall",) + EBR_SLICES]
              for name, model in report["models"].items()}
    plots.grouped_bars(groups, series, os.path.join(directory, "report.png"),
                       f"{report.get('target_class', 'Target')} test set: accuracy and "
                       f"per-EBR detection rate "
                       f"(gain {report.get('gain_pp', float('nan')):+.1f} pp)", "%")
    real = report.get("real") or {}
    if real.get("evaluated"):
        groups = real["backgrounds"]
        bars = {}
        impacts = real.get("impacts") or {}
        for n, slices in real["models"].items():
            bars[f"{n}: false alarms"] = [_rate(slices, f"label=0,scene={bg}", True) for bg in groups]
            if n in impacts:
                bars[f"{n}: false alarms on impacts"] = [
                    _rate(impacts[n], f"scene={bg}", True) for bg in groups]
            bars[f"{n}: detected"] = [_rate(slices, f"label=1,scene={bg}") for bg in groups]
        plots.grouped_bars(groups, bars, os.path.join(directory, "real.png"),
                           "Real recordings: false alarms (ambience alone, and with a real impact) "
                           "and detected events per background" if impacts else
                           "Real recordings: false alarms and detected events per background",
                           "%")
    transfer = report["models"].get("transfer") or {}
    timeline = os.path.join(transfer.get("model_uri", ""), "events.png")
    if transfer.get("events") and os.path.exists(timeline):
        shutil.copyfile(timeline, os.path.join(directory, "events.png"))
    path = os.path.join(directory, "report.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_markdown(report))
    return path


def report_directory(config: PipelineConfig, run_id: str) -> str:
    """``<output>/reports/<run id with only safe characters>``."""
    return os.path.join(config.report_dir, re.sub(r"[^0-9A-Za-z_.-]", "_", run_id))
