"""A table as a small self-contained HTML page: how the report shows a CSV readably.

Snakemake's report offers a CSV only as a download; an HTML result it shows in place. The
page has the CSV's columns and rows exactly (the cells are the CSV's text), numbers aligned
right, a title and an explanation above, and nothing fetched.
"""

import html

__all__ = ["html_table"]

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #1f2328; }
h1 { font-size: 17px; margin: 0 0 6px; }
p { max-width: 60em; margin: 0 0 12px; color: #444; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f3f4f6; position: sticky; top: 0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.group td { border-top: 2px solid #999; }
"""


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def html_table(columns, rows, title, explanation="", group=None):
    """The HTML text of a page holding ``rows`` (dicts of column -> text) under ``columns``.

    ``group``: a column whose change of value starts a visibly separated block of rows.
    """
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body, previous = [], None
    for row in rows:
        cells = []
        for c in columns:
            text = str(row[c])
            kind = ' class="number"' if _is_number(text) else ""
            cells.append(f"<td{kind}>{html.escape(text)}</td>")
        starts = group is not None and previous is not None and row[group] != previous
        previous = row[group] if group is not None else None
        opening = '<tr class="group">' if starts else "<tr>"
        body.append(f"{opening}{''.join(cells)}</tr>")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        + (f"<p>{html.escape(explanation)}</p>\n" if explanation else "")
        + f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )
