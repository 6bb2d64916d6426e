"""Which real breaks does the pushed fused model find, and in which backgrounds? The latest model
under build/serving/glassbreak_tagger (make run, onset_fusion=1) through its predict_waveform, on
each real set's eval clips: the share of each break recording's clips found, per background, and
the median centroid and log(1 + peak) of the breaks and of the ambience. Output:
per_break.txt beside this script. Usage (repository root):
  .venv/bin/python docs/results/onset-fusion/per_break.py build/real_audio_holdout \
      build/real_audio > docs/results/onset-fusion/per_break.txt
"""
import os, runpy, sys, numpy as np
F = runpy.run_path("docs/results/onset-fusion/measure.py")
M = F["MEASURE"]; SITE = M["SITE"]
pushed = "build/serving/glassbreak_tagger"
version = max((d for d in os.listdir(pushed) if d.isdigit()), key=int)
score = SITE["Scorer"](os.path.join(pushed, version))
for d in sys.argv[1:]:
    sp = M["render"](d); rec, w = sp["eval"]
    p = score(w); y = np.array([r.label for r in rec])
    x, peak, cen = F["with_descriptors"](w)
    print(d)
    ev = np.array([os.path.basename(r.event_uri or "") for r in rec])
    bg = np.array([r.bg_scene for r in rec]); ebr = np.array([r.ebr_db if r.label else 0 for r in rec])
    for e in sorted(set(ev[y == 1])):
        i = (ev == e)
        print(f"  {e:40s} found {np.mean(p[i] >= .5):.2f}  median centroid {np.median(cen[i]):.2f} kHz  median log1p peak {np.median(np.log1p(peak[i])):.2f}")
    for b in sorted(set(bg)):
        i = (bg == b) & (y == 1); j = (bg == b) & (y == 0)
        print(f"  bg {b:10s} found {np.mean(p[i] >= .5):.2f}  breaks: centroid {np.median(cen[i]):.2f} log1p peak {np.median(np.log1p(peak[i])):.2f} | ambience: centroid {np.median(cen[j]):.2f} log1p peak {np.median(np.log1p(peak[j])):.2f}")
