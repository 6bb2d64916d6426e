"""One-off: do the conv_nobn models that stayed at chance in paper_cpu's Table 1 leave it with a
learning-rate warm-up (SETTING N) or another
setting (SETTING name=value, e.g. weight_decay=0.01)? Usage: warmup_probe.py OUT SETTING WHICH EPOCHS. Trains them the pipeline's way (Study.train: the Trainer run_fn, streamed).
  scratch3: seed 3's scratch row (36 clips of seed 3, model seed 208), eval = the VALIDATION set
  source1: seed 1's source (1800 clips, model seed 7), eval = its own eval split, EPOCHS epochs"""
import dataclasses, json, os, sys
sys.path.insert(0, os.getcwd())
from pipeline import configs
from pipeline.experiments import Study
out, setting, which, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
name, value = setting.split("=") if "=" in setting else ("warmup_epochs", setting)  # N: warm-up
cfg = dataclasses.replace(configs.PAPER_CPU, real_audio="off",
                          **{name: type(getattr(configs.PAPER_CPU, name))(value)})
warmup = setting
study = Study(cfg, out)
SCRATCH = {"scratch1": ("build/exp-t1-paper-cpu/data/target-limited-s0", 8),
           "scratch2": ("build/exp-t1-paper-cpu/data/target-limited-s1", 108),
           "scratch3": ("build/t1-seed3/data/target-limited-s2", 208)}
if which in SCRATCH:
    r = study.train(which, "target", "scratch", os.path.abspath(SCRATCH[which][0]),
                    os.path.abspath("build/probe/val-eval"), SCRATCH[which][1], epochs=epochs)
else:
    d = os.path.abspath("build/exp-t1-paper-cpu/data/source-s0")
    r = study.train("source1", "source", "scratch", d, d, 7, epochs=epochs)
h = json.load(open(os.path.join(out, "runs", which, "metrics.json")))["history"] if os.path.exists(os.path.join(out, "runs", which, "metrics.json")) else None
if h is None:
    import glob
    h = json.load(open(glob.glob(os.path.join(out, "runs", which, "**", "metrics.json"), recursive=True)[0]))["history"]
print(f"RESULT {which} warmup {warmup}: loss", [round(x, 3) for x in h["loss"][::max(1, len(h['loss']) // 15)]])
print(f"RESULT {which} warmup {warmup}: acc", [round(x, 3) for x in h["accuracy"][::max(1, len(h['accuracy']) // 15)]])
print(f"RESULT {which} warmup {warmup}: val_acc", [round(x, 3) for x in h.get("val_accuracy", [])])
