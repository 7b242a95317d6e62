"""The one command line: `plantwatch <part> <command>`.

Only the part named on the command line is imported, so `plantwatch gateway run` on a
plant-room box does not load the cloud's or the simulator's libraries.
"""

from __future__ import annotations

import importlib
import sys

import typer

PARTS = {
    "sim": "simulators.cli",
    "gateway": "edge.cli",
    "cloud": "cloud.cli",
    "model": "models.cli",
    "grafana": "cloud.dashboards.cli",
}


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every part, or with just ``only`` (and the demo) when it names one."""
    app = typer.Typer(
        help="plantwatch: plant-room monitoring and predictive maintenance.", no_args_is_help=True
    )

    # A callback keeps `plantwatch demo` a subcommand when only the demo is loaded (typer
    # would otherwise run a lone command as the root).
    @app.callback()
    def _group() -> None:
        """Commands for each part of plantwatch."""

    for name, module in PARTS.items():
        if only is None or only == name:
            app.add_typer(importlib.import_module(module).app, name=name)
    if only is None or only == "demo":
        from plantwatch.demo import demo

        app.command()(demo)
    return app


def main() -> None:
    """Console entry point."""
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    build_app(wanted if wanted in PARTS or wanted == "demo" else None)()


def __getattr__(name: str) -> typer.Typer:
    # `from plantwatch.cli import app` (tests, docs tools) gets the whole CLI.
    if name == "app":
        return build_app()
    raise AttributeError(name)


if __name__ == "__main__":
    main()
