"""The playground's server without a browser: protocol, limits, malformed messages, sessions, exports.

Starlette's TestClient drives the WebSocket in-process. References are independent of the
playground: PyTorch (float64) for the training step and the micrograd view's gradients,
the generated script run in a fresh Python for reproducibility, scratchgrad.io for exports.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
torch = pytest.importorskip("torch")

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from scratchgrad.playground import data as playground_data  # noqa: E402
from scratchgrad.playground.server import create_app  # noqa: E402
from scratchgrad.playground.session import Session  # noqa: E402
from scratchgrad.playground.settings import Limits  # noqa: E402


def strict_json(text):
    """Parse as a browser does: NaN and Infinity are not JSON."""
    def refuse(token):
        raise ValueError(f"{token} is not valid JSON")
    return json.loads(text, parse_constant=refuse)


class Tab:
    """One browser tab's WebSocket: send a message, read the replies it causes."""

    def __init__(self, socket):
        self.socket = socket
        self.welcome = self.receive()
        self.setup = self.receive()
        self.frame = self.receive()

    def receive(self):
        return strict_json(self.socket.receive_text())

    def ask(self, message, replies=1):
        self.socket.send_text(message if isinstance(message, str) else json.dumps(message))
        return [self.receive() for _ in range(replies)]


@pytest.fixture
def client():
    with TestClient(create_app(Limits(max_sessions=4))) as test_client:
        yield test_client


@pytest.fixture
def tab(client):
    with client.websocket_connect("/ws") as socket:
        yield Tab(socket)


def train(tab, epochs):
    [frame] = tab.ask({"type": "train", "epochs": epochs})
    assert frame["type"] == "frame", frame
    return frame


# ---- protocol ----


def test_connecting_gives_welcome_setup_and_a_first_frame(tab):
    assert tab.welcome["type"] == "welcome" and tab.welcome["limits"]["max_layers"] == 6
    assert tab.setup["type"] == "setup" and tab.setup["layer_sizes"] == [2, 4, 2, 1]
    assert tab.frame["epoch"] == 0
    assert len(base64.b64decode(tab.frame["output"])) == tab.setup["grid"] ** 2
    neurons = tab.frame["neurons"]
    assert [len(layer) for layer in neurons] == [4, 2]
    assert len(base64.b64decode(neurons[0][0]["data"])) == tab.frame["thumbnail_size"] ** 2


def test_training_lowers_the_test_loss_and_changes_the_boundary(tab):
    before = tab.frame
    after = train(tab, 40)
    assert after["epoch"] == 40
    assert after["test_loss"] < 0.7 * before["test_loss"]
    assert after["output"] != before["output"]
    assert [row[0] for row in after["history"]] == list(range(1, 41))


def test_configure_rebuilds_with_the_new_network(tab):
    setup, frame = tab.ask({"type": "configure", "settings": {"hidden": [3, 5, 2], "features": ["x1", "x2", "sin_x1"],
                                                               "dataset": "spiral3"}}, replies=2)
    assert setup["layer_sizes"] == [3, 3, 5, 2, 3]  # three classes: three outputs
    assert [[len(row) for row in layer["weight"]] for layer in frame["weights"]] == [[3] * 3, [5] * 3, [2] * 5, [3] * 2]
    assert len(base64.b64decode(frame["output"])) == 3 * setup["grid"] ** 2


def test_reset_returns_to_the_same_start_and_regenerate_to_a_new_one(tab):
    train(tab, 5)
    _, reset = tab.ask({"type": "reset"}, replies=2)
    assert reset["epoch"] == 0 and reset["weights"] == tab.frame["weights"]
    setup, regenerated = tab.ask({"type": "regenerate"}, replies=2)
    assert setup["settings"]["seed"] == tab.setup["settings"]["seed"] + 1
    assert setup["train_points"] != tab.setup["train_points"]


# ---- malformed input and limits: an error in the page, the session unharmed ----

