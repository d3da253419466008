"""The Snakemake report: one self-contained HTML file with every picture and its caption."""

import base64
import html as html_text

from conftest import ROOT, mirror, snakemake
from test_workflow import DEFAULT_SAMPLES


def first_sentence(caption):
    """The start of a caption file's first sentence (before any markup), as it reads in
    the report."""
    text = (ROOT / "workflow/report" / caption).read_text().split(". ")[0].split(" (")[0]
    return " ".join(text.split())


def test_report_holds_every_picture_with_its_caption(default_run, tmp_path):
    report = tmp_path / "report.html"
    snakemake(default_run, "--report", str(report), "--config", mirror())
    html = report.read_text()
    pictures = [f"results/images/{s}.png" for s in DEFAULT_SAMPLES]
    pictures += [f"results/images/{s}/methods.png" for s in DEFAULT_SAMPLES]
    pictures += ["results/faithfulness.png"]
    pictures += [f"results/sweep/test/images/class{c}.png" for c in range(10)]
    for picture in pictures:  # embedded, so the file stands alone
        data = base64.b64encode((default_run / picture).read_bytes()).decode()
        assert data in html, f"{picture} is not embedded in the report"
    assert "faithfulness_summary.csv" in html
    readable = " ".join(html_text.unescape(html).split())
    captions = ["montage.rst", "methods.rst", "faithfulness.rst", "faithfulness_summary.rst"]
    for caption in captions + ["sweep.rst"]:
        assert first_sentence(caption) in readable, caption
