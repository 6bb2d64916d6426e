"""Exit codes of ``python -m pipeline`` and the one-line reporting of errors (docs/reliability.md).

    0   done
    1   the work ran and failed: a pipeline component failed, or a file could not be tagged
        (each such file named on its own line, the others still tagged)
    2   usage: a bad flag or setting, an unknown profile/method/class, an output that exists
    3   bad input data: unreadable or inconsistent audio, manifests, YAML, model folders
    4   unavailable: a server, package archive or other resource outside the project
    70  an internal error (a bug): one line, and the full trace written to a file it names
    130 interrupted (Ctrl-C)
"""
from __future__ import annotations

import datetime
import os
import sys
import tempfile
import traceback

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class UsageError(ValueError):
    """A bad command line: the message names the flag and what was expected."""


class Unavailable(RuntimeError):
    """Something outside the project (a server, an archive) cannot be reached."""


def one_line(text: str) -> str:
    """``text`` on one line (newlines folded), for stderr."""
    return " ".join(str(text).split())


def print_error(prefix: str, err) -> None:
    print(f"{prefix}: {one_line(err)}", file=sys.stderr, flush=True)


def crash_log_dir() -> str:
    """Where internal-error traces go: ``build/logs`` of the repository, else the temp dir."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = os.path.join(repo, "build", "logs")
    try:
        os.makedirs(folder, exist_ok=True)
        return folder
    except OSError:
        return tempfile.gettempdir()


def write_crash_log(err: BaseException, argv) -> str:
    """Write the full trace of ``err`` (and the command line) to a file; return its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(crash_log_dir(), f"crash-{stamp}-{os.getpid()}.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("command: python -m pipeline " + " ".join(map(str, argv or sys.argv[1:]))
                     + "\n\n")
        handle.write("".join(traceback.format_exception(type(err), err, err.__traceback__)))
    return path
