"""The report as a document: sections of paragraphs, tables and figures.

Built once from a run (:mod:`sim.report.render`) and written twice, as Markdown
(:mod:`sim.report.markdown`) and as self-contained HTML (:mod:`sim.report.html`), so
both say the same thing. Text is plain (no markup); writers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, an optional second line (a CI), and emphasis (best of
    its row, or a difference whose CI excludes 0) or a warning (a clearly bad value:
    fake receipts, fraud that got through)."""

    text: str
    detail: str = ""
    emphasis: bool = False
    numeric: bool = True
    warning: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a stable ``id`` (HTML anchor, test hook)."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure written as ``file`` (PNG) in the run directory."""

    id: str
    file: str
    title: str
    caption: str


Block = str | Table | Figure


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    """Everything the report says, in reading order."""

    title: str
    subtitle: str
    findings: tuple[str, ...]
    sections: tuple[Section, ...]
    footer: str

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def text_cell(text: str) -> Cell:
    """A left-aligned label cell."""
    return Cell(text, numeric=False)
