"""The running (causal) per-clip mean, clip_mean=2, against the whole-clip mean (clip_mean=1) and
none (clip_mean=0): scratch and (c) with the one-class source, the same 5 seeds (same data and
initial weights), on the synthetic test set (clip accuracy and event onsets) and the real set.

Usage (from the repository root):
  .venv/bin/python docs/results/clipmean-running/compare.py \
      docs/results/sources-fixed/sources.json build/exp-sources-clipmean \
      build/exp-clipmean-running
clip_mean=0: its sources.json only (its models are gone: no event scores); clip_mean=1 and 2: the
study folders (sources.json / table1.json and each run's metrics.json with its event scores).
"""
import importlib.util
import json
import os
import sys

import numpy as np

ROWS = {"scratch_limited": ("", "scratch"), "parallel_low": ("babycry", "parallel_low")}


def runs_of(path):
    """row -> runs of a sources.json (one-class source) or a table1.json."""
    result = json.load(open(path))
    if result["experiment"] == "sources":
        by_key = {(r["source_classes"], r["row"]): r["runs"] for r in result["rows"]}
        return {row: by_key[(classes, row)] for row, (classes, _) in ROWS.items()}
    return {r["row"]: r["runs"] for r in result["rows"] if r["row"] in ROWS}


def events(run):
    """The Trainer's event scores on the synthetic eval split (its metrics.json), or None."""
    path = os.path.join(os.path.dirname(run["run"].rstrip("/")), "metrics.json")
    if not os.path.exists(path):
        return None
    return json.load(open(path)).get("events", {}).get("overall")


def _clip_mean_comparison():
    """docs/results/sources-clipmean/compare.py, for its paired() and FIGURES."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sources-clipmean",
                        "compare.py")
    spec = importlib.util.spec_from_file_location("sources_clipmean_compare", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_BASE = _clip_mean_comparison()
paired = _BASE.paired
FIGURES = _BASE.FIGURES + (
           ("onsets ER (synthetic)", lambda r: (events(r) or {}).get("error_rate"), "{:.2f}"),
           ("onsets F1 % (synthetic)", lambda r: 100 * (events(r) or {}).get("f1", np.nan),
            "{:.1f}"))


def main(off_json, whole_dir, running_dir):
    studies = {"0": runs_of(off_json),
               "1": runs_of(os.path.join(whole_dir, "sources.json")),
               "2": runs_of(os.path.join(running_dir, "table1.json"))}
    print("| row | figure | clip_mean=0 | clip_mean=1 (whole clip) | clip_mean=2 (running) | "
          "2 - 1, 95 % CI | 2 - 0, 95 % CI |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in ROWS:
        seeds = [r["seed"] for r in studies["2"][row]]
        for name, get, fmt in FIGURES:
            values = {}
            for key, runs in studies.items():
                by_seed = {r["seed"]: r for r in runs[row]}
                got = [get(by_seed[s]) for s in seeds]
                values[key] = None if any(v is None or v != v for v in got) else got
            cells = [("-" if values[k] is None else fmt.format(np.mean(values[k])) + " ("
                      + " / ".join(fmt.format(v) for v in values[k]) + ")") for k in "012"]
            diffs = []
            for base in "10":
                if values[base] is None or values["2"] is None:
                    diffs.append("-")
                else:
                    mean, half = paired(values[base], values["2"])
                    diffs.append(f"{mean:+.3f} ± {half:.3f}" if "AUC" in name or "ER" in name
                                 else f"{mean:+.1f} ± {half:.1f}")
            print(f"| {row} | {name} | " + " | ".join(cells + diffs) + " |")
    real = json.load(open(os.path.join(running_dir, "table1.json")))
    print("\nclip_mean=2, real false alarms per background (mean over seeds):")
    for r in real["rows"]:
        if r["row"] in ROWS and r.get("real"):
            print(f"- {r['row']}: " + ", ".join(
                f"{k.split(':')[1]} {100 * v:.0f} % (AUC {r['real'].get('auc:' + k.split(':')[1]) or float('nan'):.2f})"
                for k, v in r["real"].items() if k.startswith("false_alarms:")))


if __name__ == "__main__":
    main(*sys.argv[1:4])
