"""The playground: its server (Flask's test client) and its page in a real headless Chromium.

The browser tests share one server process (``python -m vectorlearn.playground --no-browser``,
stopped with Ctrl-C at the end) and one Chromium. They skip, saying why, without Flask or
Selenium (``pip install "vectorlearn[playground,test]"``) or without Chromium and its driver
(``apt-get install chromium chromium-driver``). Set ``VECTORLEARN_PLAYGROUND_SCREENSHOT`` to a
path (``docs/playground.png``) to keep the screenshot taken mid-training.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

import vectorlearn
from vectorlearn.playground import datasets as ds
from vectorlearn.playground.session import Session, Settings

pytest.importorskip("flask", reason="the playground extra (Flask) is not installed")


# ---- the server, without a browser -----------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    from vectorlearn.playground.server import create_app

    app = create_app(Settings(dataset="xor", hidden=(3,)))
    yield app.test_client()
    app.extensions["playground"].close()


@pytest.mark.parametrize(
    "path, body, says",
    [
        ("/api/setup", {"learning_rate": -1}, "learning rate must be a number > 0"),
        ("/api/setup", {"hidden": [4, 0]}, "1 to 8 units"),
        ("/api/setup", {"features": []}, "at least one input feature"),
        ("/api/setup", "not json", "not valid JSON"),
        ("/api/csv", "x,y\n1,2\n3,4\n", "two numeric columns"),
        ("/api/csv", "x,y,label\n1,a,0\n", "two numeric columns (x1, x2) first"),
        ("/api/csv", "x,y,label\n1,2,a\n3,4,b\n5,6,c\n", "exactly two values"),
    ],
)
def test_bad_input_is_a_message_and_the_server_goes_on(client, path, body, says):
    data = json.dumps(body) if isinstance(body, dict) else body
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert says in response.get_json()["error"]
    assert client.post("/api/step").get_json()["settings"]["dataset"] == "xor"  # still serving


def test_only_this_machines_names_are_served(client):
    assert client.get("/api/state", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    refused = client.get("/api/state", headers={"Host": "rebound.example:8000"})
    assert refused.status_code == 403 and "127.0.0.1" in refused.get_json()["error"]


def test_step_trains_one_epoch_and_the_matrices_have_the_lectures_shapes(client):
    epoch = client.post("/api/step").get_json()["epoch"]
    snap = client.post("/api/step").get_json()
    assert snap["epoch"] == epoch + 1 and len(snap["curve"]["test"]) == snap["epoch"]
    arrays = client.get("/api/matrices?layer=1").get_json()["arrays"]
    m_b = Settings().batch_size
    shapes = {a["name"]: tuple(a["shape"]) for a in arrays}  # n_0 = 2, n_1 = 3, m = m_b
    assert shapes == {"W_1": (2, 3), "B_1": (3, 1), "K_1": (3, m_b), "A_1": (3, m_b),
                      "dW_1": (2, 3), "dB_1": (3, 1)}  # fmt: skip
    assert client.get("/api/matrices?layer=3").status_code == 400


def test_loops_and_matrices_give_the_same_weights(client):
    rows = client.post("/api/loops").get_json()
    assert [r["m"] for r in rows] == [200, 200 * 50]
    assert all(r["largest_difference"] < 1e-12 for r in rows)


def test_a_csv_with_text_labels_exports_a_model_with_those_labels(client, tmp_path):
    text = "x1,x2,kind\n" + "".join(f"{i},{i % 3},{'cat' if i % 2 else 'dog'}\n" for i in range(20))
    assert client.post("/api/csv", data=text).status_code == 200
    client.post("/api/step")
    (tmp_path / "m.npz").write_bytes(client.get("/api/export").data)
    model = vectorlearn.load(tmp_path / "m.npz")
    assert list(model.classes_) == ["cat", "dog"]
    assert "vectorlearn.load" in client.get("/api/code").get_data(as_text=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_exported_code_runs_and_recreates_the_network():
    session = Session(Settings(hidden=(3,), features=("x1", "x1*x2", "sin(x2)")))
    session.train(2)
    from vectorlearn.playground.export import python_code

    scope = {}
    exec(python_code(session).replace("model = vectorlearn.load", "# "), scope)
    X = session.P_train.T  # (m, 2) points
    np.testing.assert_allclose(scope["features"](X), session.X_train.T)
    fresh = scope["fresh"].fit(scope["features"](X), session.y_train)
    assert [w.shape for w in fresh.coefs_] == [w.shape for w in session.W]


def test_a_taken_port_is_a_message_and_status_2(capsys):
    import socket

    from vectorlearn.playground import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["--no-browser", "--port", str(taken.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


# ---- the page, in headless Chromium ----------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("playground") / "stderr.txt"
    with open(log, "w") as stderr:  # a file: a full pipe would stall the server
        process = subprocess.Popen(
            [sys.executable, "-m", "vectorlearn.playground", "--no-browser"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    line = process.stdout.readline()
    if " at http://127.0.0.1:" not in line:
        process.kill()
        pytest.fail(f"the playground did not start on localhost: {line!r} {log.read_text()}")
    yield line.split(" at ")[1].split()[0]
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=10) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is a test extra")
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Chromium and its driver are not installed (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def wait(driver, condition, seconds=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition())


def snapshot(driver) -> dict:
    return driver.execute_script("return window.playground.snapshot")


def test_the_page_trains_spirals_and_exports_what_it_shows(server, browser, tmp_path):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    find = lambda id: browser.find_element(By.ID, id)  # noqa: E731
    browser.get(server)
    wait(browser, lambda: find("epoch").text == "0" and snapshot(browser) is not None)
    Select(find("dataset")).select_by_value("spirals")
    wait(browser, lambda: snapshot(browser)["settings"]["dataset"] == "spirals")
    find("add-layer").click()  # one hidden layer of 4 units by default: now two
    wait(browser, lambda: snapshot(browser)["sizes"] == [2, 4, 4, 1])
    find("feature-sin(x1)").click()  # the features that untangle spirals
    wait(browser, lambda: snapshot(browser)["sizes"] == [3, 4, 4, 1])
    find("feature-sin(x2)").click()
    wait(browser, lambda: snapshot(browser)["sizes"] == [4, 4, 4, 1])
    assert len(browser.find_elements(By.CSS_SELECTOR, ".layer-column")) == 3
    start = snapshot(browser)
    picture = browser.execute_script("return document.getElementById('boundary').toDataURL()")

    find("play").click()
    wait(browser, lambda: snapshot(browser)["epoch"] >= 40
         and snapshot(browser)["test_cost"] < 0.97 * start["test_cost"])  # fmt: skip
    assert float(find("test-cost").text) < start["test_cost"]
    assert browser.execute_script("return document.getElementById('boundary').toDataURL()") != (
        picture
    )
    try:  # for the picture only: a boundary that follows the spirals, on a loaded machine too
        wait(browser, lambda: snapshot(browser)["test_accuracy"] >= 0.9
             and snapshot(browser)["epoch"] >= 200, seconds=20)  # fmt: skip
    except TimeoutException:
        pass
    screenshot = os.environ.get("VECTORLEARN_PLAYGROUND_SCREENSHOT") or tmp_path / "page.png"
    assert browser.save_screenshot(str(screenshot))

    find("play").click()  # pause
    wait(browser, lambda: not snapshot(browser)["playing"])
    epoch = snapshot(browser)["epoch"]
    find("step").click()
    wait(browser, lambda: snapshot(browser)["epoch"] == epoch + 1 and find("epoch").text == str(
        epoch + 1))  # fmt: skip
    ActionChains(browser).move_to_element(
        browser.find_element(By.CSS_SELECTOR, ".layer-column[data-layer='2']")
    ).perform()
    wait(browser, lambda: find("mat-layer").text == "2" and "(4, 4)" in find("mat-W").text)
    assert "K_2 = W_2^T A_1 + B_2" in find("mat-K").text

    find("loops").click()
    wait(browser, lambda: "for-loops" in find("loops-result").text)
    find("show-code").click()
    wait(browser, lambda: "vectorlearn.load" in find("code").text)

    shown = snapshot(browser)
    path = tmp_path / "model.npz"
    path.write_bytes(urllib.request.urlopen(find("export").get_attribute("href")).read())
    model = vectorlearn.load(path)
    assert vectorlearn.load_info(path)["playground"]["epoch"] == shown["epoch"]
    P_test = np.array([[x1, x2] for x1, x2, _ in shown["test"]]).T  # (2, m_test)
    proba = model.predict_proba(ds.input_features(P_test, shown["features"]).T)[:, 1]
    np.testing.assert_allclose(proba, shown["test_prob"], rtol=0, atol=1e-12)
    labels = np.array([label for *_, label in shown["test"]])
    assert np.mean((proba >= 0.5) == labels) == pytest.approx(float(find("test-accuracy").text),
                                                              abs=1e-3)  # fmt: skip


def test_the_page_shows_bad_input_and_the_server_goes_on(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    find = lambda id: browser.find_element(By.ID, id)  # noqa: E731
    browser.get(server)
    wait(browser, lambda: snapshot(browser) is not None)
    bad = tmp_path / "bad.csv"
    bad.write_text("height,colour,label\n1.5,red,0\n2.5,blue,1\n")
    find("csv-file").send_keys(str(bad))
    wait(browser, lambda: "two numeric columns" in find("message").text)
    rate = find("learning-rate")
    rate.clear()
    rate.send_keys("-1", Keys.TAB)
    wait(browser, lambda: "learning rate must be a number > 0" in find("message").text)
    assert float(find("learning-rate").get_attribute("value")) > 0  # the rate in effect
    find("reset").click()
    wait(browser, lambda: find("message").text == "" and find("epoch").text == "0")
