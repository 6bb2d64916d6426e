"""Seed by seed, models trained and served with ``highpass_hz=150`` (the MFCC and the onset
centroid without the spectrum below 150 Hz) against the same study with the whole spectrum
(the bird-song study, docs/results/bird-song/bird*): quick profile, 5 seeds, scratch and (c),
onset fusion, the same corpus and seeds (the same mixtures: only their features differ), scored
on both real sets. Differences are high-passed minus whole, mean ± 95 % t-interval over seeds
(docs/results/bird-song/paired.py ``compare``); last, how many seeds meet issue 9's goals.

Usage (repository root): .venv/bin/python docs/results/highpass/paired.py > docs/results/highpass/paired.txt
"""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
BIRD_SONG = os.path.join(HERE, "..", "bird-song")
PAIRED = runpy.run_path(os.path.join(BIRD_SONG, "paired.py"))


def main():
    PAIRED["compare_on_both_sets"](os.path.join(BIRD_SONG, "bird"),
                                   os.path.join(HERE, "hp150"), ("whole", "hp150"),
                                   "synthetic test set")


if __name__ == "__main__":
    main()
