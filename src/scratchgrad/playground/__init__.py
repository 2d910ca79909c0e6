"""The playground: train a network live in the browser, driven by scratchgrad itself.

`scratchgrad playground` (or `serve()`) starts a local web server. Each browser tab gets
its own `Session`, which trains with the library's public API and sends the page what to
draw; the page draws. The web stack (Starlette, uvicorn) is the optional extra
`scratchgrad[playground]`, imported only when the server starts.

    settings.py        what a learner can set, checked against `Limits`
    data.py            the toy datasets on [-6, 6]², the input features, CSV uploads
    session.py         one tab's experiment: build, train, and the pictures of each frame
    script.py          the "show code" script that reproduces a session's run
    micrograd_view.py  the network on the scalar engine for one point: its graph, data and grads
    exports.py         model file, run folder (zip), self-contained HTML replay
    protocol.py        the messages: each one checked, answered, or refused with a reason
    server.py          Starlette routes and the WebSocket loop, served by uvicorn
    static/            the page: plain HTML, CSS and JavaScript, no build step, no CDN
"""


def serve(host="127.0.0.1", port=0, open_browser=True):
    """Run the playground's server until Ctrl-C; see server.serve."""
    from .server import serve as _serve

    return _serve(host=host, port=port, open_browser=open_browser)
