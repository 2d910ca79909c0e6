"""The playground end to end in a real headless browser: Debian's chromium driven by Playwright.

Each test opens the page served by a real uvicorn server on loopback and acts as a learner
would: clicks buttons found by their accessible names, reads what the page shows. The
screenshots land in pytest's tmp folder (their paths are printed: `pytest -s` shows them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium; "
                                                ".ci/run installs it)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (the [test] extra)")
pytest.importorskip("starlette")

from scratchgrad.playground.server import BackgroundServer  # noqa: E402

expect = sync_api.expect


@pytest.fixture(scope="module")
def server_url():
    with BackgroundServer() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser, url, bypass_csp=True):
    # Playwright's wait_for_function evaluates strings, which the page's own CSP forbids
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=bypass_csp,
                                  accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.goto(url)
    expect(page.locator("#epoch")).to_have_text("000")
    return page


@pytest.fixture
def page(browser, server_url):
    page = open_page(browser, server_url)
    yield page
    page.context.close()


def epoch(page):
    return int(page.locator("#epoch").text_content())


def train_until(page, epochs):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"Number(document.getElementById('epoch').textContent) >= {epochs}")
    page.get_by_role("button", name="Pause").click()
    # the last frame in flight lands; then the numbers on screen stay put
    page.wait_for_function("!document.getElementById('play').classList.contains('playing')")


def boundary_pixels(page):
    return page.evaluate("document.getElementById('boundary').toDataURL()")


def loss(page, which):
    return float(page.locator(f"#{which}-loss").text_content())


def test_the_page_loads_under_its_own_security_policy(browser, server_url, tmp_path):
    page = open_page(browser, server_url, bypass_csp=False)
    expect(page.get_by_role("button", name="Circle")).to_have_attribute("aria-pressed", "true")
    assert page.locator(".node.feature").count() == 7
    assert page.locator(".node.neuron").count() == 4 + 2
    assert page.locator("#edges path").count() == 2 * 4 + 4 * 2 + 2 * 1
    assert page.problems == []
    page.context.close()


def test_play_lowers_the_test_loss_and_changes_the_boundary(page, tmp_path):
    before_loss, before_picture = loss(page, "test"), boundary_pixels(page)
    train_until(page, 60)
    assert loss(page, "test") < 0.6 * before_loss
    assert boundary_pixels(page) != before_picture
    path = tmp_path / "playground.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    assert page.problems == []


def test_each_tab_is_its_own_session(page):
    other = page.context.new_page()  # a second tab of the same browser window
    other.goto(page.url)
    expect(other.locator("#epoch")).to_have_text("000")
    other.get_by_role("button", name="Add a hidden layer").click()
    expect(other.locator("#layer-count")).to_have_text("3 hidden layers")
    train_until(page, 5)
    assert epoch(other) == 0
    expect(page.locator("#layer-count")).to_have_text("2 hidden layers")


def test_adding_a_neuron_changes_the_network(page):
    edges = page.locator("#edges path").count()
    page.get_by_role("button", name="Add a neuron to layer 1").click()
    expect(page.locator(".node.neuron")).to_have_count(5 + 2)
    assert page.locator("#edges path").count() == edges + 2 + 2  # two inputs in, two out to layer 2
    page.get_by_role("button", name="Add a hidden layer").click()
    expect(page.locator("#layer-count")).to_have_text("3 hidden layers")
    page.get_by_role("button", name="Feature x₁² off").click()
    expect(page.get_by_role("button", name="Feature x₁² on")).to_be_visible()
    assert "features=x1%2Cx2%2Cx1_squared" in page.url or "features=x1,x2,x1_squared" in page.url


def test_the_url_round_trips_the_state(browser, server_url):
    state = ("#dataset=xor&hidden=3%2C2&activation=relu&lr=0.1&features=x1%2Cx2%2Cx1_x2&optimizer=adam"
             "&regularization=l2&regularization_rate=0.001&noise=0.1&discretize=1&hide=data")
    page = open_page(browser, server_url + state)
    expect(page.locator("#dataset-title")).to_contain_text("Exclusive or")
    expect(page.locator("#activation")).to_have_value("relu")
    assert page.locator("#lr").input_value() == "0.1"
    assert page.locator("#optimizer").input_value() == "adam"
    assert page.locator(".node.neuron").count() == 3 + 2
    assert page.locator("section[data-part=data]").is_hidden()
    assert page.locator("#discretize").is_checked()
    page.get_by_role("button", name="Share & export").click()
    shared = page.locator("#share-url").input_value()
    page.context.close()

    again = open_page(browser, shared)  # the link a teacher sends opens the same experiment
    expect(again.locator("#activation")).to_have_value("relu")
    assert again.locator("#regularization").input_value() == "l2"
    assert again.locator(".node.neuron").count() == 3 + 2
    assert again.locator("section[data-part=data]").is_hidden()
    # a link pasted into the same tab changes only the part after "#": the page applies it, the rest default
    again.evaluate("location.hash = '#dataset=moons&hidden=5'")
    expect(again.locator("#dataset-title")).to_contain_text("Moons")
    expect(again.locator(".node.neuron")).to_have_count(5)
    expect(again.locator("#activation")).to_have_value("tanh")
    again.context.close()


def test_an_idle_tab_is_told_and_can_reconnect(browser):
    from scratchgrad.playground.settings import Limits

    with BackgroundServer(limits=Limits(idle_seconds=1.0)) as url:
        page = open_page(browser, url + "#hidden=3")
        page.get_by_role("button", name="Step").click()
        expect(page.locator("#epoch")).to_have_text("001")
        expect(page.locator("#error-text")).to_contain_text("idle")  # then nothing for a second
        page.get_by_role("button", name="Reconnect").click()
        expect(page.locator("#epoch")).to_have_text("000")  # a new session ...
        expect(page.locator(".node.neuron")).to_have_count(3)  # ... with the setup that was on screen
        expect(page.locator("#dataset-title")).to_contain_text("Circle")
        page.context.close()


def test_bad_settings_in_a_link_show_an_error_in_the_page(browser, server_url):
    page = open_page(browser, server_url + "#hidden=9")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-text")).to_contain_text("[1, 8]")
    train_until(page, 3)  # the session is still alive
    page.context.close()


def test_a_csv_upload_trains(page, tmp_path):
    rng = np.random.default_rng(0)
    rows = ["length,width,kind"]
    for _ in range(150):
        kind = rng.integers(2)
        x, y = rng.normal([2, 3] if kind else [6, 1], 0.8)
        rows.append(f"{x:.3f},{y:.3f},{'long' if kind else 'wide'}")
    path = tmp_path / "shapes.csv"
    path.write_text("\n".join(rows) + "\n")
    page.locator("#csv-file").set_input_files(str(path))
    expect(page.get_by_role("button", name="Your CSV")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#legend")).to_contain_text("class long")
    start = loss(page, "train")
    train_until(page, 20)
    assert loss(page, "train") < 0.5 * start


def test_the_code_panels_script_reproduces_the_loss(page, tmp_path):
    page.locator("#activation").select_option("relu")
    page.locator("#optimizer").select_option("momentum")
    expect(page.locator("#epoch")).to_have_text("000")
    for _ in range(5):
        page.get_by_role("button", name="Step").click()
    expect(page.locator("#epoch")).to_have_text("005")
    page.get_by_role("button", name="Show code").click()
    expect(page.locator("#code")).to_contain_text("EPOCHS = 5")
    script = tmp_path / "playground_run.py"
    script.write_text(page.locator("#code").text_content())
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    train_loss, test_loss = map(float, re.search(r"train loss ([\d.]+), test loss ([\d.]+)", result.stdout).groups())
    assert f"{train_loss:.3f}" == page.locator("#train-loss").text_content()
    assert f"{test_loss:.3f}" == page.locator("#test-loss").text_content()


def test_the_micrograd_view_draws_and_follows_the_chosen_point(page, tmp_path):
    page.get_by_role("button", name="micrograd view").click()
    expect(page.locator("#micrograd-info")).to_contain_text("Training point 0")
    nodes = page.locator("#micrograd g")
    assert nodes.count() > 30
    expect(page.locator("#micrograd")).to_contain_text("loss")
    box = page.locator("#boundary").bounding_box()
    page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + 0.5 * box["height"])  # a point on the right
    expect(page.locator("#micrograd-info")).not_to_contain_text("Training point 0:")
    page.screenshot(path=str(tmp_path / "micrograd.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'micrograd.png'}")


def test_the_model_export_downloads_a_loadable_model(page, tmp_path):
    pytest.importorskip("safetensors")
    from scratchgrad import io as model_io

    train_until(page, 3)
    page.get_by_role("button", name="Share & export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Model file (.safetensors)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    model, metadata = model_io.load_bundle(path)
    assert metadata["epoch"] >= 3 and model(np.zeros((1, 2), dtype=np.float32)).shape == (1, 1)
