"""The one command line: `plantwatch <part> <command>`.

Only the part named on the command line is imported, so `plantwatch gateway run` on a
plant-room box does not load the cloud's or the simulator's libraries. A part whose extra is
not installed says which one to install, in one line, with exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass

import typer

PROJECT_PACKAGES = {"kernel", "plantwatch", "edge", "cloud", "models", "simulators"}


@dataclass(frozen=True)
class Part:
    """A command group: the module that defines it, the extra that installs its libraries,
    its help line, and the libraries the top-level listing looks for (without importing)."""

    module: str
    extra: str
    summary: str
    needs: tuple[str, ...]


PARTS = {
    "sim": Part(
        "simulators.cli",
        "sim",
        "Equipment simulator: live Modbus + MQTT, offline datasets.",
        ("numpy", "pyarrow", "pymodbus", "paho", "bacpypes3"),
    ),
    "gateway": Part(
        "edge.cli",
        "edge",
        "Edge gateway: Modbus, BACnet and MQTT acquisition, stages, spool, uplink.",
        ("pymodbus", "aiomqtt", "paho", "httpx", "prometheus_client", "bacpypes3"),
    ),
    "cloud": Part(
        "cloud.cli",
        "cloud",
        "Cloud ingest service, asset registry and credentials.",
        ("fastapi", "sqlalchemy", "alembic", "uvicorn", "influxdb_client", "sklearn"),
    ),
    "model": Part(
        "models.cli",
        "models",
        "Failure-warning models: data, training, evaluation.",
        ("numpy", "pyarrow", "sklearn", "scipy", "matplotlib"),
    ),
    "grafana": Part(
        "cloud.dashboards.cli",
        "grafana",
        "Grafana dashboards as code.",
        ("grafana_client", "grafana_foundation_sdk"),
    ),
    "demo": Part(
        "plantwatch.demo",
        "demo",
        "Run plantwatch end to end on this machine: simulator, gateways, cloud, scoring,\n"
        "warnings, work orders and notifications, on an accelerated clock.",
        ("fastapi", "sqlalchemy", "sklearn", "pymodbus", "aiomqtt", "aiosmtpd"),
    ),
}


def library_missing(exc: ModuleNotFoundError) -> bool:
    """Whether an import failed for a library an extra installs (not for plantwatch's own)."""
    return (exc.name or "").split(".")[0] not in PROJECT_PACKAGES


def missing_extra_message(name: str, extra: str, module: str) -> str:
    """The one line a command group shows when its libraries are not installed."""
    return (
        f"plantwatch {name} needs the '{extra}' extra ({module} is not installed): "
        f"pip install 'plantwatch[{extra}]'"
    )


def refusal(name: str, exc: ModuleNotFoundError) -> typer.Exit:
    """Print the one line a part shows when a library of its extra is missing; the exit
    (code 2) to raise."""
    typer.echo(missing_extra_message(name, PARTS[name].extra, str(exc.name)), err=True)
    return typer.Exit(2)


def _missing(app: typer.Typer, name: str, part: Part, exc: ModuleNotFoundError) -> None:
    @app.command(
        name=name,
        help=f"(not installed: pip install 'plantwatch\\[{part.extra}]')",  # [ escaped for rich
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def _refuse(ctx: typer.Context) -> None:
        raise refusal(name, exc)


def _root() -> typer.Typer:
    app = typer.Typer(
        help="plantwatch: plant-room monitoring and predictive maintenance.", no_args_is_help=True
    )

    # A callback keeps `plantwatch demo` a subcommand when only the demo is loaded (typer
    # would otherwise run a lone command as the root).
    @app.callback()
    def _group() -> None:
        """Commands for each part of plantwatch."""

    return app


def _absent(part: Part) -> str | None:
    """The first of a part's libraries that cannot be found, if any."""
    for name in part.needs:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def listing() -> typer.Typer:
    """The parts and their help lines, imported by none: `plantwatch --help` in a blink,
    where importing every part takes seconds (the cloud and the models load scikit-learn)."""
    app = _root()
    for name, part in PARTS.items():
        absent = _absent(part)
        if absent is not None:
            _missing(app, name, part, ModuleNotFoundError(name=absent))
            continue

        @app.command(
            name=name,
            help=part.summary,
            add_help_option=False,
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        )
        def _part(ctx: typer.Context) -> None:
            # Reached only by a name main() did not route, as a library user might call it.
            build_app(ctx.info_name)([str(ctx.info_name), *ctx.args])

    return app


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every part, or with just ``only`` when it names one."""
    app = _root()
    for name, part in PARTS.items():
        if only is not None and only != name:
            continue
        try:
            module = importlib.import_module(part.module)
        except ModuleNotFoundError as exc:
            if not library_missing(exc):
                raise
            _missing(app, name, part, exc)
            continue
        if name == "demo":
            app.command()(module.demo)
        else:
            app.add_typer(module.app, name=name)
    return app


def main() -> None:
    """Console entry point."""
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    (build_app(wanted) if wanted in PARTS else listing())()


def __getattr__(name: str) -> typer.Typer:
    # `from plantwatch.cli import app` (tests, docs tools) gets the whole CLI.
    if name == "app":
        return build_app()
    raise AttributeError(name)


if __name__ == "__main__":
    main()
