"""Load the class catalogue: the shipped classes, then a site's own folder over them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kernel.catalogue.schema import AssetClassDef
from kernel.yaml_config import ConfigError, Loc, parse_yaml, validate_data

SHIPPED = Path(__file__).resolve().parent / "classes"
ENV_DIRS = "PLANTWATCH_CLASSES_DIR"


class Catalogue:
    """Every asset class a site knows, by name."""

    def __init__(self, classes: dict[str, AssetClassDef], sources: dict[str, Path]) -> None:
        self.classes = dict(sorted(classes.items()))
        self.sources = sources

    def __contains__(self, name: object) -> bool:
        return name in self.classes

    def __iter__(self) -> Iterator[AssetClassDef]:
        return iter(self.classes.values())

    def __len__(self) -> int:
        return len(self.classes)

    def get(self, name: str) -> AssetClassDef:
        """The class ``name``; KeyError names the classes there are."""
        try:
            return self.classes[name]
        except KeyError:
            known = ", ".join(self.classes)
            raise KeyError(f"unknown asset class {name!r}; known: {known}") from None

    def names(self) -> tuple[str, ...]:
        """Class names in order."""
        return tuple(self.classes)


def _read(path: Path) -> tuple[dict[str, Any], dict[Loc, int]]:
    try:
        data, lines = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, [(None, "", f"cannot read file: {exc.strerror}")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            path, [(mark.line + 1 if mark else None, "", f"invalid YAML: {exc}")]
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(path, [(1, "", "an asset class file holds a mapping")])
    return data, lines


def load_catalogue(*site_dirs: Path, shipped: Path = SHIPPED) -> Catalogue:
    """The shipped classes, then each site folder's files: a new name adds a class, a known
    name replaces the fields its file sets (a list replaces the whole list)."""
    raw: dict[str, tuple[dict[str, Any], dict[Loc, int], Path]] = {}
    for folder in (shipped, *site_dirs):
        if not folder.is_dir():
            raise ConfigError(folder, [(None, "", "asset class folder does not exist")])
        for path in sorted(folder.glob("*.yaml")):
            data, lines = _read(path)
            name = data.get("name")
            if name != path.stem:
                raise ConfigError(
                    path,
                    [(lines.get(("name",), 1), "name", f"must be {path.stem!r}, the file's name")],
                )
            if name in raw:
                base, base_lines, _ = raw[name]
                data = {**base, **data}
                lines = {**base_lines, **lines}
            raw[name] = (data, lines, path)
    classes = {n: validate_data(p, AssetClassDef, d, lines) for n, (d, lines, p) in raw.items()}
    return Catalogue(classes, {n: p for n, (_, _, p) in raw.items()})


def site_dirs_from_env() -> tuple[Path, ...]:
    """Site class folders named by PLANTWATCH_CLASSES_DIR (separated like PATH)."""
    value = os.environ.get(ENV_DIRS, "")
    return tuple(Path(p) for p in value.split(os.pathsep) if p)


@cache
def active_catalogue() -> Catalogue:
    """The catalogue this process runs with (shipped plus the site folders in the environment)."""
    return load_catalogue(*site_dirs_from_env())


def known_class(name: str) -> str:
    """Validator: ``name`` is a class of the active catalogue."""
    if name not in active_catalogue():
        raise ValueError(
            f"unknown asset class {name!r}; known: {', '.join(active_catalogue().names())}"
        )
    return name
