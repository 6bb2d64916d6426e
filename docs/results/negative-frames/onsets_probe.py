"""Where do a study's models put their events? Running probabilities of one run's model on the
study's synthetic target test clips: the mean over clips at frames 0, 10, 30, 60, 100, 150, 200
and the last, for clips with and without an event; events per clip (localize.EventRule's
defaults); and, for the first 8 clips with an event, the true onset and duration, the events
found and every 20th frame's running probability.

Usage (repository root): .venv/bin/python docs/results/negative-frames/onsets_probe.py \\
    build/exp-clipmean-nf s0-parallel_low
"""
import glob
import sys

import numpy as np

from components.audio import examples
from components.model import localize, serving
from pipeline import configs


def running_probabilities(files, model_dir):
    """Running probability [clips, frames] of the model in ``model_dir`` (a Format-Serving
    folder) on the quick profile's clips in the TFRecord ``files``, and their metadata."""
    every_frame = localize.frame_tagger(serving.load_keras_tagger(model_dir))
    running, metadata = [], []
    for mfcc, _, meta in examples.iter_batches(files, configs.get_config("quick").frames):
        running.append(np.asarray(every_frame(mfcc, training=False))[..., 0])
        metadata += meta
    return np.concatenate(running), metadata


def main(study, run):
    rule = localize.EventRule()
    running, metadata = running_probabilities(
        glob.glob(f"{study}/data/target-test/Split-eval/*"),
        f"{study}/runs/{run}/model/Format-Serving")
    without = np.array([m.get("event_onset_s") is None for m in metadata])
    print(f"{study} {run}")
    for name, chosen in (("without an event", without), ("with an event", ~without)):
        probabilities = running[chosen]
        events = np.mean([len(localize.detect_events(p, rule)) for p in probabilities])
        print(f"{name}: mean running probability at frames 0, 10, 30, 60, 100, 150, 200, last",
              np.round(probabilities[:, [0, 10, 30, 60, 100, 150, 200, -1]].mean(0), 2),
              f"- events per clip {events:.2f}")
    with_event = [(m, p) for m, p in zip(metadata, running) if m.get("event_onset_s") is not None]
    for meta, probability in with_event[:8]:
        found = [(round(a, 2), round(b, 2)) for a, b in localize.detect_events(probability, rule)]
        print(f"onset {meta['event_onset_s']:.2f} s, duration {meta['event_duration_s']:.2f} s, "
              f"events {found}, every 20th frame {np.round(probability[::20], 2)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
