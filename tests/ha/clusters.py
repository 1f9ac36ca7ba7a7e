"""Throwaway PostgreSQL clusters for the failover test: a primary and a synchronous standby.

Both are Debian clusters (``pg_createcluster``) of the installed major version, on free ports,
named ``confide_ha_<pid>_<random>_primary`` and ``..._standby``, never started at boot
(``--start-conf=manual``). The primary streams its WAL to the standby and waits for the
standby to have flushed a commit before acknowledging it (``synchronous_commit = on`` with the
standby named in ``synchronous_standby_names``): the set-up decision 0021 recommends for the
audit log. The standby is a ``pg_basebackup -R`` of the primary.

Creating a cluster needs root (``pg_createcluster`` writes under /etc/postgresql and
/var/lib/postgresql); the servers run as ``postgres``. Both clusters are dropped on the way out,
whatever happened, and clusters left behind by an earlier run that crashed are dropped by their
name prefix before new ones are made. The shared cluster on port 5432 is never touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

VERSION = "15"
PREFIX = "confide_ha_"
BINDIR = Path(f"/usr/lib/postgresql/{VERSION}/bin")
TOOLS = ("pg_createcluster", "pg_dropcluster", "pg_ctlcluster", "pg_lsclusters", "runuser")
STANDBY_NAME = "confide_standby"
# Test only: anyone on this machine may connect as any user, for queries and for replication.
HBA = """\
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
"""


class ClustersUnavailable(RuntimeError):
    """This machine cannot make the clusters: a tool is missing or we are not root."""


def missing_tools() -> str | None:
    """Why the clusters cannot be made here, or None when they can."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    absent += [
        str(BINDIR / name)
        for name in ("postgres", "pg_basebackup", "pg_ctl")
        if not (BINDIR / name).is_file()
    ]
    if absent:
        return (
            f"the failover test needs PostgreSQL {VERSION}'s cluster tools, absent here "
            f"({', '.join(absent)}): install postgresql-{VERSION} and postgresql-common"
        )
    if os.geteuid() != 0:
        return "the failover test creates PostgreSQL clusters with pg_createcluster: run it as root"
    return None


def _run(*command: str, timeout: float = 60) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    return done.stdout


def _free_port(taken: set[int]) -> int:
    """A TCP port nothing listens on now and no cluster on this machine is configured for."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 1024 and port not in taken:
            return port


def _clusters() -> list[tuple[str, str, int]]:
    """(version, name, port) of every cluster on this machine."""
    out = []
    for line in _run("pg_lsclusters", "--no-header").splitlines():
        version, name, port, *_ = line.split()
        out.append((version, name, int(port)))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_leftovers() -> None:
    """Drop clusters an earlier run left behind: ours by name prefix, whose process is gone
    (a run going on beside this one keeps its clusters)."""
    for version, name, port in _clusters():
        if version == VERSION and _left_behind(name):
            Cluster(name, port).drop()
    # A configuration directory pg_dropcluster could not remove (it keeps conf.d/ files it
    # did not write) no longer names a cluster.
    for config in Path(f"/etc/postgresql/{VERSION}").glob(f"{PREFIX}*"):
        if _left_behind(config.name) and not (config / "postgresql.conf").exists():
            shutil.rmtree(config)


def _left_behind(name: str) -> bool:
    """Whether ``name`` is one of our clusters whose run has ended."""
    if not name.startswith(PREFIX):
        return False
    pid = name.removeprefix(PREFIX).split("_", 1)[0]
    return not pid.isdigit() or not _alive(int(pid))


@dataclass(frozen=True)
class Cluster:
    """One throwaway cluster: its name, port and data directory."""

    name: str
    port: int

    @property
    def data_dir(self) -> Path:
        return Path(f"/var/lib/postgresql/{VERSION}/{self.name}")

    @property
    def config_dir(self) -> Path:
        return Path(f"/etc/postgresql/{VERSION}/{self.name}")

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy's URL for ``database`` on this cluster, over TCP as ``postgres``."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A plain autocommit connection to the ``postgres`` database, for administration."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def start(self) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", VERSION, self.name, "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, no goodbye to clients or standbys."""
        _run("pg_ctlcluster", "--skip-systemctl-redirect", "-m", "immediate", VERSION, self.name,
             "stop")  # fmt: skip

    def promote(self) -> None:
        """Make this standby a primary; returns when it accepts writes."""
        with self.connect() as c:
            promoted = c.execute("SELECT pg_promote(wait => true, wait_seconds => 30)").fetchone()
        if promoted is None or promoted[0] is not True:
            raise RuntimeError(f"cluster {self.name} did not finish its promotion in 30 s")

    def drop(self) -> None:
        """Stop the server and remove its data, configuration and log."""
        _run("pg_dropcluster", "--stop", VERSION, self.name)
        # pg_dropcluster leaves the configuration directory when conf.d/ holds our file.
        shutil.rmtree(self.config_dir, ignore_errors=True)

    def log_tail(self) -> str:
        """The end of the server's log, for a failure message."""
        log = Path(f"/var/log/postgresql/postgresql-{VERSION}-{self.name}.log")
        return log.read_text(errors="replace")[-3000:] if log.is_file() else "(no log)"


