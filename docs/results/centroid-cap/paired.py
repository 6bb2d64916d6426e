"""Seed by seed, the fused models with the onset fusion's centroid capped at 2 kHz
(``fusion_centroid_cap_khz=2``) against the same study without the cap (the bird-song study,
docs/results/bird-song/bird*): quick profile, 5 seeds, scratch and (c), the same corpus, seeds,
mixtures and networks (only the fusion reads the centroid otherwise), scored on both real sets.
Differences are capped minus uncapped, mean ± 95 % t-interval over seeds
(docs/results/bird-song/paired.py ``compare``); last, how many seeds meet issue 9's goals.

Usage (repository root): .venv/bin/python docs/results/centroid-cap/paired.py > docs/results/centroid-cap/paired.txt
"""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
BIRD_SONG = os.path.join(HERE, "..", "bird-song")
PAIRED = runpy.run_path(os.path.join(BIRD_SONG, "paired.py"))


def main():
    PAIRED["compare_on_both_sets"](os.path.join(BIRD_SONG, "bird"), os.path.join(HERE, "cap2"),
                                   ("uncapped", "cap 2 kHz"), "synthetic test set")


if __name__ == "__main__":
    main()