MALFORMED = [
    ("not json", "not valid JSON"),
    ("[1, 2]", "object"),
    ('{"no": "type"}', "message type"),
    ('{"type": "delete_everything"}', "message type"),
    ('{"type": "train", "epochs": "many"}', "epochs"),
    ('{"type": "train", "epochs": 1e9}', "epochs"),
    ('{"type": "configure", "settings": "circle"}', "settings must be an object"),
    ('{"type": "configure", "settings": {"hidden": "4,2"}}', "hidden must be a list"),
    ('{"type": "configure", "settings": {"lr": NaN}}', "lr"),
    ('{"type": "configure", "settings": {"lr": 0}}', "lr"),
    ('{"type": "configure", "settings": {"colour": "red"}}', "unknown setting"),
    ('{"type": "configure", "settings": {"dataset": "plane"}}', "dataset"),
    ('{"type": "configure", "settings": {"dataset": "csv"}}', "upload a CSV"),
    ('{"type": "configure", "settings": {"features": []}}', "at least one feature"),
    ('{"type": "configure", "settings": {"features": ["x1", "x1"]}}', "repeat"),
    ('{"type": "configure", "settings": {"features": ["cos_x1"]}}', "feature"),
    ('{"type": "micrograd", "point": 100000}', "point"),
    ('{"type": "export", "what": "/etc/passwd"}', "export"),
    ('{"type": "upload", "text": 42}', "CSV file's text"),
    ("[" * 100_000 + "]" * 100_000, "JSON"),
]


@pytest.mark.parametrize("text, words", MALFORMED, ids=[m[1] for m in MALFORMED])
def test_malformed_messages_get_an_error_and_the_session_carries_on(tab, text, words):
    [reply] = tab.ask(text)
    assert reply["type"] == "error"
    assert words.lower() in reply["message"].lower()
    frame = train(tab, 1)  # still the same session, still training from where it was
    assert frame["epoch"] == 1


OVER_LIMITS = [
    ({"hidden": [2] * 7}, "at most 6 hidden layers"),
    ({"hidden": [9]}, "[1, 8]"),
    ({"hidden": [0]}, "[1, 8]"),
    ({"n_points": 100_000}, "n_points"),
    ({"batch_size": 0}, "batch_size"),
    ({"noise": 5}, "noise"),
    ({"train_fraction": 1.0}, "train_fraction"),
    ({"regularization_rate": -1}, "regularization_rate"),
]


@pytest.mark.parametrize("settings, words", OVER_LIMITS, ids=[o[1] for o in OVER_LIMITS])
def test_settings_over_the_limits_are_refused(tab, settings, words):
    [reply] = tab.ask({"type": "configure", "settings": settings})
    assert reply["type"] == "error" and words in reply["message"]
    _, frame = tab.ask({"type": "reset"}, replies=2)
    assert frame["weights"] == tab.frame["weights"]  # the settings did not change


def test_one_message_cannot_ask_for_too_many_steps(tab):
    tab.ask({"type": "configure", "settings": {"n_points": 2000, "train_fraction": 0.9, "batch_size": 1}}, replies=2)
    [reply] = tab.ask({"type": "train", "epochs": 4})  # 4 x 1800 steps
    assert reply["type"] == "error" and "at most 5,000 steps" in reply["message"]
    assert train(tab, 2)["epoch"] == 2  # 3600 steps are fine


def test_binary_messages_are_refused(tab):
    tab.socket.send_bytes(b"\x00\x01")
    reply = tab.receive()
    assert reply["type"] == "error" and "JSON text" in reply["message"]


def test_oversized_messages_and_csv_files_are_refused():
    limits = Limits(max_message_bytes=5000, max_csv_bytes=1000, max_csv_rows=50)
    with TestClient(create_app(limits)) as client, client.websocket_connect("/ws") as socket:
        tab = Tab(socket)
        [reply] = tab.ask(json.dumps({"type": "upload", "text": "1,2,0\n" * 1000}))
        assert reply["type"] == "error" and "at most 5,000" in reply["message"]
        [reply] = tab.ask({"type": "upload", "text": "1,2,0\n" * 200})
        assert reply["type"] == "error" and "at most 1,000" in reply["message"]
        [reply] = tab.ask({"type": "upload", "text": "1,2,0\n" * 60})
        assert reply["type"] == "error" and "at most 50" in reply["message"]


