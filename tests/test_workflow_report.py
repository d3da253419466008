"""The Snakemake report: one self-contained HTML file with every picture and its caption,
each picture whole in a real headless Chromium."""

import base64
import html as html_text
import time

import pytest
from browser import console_errors, open_file
from conftest import ROOT, mirror, snakemake
from test_workflow import DEFAULT_SAMPLES


def first_sentence(caption):
    """The start of a caption file's first sentence (before any markup), as it reads in
    the report."""
    text = (ROOT / "workflow/report" / caption).read_text().split(". ")[0].split(" (")[0]
    return " ".join(text.split())


@pytest.fixture(scope="module")
def report(default_run, tmp_path_factory):
    """The report as the README's command makes it (the default profile applies)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    snakemake(default_run, "--report", str(path), "--config", mirror())
    return path


def test_report_holds_every_picture_with_its_caption(default_run, report):
    html = report.read_text()
    pictures = [f"results/images/{s}.png" for s in DEFAULT_SAMPLES]
    pictures += [f"results/images/{s}/methods.png" for s in DEFAULT_SAMPLES]
    pictures += ["results/faithfulness.png", "results/faithfulness.svg"]
    pictures += [
        f"results/sweep/test/images/{picture}/class{c}.png"
        for picture in ("mean", "std", "contrast")
        for c in range(10)
    ]
    for picture in pictures:  # embedded, so the file stands alone
        data = base64.b64encode((default_run / picture).read_bytes()).decode()
        assert data in html, f"{picture} is not embedded in the report"
    assert "faithfulness_summary.csv" in html
    table = (default_run / "results/faithfulness_summary.html").read_bytes()
    assert base64.b64encode(table).decode() in html
    readable = " ".join(html_text.unescape(html).split())
    captions = ["montage.rst", "methods.rst", "faithfulness.rst", "faithfulness_summary.rst"]
    for caption in captions + ["sweep.rst"]:
        assert first_sentence(caption) in readable, caption


# a result shown as the report's own button shows it (result_view_button.js), then where
# the picture lies in the scrolling box that holds it, scrolled to its start and its end
SHOW = """app.setView({content: "img", contentPath: results[arguments[0]].data_uri,
                      resultPath: arguments[0]});"""
EDGES = """
const box = document.querySelector(".grow.h-screen.overflow-auto");
const img = box && box.querySelector("img");
if (!img || img.getAttribute("src") !== results[arguments[0]].data_uri || !img.complete
    || !img.naturalHeight) return null;
box.scrollTop = 0;
box.scrollLeft = 0;
const b = box.getBoundingClientRect(), i = img.getBoundingClientRect();
const start = {top: i.top - b.top, left: i.left - b.left};
box.scrollTop = box.scrollHeight;
box.scrollLeft = box.scrollWidth;
const b2 = box.getBoundingClientRect(), i2 = img.getBoundingClientRect();
return {...start, bottom: b2.bottom - i2.bottom, right: b2.right - i2.right,
        height: i.height, box: b.height};
"""
# one picture of each kind: a montage (4,284 px tall), a methods figure, the faithfulness
# figure as PNG and as SVG and the three class pictures of the sweep
PICTURES = [
    "results/images/digit3.png",
    "results/images/digit3/methods.png",
    "results/faithfulness.png",
    "results/faithfulness.svg",
    "results/sweep/test/images/mean/class3.png",
    "results/sweep/test/images/std/class3.png",
    "results/sweep/test/images/contrast/class3.png",
]


def edges(driver, path):
    driver.execute_script(SHOW, path)
    for _ in range(100):
        found = driver.execute_script(EDGES, path)
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{path} was not shown")


def open_report(driver, path):
    ready = "return typeof app !== 'undefined' && typeof results !== 'undefined'"
    open_file(driver, path, ready=ready)


def test_every_kind_of_picture_can_be_scrolled_into_view_whole(report, chromium, tmp_path):
    """profiles/default/report.css: the top, bottom, left and right edge of each picture can
    be reached, however tall (Snakemake centres it and cuts off what overflows upwards)."""
    open_report(chromium, report)
    for path in PICTURES:
        found = edges(chromium, path)
        assert min(found["top"], found["left"], found["bottom"], found["right"]) >= -0.5, (
            path,
            found,
        )
        chromium.save_screenshot(str(tmp_path / (path.replace("/", "_") + ".png")))
    tall = edges(chromium, PICTURES[0])
    assert tall["height"] > 3 * tall["box"]  # the montage is far taller than the window
    assert console_errors(chromium) == []


def test_without_the_stylesheet_the_top_of_a_tall_picture_is_out_of_reach(
    default_run, chromium, tmp_path
):
    """The control: the same report without the default profile shows Snakemake's bug, so
    the test above can tell a fixed report from a broken one."""
    bare = tmp_path / "bare.html"
    args = ("--workflow-profile", "none", "--report", str(bare), "--config", mirror())
    snakemake(default_run, *args)
    open_report(chromium, bare)
    found = edges(chromium, PICTURES[0])
    assert found["top"] < -1000  # the title and the first sections cannot be scrolled to


def test_the_summary_table_is_shown_as_a_table(default_run, report, chromium):
    """The report shows results/faithfulness_summary.html in place: a table whose rows are
    the CSV's, read from the page as a person sees it."""
    import csv

    path = "results/faithfulness_summary.html"
    open_report(chromium, report)
    chromium.execute_script(SHOW.replace('"img"', '"html"'), path)
    frame = None
    for _ in range(100):
        frames = chromium.find_elements("css selector", ".grow.h-screen iframe")
        if frames:
            frame = frames[0]
            break
        time.sleep(0.05)
    assert frame is not None
    chromium.switch_to.frame(frame)
    try:
        rows = chromium.execute_script(
            "return Array.from(document.querySelectorAll('tbody tr'),"
            " r => Array.from(r.cells, c => c.textContent))"
        )
        header = chromium.execute_script(
            "return Array.from(document.querySelectorAll('thead th'), c => c.textContent)"
        )
    finally:
        chromium.switch_to.default_content()
    with open(default_run / "results/faithfulness_summary.csv", newline="") as f:
        expected = list(csv.reader(f))
    assert [header, *rows] == expected
    assert console_errors(chromium) == []
