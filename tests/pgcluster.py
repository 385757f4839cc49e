"""A throwaway PostgreSQL cluster on loopback, for the tests and the benchmarks.

API::

    from tests import pgcluster

    url = pgcluster.start()            # or start(folder): the cluster's files go in folder/pgdata
    # url == "postgresql+psycopg://terrain@127.0.0.1:<port>/terrain" (an empty database)
    pgcluster.create_database(url, "other", template="terrain")   # -> the new database's URL
    pgcluster.drop_database(url, "other")
    pgcluster.stop()                   # stops the server and deletes its files

`start()` runs Debian's `initdb` and `pg_ctl` (the newest /usr/lib/postgresql/*/bin) on
127.0.0.1 and a free port, with the unix socket in the data folder, trust authentication for
the superuser `terrain` (loopback only), and durability off (fsync, synchronous_commit,
full_page_writes) since the data is thrown away. PostgreSQL refuses to run as root, so when this
process is root the server runs as the `postgres` user (made by Debian's package), or as a
system user `terrain-pg` created on the spot; the data folder is then made in the system temp
folder (a pytest tmp folder is private to root) unless `folder` is reachable by that user.
`stop()` is also registered with atexit, so a crashed run does not leave a server behind.
One cluster per process through these functions; `Cluster` is the class behind them.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "terrain"
DATABASE = "terrain"
FALLBACK_USER = "terrain-pg"


def bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl): "
                           "`make test` installs Debian's postgresql package.")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root (None otherwise)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    FALLBACK_USER], check=True)
    return pwd.getpwnam(FALLBACK_USER)


def _reachable_by_others(path: Path) -> bool:
    """True when every parent folder lets other users through (mode o+x)."""
    for parent in [path, *path.parents]:
        if parent.exists() and not os.stat(parent).st_mode & 0o001:
            return False
    return True


class Cluster:
    """One PostgreSQL server with its data folder; `url` points at the empty `terrain` database."""

    def __init__(self, folder: str | Path | None = None):
        self.user = _server_user()
        self.bin = bin_dir()
        self.owned_root: Path | None = None
        if folder is not None and (self.user is None or _reachable_by_others(Path(folder))):
            root = Path(folder)
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = self.owned_root = Path(tempfile.mkdtemp(prefix="terrain-pg-"))
        self.data = root / "pgdata"
        self.port = 0
        self.url = ""
        self.running = False

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        user = {} if self.user is None else {"user": self.user.pw_uid, "group": self.user.pw_gid,
                                             "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        if self.user is not None:
            env["HOME"] = str(self.data.parent)
        return subprocess.run(args, check=True, capture_output=True, text=True, env=env,
                              **user, **kwargs)

    def start(self) -> str:
        """Create the cluster, start it on a free loopback port and return the database URL."""
        self.data.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            for path in (self.data.parent, self.data):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self.data.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                      "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        for attempt in range(5):
            self.port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                       f"-c unix_socket_directories={self.data} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=200")
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                          "-l", str(self.data / "server.log"), "-o", options, "start")
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    log = (self.data / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
        self.running = True
        base = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}"
        self.url = create_database(f"{base}/postgres", DATABASE)
        return self.url

    def stop(self) -> None:
        """Stop the server (immediate mode: nothing is kept) and delete the files we made."""
        if self.running:
            self.running = False
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.owned_root or self.data, ignore_errors=True)


def _admin_connect(url: str):
    """A psycopg connection in autocommit (CREATE/DROP DATABASE need it) from a SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres",
                           autocommit=True)


def create_database(url: str, name: str, template: str | None = None) -> str:
    """Create database `name` on the server of `url` (copied from `template`); return its URL."""
    from sqlalchemy.engine import make_url

    with _admin_connect(url) as conn:
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        conn.execute(sql)
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    """Drop database `name` on the server of `url`, ending its open connections first."""
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_cluster: Cluster | None = None


def start(folder: str | Path | None = None) -> str:
    """Start this process's throwaway cluster (once) and return its database URL."""
    global _cluster
    if _cluster is None or not _cluster.running:
        _cluster = Cluster(folder)
        _cluster.start()
        atexit.register(stop)
    return _cluster.url


def stop() -> None:
    """Stop this process's cluster and delete its files (safe to call twice)."""
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None
