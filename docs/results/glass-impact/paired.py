"""Seed by seed, the corpus whose glass breaks carry the thud of the blow or the fall
(``impact_thud``, the patch beside this script) against the corpus without it (the bird-song
study, docs/results/bird-song/bird*): the same study (quick profile, 5 seeds, scratch and (c),
onset fusion) on each, scored on both real sets.

The impact study reused the bird-song study's source data and source models (its folder
copied, the target data and runs removed: the source task has no glass break), so the pairs
share source model and seeds; the target clips differ only in the thud their breaks carry.
Differences are impact minus without, mean ± 95 % t-interval over seeds
(docs/results/bird-song/paired.py ``compare``). Last, how many seeds meet issue 9's goals.

Usage (repository root): .venv/bin/python docs/results/glass-impact/paired.py > docs/results/glass-impact/paired.txt
"""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
BIRD_SONG = os.path.join(HERE, "..", "bird-song")
PAIRED = runpy.run_path(os.path.join(BIRD_SONG, "paired.py"))


def main():
    PAIRED["compare_on_both_sets"](os.path.join(BIRD_SONG, "bird"),
                                   os.path.join(HERE, "impact"), ("without", "impact"),
                                   "synthetic test set (each corpus its own)")


if __name__ == "__main__":
    main()