def test_messages_over_the_rate_limit_get_an_error():
    # a bucket of 3 that refills once every 1000 s: the 4th message in a row is refused
    with TestClient(create_app(Limits(messages_per_second=0.001, message_burst=3))) as client, \
            client.websocket_connect("/ws") as socket:
        tab = Tab(socket)
        replies = [tab.ask({"type": "frame"})[0] for _ in range(4)]
        assert [r["type"] for r in replies] == ["frame", "frame", "frame", "error"]
        assert "too many messages" in replies[-1]["message"]


def test_a_diverged_run_says_so_and_sends_only_valid_json(tab):
    tab.ask({"type": "configure", "settings": {"task": "regression", "dataset": "plane", "activation": "linear",
                                               "lr": 10, "batch_size": 1, "hidden": [8, 8]}}, replies=2)
    frame = train(tab, 5)  # strict_json has checked there is no NaN in it
    assert frame["diverged"] is True and frame["train_loss"] is None
    [reply] = tab.ask({"type": "train"})
    assert reply["type"] == "error" and "diverged" in reply["message"]
    _, frame = tab.ask({"type": "reset"}, replies=2)
    assert frame["diverged"] is False and frame["epoch"] == 0


# ---- sessions ----


def test_tabs_have_their_own_sessions(client):
    with client.websocket_connect("/ws") as first_socket, client.websocket_connect("/ws") as second_socket:
        first, second = Tab(first_socket), Tab(second_socket)
        first.ask({"type": "configure", "settings": {"dataset": "xor", "hidden": [8]}}, replies=2)
        train(first, 3)
        [frame] = second.ask({"type": "frame"})
        assert frame["epoch"] == 0 and frame["weights"] == second.frame["weights"]
        _, frame = second.ask({"type": "reset"}, replies=2)
        assert len(frame["weights"]) == 3  # still [4, 2]: the other tab's [8] did not leak in
        assert train(first, 1)["epoch"] == 4


def test_tabs_over_the_session_limit_are_told_and_closed():
    with TestClient(create_app(Limits(max_sessions=1))) as client, client.websocket_connect("/ws") as socket:
        Tab(socket)
        with client.websocket_connect("/ws") as refused:
            reply = strict_json(refused.receive_text())
            assert reply["type"] == "error" and "open tabs" in reply["message"]
            with pytest.raises(WebSocketDisconnect):
                refused.receive_text()


def test_a_closed_tab_frees_its_session():
    app = create_app(Limits(max_sessions=1))
    with TestClient(app) as client:
        for _ in range(3):  # one at a time, each after the previous one closed
            with client.websocket_connect("/ws") as socket:
                assert Tab(socket).frame["epoch"] == 0
        assert app.state.sessions.open == 0


def test_idle_tabs_are_closed_and_freed():
    app = create_app(Limits(idle_seconds=0.05))
    with TestClient(app) as client, client.websocket_connect("/ws") as socket:
        tab = Tab(socket)
        closed = tab.receive()  # nothing sent: the server gives up on this tab
        assert closed["type"] == "closed" and "idle" in closed["reason"]
        with pytest.raises(WebSocketDisconnect):
            socket.receive_text()
    assert app.state.sessions.open == 0


def test_pages_from_other_sites_cannot_connect(client):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as socket:
            socket.receive_text()
    assert refused.value.code == 1008
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as socket:
        assert Tab(socket).frame["type"] == "frame"


def test_a_loopback_server_answers_only_to_loopback_names():
    """DNS rebinding: a page at evil.example whose name now points to 127.0.0.1 is refused."""
    with TestClient(create_app(allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"host": "evil.example:8000"}).status_code == 400
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect("/ws", headers={"host": "evil.example:8000",
                                                          "origin": "http://evil.example:8000"}) as socket:
                socket.receive_text()


def test_the_page_and_assets_are_served_from_the_package_only(client):
    page = client.get("/")
    assert page.status_code == 200 and "scratchgrad" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"https?://", page.text)  # no CDN
    for asset in ("app.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/static/%2e%2e/server.py").status_code == 404


