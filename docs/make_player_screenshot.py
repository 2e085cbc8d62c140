"""Make docs/images/player.png: the backprop player mid-backward, shot by headless Chromium.

    python docs/make_player_screenshot.py            # writes docs/images/player.png

Needs graphviz's `dot`, Debian's `chromium` and `chromium-driver`, and selenium (the test
extras), the same browser the tests in tests/test_player_browser.py use.
"""

import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from ninjagrad.draw import play
from ninjagrad.scalar.examples import FORMULA_NAMES, neuron

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "images" / "player.png"
WIDTH = 1280  # CSS pixels; the picture is twice that (device scale factor 2)


def main(output=OUTPUT):
    player = play(neuron(FORMULA_NAMES), title="the lecture's neuron")
    # mid-backward: the rule of x1*w1, its local derivatives sending -1.5 to x1 and 1 to w1
    step = next(k for k, s in enumerate(player.steps) if s.title.startswith("backward rule "
                                                                           "of x1*w1 ="))
    with tempfile.TemporaryDirectory() as tmp:
        page = player.save(Path(tmp) / "neuron.html")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in (
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=2",
            f"--window-size={WIDTH},800", f"--user-data-dir={tmp}/profile",
        ):  # fmt: skip
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.as_uri() + f"#step={step}")
            height = driver.execute_script(
                "return Math.ceil(document.querySelector('.ng-player').getBoundingClientRect()"
                ".bottom) + 4;"
            )
            # the window's outer size includes what the browser draws around the page
            chrome = driver.execute_script("return window.outerHeight - window.innerHeight;")
            driver.set_window_size(WIDTH, height + chrome)
            output.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(output))
        finally:
            driver.quit()
    print(f"wrote {output} (step {step} of {len(player.steps) - 1})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
