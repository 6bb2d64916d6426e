"""Shared fixtures: small real data, written with the real libraries (nothing is mocked)."""
import os
import warnings

import numpy as np
import pytest
import soundfile
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", category=FutureWarning)

SR = 44100


def write_wav(path, audio, sr=SR, subtype="PCM_16"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    soundfile.write(path, audio, sr, subtype=subtype)


@pytest.fixture
def dcase_fixture(tmp_path):
    """A tiny dataset in the real DCASE 2017 Task 2 source-data layout (2 s backgrounds)."""
    rng = np.random.default_rng(0)
    base = tmp_path / "data" / "source_data"
    bgs = {"train": [("a001_0_30.wav", "home"), ("b002_0_30.wav", "beach")],
           "test": [("c003_30_60.wav", "home"), ("d004_0_30.wav", "beach")]}
    meta = []
    for subset, files in bgs.items():
        entries = []
        for name, scene in files:
            write_wav(str(base / "bgs" / "audio" / name), 0.05 * rng.standard_normal(2 * SR))
            entries.append({"filepath": f"audio/{name}", "classname": scene, "classid": 0})
            meta.append(f"audio/{name}\t{scene}\n")
        stem = "devtrain" if subset == "train" else "devtest"
        (base / "cv_setup").mkdir(parents=True, exist_ok=True)
        (base / "cv_setup" / f"bgs_{stem}.yaml").write_text(yaml.safe_dump(entries))
    (base / "bgs" / "meta.txt").write_text("".join(meta))
    events = {"train": [("glassbreak", "111.wav", "alice"), ("babycry", "222.wav", "bob")],
              "test": [("glassbreak", "333.wav", "carol"), ("babycry", "444.wav", "dave")]}
    for subset, files in events.items():
        by_class = {}
        for cls, name, author in files:
            path = base / "events" / cls / name
            write_wav(str(path), 0.3 * rng.standard_normal(SR))
            (path.with_suffix(".yaml")).write_text(yaml.safe_dump(
                {"valid_segments": [[0.1, 0.6]], "source": {"user": author}}))
            by_class.setdefault(cls, []).append({"audio_filename": name, "segment": [0.1, 0.6]})
        stem = "devtrain" if subset == "train" else "devtest"
        (base / "cv_setup" / f"events_{stem}.yaml").write_text(yaml.safe_dump(by_class))
    return tmp_path / "data"
