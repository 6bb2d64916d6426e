"""A validation set for docs/results/conv-bn/conv_diag.py: 200 target clips of the quick profile
drawn from the training locations and authors with seed 4242. Usage: make_val.py EXPERIMENT_DIR"""
import sys, dataclasses
import os
sys.path.insert(0, os.getcwd())
from pipeline import configs
from pipeline.experiments import Study
cfg = dataclasses.replace(configs.QUICK, real_audio="off")
s = Study(cfg, sys.argv[1])
# a validation set drawn from the TRAINING material (train locations/authors), new seed: no test clip
s.synthesize("target-val", "target", 200, 4242)
