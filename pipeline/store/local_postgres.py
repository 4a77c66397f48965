"""A throw-away PostgreSQL server on 127.0.0.1 for tests and benchmarks (Debian's postgresql).

`initdb` and `pg_ctl` refuse to run as root, so as root they run as the `postgres` user
(`runuser`) on a data directory that user owns. Trust authentication on loopback only:
this server holds test data and lives in a temporary directory.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from pipeline.broker import free_port

__all__ = ["LocalPostgres", "postgres_bin_dir"]

SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    """Where `initdb` and `pg_ctl` are: PATH first, then Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().parent.joinpath("initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not versions:
        raise FileNotFoundError(
            "PostgreSQL server binaries not found: `apt-get install postgresql` "
            "(or put initdb and pg_ctl on PATH)"
        )
    return Path(versions[0]).parent


class LocalPostgres:
    """One PostgreSQL server on its own data directory and a free port; start, stop, restart."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.bin = postgres_bin_dir()
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        """The store URL of this server's `postgres` database."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}):\n{result.stderr}")

    def init(self) -> None:
        """Create the cluster (once): no fsync, since a test server need not survive a crash."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.data_dir, SUPERUSER, SUPERUSER)
            self.data_dir.chmod(0o700)
        self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.init()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.data_dir / "server.log"
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: disconnect clients, clean shutdown; `immediate`: abort)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "status"]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0