def test_nothing_is_written_to_the_working_folder(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with client.websocket_connect("/ws") as socket:
        tab = Tab(socket)
        train(tab, 2)
        tab.ask({"type": "upload", "filename": "d.csv", "text": "a,b,c\n1,2,x\n2,1,y\n3,3,x\n0,1,y\n"}, replies=2)
        tab.ask({"type": "micrograd", "point": 1})
        for what in ("model", "run", "replay"):
            tab.ask({"type": "export", "what": what})
    assert list(tmp_path.iterdir()) == []


# ---- what a session computes, against independent references ----


def run_script(script, tmp_path):
    path = tmp_path / "playground_run.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    match = re.search(r"epoch (\d+): train loss ([\d.]+), test loss ([\d.]+)", result.stdout)
    return int(match[1]), float(match[2]), float(match[3])


SCRIPT_CASES = [
    {"dataset": "circle"},
    {"dataset": "xor", "optimizer": "momentum", "regularization": "l2", "regularization_rate": 0.01,
     "activation": "relu", "features": ["x1", "x2", "x1_x2"], "noise": 0.2, "batch_size": 7},
    {"dataset": "spiral3", "optimizer": "adam", "lr": 0.01, "regularization": "l1", "regularization_rate": 0.001,
     "hidden": [8, 8], "activation": "leaky_relu", "train_fraction": 0.7, "seed": 5},
    {"task": "regression", "dataset": "multigauss", "activation": "sigmoid", "hidden": [], "lr": 0.003,
     "features": ["x1", "x2", "x1_squared", "x2_squared", "sin_x1", "sin_x2"]},
]


@pytest.mark.parametrize("settings", SCRIPT_CASES, ids=[c["dataset"] for c in SCRIPT_CASES])
def test_the_code_panel_script_reproduces_the_losses(tab, tmp_path, settings):
    tab.ask({"type": "configure", "settings": settings}, replies=2)
    train(tab, 6)
    [frame] = tab.ask({"type": "code", "open": True})
    epoch, train_loss, test_loss = run_script(frame["script"], tmp_path)
    assert epoch == frame["epoch"] == 6
    assert f"{train_loss:.6f}" == f"{frame['train_loss']:.6f}"
    assert f"{test_loss:.6f}" == f"{frame['test_loss']:.6f}"


CSV_TEXT = "height,weight,species\n" + "".join(
    f"{1.5 + 0.1 * np.sin(i)},{60 + 10 * np.cos(3 * i)},{'cat' if np.sin(i) + np.cos(3 * i) > 0 else 'dog'}\n"
    for i in range(120))


def test_a_csv_upload_trains_and_its_script_reproduces_the_run(tab, tmp_path):
    setup, frame = tab.ask({"type": "upload", "filename": "pets.csv", "text": CSV_TEXT, "task": "classification"},
                           replies=2)
    assert setup["settings"]["dataset"] == "csv" and setup["classes"] == ["cat", "dog"]
    assert len(setup["train_points"]) + len(setup["test_points"]) == 120
    trained = train(tab, 30)
    assert trained["train_loss"] < frame["train_loss"]
    [frame] = tab.ask({"type": "code", "open": True})
    _, train_loss, _ = run_script(frame["script"], tmp_path)
    assert f"{train_loss:.6f}" == f"{frame['train_loss']:.6f}"


def test_the_example_csv_trains_to_separate_the_iris_species(tab):
    text = (Path(__file__).parent.parent / "examples" / "playground_iris_petals.csv").read_text()
    setup, first = tab.ask({"type": "upload", "filename": "iris.csv", "text": text, "task": "classification"},
                           replies=2)
    assert setup["classes"] == ["setosa", "versicolor", "virginica"] and setup["n_outputs"] == 3
    trained = train(tab, 30)
    assert trained["test_loss"] < 0.5 * first["test_loss"]


def test_play_does_not_resend_a_long_script_with_every_epoch(tab):
    rows = "".join(f"{i * 0.37 % 5},{i * 0.73 % 3},{i % 2}\n" for i in range(3000))
    tab.ask({"type": "upload", "filename": "big.csv", "text": "a,b,c\n" + rows, "task": "classification"},
            replies=2)
    [frame] = tab.ask({"type": "code", "open": True})
    assert len(frame["script"]) > 50_000
    [playing] = tab.ask({"type": "train", "playing": True})
    assert "script" not in playing
    [paused] = tab.ask({"type": "code", "open": True})
    assert "EPOCHS = 1 " in paused["script"]
    [stepped] = tab.ask({"type": "train"})
    assert "EPOCHS = 2 " in stepped["script"]


def test_regularization_steps_match_pytorch():
    """L2 on weights only (not biases), SGD with momentum: one epoch against torch.optim in float64."""
    session = Session()
    session.configure({"optimizer": "momentum", "regularization": "l2", "regularization_rate": 0.05,
                       "hidden": [5], "activation": "tanh", "batch_size": 25})
    linears = session.linears
    torch_layers = [torch.nn.Linear(layer.in_features, layer.out_features) for layer in linears]
    for mine, theirs in zip(linears, torch_layers):
        theirs.weight.data = torch.tensor(mine.weight.data.T, dtype=torch.float64)
        theirs.bias.data = torch.tensor(mine.bias.data, dtype=torch.float64)
    model = torch.nn.Sequential(torch_layers[0], torch.nn.Tanh(), torch_layers[1]).double()
    optimizer = torch.optim.SGD([{"params": [layer.weight for layer in torch_layers], "weight_decay": 0.05},
                                 {"params": [layer.bias for layer in torch_layers], "weight_decay": 0.0}],
                                lr=session.settings.lr, momentum=0.9)
    order = np.random.default_rng([session.settings.seed, 1]).permutation(len(session.X_train))
    X = torch.tensor(session.X_train, dtype=torch.float64)
    y = torch.tensor(session.y_train, dtype=torch.float64)
    for start in range(0, len(order), 25):
        batch = torch.tensor(order[start:start + 25])
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(X[batch]), y[batch]).backward()
        optimizer.step()
    session.train(1)
    for mine, theirs in zip(linears, torch_layers):
        np.testing.assert_allclose(mine.weight.data, theirs.weight.detach().numpy().T, atol=2e-5)
        np.testing.assert_allclose(mine.bias.data, theirs.bias.detach().numpy(), atol=2e-5)


