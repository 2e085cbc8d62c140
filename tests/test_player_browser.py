"""The player's page in a real browser: headless Chromium driven by selenium.

One browser for the whole module. Without Chromium, chromedriver or selenium the tests
are skipped with a message saying what to install (.ci/run installs Debian's packages).
"""

import math
import os
import shutil

import pytest

pytest.importorskip("graphviz")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.common.exceptions import NoAlertPresentException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from test_player import lecture_neuron  # noqa: E402

import ninjagrad  # noqa: E402
from ninjagrad import Value  # noqa: E402
from ninjagrad.draw import play  # noqa: E402
from ninjagrad.graph import topological_order  # noqa: E402

INSTALL = (
    "install Debian's 'chromium' and 'chromium-driver' (apt-get install chromium "
    "chromium-driver), as .ci/run does"
)
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--window-size=1280,800",
)  # fmt: skip


def find(*candidates):
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if shutil.which("dot") is None:
        pytest.skip("graphviz 'dot' not installed: the player's page cannot be drawn")
    chromium = find("/usr/bin/chromium", "chromium", "chromium-browser")
    driver_path = find("/usr/bin/chromedriver", "chromedriver")
    if chromium is None or driver_path is None:
        missing = "chromium" if chromium is None else "chromedriver"
        pytest.skip(f"headless browser tests skipped: {missing} not found; {INSTALL}")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as exc:
        pytest.skip(f"headless browser tests skipped: Chromium did not start ({exc.msg}); "
                    f"{INSTALL}")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return tmp_path_factory.mktemp("pages")


def open_page(browser, player, directory, name, step=None):
    path = player.save(directory / f"{name}.html")
    browser.get("about:blank")  # a fresh load even when only the #step differs
    browser.get(path.as_uri() + (f"#step={step}" if step is not None else ""))
    return path


