"""The recording chain and the onset fusion's centroid: a probe (nothing in the product).

The fusion's third number is the absolute spectral centroid (kHz) of the ~100 ms after the
clip's sharpest onset. A recording made at a low sample rate (8, 11.025, 16, 22.05 kHz, common
in real archives) has nothing above half its rate, so every break in it is "dark" and the fit,
which only saw full-band synthetic clips, calls it not glass. This probe asks, on synthetic clips
first (no real clip chooses anything here), whether a chain-invariant brightness does better:

- ``centroid``: the product's number;
- ``relative``: log2 of the onset window's centroid over the centroid of the clip's median
  frame (the background's colour through the same chain): how much brighter the onset is than
  what it rises out of;
- ``edge``: the onset window's centroid over the clip's band edge (the frequency below which
  99 % of the clip's peak-hold spectrum lies): brightness as a share of the band the chain kept.

The network alone (its probability at 0.5) is scored too. Each number is fitted the product's
way (``fusion.fit_fusion``: network logit, log(1 + peak), the number; balanced, L2) on the
quick profile's ``calibration`` split (400 synthetic clips of the training recordings),
``plain`` or ``plain+chain`` (the same 400 plus a copy of each through a brick-wall low-pass at
0.45 x a sample rate drawn from 8, 11.025, 16, 22.05 kHz, seeded). Scored,
nothing refitted, on the synthetic test set plain and through the chain (200 + 200 clips), and
on both real sets (issue 9's figures and the real impacts), for the scratch and (c) models of a
Table 1 study (5 seeds). Results to ``probe-<study folder name>.json`` beside this script, a
table to standard output.

Usage (repository root, ~10 min on 2 cores):
  .venv/bin/python docs/results/recording-chain/probe.py build/real_audio \\
      build/real_audio_holdout build/exp-bird > docs/results/recording-chain/probe-exp-bird.txt
"""
import json
import os
import runpy
import sys

import numpy as np

from components.audio import augmentation, datasets, features, mixing, onset
from components.model import fusion
from pipeline import configs

HERE = os.path.dirname(os.path.abspath(__file__))
FUSION = runpy.run_path(os.path.join(HERE, "..", "onset-fusion", "measure.py"))
MEASURE = FUSION["MEASURE"]
CHAIN_RATES_HZ = augmentation.CHAIN_RATES_HZ
CHAIN_SEED = 5150
WAYS = ("centroid", "relative", "edge")


def through_chain(waves, seed):
    """Each clip through a brick-wall low-pass at 0.45 x a sample rate drawn from
    CHAIN_RATES_HZ (what resampling a recording made at that rate leaves;
    ``augmentation.band_limit``, as ``recording_chain=1`` does); the clips and the rates drawn."""
    rng = np.random.default_rng(seed)
    rates = rng.choice(CHAIN_RATES_HZ, size=len(waves))
    out = np.stack([augmentation.band_limit(w, rate) for w, rate in zip(waves, rates)])
    return out.astype(np.float32), rates


def clip_numbers(y, mfcc):
    """(peak, centroid kHz, relative, edge) of one clip: see the module docstring."""
    frame, peak = onset.onset_frame_and_peak(mfcc)
    power = features.frames_power(np.array(features.centred_frames(y)), features.hann_window())
    freqs = np.arange(power.shape[1]) * features.SAMPLE_RATE / features.N_FFT / 1000.0
    c_on = onset.centroid_khz(power, int(frame))
    median = np.median(power, axis=0)
    c_bg = float((freqs * median).sum() / (median.sum() + 1e-20))
    hold = power.max(axis=0)
    cumulative = np.cumsum(hold) / (hold.sum() + 1e-20)
    edge = float(freqs[min(np.searchsorted(cumulative, 0.99), len(freqs) - 1)])
    return float(peak), c_on, float(np.log2((c_on + 1e-3) / (c_bg + 1e-3))), c_on / max(edge, 0.1)


def numbers(waves):
    x = MEASURE["SITE"]["mfccs"](waves)
    rows = np.array([clip_numbers(w, m) for w, m in zip(waves, x)])
    return {"x": x, "peak": rows[:, 0], "centroid": rows[:, 1], "relative": rows[:, 2],
            "edge": rows[:, 3]}


def synthetic():
    config = configs.get_config("quick", onset_fusion=1)
    plan = datasets.plan_task(**dict(config.data_jobs()["Target"], train_clips=0))
    load = mixing.audio_loader(plan.data.data_root, config.corpus_seed, cache_bytes=1 << 30)
    out = {}
    for split, name in (("calibration", "cal"), ("eval", "test")):
        recipes = plan.recipes[split]
        waves = np.stack([mixing.render(r, load)[0].astype(np.float32) for r in recipes])
        y = np.array([r.label for r in recipes])
        out[name] = numbers(waves) | {"y": y, "rate": np.full(len(y), features.SAMPLE_RATE)}
        chained, rates = through_chain(waves, CHAIN_SEED + len(out))
        out[name + " chain"] = numbers(chained) | {"y": y, "rate": rates}
    return out


