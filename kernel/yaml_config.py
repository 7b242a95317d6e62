"""Load YAML into strict pydantic models; errors name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
Loc = tuple[str | int, ...]


class ConfigError(ValueError):
    """A config file that cannot be used, with every problem located."""

    def __init__(self, path: Path, problems: list[tuple[int | None, str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = [
            f"{path}:{line if line is not None else '?'}: {field or '<top>'}: {reason}"
            for line, field, reason in problems
        ]
        super().__init__("\n".join(lines))


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], loader: yaml.SafeLoader) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[key] = _construct(value_node, (*loc, key), lines, loader)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text into plain data plus a map from each path to its line number."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        data = None if node is None else _construct(node, (), lines, loader)
    finally:
        loader.dispose()
    return data, lines


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _data_path(loc: tuple[str | int, ...], data: Any) -> Loc:
    """The part of a pydantic location that exists in the data (drops union tags)."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(part, str) and ("[" in part or isinstance(node, dict | list)):
            # A tag pydantic inserts for unions, or a field missing from the data: a missing
            # field is the last element and is kept, so the message names it.
            if i == len(loc) - 1 and "[" not in part:
                out.append(part)
            continue
        else:
            out.append(part)
            node = None
            continue
        out.append(part)
    return tuple(out)


def field_path(loc: Loc) -> str:
    """Render a pydantic location as a dotted path with [index] for list items."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_model(path: Path, model: type[Model], text: str | None = None) -> Model:
    """Read ``path`` (or ``text`` as if it came from path) and validate it as ``model``."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(path, [(None, "", f"cannot read file: {exc.strerror}")]) from exc
    try:
        data, lines = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(path, [(line, "", f"invalid YAML: {exc}")]) from exc
    return validate_data(path, model, data, lines)


def validate_data(path: Path, model: type[Model], data: Any, lines: dict[Loc, int]) -> Model:
    """Validate already-parsed data, turning pydantic errors into a located ConfigError."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _data_path(err["loc"], data)
            problems.append((_line_for(loc, lines), field_path(loc), err["msg"]))
        raise ConfigError(path, problems) from exc
