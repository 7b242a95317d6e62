"""`plantwatch model convert-cmapss` and `cmapss`: NASA's turbofan run-to-failure data, as a
site's export and as the RUL benchmark the pipeline is held to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

console = Console(soft_wrap=True)


def convert_cmapss(
    train_file: Path = typer.Option(..., "--train", help="train_FD00x.txt (run to failure)"),
    out: Path = typer.Option(..., help="Directory for the generic-format files"),
    engines: str = typer.Option("1-100", help="Engine numbers, e.g. 1-60 or 1,4,9"),
    per_asset: int = typer.Option(2, min=1, help="Engines run one after another per asset"),
    cycle_h: float = typer.Option(4.0, min=1 / 6, help="Hours one engine cycle stands for"),
    seed: int = typer.Option(0, help="Seed of the assets' staggered starts"),
) -> None:
    """Convert NASA C-MAPSS engines into a site's export in the generic format."""
    from models.cmapss import load_runs
    from models.cmapss_site import convert, engine_range

    done = convert(load_runs(train_file), out, engine_range(engines), per_asset, cycle_h, seed)
    console.print(
        f"{out}: {done.assets} assets, {done.engines} engines (failures), "
        f"{done.readings:,} readings over {done.days:.0f} days; signals {', '.join(done.signals)}"
    )


def cmapss(
    train_file: Path = typer.Option(..., "--train", help="train_FD00x.txt (run to failure)"),
    test_file: Path | None = typer.Option(None, "--test", help="test_FD00x.txt"),
    rul_file: Path | None = typer.Option(None, "--rul", help="RUL_FD00x.txt"),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout"),
    folds: int = typer.Option(5, help="Engine-grouped folds when no test file is given"),
    repeats: int = typer.Option(
        1, min=1, help="Cross-validation repeats (other splits and cuts), pooled"
    ),
) -> None:
    """NASA C-MAPSS: train on TRAIN, report RUL RMSE and within-30 precision/recall on TEST.

    Without --test, engine-grouped cross-validation on TRAIN (held-out engines cut before
    failure the way the standard test files are).
    """
    import json

    from models import cmapss as cm
    from models.data import DataError

    try:
        runs = cm.load_runs(train_file)
        if test_file is None:
            result: dict[str, Any] = {
                "cross_validation_folds": folds,
                "cross_validation_repeats": repeats,
                **cm.cross_validate(runs, folds, repeats),
            }
        else:
            if rul_file is None:
                raise DataError("--test needs --rul with the true remaining cycles")
            test, rul = cm.load_runs(test_file), cm.load_rul(rul_file)
            if len(rul) != len(test.units()):
                raise DataError(f"{rul_file}: {len(rul)} values for {len(test.units())} test units")
            model = cm.fit(runs)
            x = cm.features(test)[cm.last_rows(test)]
            pred = model.remaining(x)
            result = {
                **cm.metrics(rul, pred, model.within(x)),
                "predictions": {
                    str(int(u)): round(float(p), 2) for u, p in zip(test.units(), pred, strict=True)
                },
            }
    except DataError as exc:
        console.print(f"[red]unusable C-MAPSS file[/red]: {exc}")
        raise typer.Exit(2) from exc
    if json_out:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k != "predictions":
                console.print(f"{k}: {v}")
