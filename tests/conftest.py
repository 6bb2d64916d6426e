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


# ----------------------------------------------------------------------------- real-audio fixtures

def _tone_burst(rng, seconds, sr, channels=1, lead_s=0.0):
    """A decaying noise-and-partials burst after ``lead_s`` of silence (a stand-in glass break)."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    burst = (rng.standard_normal(n) * np.exp(-t / 0.05)
             + 0.5 * np.sin(2 * np.pi * 3100 * t) * np.exp(-t / 0.2))
    audio = np.concatenate([np.zeros(int(lead_s * sr)), 0.5 * burst / np.max(np.abs(burst))])
    return np.stack([audio] * channels, axis=1) if channels > 1 else audio


def _knock(duration_s, sr):
    """A door-like knock: a damped 180 Hz thud (a sharp sound that is not a glass break)."""
    t = np.arange(int(duration_s * sr)) / sr
    return 0.5 * np.sin(2 * np.pi * 180 * t) * np.exp(-t / 0.04)


def _encoded(audio, sr, fmt, subtype):
    import io
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, sr, format=fmt, subtype=subtype)
    return buffer.getvalue()


def build_fixture_packages(cache_dir):
    """Packages in each source format the real-audio builder reads, written into ``cache_dir``
    as if downloaded: a .deb built with dpkg-deb (OGG files, README and copyright credits), a
    .deb holding an OpenClonk ``Sound.ocg`` group (members + authors.txt) and an sdist with a
    WAV and a LICENSE. Returns the RealFile list that describes them."""
    import subprocess
    import tarfile
    from components.audio import ocg
    from components.audio.real_audio import Credit, RealFile
    rng = np.random.default_rng(3)
    os.makedirs(cache_dir, exist_ok=True)

    def deb(name, files):
        root = os.path.join(str(cache_dir), f"build-{name}")
        os.makedirs(os.path.join(root, "DEBIAN"))
        with open(os.path.join(root, "DEBIAN", "control"), "w") as handle:
            handle.write(f"Package: {name}\nVersion: 1.0-1\nArchitecture: all\n"
                         "Maintainer: Tests <tests@example.org>\nDescription: fixture\n")
        for path, data in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(data)
        subprocess.run(["dpkg-deb", "--build", "--root-owner-group", root,
                        os.path.join(str(cache_dir), f"{name}_1.0-1_all.deb")],
                       check=True, capture_output=True)

    deb("fixture-sounds", {
        "usr/share/sounds/break.ogg": _encoded(_tone_burst(rng, 0.6, 48000, 2, lead_s=0.3),
                                               48000, "OGG", "VORBIS"),
        "usr/share/sounds/hum.ogg": _encoded(0.05 * rng.standard_normal(3 * 44100), 44100,
                                             "OGG", "VORBIS"),
        "usr/share/sounds/knock.ogg": _encoded(_knock(0.3, 44100), 44100, "OGG", "VORBIS"),
        "usr/share/doc/fixture-sounds/README.txt": (
            b"Sounds\n------\nGlass breaking sounds (CC BY 3.0):\n"
            b"  1: http://www.freesound.org/people/alice/sounds/101/\n\nOther (CC0):\n"),
        "usr/share/doc/fixture-sounds/copyright": (
            b"Format: x\n\nFiles: *\nCopyright: 2020 Bob Builder\n 2021 Eve\nLicense: GPL-2+\n"),
    })
    group = {"Hits.ocg": {"Glass.ocg": {"Shatter.ogg": _encoded(
                 _tone_burst(rng, 0.8, 44100), 44100, "OGG", "VORBIS")}},
             "Env.ocg": {"Birds.ogg": _encoded(0.05 * rng.standard_normal((4 * 44100, 2)),
                                               44100, "OGG", "VORBIS")},
             "authors.txt": (b"If not stated otherwise, the sound effects are licensed under "
                             b"the\nCC Attribution 3.0 license\n\n"
                             b"carol\t\t- Shatter (http://www.freesound.org/people/carol/sounds/2/)\n")}
    group_path = os.path.join(str(cache_dir), "Sound.ocg")
    ocg.write_group_file(group_path, group)
    deb("fixture-group", {"usr/share/games/fx/Sound.ocg": open(group_path, "rb").read()})
    os.remove(group_path)
    sdist = os.path.join(str(cache_dir), "fixture_util-0.1.tar.gz")
    with tarfile.open(sdist, "w:gz") as tar:
        for name, data in (("fixture_util-0.1/data/street.wav",
                            _encoded(0.05 * rng.standard_normal((5 * 44100, 2)), 44100, "WAV",
                                     "PCM_16")),
                           ("fixture_util-0.1/LICENSE", b"MIT License\n\nCopyright (c) 2020 Dave\n")):
            import io
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    group_file = "usr/share/games/fx/Sound.ocg"
    return [
        RealFile("fixture_break", "fixture-sounds", "usr/share/sounds/break.ogg", "event",
                 "glassbreak", Credit("readme_list", "usr/share/doc/fixture-sounds/README.txt",
                                      "Glass breaking sounds", 1)),
        RealFile("fixture_shatter", "fixture-group",
                 f"{group_file}::Hits.ocg/Glass.ocg/Shatter.ogg", "event", "glassbreak",
                 Credit("authors_txt", f"{group_file}::authors.txt", "Shatter")),
        RealFile("fixture_knock", "fixture-sounds", "usr/share/sounds/knock.ogg", "event",
                 "door", Credit("debian_copyright", "usr/share/doc/fixture-sounds/copyright")),
        RealFile("fixture_hum", "fixture-sounds", "usr/share/sounds/hum.ogg", "background",
                 "hum", Credit("debian_copyright", "usr/share/doc/fixture-sounds/copyright")),
        RealFile("fixture_birds", "fixture-group", f"{group_file}::Env.ocg/Birds.ogg",
                 "background", "birdsong", Credit("authors_txt", f"{group_file}::authors.txt",
                                                  "Birds")),
        RealFile("fixture_street", "pypi:fixture-util==0.1", "data/street.wav", "background",
                 "street", Credit("license_file", "LICENSE")),
    ]


@pytest.fixture(scope="session")
def real_fixture_set(tmp_path_factory):
    """A real-audio set built by the real builder from the fixture packages: (folder, files)."""
    from components.audio import real_audio
    base = tmp_path_factory.mktemp("real")
    files = build_fixture_packages(base / "cache")
    real_audio.build_real_audio(str(base / "set"), str(base / "cache"), files, log=lambda m: None)
    return base / "set", files


# ----------------------------------------------------------------------------- own-sound fixture

def write_own_sound_manifest(root, event_class="doorbell", scenes=("kitchen", "garage")):
    """A manifest folder of a class and scenes the project has never heard of: two-tone chimes
    over noise backgrounds (3 s), two train and one test recording of each, free scene names."""
    rng = np.random.default_rng(11)
    t = np.arange(int(0.8 * SR)) / SR
    bg_rows, ev_rows = ["path,scene,location,subset"], [
        "path,class,author,segment_start_s,segment_end_s,subset"]
    for k, (subset, scene) in enumerate([("train", scenes[0]), ("train", scenes[1]),
                                         ("test", scenes[0]), ("test", scenes[1])]):
        tilt = np.cumsum(rng.standard_normal(3 * SR)) * 0.002 + 0.05 * rng.standard_normal(3 * SR)
        write_wav(os.path.join(root, "bgs", f"bg{k}.wav"), 0.5 * tilt / np.max(np.abs(tilt)))
        bg_rows.append(f"bgs/bg{k}.wav,{scene},{scene}-{subset}-{k},{subset}")
    for k, subset in enumerate(("train", "train", "test", "test")):
        f0 = 600 + 150 * k
        chime = np.concatenate([np.sin(2 * np.pi * f0 * t), np.sin(2 * np.pi * 0.8 * f0 * t)])
        chime *= np.exp(-np.arange(len(chime)) / (0.5 * SR))
        write_wav(os.path.join(root, "events", f"{event_class}{k}.wav"),
                  np.concatenate([np.zeros(SR // 10), 0.6 * chime, np.zeros(SR // 10)]))
        ev_rows.append(f"events/{event_class}{k}.wav,{event_class},author{k},0.1,1.7,{subset}")
    with open(os.path.join(root, "backgrounds.csv"), "w") as handle:
        handle.write("\n".join(bg_rows) + "\n")
    with open(os.path.join(root, "events.csv"), "w") as handle:
        handle.write("\n".join(ev_rows) + "\n")
    return str(root)


# ----------------------------------------------------------------------------- a pushed model

@pytest.fixture(scope="session")
def pushed_model(tmp_path_factory):
    """A serving base folder ``glassbreak_tagger/1700000000`` holding a tagger of 1 s clips,
    trained one epoch on 16 MFCC arrays (a real export: every signature, model_info)."""
    from components.model import serving, training
    rng = np.random.default_rng(0)
    frames = 87
    x = rng.standard_normal((16, frames, 20)).astype(np.float32)
    y = np.arange(16) % 2
    x[y == 1, 10:20, 1] += 4
    network = training.train_stage(x, y, None, None,
                                   training.StageConfig(epochs=1, batch_size=8))["model"]
    base = tmp_path_factory.mktemp("serving") / "glassbreak_tagger"
    serving.export_tagger(network, str(base / "1700000000"), 1.0, classes=("glassbreak",))
    return str(base)
