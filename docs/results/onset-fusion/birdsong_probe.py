"""Which number about the sharpest onset's 9 frames tells the default real set's breaks from the
ambience excerpts of each background (birdsong above all)? Centroid, bandwidth (spread about
the centroid), flatness of the summed spectrum and mean flatness per frame, the share of the
top 5 % of bins, and the peak onset strength; AUC of all breaks against one background's
excerpts without a break. Default set only (the held-out set stays clean for the choice).
Output: ``birdsong_probe.txt``. Usage (repository root):
  .venv/bin/python docs/results/onset-fusion/birdsong_probe.py build/real_audio \
      > docs/results/onset-fusion/birdsong_probe.txt
"""
import os, runpy, sys, numpy as np, librosa
from components.audio import onset, features
from components.model.training import roc_auc
M = runpy.run_path("docs/results/real-impacts/measure.py")
SITE = M["SITE"]
def desc(waves):
    out=[]
    for w in waves:
        m = features.mfcc(w)
        k, peak = onset.onset_frame_and_peak(m)
        fr = np.array(features.centred_frames(w)[int(k):int(k)+9])
        p = features.frames_power(fr, features.hann_window()).astype(np.float64)
        spec = p.sum(0)
        freqs = np.arange(len(spec))*44100/2048/1000
        c = (freqs*spec).sum()/spec.sum()
        bw = np.sqrt(((freqs-c)**2*spec).sum()/spec.sum())
        flat = np.exp(np.mean(np.log(spec+1e-12)))/np.mean(spec+1e-12)
        # flatness per frame averaged
        fl2 = np.mean(librosa.feature.spectral_flatness(S=p.T))
        # share of energy in top 5 % bins (tonal peakiness)
        srt = np.sort(spec)[::-1]; top = srt[:len(srt)//20].sum()/srt.sum()
        out.append([c, bw, flat, fl2, top, peak])
    return np.array(out)
for real_dir in sys.argv[1:]:
    sp = M["render"](real_dir)
    (rec, w) = sp["eval"]
    y = np.array([r.label for r in rec]); bg = np.array([r.bg_scene for r in rec])
    d = desc(w)
    names = ["centroid","bandwidth","flat(sum)","flat(mean)","top5%share","peak"]
    print(real_dir)
    for bgn in sorted(set(bg)):
        neg = (bg==bgn)&(y==0)
        for j,n in enumerate(names):
            a = roc_auc(np.r_[np.ones((y==1).sum()), np.zeros(neg.sum())], np.r_[d[y==1,j], d[neg,j]])
            print(f"  {bgn:10s} {n:12s} AUC breaks vs its ambience {a:.3f}  median break {np.median(d[y==1,j]):.3g} median amb {np.median(d[neg,j]):.3g}")
