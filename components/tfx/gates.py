"""Small TFX components that guard and summarise the run.

``AnomaliesGate`` fails the run when ExampleValidator found anomalies (ExampleValidator itself only
records them), so no model is trained on data that breaks the schema. ``TransferGain`` records in
ML Metadata the transfer model's accuracy gain over the scratch baseline on the same test set.
``RealAudioGate`` turns the Evaluator's blessing and the accuracy on real recordings into the
blessing the Pusher reads.
"""
import glob
import os
from typing import TypedDict

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from components.tfx import evaluation


class DataAnomalyError(RuntimeError):
    """ExampleValidator reported anomalies; the message lists them."""


def read_anomalies(anomalies_uri: str) -> dict:
    """``{split: [(feature, short description, description)]}`` from an ExampleAnomalies artifact."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2
    import tensorflow as tf
    found = {}
    for path in sorted(glob.glob(os.path.join(anomalies_uri, "Split-*", "SchemaDiff.pb"))):
        proto = anomalies_pb2.Anomalies()
        proto.ParseFromString(tf.io.gfile.GFile(path, "rb").read())
        split = os.path.basename(os.path.dirname(path))[len("Split-"):]
        rows = [(name, info.short_description, info.description)
                for name, info in sorted(proto.anomaly_info.items())]
        if proto.HasField("dataset_anomaly_info"):
            info = proto.dataset_anomaly_info
            rows.append(("<dataset>", info.short_description, info.description))
        if rows:
            found[split] = rows
    return found


class GateResult(TypedDict):
    anomaly_count: int


class RealGateResult(TypedDict):
    real_accuracy: float
    blessed: int


class GainResult(TypedDict):
    transfer_accuracy: float
    scratch_accuracy: float
    gain_pp: float


@tfx.dsl.components.component
def AnomaliesGate(anomalies: tfx.dsl.components.InputArtifact[
        standard_artifacts.ExampleAnomalies]) -> GateResult:
    """Raise DataAnomalyError naming every anomaly; otherwise record that there were none."""
    found = read_anomalies(anomalies.uri)
    if found:
        lines = [f"  split {split}: feature '{name}': {short} ({detail})"
                 for split, rows in found.items() for name, short, detail in rows]
        raise DataAnomalyError("ExampleValidator found anomalies in the examples; training is "
                               "stopped:\n" + "\n".join(lines))
    return {"anomaly_count": 0}


@tfx.dsl.components.component
def TransferGain(
    transfer_evaluation: tfx.dsl.components.InputArtifact[standard_artifacts.ModelEvaluation],
    scratch_evaluation: tfx.dsl.components.InputArtifact[standard_artifacts.ModelEvaluation],
) -> GainResult:
    """Accuracy of the transfer and scratch models on the same test set, and the gain in points."""
    transfer = evaluation.read_metrics(transfer_evaluation.uri)["overall"]["binary_accuracy"]
    scratch = evaluation.read_metrics(scratch_evaluation.uri)["overall"]["binary_accuracy"]
    print(f"transfer accuracy {transfer:.4f}, scratch {scratch:.4f}, "
          f"gain {100 * (transfer - scratch):+.1f} pp", flush=True)
    return {"transfer_accuracy": transfer, "scratch_accuracy": scratch,
            "gain_pp": 100.0 * (transfer - scratch)}


@tfx.dsl.components.component
def RealAudioGate(
    model: tfx.dsl.components.InputArtifact[standard_artifacts.Model],
    blessing: tfx.dsl.components.InputArtifact[standard_artifacts.ModelBlessing],
    real_evaluation: tfx.dsl.components.InputArtifact[standard_artifacts.ModelEvaluation],
    real_blessing: tfx.dsl.components.OutputArtifact[standard_artifacts.ModelBlessing],
    impact_evaluation: tfx.dsl.components.InputArtifact[
        standard_artifacts.ModelEvaluation] = None,
    real_accuracy_threshold: tfx.dsl.components.Parameter[float] = 0.0,
    max_impact_false_alarms: tfx.dsl.components.Parameter[float] = 1.0,
) -> RealGateResult:
    """Bless the model only if the Evaluator blessed it, when ``real_accuracy_threshold`` is
    above 0 its accuracy on the real recordings reaches it, and when ``max_impact_false_alarms``
    is below 1 and the real impacts were scored (``impact_evaluation``) the share of them it
    tags does not exceed it. Writes BLESSED or NOT_BLESSED like the Evaluator, with the reason
    (and the false alarms on impacts) as custom properties."""
    import tensorflow as tf
    accuracy = evaluation.read_metrics(real_evaluation.uri)["overall"]["binary_accuracy"]
    impact_alarms = (1.0 - evaluation.read_metrics(impact_evaluation.uri)["overall"]
                     ["binary_accuracy"] if impact_evaluation is not None else None)
    synthetic_ok = blessing.get_int_custom_property("blessed") == 1
    real_ok = real_accuracy_threshold <= 0 or accuracy >= real_accuracy_threshold
    impacts_ok = (max_impact_false_alarms >= 1 or impact_alarms is None
                  or impact_alarms <= max_impact_false_alarms)
    reasons = []
    if not synthetic_ok:
        reasons.append("the Evaluator did not bless the model on the synthetic test set")
    if not real_ok:
        reasons.append(f"accuracy on real recordings {accuracy:.4f} is below "
                       f"real_accuracy_threshold {real_accuracy_threshold:.4f}")
    if not impacts_ok:
        reasons.append(f"false alarms on real impacts {impact_alarms:.4f} are above "
                       f"max_impact_false_alarms {max_impact_false_alarms:.4f}")
    blessed = int(synthetic_ok and real_ok and impacts_ok)
    if impact_alarms is not None:
        real_blessing.set_float_custom_property("impact_false_alarms", impact_alarms)
    real_blessing.set_int_custom_property("blessed", blessed)
    real_blessing.set_string_custom_property("current_model", model.uri)
    real_blessing.set_int_custom_property("current_model_id", model.id)
    real_blessing.set_string_custom_property("reason", "; ".join(reasons) or "passed")
    with tf.io.gfile.GFile(f"{real_blessing.uri}/{'BLESSED' if blessed else 'NOT_BLESSED'}",
                           "w") as handle:
        handle.write("")
    print(f"real-audio gate: accuracy {accuracy:.4f} on real recordings"
          + (f", false alarms {impact_alarms:.4f} on real impacts" if impact_alarms is not None
             else "") + f", {'blessed' if blessed else 'not blessed'}", flush=True)
    return {"real_accuracy": accuracy, "blessed": blessed}