@pytest.mark.parametrize("settings", [
    {"hidden": [3], "activation": "tanh"},
    {"dataset": "spiral3", "hidden": [2, 2], "activation": "relu"},
    {"task": "regression", "dataset": "plane", "hidden": [3], "activation": "sigmoid",
     "features": ["x1", "x2", "x1_x2"]},
], ids=["binary", "three-classes", "regression"])
def test_the_micrograd_view_has_the_gradients_pytorch_finds(settings):
    session = Session()
    session.configure(settings)
    session.train(3)
    session.micrograd_point = 7
    graph = session.frame()["micrograd"]
    nodes = {node["label"]: node for node in graph["nodes"] if node["label"]}

    x = torch.tensor(session.X_train[7:8], dtype=torch.float64)
    activation = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[session.settings.activation]
    weights = [torch.tensor(layer.weight.data, dtype=torch.float64, requires_grad=True) for layer in session.linears]
    biases = [torch.tensor(layer.bias.data, dtype=torch.float64, requires_grad=True) for layer in session.linears]
    out = x
    for number, (w, b) in enumerate(zip(weights, biases)):
        out = out @ w + b
        out = activation(out) if number < len(weights) - 1 else out
    target = session.y_train[7:8]
    if session.settings.task == "regression":
        loss = torch.nn.functional.mse_loss(out, torch.tensor(target, dtype=torch.float64))
    elif session.n_outputs == 1:
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, torch.tensor(target, dtype=torch.float64))
    else:
        loss = torch.nn.functional.cross_entropy(out, torch.tensor(target))
    loss.backward()

    assert nodes["loss"]["data"] == pytest.approx(loss.item(), rel=1e-5)
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                assert nodes[f"w{layer}[{i}→{j}]"]["grad"] == pytest.approx(w.grad[i, j].item(), abs=1e-6)
        for j in range(b.shape[0]):
            assert nodes[f"b{layer}[{j}]"]["grad"] == pytest.approx(b.grad[j].item(), abs=1e-6)
    ids = {node["id"] for node in graph["nodes"]}
    assert all(a in ids and b in ids for a, b in graph["edges"])


