"""Exports a learner asks for: the model file, a run folder (zipped), a self-contained HTML replay.

Each export is made in memory (the model file passes through a temporary folder, as
`scratchgrad.io.save` writes to a path) and sent to the browser as a download: the
server's own disk keeps nothing.
"""

from __future__ import annotations

import base64
import csv
import io as text_io
import json
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from .. import io
from .script import FILENAME
from .session import finite_or_none


def model_file(session) -> bytes:
    """The trained network as a scratchgrad model file (`scratchgrad.io.load` reads it back)."""
    metadata = {"playground": session.settings.to_json(), "epoch": session.epoch,
                "features": session.settings.feature_order, "classes": session.class_names}
    with tempfile.TemporaryDirectory(prefix="scratchgrad-playground-") as folder:
        path = Path(folder) / "model.safetensors"
        io.save(session.model, path, metadata=metadata)
        return path.read_bytes()


def run_folder(session) -> bytes:
    """A zip of one folder: model, settings, loss history, the data, the script and a README."""
    history = text_io.StringIO()
    writer = csv.writer(history)
    writer.writerow(["epoch", "train_loss", "test_loss"])
    writer.writerows(session.history)
    data = text_io.StringIO()
    writer = csv.writer(data)
    writer.writerow(["x1", "x2", "label" if session.settings.task == "classification" else "target", "split"])
    writer.writerows([*(row + ["train"] for row in session.train_points.tolist()),
                      *(row + ["test"] for row in session.test_points.tolist())])
    epoch, train, test = session.history[-1]
    readme = (f"A scratchgrad playground run, exported at epoch {epoch}.\n\n"
              f"train loss {train:.6f}, test loss {test:.6f}\n\n"
              f"model.safetensors  the network: scratchgrad.io.load('model.safetensors')\n"
              f"settings.json      everything set in the page\n"
              f"history.csv        the losses after each epoch\n"
              f"data.csv           the points (scaled as the network saw them) and their split\n"
              f"{FILENAME:<18} reproduces the run: python {FILENAME}\n")
    buffer = text_io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        folder = f"playground-run-epoch-{epoch}/"
        archive.writestr(folder + "model.safetensors", model_file(session))
        archive.writestr(folder + "settings.json", json.dumps(session.settings.to_json(), indent=2) + "\n")
        archive.writestr(folder + "history.csv", history.getvalue())
        archive.writestr(folder + "data.csv", data.getvalue())
        archive.writestr(folder + FILENAME, session.script())
        archive.writestr(folder + "README.txt", readme)
    return buffer.getvalue()


def replay_html(session) -> bytes:
    """One HTML file that replays the run (boundary, points, losses) with no server and no network."""
    setup = session.setup()
    recording = {
        "title": setup["dataset_title"], "settings": setup["settings"], "grid": setup["grid"],
        "domain": setup["domain"], "task": session.settings.task, "n_outputs": session.n_outputs,
        "classes": session.class_names, "train_points": setup["train_points"], "test_points": setup["test_points"],
        "history": [[e, finite_or_none(a), finite_or_none(b)] for e, a, b in session.history],
        "snapshots": [[epoch, picture] for epoch, picture in session.snapshots],
    }
    template = resources.files(__package__).joinpath("static/replay.html").read_text(encoding="utf-8")
    # JSON inside <script>: no "<" at all, so nothing in it ("</script>", "<!--") can end the script early
    data = json.dumps(recording, allow_nan=False).replace("<", "\\u003c")
    return template.replace("/*RECORDING*/null", data).encode("utf-8")


EXPORTS = {
    "model": (model_file, "playground-model.safetensors", "application/octet-stream"),
    "run": (run_folder, "playground-run.zip", "application/zip"),
    "replay": (replay_html, "playground-replay.html", "text/html"),
}


def download(session, what) -> dict:
    make, filename, mime = EXPORTS[what]
    return {"type": "download", "what": what, "filename": filename, "mime": mime,
            "base64": base64.b64encode(make(session)).decode("ascii")}
