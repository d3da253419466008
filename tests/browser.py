"""A real headless Chromium for the tests of the explorer page, driven by Selenium.

``find()`` says whether Debian's ``chromium`` and ``chromium-driver`` (or the browser and
driver named by PIXEL_INFLUENCE_CHROMIUM and PIXEL_INFLUENCE_CHROMEDRIVER) and the
``selenium`` package are here, and if not, how to provide them. Selenium's own driver
download is never used (these machines cannot reach it): both paths are given to it.
``.ci/run`` installs the browser and sets PIXEL_INFLUENCE_NEED_BROWSER=1, which turns a
missing browser from a skip into a failure there.
"""

import base64
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["INSTALL", "console_errors", "find", "floats", "open_file", "required", "start"]

INSTALL = (
    "the explorer's browser tests need Chromium, its driver and Selenium: on Debian or Ubuntu "
    "`sudo apt-get install chromium chromium-driver` and `pip install selenium` (or name a "
    "Chromium and a matching chromedriver with PIXEL_INFLUENCE_CHROMIUM and "
    "PIXEL_INFLUENCE_CHROMEDRIVER)"
)
# as the machine notes advise: no sandbox (CI runs as root), and no background connections,
# which this closed network would refuse many at a time
ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def required():
    """True where a missing browser is a failure (CI), not a skip."""
    return os.environ.get("PIXEL_INFLUENCE_NEED_BROWSER") == "1"


def _program(variable, *names):
    named = os.environ.get(variable)
    if named:
        return named if Path(named).is_file() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def find():
    """((chromium, chromedriver), None) when a browser can be driven, else (None, why)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, f"selenium is not installed; {INSTALL}"
    browser = _program("PIXEL_INFLUENCE_CHROMIUM", "chromium", "chromium-browser")
    driver = _program("PIXEL_INFLUENCE_CHROMEDRIVER", "chromedriver")
    if browser is None or driver is None:
        missing = " and ".join(
            n for n, p in (("chromium", browser), ("chromedriver", driver)) if p is None
        )
        return None, f"{missing} not found; {INSTALL}"
    return (browser, driver), None


def start(paths, width=1400, height=1000):
    """A headless Chromium (Selenium WebDriver) that keeps its console log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, driver = paths
    options = Options()
    options.binary_location = browser
    for argument in ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='pixel-influence-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(driver))


def open_file(driver, path, ready="return window.explorer && window.explorer.ready === true"):
    """Load a page from disk (file://) and wait until ``ready`` (a script) returns true."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(Path(path).resolve().as_uri())
    if ready:
        WebDriverWait(driver, 60, poll_frequency=0.05).until(lambda d: d.execute_script(ready))


def console_errors(driver):
    """Console messages of level SEVERE since the last call (the log is drained)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# an array of numbers from the page as base64 of float64: exact, and far smaller than JSON
FLOATS = """
const value = (new Function("return " + arguments[0]))();
if (value === null) return null;
const flat = Float64Array.from(value.flat ? value.flat() : value);
const bytes = new Uint8Array(flat.buffer);
let text = "";
for (let i = 0; i < bytes.length; i += 8192) {
  text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
}
return btoa(text);
"""


def floats(driver, expression):
    """The numbers of a JavaScript expression (an Array, nested once at most) as float64,
    or None where it is null."""
    text = driver.execute_script(FLOATS, expression)
    return None if text is None else np.frombuffer(base64.b64decode(text), "<f8")
