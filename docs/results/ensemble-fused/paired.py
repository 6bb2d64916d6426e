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


def main():
    PAIRED["compare_on_both_sets"](os.path.join(BIRD_SONG, "bird"),
                                   os.path.join(HERE, "ensemble4"), ("one", "four"),
                                   "synthetic test set")


if __name__ == "__main__":
    main()