def failover_url(database: str, *clusters: Cluster) -> str:
    """One URL naming every cluster, as CONFIDE_DATABASE_URL would in production: libpq tries
    the hosts in turn and keeps the first that accepts writes (``target_session_attrs``).

    The hosts and ports go in the query as comma-separated lists, the form both SQLAlchemy
    (with psycopg) and libpq's own URI parser (pg_dump, for backups) read alike."""
    hosts = ",".join("127.0.0.1" for _ in clusters)
    ports = ",".join(str(c.port) for c in clusters)
    return (
        f"postgresql+psycopg://postgres@/{database}"
        f"?host={hosts}&port={ports}&target_session_attrs=read-write"
    )


def _create(name: str, port: int, options: dict[str, str]) -> Cluster:
    """A new, stopped cluster with our settings and a test-only pg_hba.conf."""
    _run("pg_createcluster", "--quiet", "--start-conf=manual", "-p", str(port), VERSION, name)
    cluster = Cluster(name, port)
    # Debian's postgresql.conf includes conf.d/ last, so these settings win.
    settings = "".join(f"{key} = '{value}'\n" for key, value in options.items())
    (cluster.config_dir / "conf.d" / "confide-ha.conf").write_text(settings)
    (cluster.config_dir / "pg_hba.conf").write_text(HBA)
    return cluster


COMMON = {
    "listen_addresses": "127.0.0.1",
    "ssl": "off",
    "wal_level": "replica",
    "max_wal_senders": "4",
    "hot_standby": "on",
    "fsync": "on",
    "synchronous_commit": "on",
    "wal_sender_timeout": "5s",
    "wal_receiver_status_interval": "1s",
    "log_min_messages": "warning",
}


def _wait_for_sync_standby(primary: Cluster, deadline: float) -> None:
    """Until the primary shows the standby streaming as its synchronous standby."""
    seen: object = None
    while time.monotonic() < deadline:
        with primary.connect() as c:
            seen = c.execute(
                "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = %s",
                (STANDBY_NAME,),
            ).fetchone()
        if seen == ("streaming", "sync"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the standby is not streaming synchronously (saw {seen!r})")


@contextmanager
def replicated_pair() -> Iterator[tuple[Cluster, Cluster]]:
    """(primary, standby), the standby streaming synchronously; both dropped afterwards."""
    why = missing_tools()
    if why is not None:
        raise ClustersUnavailable(why)
    drop_leftovers()
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    taken = {port for _v, _n, port in _clusters()}
    primary_port = _free_port(taken)
    standby_port = _free_port(taken | {primary_port})
    with ExitStack() as cleanup:
        primary = _create(
            f"{PREFIX}{tag}_primary",
            primary_port,
            COMMON | {"synchronous_standby_names": f"FIRST 1 ({STANDBY_NAME})"},
        )
        cleanup.callback(primary.drop)
        primary.start()
        standby = _create(f"{PREFIX}{tag}_standby", standby_port, COMMON)
        cleanup.callback(standby.drop)
        # The standby's data directory is a base backup of the primary; -R writes
        # standby.signal and primary_conninfo (with the application_name the primary's
        # synchronous_standby_names waits for).
        for entry in standby.data_dir.iterdir():  # emptied, kept: postgres owns it, 0700
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        conninfo = (
            f"host=127.0.0.1 port={primary_port} user=postgres application_name={STANDBY_NAME}"
        )
        _run(
            "runuser", "-u", "postgres", "--", str(BINDIR / "pg_basebackup"),
            "-d", conninfo, "-D", str(standby.data_dir), "-R", "-X", "stream",
            "-c", "fast",
        )  # fmt: skip
        standby.start()
        try:
            _wait_for_sync_standby(primary, time.monotonic() + 30)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\nstandby log:\n{standby.log_tail()}") from error
        yield primary, standby
