"""The machine record of studies and benchmarks (components/model/machine.py)."""
import hashlib

from components.model import machine

CPUINFO = """processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_bf16 sha_ni
processor\t: 1
model name\t: Other CPU
flags\t\t: fpu sse4_2
"""


def test_cpu_info_names_the_model_and_the_vector_flags_tensorflow_dispatches_on():
    info = machine.cpu_info(CPUINFO)
    assert info == {"cpu_model": "AMD EPYC", "vector_flags": [
        "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"]}


def test_packages_digest_depends_on_the_set_of_versions_not_their_order():
    one = machine.packages_digest(["numpy==1.26.4", "tensorflow==2.16.2"])
    assert one == machine.packages_digest(["tensorflow==2.16.2", "numpy==1.26.4"])
    assert one["count"] == 2 and one["sha256"] == hashlib.sha256(
        b"numpy==1.26.4\ntensorflow==2.16.2").hexdigest()[:16]
    assert one != machine.packages_digest(["numpy==1.26.4", "tensorflow==2.16.1"])


def test_source_revision_outside_git_is_unknown(tmp_path):
    assert machine.source_revision(str(tmp_path)) == {"commit": None, "modified": None}


def test_describe_machine_names_flags_settings_packages_and_commit():
    info = {"cpu_model": "AMD EPYC", "cpu_count": 2, "vector_flags": ["avx2", "avx512f"],
            "tensorflow": "2.16.2", "numeric_settings": {"TF_ENABLE_ONEDNN_OPTS": "0",
                                                         "ONEDNN_MAX_CPU_ISA": None},
            "packages": {"count": 2, "sha256": "0123456789abcdef"},
            "source": {"commit": "5e8f6992d86811447a4c", "modified": True}}
    assert machine.describe_machine(info) == (
        "AMD EPYC, 2 cores, vector instructions avx2 avx512f; TensorFlow 2.16.2, "
        "TF_ENABLE_ONEDNN_OPTS=0; packages 0123456789abcdef; commit 5e8f6992d8 with local changes")
    assert machine.describe_machine(None).startswith("not recorded")
    timed = dict(info, speed={"librosa_mfcc_30s_ms": 44.1})
    assert machine.describe_machine(timed).startswith(
        "AMD EPYC, 2 cores (librosa MFCC of 30 s in 44 ms), vector instructions avx2 avx512f;")


def test_speed_yardstick_times_the_papers_mfcc_call():
    speed = machine.speed_yardstick(repeats=1)
    assert set(speed) == {"librosa_mfcc_30s_ms"} and 1 < speed["librosa_mfcc_30s_ms"] < 60000