def test_the_micrograd_view_declines_networks_too_big_to_read(tab):
    tab.ask({"type": "configure", "settings": {"hidden": [8, 8, 8]}}, replies=2)
    [frame] = tab.ask({"type": "micrograd", "point": 0})
    assert "at most" in frame["micrograd"]["error"]


# ---- exports ----


def export(tab, what):
    [reply] = tab.ask({"type": "export", "what": what})
    assert reply["type"] == "download", reply
    return reply["filename"], base64.b64decode(reply["base64"])


def test_the_model_export_loads_and_predicts_like_the_session(tab, tmp_path):
    pytest.importorskip("safetensors")
    from scratchgrad import io as model_io
    from scratchgrad.playground.session import grid_points

    tab.ask({"type": "configure", "settings": {"dataset": "moons", "hidden": [6, 3]}}, replies=2)
    train(tab, 10)
    filename, content = export(tab, "model")
    (tmp_path / filename).write_bytes(content)
    model, metadata = model_io.load_bundle(tmp_path / filename)
    assert metadata["epoch"] == 10 and metadata["features"] == ["x1", "x2"]
    inputs = playground_data.make_features(grid_points(), ["x1", "x2"])
    probabilities = 1 / (1 + np.exp(-model(inputs).data[:, 0]))
    [frame] = tab.ask({"type": "frame"})
    page = np.frombuffer(base64.b64decode(frame["output"]), dtype=np.uint8)
    np.testing.assert_allclose(np.round(probabilities * 255), page, atol=1)


def test_the_run_folder_holds_everything_and_its_script_reproduces_the_run(tab, tmp_path):
    train(tab, 4)
    _, content = export(tab, "run")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = {name.split("/", 1)[1] for name in archive.namelist()}
        assert names == {"model.safetensors", "settings.json", "history.csv", "data.csv", "playground_run.py",
                         "README.txt"}
        archive.extractall(tmp_path)
    folder = next(tmp_path.iterdir())
    history = (folder / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,train_loss,test_loss" and len(history) == 1 + 5
    _, train_loss, _ = run_script((folder / "playground_run.py").read_text(), tmp_path)
    assert f"{train_loss:.6f}" == f"{float(history[-1].split(',')[1]):.6f}"


def test_the_html_replay_needs_no_server(tab):
    train(tab, 12)
    _, content = export(tab, "replay")
    html = content.decode("utf-8")
    assert not re.search(r"(src|href)=\"https?://", html) and "/static/" not in html
    recording = json.loads(re.search(r"const RECORDING = (.*);\n", html)[1])
    assert [epoch for epoch, _ in recording["snapshots"]] == list(range(13))
    assert recording["history"][-1][0] == 12


HOSTILE_CSV = ('x,y,label\n' + "".join(f'{i % 7},{i % 5},"</script><script>alert(1)</script>\nimport os"\n'
                                        if i % 2 else f"{i % 7},{i % 5},plain\n" for i in range(40)))


def test_hostile_file_names_and_labels_stay_data(tab, tmp_path):
    """A CSV's name and labels end up in the script and the replay: they must not become code there."""
    name = 'x"""; import os; os.system("echo pwned") #.csv'
    setup, _ = tab.ask({"type": "upload", "filename": name, "text": HOSTILE_CSV, "task": "classification"}, replies=2)
    assert setup["classes"][0] == "</script><script>alert(1)</script>\nimport os"
    train(tab, 2)
    [frame] = tab.ask({"type": "code", "open": True})
    epoch, _, _ = run_script(frame["script"], tmp_path)  # runs, and prints what it should (not "pwned")
    assert epoch == 2 and '"""; import' not in frame["script"]
    _, content = export(tab, "replay")
    html = content.decode("utf-8")
    assert html.count("</script>") == 1 and "<script>alert" not in html


def test_long_runs_keep_a_bounded_loss_history():
    session = Session(Limits(max_history=20))
    session.configure({"hidden": [2]})
    session.frame()
    sent = []
    for _ in range(10):
        session.train(7)
        sent += session.frame()["history"]
    assert len(session.history) <= 20 and session.history[-1][0] == 70
    assert [row[0] for row in sent] == sorted({row[0] for row in sent}) and sent[-1][0] == 70


# ---- data ----


@pytest.mark.parametrize("name", playground_data.CLASSIFICATION_DATASETS + playground_data.REGRESSION_DATASETS)
def test_datasets_fill_the_plane_and_repeat_for_a_seed(name):
    X, y = playground_data.make_dataset(name, 300, 0.1, seed=3)
    assert X.shape == (300, 2) and np.all(np.abs(X) <= playground_data.DOMAIN)
    again, _ = playground_data.make_dataset(name, 300, 0.1, seed=3)
    np.testing.assert_array_equal(X, again)
    if name in playground_data.CLASSIFICATION_DATASETS:
        counts = np.bincount(y)
        assert len(counts) == (3 if name == "spiral3" else 2) and counts.min() >= 90
    else:
        assert np.all(np.abs(y) <= 1) and y.std() > 0.1


def test_the_three_arm_spiral_is_the_tutorials_one():
    """cs231n's spiral: arm c at angle 4c..4(c+1) (+ noise) and radius 0..1, here scaled by 5."""
    X, y = playground_data.make_dataset("spiral3", 300, 0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1]) / 5
    for c in range(3):
        np.testing.assert_allclose(radius[y == c], np.linspace(0, 1, 100), atol=1e-12)
    # noise on the angle only: with no playground noise, the tutorials' 0.2 remains
    angle = np.arctan2(X[y == 1, 0], X[y == 1, 1])
    expected = np.linspace(4, 8, 100)
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    assert 0.1 < wrapped[1:].std() < 0.3


