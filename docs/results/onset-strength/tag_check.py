"""`tag --events` on two long real recordings with real breaks added (an ad-hoc product check).

Each real background of the default set (looped to 20 s) gets two real glass breaks of the same
set, ``openclonk_glassshatter`` at 6.3 s and ``minetest_break_glass_2`` at 14.1 s, each scaled
to the given event-to-background RMS ratio over its active part; the file is written to OUT and
tagged with the given model by ``python -m pipeline tag --events`` (both onset rules).
These breaks are in the real test set's recordings, so this is a demonstration of the product
path, not a measurement.

    .venv/bin/python docs/results/onset-strength/tag_check.py MODEL REAL_AUDIO OUT
"""
import os
import subprocess
import sys

import numpy as np
import soundfile

SR = 44100
BREAKS = (("openclonk_glassshatter.wav", 6.3), ("minetest_break_glass_2.wav", 14.1))


def main(model: str, real: str, out: str, ebr_db: float = 0.0) -> None:
    os.makedirs(out, exist_ok=True)
    audio = os.path.join(real, "audio")
    for background in ("dcase_util_acoustic_scene", "openclonk_birdsong", "openclonk_rain",
                       "lmms_raving_crowd01", "openclonk_wind"):
        bg, _ = soundfile.read(os.path.join(audio, background + ".wav"), dtype="float32")
        track = np.resize(bg, 20 * SR).astype(np.float64)
        for name, onset in BREAKS:
            event, _ = soundfile.read(os.path.join(audio, name), dtype="float32")
            start = int(onset * SR)
            part = track[start:start + len(event)]
            scale = (np.sqrt(np.mean(part ** 2)) / np.sqrt(np.mean(event ** 2))
                     * 10 ** (ebr_db / 20))
            track[start:start + len(event)] += scale * event[:len(part)]
        path = os.path.join(out, f"{background}+breaks.wav")
        soundfile.write(path, (track / max(1.0, np.abs(track).max())).astype(np.float32), SR)
        for rule in ("strength", "running"):
            found = subprocess.run(
                [sys.executable, "-m", "pipeline", "tag", path, "--model", model, "--events",
                 "--onsets", rule, "--json", "--events-dir", os.path.join(out, rule)],
                capture_output=True, text=True, check=True)
            onsets = [round(r["onset_s"], 2) for r in __import__("json").loads(found.stdout)]
            print(f"{background}: breaks at {[o for _, o in BREAKS]} s; --onsets {rule}: "
                  f"events at {onsets}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
