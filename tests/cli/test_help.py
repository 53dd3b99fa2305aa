"""Every command's ``--help`` renders (help text goes through rich markup: a stray ``[...]`` can crash it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from solvency.cli import PANELS, app

runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        out.append(path)
        if hasattr(cmd, "commands"):  # a group: its subcommands too
            out += _commands(cmd, path)
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_the_cli_has_the_documented_commands() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"demo", "report", "vol", "stress", "margin", "calibrate perp", "replay", "data check"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_renders(command: tuple[str, ...]) -> None:
    res = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output
    assert "[" not in res.output.split("Usage", 1)[0]  # nothing printed before the usage line


def _params(group: Any) -> list[tuple[str, str]]:
    out = []
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            out += _params(cmd)
        for p in getattr(cmd, "params", []):
            if getattr(p, "help", None):
                out.append((f"{name} {p.name}", p.help))
    return out


def test_help_texts_escape_square_brackets() -> None:
    # rich markup would swallow "[risk]" (or crash on "[/usd]"): write "\\[risk]" in help strings.
    bad = [(where, text) for where, text in _params(typer.main.get_command(app)) if re.search(r"(?<!\\)\[", text)]
    assert bad == []


def test_every_command_sits_in_one_panel_in_pipeline_order() -> None:
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    listed = [n for group in PANELS.values() for n in group]
    assert sorted(names) == sorted(listed), "a command without a panel, or a panel naming no command"
    assert all(c.rich_help_panel for c in app.registered_commands + app.registered_groups)
    out = runner.invoke(app, ["--help"], env={"COLUMNS": "120"}).output
    positions = [out.index(panel) for panel in PANELS]
    assert positions == sorted(positions), "panels out of the pipeline's order"
    rows = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and len(line.split()) > 1]
    first = [r for r in rows if r in listed]
    assert first[0] == "demo" and first.index("vol") < first.index("stress") < first.index("liquidate")