def test_csv_parsing_reads_headers_labels_and_targets():
    X, y, classes, columns = playground_data.parse_csv("a,b,label\n1,10,x\n2,20,y\n3,30,x\n4,40,z\n",
                                                       "classification", 100)
    assert columns == ["a", "b", "label"] and classes == ["x", "y", "z"] and list(y) == [0, 1, 0, 2]
    np.testing.assert_allclose(X[:, 0], [-5, -5 / 3, 5 / 3, 5])
    X, y, classes, _ = playground_data.parse_csv("1,1,0.5\n2,2,1.5\n3,1,2.5\n4,0,3.5\n", "regression", 100)
    assert classes is None
    np.testing.assert_allclose(y, [-1, -1 / 3, 1 / 3, 1])


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("a,b\n1,2\n3,4\n5,6\n7,8\n", "exactly 3 columns"),
    ("1,2,0\n1,x,1\n3,4,0\n5,6,1\n", "line 2"),
    ("1,2,0\n3,4,1\n", "at least 4"),
    ("1,2,0\n3,4,1\n5,6,2\n7,8,3\n1,2,4\n3,4,5\n5,6,6\n7,8,7\n1,1,8\n", "2 to 8"),
    ("1,2,0\n3,inf,1\n5,6,0\n7,8,1\n", "finite"),
])
def test_bad_csv_files_are_explained(text, words):
    from scratchgrad.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=re.escape(words)):
        playground_data.parse_csv(text, "classification", 100)


# ---- the command ----


def test_without_the_web_stack_the_command_names_the_extra(monkeypatch):
    from scratchgrad.errors import MissingDependencyError
    from scratchgrad.playground import serve

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=re.escape("pip install 'scratchgrad[playground]'")):
        serve(open_browser=False)


@pytest.mark.slow
def test_the_command_serves_the_page_and_stops_on_ctrl_c():
    process = subprocess.Popen([sys.executable, "-m", "scratchgrad", "playground", "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b"scratchgrad playground" in response.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