def real(real_dir):
    s = FUSION["real_set"](real_dir)
    return {"meta": s["meta"], "eval": numbers(s["waves"][0]), "impacts": numbers(s["waves"][1])}


def per_rate(right, clips):
    """Accuracy and breaks found per chain rate, from per-clip correctness ``right``."""
    return {int(rate): {"accuracy": float(np.mean(right[clips["rate"] == rate])),
                        "found": float(np.mean(right[(clips["rate"] == rate)
                                                     & (clips["y"] == 1)]))}
            for rate in CHAIN_RATES_HZ}


def joined(parts):
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def main(default_dir, holdout_dir, study):
    syn = synthetic()
    sets = {"default": real(default_dir), "held out": real(holdout_dir)}
    print("rendered", file=sys.stderr, flush=True)
    results = {}
    for _, short, seed, score in MEASURE["study_models"]([study]):
        p = {name: score(d["x"], 1) for name, d in syn.items()}
        p_real = {sn: {part: score(s[part]["x"], 1) for part in ("eval", "impacts")}
                  for sn, s in sets.items()}
        entry = {}
        for name in ("test", "test chain"):     # the network alone, at its threshold 0.5
            right = (p[name] >= 0.5) == syn[name]["y"]
            entry[name] = float(np.mean(right))
            if name == "test chain":
                entry["test chain per rate"] = per_rate(right, syn[name])
        for sn, s in sets.items():
            entry[sn] = MEASURE["figures"](p_real[sn]["eval"], p_real[sn]["impacts"], *s["meta"])
            entry[sn]["found"] = float(np.mean(p_real[sn]["eval"][s["meta"][0] == 1] >= 0.5))
        results.setdefault(f"{short} network alone", []).append(entry)
        for way in WAYS:
            for calibration in ("plain", "plain+chain"):
                parts = ["cal"] + (["cal chain"] if calibration == "plain+chain" else [])
                cal = joined([syn[n] for n in parts])
                fit = fusion.fit_fusion(np.concatenate([p[n] for n in parts]), cal["peak"],
                                        cal[way], cal["y"])
                entry = {"weights": fit.as_dict()}
                for name in ("test", "test chain"):
                    d = syn[name]
                    right = (fusion.fused_probability(fit, p[name], d["peak"], d[way]) >= 0.5
                             ) == d["y"]
                    entry[name] = float(np.mean(right))
                    if name == "test chain":
                        entry["test chain per rate"] = per_rate(right, d)
                for sn, s in sets.items():
                    fused = [fusion.fused_probability(fit, p_real[sn][part], s[part]["peak"],
                                                      s[part][way])
                             for part in ("eval", "impacts")]
                    entry[sn] = MEASURE["figures"](*fused, *s["meta"])
                    entry[sn]["found"] = float(np.mean(fused[0][s["meta"][0] == 1] >= 0.5))
                results.setdefault(f"{short} {way} {calibration}", []).append(entry)
        print("scored", short, seed, file=sys.stderr, flush=True)
    name = os.path.basename(os.path.normpath(study))
    with open(os.path.join(HERE, f"probe-{name}.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"study {study}; 5 seeds; synthetic test plain / through the chain: accuracy %; real "
          "sets: accuracy % / AUC / false alarms % / worst background (its FA %) / breaks found % "
          "/ real impacts tagged %")
    for key, rows in results.items():
        line = (f"{key:30s} syn {100 * np.mean([r['test'] for r in rows]):5.1f} "
                f"{100 * np.mean([r['test chain'] for r in rows]):5.1f}")
        for sn in sets:
            per = {}
            for r in rows:
                for b, v in r[sn]["false_alarms_per_background"].items():
                    per.setdefault(b, []).append(v)
            worst = max(per, key=lambda b: np.mean(per[b]))
            line += (f" | {sn}: {100 * np.mean([r[sn]['accuracy'] for r in rows]):5.1f} "
                     f"{np.mean([r[sn]['auc'] for r in rows]):.3f} "
                     f"{100 * np.mean([r[sn]['false_alarms'] for r in rows]):4.1f} "
                     f"{worst} {100 * np.mean(per[worst]):4.1f} "
                     f"found {100 * np.mean([r[sn]['found'] for r in rows]):4.1f} "
                     f"imp {100 * np.mean([r[sn]['impact_false_alarms'] for r in rows]):4.1f}")
        print(line)
    print("synthetic test through the chain, per sample rate: accuracy % (breaks found %)")
    for key, rows in results.items():
        print(f"{key:30s} " + "  ".join(
            f"{rate / 1000:g} kHz "
            f"{100 * np.mean([r['test chain per rate'][rate]['accuracy'] for r in rows]):5.1f} "
            f"({100 * np.mean([r['test chain per rate'][rate]['found'] for r in rows]):5.1f})"
            for rate in CHAIN_RATES_HZ))


if __name__ == "__main__":
    main(*sys.argv[1:])
