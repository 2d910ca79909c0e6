"""The playground's web server: the page, its assets, and one WebSocket (one `Session`) per browser tab.

Built on Starlette, served by uvicorn: Starlette gives routes, static files and WebSockets
in a few lines with no framework magic, and its TestClient drives the WebSocket in tests
without a network; uvicorn is the usual server for it and stops cleanly on Ctrl-C. Both
are the optional extra `scratchgrad[playground]`.

Training is CPU work: it runs on one worker thread shared by all sessions, so the event
loop stays free to talk to every tab, and two sessions never train at the same moment
(scratchgrad's grad mode is one switch for the whole process).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from urllib.parse import urlsplit

from ..errors import MissingDependencyError
from . import protocol
from .session import Session
from .settings import Limits

SECURITY_HEADERS = {
    # the page loads nothing from elsewhere: no CDN, no inline script
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _web_stack():
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as problem:
        raise MissingDependencyError(f"the playground needs Starlette and uvicorn ({problem.name} is missing): "
                                     f"pip install 'scratchgrad[playground]'") from None
    return uvicorn


class SessionCount:
    """How many tabs are connected, against `Limits.max_sessions`."""

    def __init__(self, limit):
        self.limit, self.open, self._lock = limit, 0, threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def leave(self):
        with self._lock:
            self.open -= 1


def same_origin(headers) -> bool:
    """A page from another site must not drive this server: its Origin must name this host.

    Clients that send no Origin (scripts, the tests, the benchmark) are not web pages.
    """
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(limits: Limits | None = None, allowed_hosts=None):
    """The Starlette application; `limits` bound what each tab may ask for.

    `allowed_hosts` (names the browser may use for this server, or None for any) stops a
    page elsewhere from reaching a loopback server through a DNS name of its own.
    """
    _web_stack()
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocketDisconnect

    limits = limits or Limits()
    static = resources.files(__package__).joinpath("static")
    index_html = static.joinpath("index.html").read_text(encoding="utf-8")
    compute = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground-training")
    sessions = SessionCount(limits.max_sessions)

    async def run(function, *args):
        return await asyncio.get_running_loop().run_in_executor(compute, function, *args)

    async def page(request):
        return HTMLResponse(index_html, headers=SECURITY_HEADERS)

    async def send(websocket, reply):
        try:
            text = json.dumps(reply, allow_nan=False)
        except ValueError:  # a NaN that escaped the checks: say so rather than send invalid JSON
            text = json.dumps(protocol.error("the reply held a number that is not finite; reset the run"))
        await websocket.send_text(text)

    async def playground_socket(websocket):
        if not same_origin(websocket.headers):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        if not sessions.enter():
            await send(websocket, protocol.error(f"the playground already has {limits.max_sessions} open tabs; "
                                                 f"close one and reload this page"))
            await websocket.close(code=1013)
            return
        try:
            session = await run(Session, limits)
            limiter = protocol.RateLimiter(limits.messages_per_second, limits.message_burst)
            for reply in (protocol.welcome(limits), session.setup(), session.frame()):
                await send(websocket, reply)
            while True:
                try:
                    message = await asyncio.wait_for(websocket.receive(), limits.idle_seconds)
                except asyncio.TimeoutError:
                    await send(websocket, {"type": "closed", "reason": "This tab was idle, so its session was "
                                                                       "freed. Reload the page to start again."})
                    await websocket.close(code=1000)
                    return
                if message["type"] == "websocket.disconnect":
                    return
                if not limiter.allow():
                    replies = [protocol.error("too many messages: the playground takes at most "
                                              f"{limits.messages_per_second:g} a second")]
                elif message.get("text") is None:
                    replies = [protocol.error("messages must be JSON text, not binary")]
                else:
                    replies = await run(protocol.handle, session, message["text"])
                for reply in replies:
                    await send(websocket, reply)
        except WebSocketDisconnect:
            return
        except Exception as problem:  # never let one tab's failure reach the server; tell the tab
            protocol.log.exception("playground: session failed")
            try:
                await send(websocket, protocol.error(f"the session failed ({type(problem).__name__}: {problem}); "
                                                     f"reload the page"))
                await websocket.close(code=1011)
            except Exception:  # the tab is already gone
                pass
        finally:
            sessions.leave()

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))] if allowed_hosts else []
    app = Starlette(middleware=middleware, routes=[
        Route("/", page),
        WebSocketRoute("/ws", playground_socket),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ])
    app.state.sessions = sessions
    app.state.limits = limits
    return app


def listening_socket(host, port):
    """A socket bound and listening before the server starts: the port is known (and free) at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as problem:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {problem.strerror or problem}") from None
    sock.listen(128)
    return sock


def url_of(sock) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/"


def make_server(sock, limits=None):
    uvicorn = _web_stack()
    limits = limits or Limits()
    host = sock.getsockname()[0]
    allowed_hosts = LOOPBACK_NAMES if host in LOOPBACK_NAMES else None  # elsewhere the names are the user's
    config = uvicorn.Config(create_app(limits, allowed_hosts), log_level="warning",
                            ws_max_size=limits.max_message_bytes + 1024, lifespan="off")
    return uvicorn.Server(config)


def has_graphical_browser() -> bool:
    """Without a display, `webbrowser` may start a text browser in this very terminal: don't."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(host="127.0.0.1", port=0, open_browser=True, limits=None):
    """Serve the playground until Ctrl-C; prints the address (and opens it unless told not to)."""
    _web_stack()
    sock = listening_socket(host, port)
    url = url_of(sock)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"scratchgrad playground: listening on {host}: other machines can reach it", file=sys.stderr)
    print(f"scratchgrad playground: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser and has_graphical_browser():
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    elif open_browser:
        print("scratchgrad playground: no display here; open the address above in a browser", flush=True)
    try:
        make_server(sock, limits).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn has shut down cleanly, then passes Ctrl-C on
        pass
    print("scratchgrad playground: stopped", flush=True)
    return 0


class BackgroundServer:
    """The playground served from a thread, for tests and benchmarks: `with BackgroundServer() as url:`."""

    def __init__(self, host="127.0.0.1", port=0, limits=None):
        self.sock = listening_socket(host, port)
        self.url = url_of(self.sock)
        self.server = make_server(self.sock, limits)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()  # connections made before it is ready wait in the socket's backlog
        return self.url

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
