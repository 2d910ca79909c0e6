"""The playground's messages: what a page may send, what it gets back. No web stack in here.

Every message is one JSON object with a "type". The server answers each with a list of
replies (usually one). Anything malformed or over the limits gets `{"type": "error",
"message": ...}` and the session carries on unchanged.

page -> server                                   server -> page
{"type": "configure", "settings": {...}}         setup, frame (settings: any subset)
{"type": "train", "epochs": n, "playing": b}    frame (play sends this again after drawing)
{"type": "reset"} / {"type": "regenerate"}       setup, frame
{"type": "upload", "filename", "text", "task"}   setup, frame (a CSV: x1, x2, label or target)
{"type": "micrograd", "point": i or null}        frame (with "micrograd" while a point is chosen)
{"type": "code", "open": true/false}             frame (with "script" while the panel is open)
{"type": "export", "what": model|run|replay}     download (base64 of the file)
{"type": "frame"}                                frame
On connecting, the server sends {"type": "welcome", "limits", "defaults"} first.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict

from ..checks import check_bool, check_choice, check_integer
from ..errors import ScratchgradError
from . import exports
from .settings import DEFAULT_SETTINGS, Limits

log = logging.getLogger("scratchgrad.playground")

MESSAGE_TYPES = ("configure", "train", "reset", "regenerate", "upload", "micrograd", "code", "export", "frame")


class ProtocolError(ScratchgradError, ValueError):
    """A message the playground cannot act on; its text is shown in the page."""


def welcome(limits: Limits) -> dict:
    return {"type": "welcome", "limits": asdict(limits), "defaults": DEFAULT_SETTINGS.to_json()}


def error(message) -> dict:
    return {"type": "error", "message": str(message)}


def parse(text, limits: Limits) -> dict:
    if isinstance(text, bytes):
        raise ProtocolError("messages must be JSON text, not binary")
    if len(text) > limits.max_message_bytes:
        raise ProtocolError(f"message of {len(text):,} characters; at most {limits.max_message_bytes:,}")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as problem:
        raise ProtocolError(f"not valid JSON: {problem}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object with a \"type\"")
    check_choice("message type", message.get("type"), MESSAGE_TYPES)
    return message


def handle(session, text) -> list:
    """The replies to one message; the session changes only if the message is valid."""
    cause = None
    try:
        message = parse(text, session.limits)
        cause = message["type"]
        replies = _dispatch(session, message)
    except (ScratchgradError, ValueError, TypeError) as problem:  # the client's mistake: say what it was
        replies = [error(problem)]
    except Exception as problem:  # our mistake: keep serving, and log it for the terminal
        log.exception("playground: unexpected error while handling a message")
        replies = [error(f"internal error ({type(problem).__name__}: {problem})")]
    for reply in replies:  # the page matches answers to its requests by their cause
        reply["cause"] = cause
    return replies


def _dispatch(session, message) -> list:
    kind = message["type"]
    if kind == "configure":
        session.configure(message.get("settings", {}))
        return [session.setup(), session.frame()]
    if kind == "train":
        epochs = check_integer("epochs", message.get("epochs", 1), 1, session.limits.max_epochs_per_message)
        steps = epochs * session.steps_per_epoch
        if epochs > 1 and steps > session.limits.max_steps_per_message:
            raise ProtocolError(f"{epochs} epochs are {steps:,} steps at this batch size; ask for at most "
                                f"{session.limits.max_steps_per_message:,} steps at once (fewer epochs)")
        playing = check_bool("playing", message.get("playing", False))
        session.train(epochs)
        return [session.frame(while_playing=playing)]
    if kind == "reset":
        session.build()
        return [session.setup(), session.frame()]
    if kind == "regenerate":
        session.regenerate()
        return [session.setup(), session.frame()]
    if kind == "upload":
        task = message.get("task")
        if task is not None:
            check_choice("task", task, ("classification", "regression"))
        session.upload(message.get("filename", "data.csv"), message.get("text"), task)
        return [session.setup(), session.frame()]
    if kind == "micrograd":
        point = message.get("point")
        session.micrograd_point = None if point is None else check_integer(
            "point", point, 0, len(session.X_train) - 1)
        return [session.frame()]
    if kind == "code":
        session.show_code = check_bool("open", message.get("open", True))
        return [session.frame()]
    if kind == "export":
        what = check_choice("export", message.get("what"), tuple(exports.EXPORTS))
        return [exports.download(session, what)]
    return [session.frame()]


class RateLimiter:
    """A token bucket: `burst` messages at once, `per_second` sustained."""

    def __init__(self, per_second, burst, clock=time.monotonic):
        self.per_second, self.burst, self.clock = per_second, burst, clock
        self.tokens, self.last = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.per_second)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
