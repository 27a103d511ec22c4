"""Reports: Markdown, self-contained HTML and PNG figures, pure functions of a run directory.

``render_report(run_dir)`` reads ``summary.json``, ``scenario.json``, ``records/`` and,
when the run wrote them, ``probes/`` and ``guards/``, and writes ``report.md``,
``report.html`` and the figures beside them.
"""

from sim.report.render import render_report
from sim.report.rundata import ReportError, RunData, load_run

__all__ = ["ReportError", "RunData", "load_run", "render_report"]
