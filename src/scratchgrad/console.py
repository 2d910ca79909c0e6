"""What the command prints: messages, reports, and standard output that survives `| head`."""

from __future__ import annotations

import io as text_io
import os
import sys


def say(message=""):
    print(message, flush=True)


def note(message):
    """Side remarks that must not mix with predictions written to standard output."""
    print(f"scratchgrad: {message}", file=sys.stderr, flush=True)


class PipeSafeOutput(text_io.TextIOBase):
    """Standard output that survives the reader going away (`scratchgrad train ... | head`):
    the rest of the text is dropped, and the run goes on to write its folder."""

    def __init__(self, stream):
        self.stream, self.broken = stream, False

    def write(self, text):
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self):
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self):
        self.broken = True
        try:  # the interpreter flushes stdout at exit: point it at /dev/null so that says nothing
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError):
            pass

    def isatty(self):
        return self.stream.isatty()

    def fileno(self):
        return self.stream.fileno()

    @property
    def encoding(self):
        return self.stream.encoding


def print_report(report):
    where = f" on {report['evaluated_on']}" if "evaluated_on" in report else ""
    if "class" in report:
        say(f"{'class':>14} {'precision':>9} {'recall':>7} {'f1':>7} {'samples':>8}")
        for label, row in list(report["class"].items()) + [("overall", report["overall"])]:
            say(f"{str(label)[:14]:>14} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1']:7.3f} "
                f"{row['num_samples']:8.0f}")
        say(f"accuracy {report['accuracy']:.4f}{where}")
    else:
        say("  ".join(f"{key} {value:.4f}" for key, value in report.items() if isinstance(value, float)
                      and key != "num_samples") + where)
