"""The playground's web server: a Flask app over one :class:`Session`, and a trainer thread.

The page sends its settings and commands as JSON; training runs in a background thread while
the page plays, and every frame's snapshot reaches the page as a server-sent event
(``/api/stream``). Requests and the trainer share one lock, so a snapshot is always of one
consistent state. Any error in a request comes back as ``{"error": message}`` with status 400
(the user's input) or 500; the server keeps running.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from functools import partial
from importlib import resources

from . import datasets as ds
from . import export, matrices
from .session import Session, Settings

FRAME_SECONDS = 0.1  # at most ten frames a second
TRAIN_SECONDS = 0.06  # training time per frame: many epochs per frame for small networks
MAX_EPOCHS_PER_FRAME = 500
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")  # what a page served from this machine sends


class Trainer:
    """The session, whether it plays, and the latest snapshot (with a version the stream
    waits on). Every method takes the lock."""

    def __init__(self, settings: Settings | None = None):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.csv_points = None
        self.session = Session(settings or Settings())
        self.playing, self.closed = False, False
        self.version, self.text = 0, ""
        self.started = time.time()  # tells this server's versions from an earlier one's
        self.epochs_per_frame = 1
        with self.lock:
            self._publish()
        self.thread = threading.Thread(target=self._run, name="playground-trainer", daemon=True)
        self.thread.start()

    def _publish(self) -> str:
        """Store the session's snapshot as the latest and wake the streams (lock held)."""
        self.version += 1
        stamp = {"version": self.version, "server": self.started}
        self.text = json.dumps({**self.session.snapshot(self.playing), **stamp})
        self.changed.notify_all()
        return self.text

    def command(self, action):
        """Run ``action(session)`` under the lock and publish the snapshot; return its text."""
        with self.lock:
            action(self.session)
            return self._publish()

    def setup(self, settings: Settings) -> str:
        session = Session(settings, self.csv_points)  # a ValueError leaves all as it was
        with self.lock:
            self.session, self.playing = session, False
            return self._publish()

    def set_playing(self, playing: bool) -> str:
        with self.lock:
            self.playing = playing and self.session.message is None
            return self._publish()

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.playing and not self.closed:
                    self.changed.wait()
                if self.closed:
                    return
                self._frame()
            time.sleep(FRAME_SECONDS / 2)  # let requests in between frames

    def _frame(self) -> None:
        """Train as many epochs as fit in ``TRAIN_SECONDS``, then publish (lock held)."""
        start = time.perf_counter()
        try:
            ok = self.session.train(self.epochs_per_frame)
        except Exception as error:  # never a dead trainer: stop, and say why on the page
            self.session.message = f"training stopped: {error}"
            ok = False
        per_epoch = (time.perf_counter() - start) / self.epochs_per_frame
        self.epochs_per_frame = max(1, min(MAX_EPOCHS_PER_FRAME, int(TRAIN_SECONDS / per_epoch)))
        self.playing = self.playing and ok
        self._publish()

    def stream(self):
        """Server-sent events: each new snapshot, and a comment every 15 s to keep alive."""
        seen = -1
        while True:
            with self.lock:
                self.changed.wait_for(partial(self._news, seen), timeout=15)
                if self.closed:
                    return
                version, text = self.version, self.text
            if version == seen:
                yield ": keep-alive\n\n"
            else:
                seen = version
                yield f"data: {text}\n\n"

    def _news(self, seen: int) -> bool:
        return self.version != seen or self.closed

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.changed.notify_all()


def create_app(settings: Settings | None = None, local_only: bool = True):
    """The Flask app; ``app.extensions["playground"]`` is its :class:`Trainer`.

    With ``local_only``, a request whose ``Host`` is not this machine's name is refused (403):
    a web page elsewhere cannot reach the playground by pointing its own name at 127.0.0.1
    (DNS rebinding).

    Flask (the ``playground`` extra) is imported here, so the rest of the package, and its
    doctests, import without it.
    """
    from flask import Flask, Response, jsonify, request, send_from_directory
    from werkzeug.exceptions import HTTPException

    static = resources.files(__package__) / "static"
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    trainer = app.extensions["playground"] = Trainer(settings)

    def snapshot(text):
        return Response(text, mimetype="application/json")

    @app.before_request
    def check_host():
        if local_only and request.host.rsplit(":", 1)[0] not in LOCAL_NAMES:
            return jsonify(error=f"the playground answers {', '.join(LOCAL_NAMES)} only"), 403
        return None

    @app.get("/")
    def index():
        return send_from_directory(static, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(static, name)

    @app.get("/api/state")
    def state():
        with trainer.lock:
            return snapshot(trainer.text)

    @app.get("/api/stream")
    def stream():
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(trainer.stream(), mimetype="text/event-stream", headers=headers)

    @app.post("/api/setup")
    def setup():
        values = request.get_json(force=True, silent=True)
        if values is None:
            raise ValueError("the settings are not valid JSON")
        return snapshot(trainer.setup(Settings.from_json(values)))

    @app.post("/api/csv")
    def upload_csv():
        text = request.get_data().decode("utf-8", errors="replace")
        points = ds.parse_csv(text)
        with trainer.lock:
            current = trainer.session.settings
        trainer.csv_points = points
        values = {**_settings_json(current), "dataset": "csv"}
        return snapshot(trainer.setup(Settings.from_json(values)))

    @app.post("/api/play")
    def play():
        return snapshot(trainer.set_playing(True))

    @app.post("/api/pause")
    def pause():
        return snapshot(trainer.set_playing(False))

    @app.post("/api/step")
    def step():
        trainer.set_playing(False)
        return snapshot(trainer.command(lambda session: session.train(1)))

    @app.post("/api/reset")
    def reset():
        with trainer.lock:
            settings = trainer.session.settings
        return snapshot(trainer.setup(settings))

    @app.get("/api/matrices")
    def layer_matrices():
        layer = request.args.get("layer", "1")
        if not layer.isdigit():
            raise ValueError(f"the layer must be a whole number, got {layer!r}")
        with trainer.lock:
            return jsonify(matrices.matrices(trainer.session, int(layer)))

    @app.post("/api/loops")
    def loops():
        with trainer.lock:
            return jsonify(matrices.loops_vs_matrices(trainer.session))

    @app.get("/api/export")
    def export_model():
        with trainer.lock:
            data = export.model_bytes(trainer.session)
        disposition = f'attachment; filename="{export.MODEL_FILE}"'
        return Response(data, mimetype="application/octet-stream",
                        headers={"Content-Disposition": disposition})  # fmt: skip

    @app.get("/api/code")
    def code():
        with trainer.lock:
            return Response(export.python_code(trainer.session), mimetype="text/plain")

    @app.errorhandler(Exception)
    def error(e):
        if isinstance(e, HTTPException):
            return jsonify(error=e.description), e.code
        status = 400 if isinstance(e, (ValueError, TypeError)) else 500
        if status == 500:
            app.logger.exception("request failed")
        return jsonify(error=str(e) or type(e).__name__), status

    return app


def _settings_json(settings: Settings) -> dict:
    values = asdict(settings)
    return {**values, "features": list(settings.features), "hidden": list(settings.hidden)}
