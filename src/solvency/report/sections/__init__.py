"""The sections of the demo pipeline, one module each, each with ``run(ctx) -> dict`` (see ``report.pipeline``)."""