def records(browser):
    """[label, data text, grad text] of every node record, in node order."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node[id^=\"ng-node-\"]'))"
        ".sort((a, b) => +a.id.split('-')[2] - +b.id.split('-')[2])"
        ".map(g => Array.from(g.querySelectorAll('text')).map(t => t.textContent));"
    )


def marks(browser):
    """{css class: indices of the nodes carrying it} for ng-fwd, ng-bwd and ng-recv."""
    return browser.execute_script(
        "const out = {};"
        "for (const cls of ['ng-fwd', 'ng-bwd', 'ng-recv']) out[cls] = Array.from("
        "  document.querySelectorAll('g.node.' + cls)).map(g => g.id)"
        "  .filter(id => id.startsWith('ng-node-')).map(id => +id.split('-')[2]);"
        "return out;"
    )


def counter(browser):
    return browser.find_element(By.ID, "ng-counter").text


def press(browser, key):
    browser.find_element(By.TAG_NAME, "body").send_keys(key)


def panel_lines(browser, style):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, f"#ng-detail .ng-{style}")]


def number(text, field):
    assert text.startswith(field + " "), text
    return float(text.split()[1])


def test_neuron_stepped_to_the_end_shows_the_engines_data_and_grads(browser, pages):
    o = lecture_neuron()
    player = play(o)
    open_page(browser, player, pages, "neuron")
    assert counter(browser) == f"step 0 / {len(player.steps) - 1}"
    assert all(data == "data ?" for _, data, _ in records(browser))
    press(browser, Keys.END)
    assert counter(browser) == f"step {len(player.steps) - 1} / {len(player.steps) - 1}"

    o.backward()  # the engine's own numbers, compared with what the page shows
    engine = {node.label: (node.data, node.grad) for node in topological_order(o)}
    shown = {label: (number(data, "data"), number(grad, "grad"))
             for label, data, grad in records(browser)}
    assert shown.keys() == engine.keys()
    for label, (data, grad) in engine.items():
        assert shown[label] == pytest.approx((data, grad), abs=5e-5), label
    lecture = {"o": (0.7071, 1.0), "n": (0.8814, 0.5), "x1": (2.0, -1.5), "w1": (-3.0, 1.0),
               "x2": (0.0, 0.5), "w2": (1.0, 0.0)}  # fmt: skip
    for label, pair in lecture.items():
        assert shown[label] == pytest.approx(pair, abs=1e-4)


def test_each_step_highlights_the_next_node_in_order(browser, pages):
    o = lecture_neuron()
    order = topological_order(o)
    labels = [node.label for node in order]
    player = play(o)
    open_page(browser, player, pages, "order")
    for i in range(len(order)):  # forward: topological order
        press(browser, Keys.ARROW_RIGHT)
        assert [labels[j] for j in marks(browser)["ng-fwd"]] == [labels[i]]
    press(browser, Keys.ARROW_RIGHT)  # the seed: o.grad = 1
    assert "o.grad = 1" in browser.find_element(By.ID, "ng-title").text
    next_button = browser.find_element(By.ID, "ng-next")
    for k, node in enumerate(reversed(order)):  # backward: reverse topological order
        next_button.click()
        marked = marks(browser)
        assert [labels[j] for j in marked["ng-bwd"]] == [node.label], k
        assert sorted(labels[j] for j in marked["ng-recv"]) == sorted(p.label for p in node.parents)
    assert next_button.get_attribute("disabled") is not None
    tanh_rule = len(order) + 2  # start, the forward steps, the seed, then o's rule
    browser.get(browser.current_url.split("#")[0] + f"#step={tanh_rule}")  # hashchange
    assert panel_lines(browser, "formula") == ["∂o/∂n = 1 - out² = 1 - 0.7071² = 0.5"]
    assert panel_lines(browser, "update")[0].startswith("n.grad += 0.5 × 1.0")


def test_a_reused_node_shows_two_updates(browser, pages):
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    player = play(b)
    rule = next(k for k, s in enumerate(player.steps) if s.kind == "backward" and s.node == 1)
    open_page(browser, player, pages, "reuse", step=rule)
    updates = panel_lines(browser, "update")
    assert len(updates) == 2 and all(u.startswith("a.grad += 1.0 × 1.0") for u in updates)
    assert [u.split("(")[1] for u in updates] == ["0.0 → 1.0)", "1.0 → 2.0)"]
    assert dict((label, grad) for label, _, grad in records(browser))["a"] == "grad 2.0000"
    press(browser, Keys.ARROW_LEFT)
    assert dict((label, grad) for label, _, grad in records(browser))["a"] == "grad 0.0000"


def test_controls_keys_slider_and_url(browser, pages):
    player = play(lecture_neuron())
    last = len(player.steps) - 1
    path = open_page(browser, player, pages, "controls", step=5)
    assert counter(browser) == f"step 5 / {last}"
    browser.find_element(By.ID, "ng-prev").click()
    assert counter(browser) == f"step 4 / {last}"
    assert browser.execute_script("return location.hash") == "#step=4"
    browser.find_element(By.ID, "ng-reset").click()
    assert counter(browser) == f"step 0 / {last}"
    assert browser.find_element(By.ID, "ng-prev").get_attribute("disabled") is not None
    browser.execute_script(
        "const s = document.getElementById('ng-slider'); s.value = '9';"
        "s.dispatchEvent(new Event('input'));"
    )
    assert counter(browser) == f"step 9 / {last}"
    press(browser, Keys.HOME)
    assert counter(browser) == f"step 0 / {last}"
    browser.find_element(By.ID, "ng-end").click()
    assert counter(browser) == f"step {last} / {last}"

    play_button = browser.find_element(By.ID, "ng-play")
    play_button.click()  # at the end, play starts again from the beginning
    WebDriverWait(browser, 10).until(lambda d: counter(d) != f"step 0 / {last}")
    assert play_button.text == "❚❚ pause"
    play_button.click()
    assert play_button.text == "▶ play"

    for hash_, expected in (("end", last), ("3", 3), ("999", last), ("junk", 0)):
        browser.get("about:blank")
        browser.get(path.as_uri() + f"#step={hash_}")
        assert counter(browser) == f"step {expected} / {last}", hash_


def test_hostile_labels_show_as_text_and_run_nothing(browser, pages):
    evil = [
        '<script>window.__pwned = "script"</script>',
        '<img src=x onerror="window.__pwned = \'img\'; alert(1)">',
        '</script><script>alert(2)</script>',
        "&amp; &lt;b&gt; \"double\" 'single' \\n \\ {x|y}",
        "αβγ ∂ 中文 🙂",
    ]
    leaves = [Value(float(i + 1), label=label) for i, label in enumerate(evil)]
    root = leaves[0]
    for leaf in leaves[1:]:
        root = root * leaf
    root.label = "<b>root</b>"
    player = play(root)
    open_page(browser, player, pages, "hostile", step="end")
    for _ in range(len(player.steps) - 1):  # every step's text goes through the page
        press(browser, Keys.ARROW_LEFT)
    press(browser, Keys.END)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 (the property raises when there is none)
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img, b').length") == 0
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 2
    shown = {label for label, _, _ in records(browser)}
    assert shown >= set(evil) | {"<b>root</b>"}  # exactly as given; the others are '#i'
    assert len(shown) == len(player.recording.nodes)
    press(browser, Keys.HOME)
    press(browser, Keys.ARROW_RIGHT)
    first = player.recording.nodes[0].name
    assert browser.find_element(By.ID, "ng-title").text == f"forward: {first} is an input"


def test_tensor_page_shows_shapes_and_gradient_norms(browser, pages):
    W = ninjagrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = (W * W).sum()
    player = play(out, labels={"W": W, "out": out})
    open_page(browser, player, pages, "tensor", step="end")
    shown = {label: (data, grad) for label, data, grad in records(browser)}
    assert shown["W"][0] == "data (2, 2) float32"
    shape, norm = shown["W"][1].split(" ‖g‖ ")
    assert shape == "grad (2, 2)"
    assert float(norm) == pytest.approx(math.sqrt(120), abs=1e-4)  # |2W| by hand
    assert shown["out"] == ("data () float32", "grad () ‖g‖ 1.0")
    mul = next(k for k, s in enumerate(player.steps) if s.kind == "backward" and s.node == 1)
    browser.get(browser.current_url.split("#")[0] + f"#step={mul}")
    assert marks(browser)["ng-recv"] == [0]  # W * W sends its gradient to W


def test_notebook_display_runs_in_its_sandboxed_iframe(browser, pages):
    player = play(lecture_neuron())
    host = pages / "notebook.html"
    host.write_text(f"<!DOCTYPE html><meta charset='utf-8'><body>{player._repr_html_()}</body>",
                    encoding="utf-8")
    browser.get(host.as_uri())
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        last = len(player.steps) - 1
        assert counter(browser) == f"step 0 / {last}"
        browser.find_element(By.ID, "ng-end").click()  # replaceState fails here, quietly
        assert counter(browser) == f"step {last} / {last}"
        assert dict((label, grad) for label, _, grad in records(browser))["x1"] == "grad -1.5000"
    finally:
        browser.switch_to.default_content()
