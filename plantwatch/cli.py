"""The one command line: `plantwatch <part> <command>`."""

from __future__ import annotations

import typer

from cloud.cli import app as cloud_app
from edge.cli import app as gateway_app
from plantwatch.demo import demo
from simulators.cli import app as sim_app

app = typer.Typer(
    help="plantwatch: plant-room monitoring and predictive maintenance.", no_args_is_help=True
)
app.add_typer(sim_app, name="sim")
app.add_typer(gateway_app, name="gateway")
app.add_typer(cloud_app, name="cloud")
app.command()(demo)


if __name__ == "__main__":
    app()
