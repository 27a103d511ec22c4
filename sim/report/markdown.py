"""report.md: the report document written as GitHub-flavoured Markdown.

Figures are referenced as the PNG files beside it; tables put a cell's CI after its
value in brackets; emphasised cells (and warnings) are bold.
"""

from __future__ import annotations

from sim.report.document import Block, Cell, Figure, Report, Table


def _escape(text: str) -> str:
    for char in ("\\", "|", "*", "_", "<"):
        text = text.replace(char, "\\" + char)
    return text


def _cell(cell: Cell) -> str:
    text = _escape(cell.text)
    if cell.detail:
        text += " " + _escape(cell.detail)
    return f"**{text}**" if cell.emphasis or cell.warning else text


def table_markdown(table: Table) -> list[str]:
    numeric = [all(row[i].numeric for row in table.rows) for i in range(len(table.columns))]
    lines = [
        f"### {_escape(table.title)}",
        "",
        "| " + " | ".join(_escape(c) for c in table.columns) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", f"*{_escape(table.note)}*"]
    return [*lines, ""]


def figure_markdown(figure: Figure) -> list[str]:
    return [
        f"![{_escape(figure.title)}]({figure.file})",
        "",
        f"*{_escape(figure.caption)}*",
        "",
    ]


def _block(block: Block) -> list[str]:
    if isinstance(block, Table):
        return table_markdown(block)
    if isinstance(block, Figure):
        return figure_markdown(block)
    return [_escape(block), ""]


def render_markdown(report: Report) -> str:
    """The whole report as Markdown text."""
    lines = [f"# {_escape(report.title)}", "", _escape(report.subtitle), "", "## Findings", ""]
    if report.findings:
        lines += [f"- {_escape(f)}" for f in report.findings]
    else:
        lines.append("Nothing in this run clears the bar for a plain-words finding.")
    lines.append("")
    for section in report.sections:
        lines += [f"## {_escape(section.title)}", ""]
        for block in section.blocks:
            lines += _block(block)
    lines += ["---", "", _escape(report.footer), ""]
    return "\n".join(lines)
