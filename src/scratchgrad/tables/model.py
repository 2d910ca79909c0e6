"""A table model's data side: the fitted preprocessing in front of the network, and the
target's encoding behind it (class names, or the mean and scale of an amount), as JSON."""

from __future__ import annotations

import numpy as np

from . import TableError
from .preprocessing import TablePreprocessing

FORMAT = "scratchgrad-table-run"
FORMAT_VERSION = 1


class TableModel:
    """The preprocessing and the target's encoding around a network: rows of a table in,
    predictions in the target's own terms out."""

    def __init__(self, target, task, preprocessing, classes=None, y_mean=0.0, y_scale=1.0, skipped=None):
        self.target, self.task, self.preprocessing = target, task, preprocessing
        self.classes = None if classes is None else np.asarray(classes)
        self.y_mean, self.y_scale = float(y_mean), float(y_scale)
        self.skipped = dict(skipped or {})

    @classmethod
    def fit(cls, frame, y, roles):
        preprocessing, _ = TablePreprocessing.fit(frame, roles.numeric, roles.categorical)
        if roles.task == "classify":
            return cls(roles.target, "classify", preprocessing, classes=np.unique(y), skipped=roles.skipped)
        y = np.asarray(y, dtype=float)
        return cls(roles.target, "regress", preprocessing, y_mean=y.mean(), y_scale=y.std() or 1.0,
                   skipped=roles.skipped)

    @property
    def n_outputs(self):
        return len(self.classes) if self.task == "classify" else 1

    def features(self, frame):
        return self.preprocessing.transform(frame)

    def encode(self, y):
        if self.task == "regress":
            return (np.asarray(y, dtype=float) - self.y_mean) / self.y_scale
        y = np.asarray(y)
        unseen = sorted(set(y.tolist()) - set(self.classes.tolist()), key=str)
        if unseen:
            raise TableError(f"label(s) {unseen[:10]} were not seen in training; the model knows "
                           f"{self.classes.tolist()}")
        return np.searchsorted(self.classes, y)

    def decode(self, outputs):
        if self.task == "regress":
            return outputs.reshape(-1) * self.y_scale + self.y_mean
        return self.classes[outputs.argmax(axis=1)]

    def to_json(self):
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "target": self.target, "task": self.task,
                "preprocessing": self.preprocessing.to_json(),
                "classes": None if self.classes is None else self.classes.tolist(),
                "y_mean": self.y_mean, "y_scale": self.y_scale, "skipped": self.skipped}

    @classmethod
    def from_json(cls, data, where):
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise TableError(f"{where}: a model without the table preprocessing a run keeps (made by an older "
                           f"scratchgrad, or not by `scratchgrad train`?): train it again")
        if data.get("format_version", 0) > FORMAT_VERSION:
            raise TableError(f"{where}: made by a newer scratchgrad; upgrade to use it")
        try:
            preprocessing = TablePreprocessing.from_json(data["preprocessing"])
            model = cls(data["target"], data["task"], preprocessing, data["classes"], data["y_mean"],
                        data["y_scale"], data.get("skipped"))
        except (KeyError, TypeError, ValueError, TableError) as error:
            raise TableError(f"{where}: the saved preprocessing is unreadable ({error})") from None
        if model.task not in ("classify", "regress") or (model.task == "classify" and model.classes is None):
            raise TableError(f"{where}: the saved task is unreadable")
        return model
