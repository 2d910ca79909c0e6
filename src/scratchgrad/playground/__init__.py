"""The playground: train a network live in the browser, driven by scratchgrad itself.

`scratchgrad playground` (or `serve()`) starts a local web server. Each browser tab gets
its own `Session` (session.py), which trains with the library's public API and sends the
page what to draw; the page and its assets are plain HTML, CSS and JavaScript in `static/`.
The web stack (Starlette, uvicorn) is the optional extra `scratchgrad[playground]`,
imported only when the server starts.
"""


def serve(host="127.0.0.1", port=0, open_browser=True):
    """Run the playground's server until Ctrl-C; see server.serve."""
    from .server import serve as _serve

    return _serve(host=host, port=port, open_browser=open_browser)
