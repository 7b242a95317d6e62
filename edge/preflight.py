"""What `gateway run` needs beyond a valid config: the files it reads and the folder it writes.

``gateway check`` and ``gateway run`` both call ``file_problems``, so a check passes exactly
when the daemon would start; every problem names the config file, the line and the field.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from edge.config import LoadedConfig
from edge.config_parts import ClientTls
from kernel.yaml_config import ConfigError, Loc, parse_yaml

Problem = tuple[int | None, str, str]
TLS_FILES = (("ca_file", "CA file"), ("cert_file", "certificate"), ("key_file", "key"))


def _readable(path: Path, what: str) -> str | None:
    if not path.exists():
        return f"{what} {path} does not exist"
    if not path.is_file():
        return f"{what} {path} is not a file"
    if not os.access(path, os.R_OK):
        return f"{what} {path} is not readable by this user (uid {os.getuid()})"
    return None


def _token_problem(path: Path) -> str | None:
    problem = _readable(path, "token file")
    if problem is None and not path.read_text(encoding="utf-8", errors="replace").strip():
        problem = f"token file {path} is empty"
    return problem


def _spool_problem(path: Path) -> str | None:
    if path.exists():
        return None if os.access(path, os.R_OK | os.W_OK) else f"spool {path} is not writable"
    folder = path.parent
    if not folder.is_dir():
        return f"the spool's folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the spool's folder {folder} is not writable by this user (uid {os.getuid()})"
    return None


def file_problems(cfg: LoadedConfig) -> list[Problem]:
    """Every file the gateway would fail on at start, located in its config."""
    _, lines = parse_yaml(cfg.path.read_text(encoding="utf-8"))
    g = cfg.gateway
    found: list[tuple[Loc, str, str | None]] = []
    if g.uplink.token_file is not None:
        found.append(
            (("uplink", "token_file"), "uplink.token_file", _token_problem(g.uplink.token_file))
        )
    sources: list[tuple[Loc, str, ClientTls]] = [(("uplink",), "uplink", g.uplink)]
    sources += [(("mqtt", i), f"mqtt[{i}]", src) for i, src in enumerate(g.mqtt)]
    for where, name, tls in sources:
        for key, what in (
            ("ca_file", "CA file"),
            ("cert_file", "certificate"),
            ("key_file", "key"),
        ):
            path = getattr(tls, key)
            if path is not None:
                found.append(((*where, key), f"{name}.{key}", _readable(path, what)))
    found.append((("spool", "path"), "spool.path", _spool_problem(g.spool.path)))
    return [(lines.get(loc), field, p) for loc, field, p in found if p is not None]


def loose_token_permissions(cfg: LoadedConfig) -> str | None:
    """A warning when the token file can be read by users other than its owner and group."""
    path = cfg.gateway.uplink.token_file
    if path is None or not path.is_file():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o007:
        return f"token file {path} is readable by every user (mode {mode:04o}); chmod 600 it"
    return None


def require_files(cfg: LoadedConfig) -> None:
    """Raise ``ConfigError`` naming every file problem."""
    problems = file_problems(cfg)
    if problems:
        raise ConfigError(cfg.path, problems)
