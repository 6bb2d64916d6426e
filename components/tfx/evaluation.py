"""Reading TFMA results into plain dicts: ``{slice name: {metric: value}}``."""
from __future__ import annotations

from typing import Dict


def slice_name(slice_key) -> str:
    """``'overall'`` or ``'ebr_db=-6'``, ``'scene=home'`` ... for a TFMA slice key."""
    if not slice_key:
        return "overall"
    parts = []
    for column, value in slice_key:
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        parts.append(f"{column}={value}")
    return ",".join(parts)


def read_metrics(evaluation_uri: str, model_name: str = "") -> Dict[str, Dict[str, float]]:
    """Metrics of every slice written by the Evaluator at ``evaluation_uri`` (candidate model).

    With a baseline, TFMA writes both models' values; ``model_name`` picks one (default: the
    candidate, the value without a ``_diff`` suffix).
    """
    import tensorflow_model_analysis as tfma
    result = tfma.load_eval_result(evaluation_uri, model_name=model_name or None)
    table: Dict[str, Dict[str, float]] = {}
    for slice_key, outputs in result.slicing_metrics:
        values = {}
        for _, sub_keys in outputs.items():
            for _, metrics in sub_keys.items():
                for metric, value in metrics.items():
                    if isinstance(value, dict) and "doubleValue" in value:
                        values[metric] = float(value["doubleValue"])
        table[slice_name(slice_key)] = values
    return table
