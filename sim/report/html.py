"""report.html: the report document as one self-contained HTML page.

Inline CSS only; figures embedded as base64 PNG data URIs; no scripts, fonts or any
other external resource, so the file can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

from sim.report.document import Block, Cell, Figure, Report, Table

CSS = """
:root { --ink: #212529; --muted: #6c757d; --line: #dee2e6; --accent: #2b8a3e;
        --best: #ebfbee; --warn: #fff0f0; --band: #f8f9fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1060px; margin: 0 auto; padding: 24px 28px 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
p { margin: 8px 0; max-width: 80ch; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
nav { font-size: 14px; margin: 8px 0 0; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; white-space: nowrap; }
.findings { background: #f1f8f2; border-left: 4px solid var(--accent); padding: 10px 18px;
            border-radius: 4px; }
.findings h2 { border: 0; margin: 4px 0; padding: 0; }
.findings ul { margin: 6px 0; padding-left: 20px; }
.findings li { margin: 6px 0; }
.table-wrap { overflow-x: auto; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--band); text-align: left; font-weight: 600; position: sticky; top: 0; }
th.num { text-align: right; }
tbody tr:nth-child(even) td { background: #fcfcfd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 11.5px; }
td.em { font-weight: 700; background: var(--best) !important; }
td.warn { font-weight: 700; background: var(--warn) !important; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 10px; }
figure { margin: 18px 0 26px; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line);
             border-radius: 4px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; max-width: 90ch; }
footer { margin: 36px 0 24px; padding-top: 10px; color: var(--muted); font-size: 13px;
         border-top: 1px solid var(--line); }
"""


def _cell(cell: Cell) -> str:
    classes = ["num" if cell.numeric else "text"]
    classes += (["em"] if cell.emphasis else []) + (["warn"] if cell.warning else [])
    detail = f'<span class="ci">{escape(cell.detail)}</span>' if cell.detail else ""
    return f'<td class="{" ".join(classes)}">{escape(cell.text)}{detail}</td>'


def table_html(table: Table) -> str:
    numeric = [all(row[i].numeric for row in table.rows) for i in range(len(table.columns))]
    head = "".join(
        f'<th class="num">{escape(c)}</th>' if n else f"<th>{escape(c)}</th>"
        for c, n in zip(table.columns, numeric, strict=True)
    )
    body = "\n".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<h3 id="tbl-{escape(table.id)}">{escape(table.title)}</h3>\n'
        f'<div class="table-wrap"><table id="table-{escape(table.id)}">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>\n{note}"
    )


def figure_html(figure: Figure, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{escape(figure.id)}">'
        f'<img src="data:image/png;base64,{data}" alt="{escape(figure.title)}">'
        f"<figcaption><strong>{escape(figure.title)}.</strong> "
        f"{escape(figure.caption)}</figcaption></figure>"
    )


def _block(block: Block, pngs: Mapping[str, bytes]) -> str:
    if isinstance(block, Table):
        return table_html(block)
    if isinstance(block, Figure):
        return figure_html(block, pngs[block.file])
    return f"<p>{escape(block)}</p>"


def render_html(report: Report, pngs: Mapping[str, bytes]) -> str:
    """The whole report as one HTML page; ``pngs`` maps figure file -> PNG bytes."""
    nav = "\n".join(f'<a href="#{escape(s.id)}">{escape(s.title)}</a>' for s in report.sections)
    if report.findings:
        items = "\n".join(f"<li>{escape(f)}</li>" for f in report.findings)
        findings = f"<ul>\n{items}\n</ul>"
    else:
        findings = "<p>Nothing in this run clears the bar for a plain-words finding.</p>"
    sections = "\n".join(
        f'<section id="{escape(s.id)}">\n<h2>{escape(s.title)}</h2>\n'
        + "\n".join(_block(b, pngs) for b in s.blocks)
        + "\n</section>"
        for s in report.sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(report.title)}</h1>\n"
        f'<p class="subtitle">{escape(report.subtitle)}</p>\n'
        f'<section id="findings" class="findings">\n<h2>Findings</h2>\n{findings}\n</section>\n'
        f"<nav>{nav}</nav>\n{sections}\n"
        f"<footer>{escape(report.footer)}</footer>\n</main>\n</body>\n</html>\n"
    )
