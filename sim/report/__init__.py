"""Reports: Markdown and figures, pure functions of the summary and records."""
