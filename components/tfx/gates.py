"""Small TFX components that guard and summarise the run.

``AnomaliesGate`` fails the run when ExampleValidator found anomalies (ExampleValidator itself only
records them), so no model is trained on data that breaks the schema. ``TransferGain`` records in
ML Metadata the transfer model's accuracy gain over the scratch baseline on the same test set.
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
