"""An install made by deploy/install.sh under a temporary root, and its services run as its
systemd units would run them: the unit's user, environment file, folder and ExecStart line."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from simulators.config import FleetConfig
from simulators.deployment import PROFILES_DIR
from simulators.gateway_configs import Endpoints, gateway_configs

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "deploy" / "install.sh"
SYSTEM_PYTHON = "/usr/bin/python3"  # the service user cannot run an interpreter under /root
USER = "plantwatch"


def require_root() -> None:
    """The install creates a user and runs services as it: root only (CI runs as root)."""
    if os.getuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the install tests need root, and CI runs as root")
        pytest.skip("needs root: deploy/install.sh creates a user and folders")


@contextmanager
def temporary_root() -> Iterator[Path]:
    """A folder the service user may enter (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="pw-root-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def install(root: Path, *args: str) -> str:
    """Run deploy/install.sh; its output (pip's index notices left out)."""
    r = subprocess.run(
        ["bash", str(INSTALL), *args, "--root", str(root), "--python", SYSTEM_PYTHON],
        capture_output=True,
        text=True,
        timeout=600,
    )
    noise = ("WARNING: Location", "[notice]")
    err = "\n".join(line for line in r.stderr.splitlines() if not line.startswith(noise))
    assert r.returncode == 0, r.stdout + err
    return r.stdout


def gateway_config(
    fleet: FleetConfig, folder: Path, modbus_ports: list[int], mqtt_port: int, cloud_url: str
) -> Path:
    """The north-library gateway's config as a site writes it (real paths; the install
    relocates them under its root)."""
    ep = Endpoints(
        modbus_ports=tuple(modbus_ports),
        mqtt_port=mqtt_port,
        cloud_url=cloud_url,
        health_port=0,
        poll_interval_s=1.0,
        profiles_dir=str(PROFILES_DIR),
    )
    doc = gateway_configs(fleet, ep)["north-library"]
    doc["uplink"]["interval_s"] = 0.2
    path = folder / "north-library.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@dataclass(frozen=True)
class Unit:
    """The [Service] lines of an installed unit that say how it runs."""

    exec_start: list[str]
    user: str
    environment_file: Path | None
    working_directory: Path | None

    @classmethod
    def read(cls, root: Path, name: str, instance: str = "") -> Unit:
        """Parse ``name`` from the root's systemd folder, with ``%i`` as ``instance``."""
        text = (root / "etc/systemd/system" / name).read_text().replace("%i", instance)
        keys: dict[str, str] = {}
        for line in text.replace("\\\n", " ").splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                keys[key.strip()] = value.strip()
        env = keys.get("EnvironmentFile")
        folder = keys.get("WorkingDirectory")
        return cls(
            shlex.split(keys["ExecStart"]),
            keys["User"],
            Path(env) if env else None,
            Path(folder) if folder else None,
        )

    def environment(self) -> dict[str, str]:
        """What systemd gives the service: a bare PATH and the environment file's lines."""
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        if self.environment_file is not None:
            for line in self.environment_file.read_text().splitlines():
                key, sep, value = line.partition("=")
                if sep and not line.startswith("#"):
                    env[key.strip()] = value.strip()
        return env

    @contextmanager
    def running(self, replace: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
        """Run ExecStart as the unit's user; SIGTERM at the end, as systemctl stop does."""
        argv = [(replace or {}).get(a, a) for a in self.exec_start]
        proc = subprocess.Popen(  # privileges dropped in the child, as systemd's User= does
            argv,
            user=self.user,
            group=grp.getgrgid(pwd.getpwnam(self.user).pw_gid).gr_name,
            extra_groups=[],
            env=self.environment() | {"HOME": "/nonexistent", "USER": self.user},
            cwd=self.working_directory or "/",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def mode_of(path: Path) -> tuple[str, str, int]:
    """Owner, group and permission bits."""
    st = path.stat()
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, st.st_mode & 0o777
