"""HTML reports (jinja2 templates, plotly figures)."""
