"""Seed by seed, the mean of four trainings (``target_ensemble=4``) against one (the first of
the four, the same network to the bit), both with the onset fusion, on the corpus with bird
song: the bird-song study (docs/results/bird-song/bird*) and the same study resumed with
``target_ensemble=4`` (its data and source models reused), scored on both real sets.

The pairs share data, source model and first network; differences are four minus one, mean ±
95 % t-interval over seeds (docs/results/bird-song/paired.py ``compare``). Last, how many seeds
meet issue 9's goals.

Usage (repository root): .venv/bin/python docs/results/ensemble-fused/paired.py > docs/results/ensemble-fused/paired.txt
"""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
BIRD_SONG = os.path.join(HERE, "..", "bird-song")
PAIRED = runpy.run_path(os.path.join(BIRD_SONG, "paired.py"))
GOALS = ("issue 9's goals (real accuracy >= 90 %, AUC >= 0.95, false alarms <= 10 % on every "
         "background, synthetic accuracy >= 90 %)")


def meets_goals(run):
    real = run["real"]
    worst = max(v for k, v in real.items() if k.startswith("false_alarms:"))
    return (real["accuracy"] >= 0.90 and real["auc"] >= 0.95 and worst <= 0.10
            and run["accuracy"] >= 0.90)


def main():
    for set_name, suffix in (("default real set", ""), ("held-out real set", "-holdout")):
        one = PAIRED["runs"](os.path.join(BIRD_SONG, "bird" + suffix))
        four = PAIRED["runs"](os.path.join(HERE, "ensemble4" + suffix))
        PAIRED["compare"](one, four, ("one", "four"), set_name,
                          "" if suffix else "synthetic test set")
        for row in one:
            print(f"{set_name}, {row}: seeds meeting {GOALS}: one "
                  f"{sum(map(meets_goals, one[row]))} of {len(one[row])}, four "
                  f"{sum(map(meets_goals, four[row]))} of {len(four[row])}")


if __name__ == "__main__":
    main()
