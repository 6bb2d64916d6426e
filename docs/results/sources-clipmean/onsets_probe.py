"""Where does a clip_mean=1 model put its events? Running probabilities of the (c) model of
`python -m pipeline run --profile quick --set clip_mean=1 --output-dir build/run-clipmean` on its
synthetic eval split: mean per frame for clips with and without an event, events per clip, and
the events found in the first clips with an event.

Usage (from the repository root): .venv/bin/python docs/results/sources-clipmean/onsets_probe.py
"""
import glob
import os
import runpy

import numpy as np

from components.model import localize

PROBE = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "negative-frames", "onsets_probe.py"))
root = "build/run-clipmean/tfx/fewshot-glassbreak"
rule = localize.EventRule()
running, metadata = PROBE["running_probabilities"](
    glob.glob(f"{root}/TargetExampleGen/examples/*/Split-eval/*"),
    glob.glob(f"{root}/TransferTrainer/model/*/Format-Serving")[0])
without = np.array([m.get("event_onset_s") is None for m in metadata])
print("rule", rule)
for name, idx in (("without an event", without), ("with an event", ~without)):
    r = running[idx]
    print(name, "- mean running probability at frames 0, 10, 30, 60, 100, 150, 200, last:",
          np.round(r[:, [0, 10, 30, 60, 100, 150, 200, -1]].mean(0), 2))
    print(name, "- events per clip", round(float(np.mean(
        [len(localize.detect_events(x, rule)) for x in r])), 2))
for meta, r in [(m, x) for m, x in zip(metadata, running) if m.get("event_onset_s") is not None][:8]:
    print(f"true onset {meta['event_onset_s']:.2f} s, events found",
          [(round(a, 2), round(b, 2)) for a, b in localize.detect_events(r, rule)])
