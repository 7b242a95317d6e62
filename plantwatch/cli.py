"""The one command line: `plantwatch <part> <command>`."""

from __future__ import annotations

import typer

from plantwatch.demo import demo
from simulators.cli import app as sim_app

app = typer.Typer(
    help="plantwatch: plant-room monitoring and predictive maintenance.", no_args_is_help=True
)
app.add_typer(sim_app, name="sim")
app.command()(demo)


if __name__ == "__main__":
    app()
