"""What the benchmark scripts share: servers they start and stop themselves (127.0.0.1 only), free ports,
resident memory from /proc, wrk runs and the parsing of wrk's --latency output."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
DATA = BENCH / "data"
HOST = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of this environment (the venv running us), else from PATH."""
    local = VENV_BIN / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


# -- processes ---------------------------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: the ppid is the 2nd field after it
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def stat_cpu_s(stat: Path) -> float | None:
    """utime + stime in seconds from a /proc stat file (a process's or a thread's: /proc/PID/task/TID/stat);
    None once it is gone."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # stat's fields 14 and 15


def process_tree(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and its parts: RssAnon (heap), RssFile (mapped files: SQLite's mmap of the database counts
    here), RssShmem."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(line.split()[1])
    except OSError:
        pass
    return out


def tree_rss(pid: int) -> dict[str, Any]:
    """VmRSS of a server and every process under it (uvicorn's supervisor and its workers)."""
    per = [m for m in (memory_kib(p) for p in process_tree(pid)) if m.get("VmRSS")]

    def mib(key: str) -> float:
        return round(sum(m.get(key, 0) for m in per) / 1024, 1)

    return {
        "total_mib": mib("VmRSS"),
        "anon_mib": mib("RssAnon"),
        "file_mib": mib("RssFile"),
        "processes_mib": [round(m["VmRSS"] / 1024, 1) for m in per],
    }


@dataclass
class Server:
    name: str
    argv: list[str]
    url: str
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    _logf: Any = None

    def start(self, timeout: float = 60.0) -> Server:
        if self.proc is not None and self.proc.poll() is None:
            return self  # already running
        env = {**os.environ, **self.env}
        logf = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        # A new session: stop() signals the whole group (uvicorn workers included) and nothing else.
        self.proc = subprocess.Popen(
            self.argv, env=env, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._logf = logf
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                r = httpx.get(self.url + self.ready_path, timeout=2)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss(self) -> dict[str, Any]:
        return tree_rss(self.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self._logf not in (None, subprocess.DEVNULL):
            self._logf.close()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def geonews_server(
    db_url: str, workers: int = 1, log: Path | None = None, extra_env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    return Server(
        name=f"geonews w{workers}",
        argv=[
            tool("geonews"),
            "serve",
            "--no-seed",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        url=f"http://{HOST}:{port}",
        ready_path="/readyz",
        env={
            "GEONEWS_DATABASE_URL": db_url,
            "GEONEWS_LOG_LEVEL": "warning",
            # Benchmarks measure the service, not the rate limiter; the dev cursor secret is fine here.
            "GEONEWS_DEV_MODE": "true",
            "GEONEWS_RATE_LIMIT_ENABLED": "false",
            **(extra_env or {}),
        },
        log=log,
    )


def datasette_server(db_file: Path, metadata: Path | None = None, log: Path | None = None) -> Server:
    port = free_port()
    argv = [tool("datasette"), "serve", str(db_file), "--host", HOST, "--port", str(port)]
    if metadata is not None:
        argv += ["--metadata", str(metadata)]
    return Server(
        name="datasette", argv=argv, url=f"http://{HOST}:{port}", ready_path="/-/versions.json", log=log
    )


def ceiling_server(workers: int = 1, log: Path | None = None, fastapi: bool = False) -> Server:
    """A hello world under uvicorn: the bare ASGI app (bench/hello_asgi.py), or with `fastapi` the
    framework's own (bench/hello_fastapi.py)."""
    port = free_port()
    module = "bench.hello_fastapi:app" if fastapi else "bench.hello_asgi:app"
    return Server(
        name=f"{'fastapi' if fastapi else 'asgi'} hello w{workers}",
        argv=[
            sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT), module, "--host", HOST,
            "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
        ],
        url=f"http://{HOST}:{port}",
        ready_path="/",
        log=log,
    )  # fmt: skip


# -- wrk ---------------------------------------------------------------------------------------------------
WRK_HELP = (
    "wrk is not installed: on Debian/Ubuntu run `apt-get install -y wrk` (as root), then run this again."
)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Throughput, p50/p90/p99 and errors from wrk's --latency text (plus rotate.lua's BENCH_JSON line)."""
    out: dict[str, Any] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not m:
        raise ValueError("no Requests/sec in wrk output:\n" + output)
    out["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        if m:
            out[f"p{pct}_ms"] = round(_ms(m.group(1)), 3)
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    if m:
        out["requests"] = int(m.group(1))
        out["duration_s"] = round(_ms(m.group(2)) / 1000, 2)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"^BENCH_JSON (\{.*\})$", output, re.M)
    if m:
        out["exact"] = json.loads(m.group(1))
    return out


def run_wrk(
    url: str, paths: Sequence[str], *, duration: int, connections: int, threads: int, scratch: Path
) -> dict[str, Any]:
    paths_file = scratch / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
        "-s", str(BENCH / "rotate.lua"), url, "--", str(paths_file),
    ]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    return parse_wrk(proc.stdout)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextlib.contextmanager
def stopping(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for s in servers:
            s.stop()


@functools.cache
def _libc() -> Any:
    """The C library's mmap, mlock, munlock, munmap and mincore, with their argument types (Linux)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    ]
    for name in ("mlock", "munlock", "munmap"):
        getattr(libc, name).argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    return libc


class PageCacheHold:
    """Files held in the page cache while a benchmark reads them: each mapped (shared, read-only) and
    locked with mlock(2), so that the kernel can neither evict their pages nor make a request read the
    disk. Some hosts here drop a file's cached pages within minutes with most of their memory free (the
    1M corpus: 5.7 of 5.7 GB cached after reading it, 4.6 GB three minutes later), and a request that then
    reads an evicted page waits for the disk: hydrating 21 articles by id took 1.1 ms cold against 0.1
    warm. `resident` is the share of the files' pages that were cached before the hold (mincore(2));
    without the privilege to lock (CAP_IPC_LOCK or a large RLIMIT_MEMLOCK), or on another OS, nothing is
    held and `problem` says why: the figures are then the host's page cache's. Linux only."""

    def __init__(self) -> None:
        self.held: list[tuple[int, int]] = []  # (address, size)
        self._files: set[tuple[int, int]] = set()  # (device, inode) of the files held: each once
        self.bytes = 0
        self.pages = 0
        self.cached_pages = 0
        self.seconds = 0.0
        self.problem: str | None = None

    @property
    def resident(self) -> float | None:
        return self.cached_pages / self.pages if self.pages else None

    def hold(self, paths: Sequence[Path]) -> None:
        import ctypes
        import mmap

        started = time.perf_counter()
        try:
            libc = _libc()
        except (OSError, AttributeError) as exc:
            self.problem = f"no mlock here ({exc})"
            return
        page = mmap.PAGESIZE
        for path in paths:
            if self.problem is not None:
                return
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # gone meanwhile (a segment merged away)
            except OSError as exc:
                self.problem = f"{path}: {exc.strerror or exc}"
                return
            try:
                st = os.fstat(fd)
                size = st.st_size
                if not size or (st.st_dev, st.st_ino) in self._files:
                    continue
                addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
                if addr in (None, ctypes.c_void_p(-1).value):
                    self.problem = f"mmap of {path}: {os.strerror(ctypes.get_errno())}"
                    return
                pages = -(-size // page)
                vec = ctypes.create_string_buffer(pages)
                if libc.mincore(addr, size, vec) == 0:
                    self.cached_pages += sum(b & 1 for b in vec.raw)
                self.pages += pages
                if libc.mlock(addr, size) != 0:
                    self.problem = f"mlock of {path}: {os.strerror(ctypes.get_errno())}"
                    libc.munmap(addr, size)
                    return
                self.held.append((addr, size))
                self._files.add((st.st_dev, st.st_ino))
                self.bytes += size
            finally:
                os.close(fd)  # the mapping keeps the file
        self.seconds += time.perf_counter() - started

    def release(self) -> None:
        if not self.held:
            return
        libc = _libc()
        for addr, size in self.held:
            libc.munlock(addr, size)
            libc.munmap(addr, size)
        self.held = []
        self._files = set()

    def describe(self) -> str:
        if self.problem is not None:
            held = f"{self.bytes / 2**30:.2f} GiB held, the rest not" if self.held else "not held"
            return f"page cache: {held} ({self.problem})"
        share = self.resident
        return (
            f"page cache: {self.bytes / 2**30:.2f} GiB held (mlock) in {self.seconds:.1f} s; "
            f"{share:.0%} of it was cached before"
            if share is not None
            else "page cache: nothing to hold"
        )


def files_of(db: Path) -> list[Path]:
    """A SQLite file, its WAL, and the files of its search index (`FILE.index`), as a benchmark serves them."""
    index = db.with_name(db.name + ".index")
    found = [db, db.with_name(db.name + "-wal")]
    if index.is_dir():
        found += sorted(p for p in index.rglob("*") if p.is_file() and not p.is_symlink())
    return [p for p in found if p.exists()]


def copy_sqlite(db: Path, target: Path, stories: bool = False) -> str:
    """A copy of a SQLite file and its search index at `target` (checkpointed first), as a URL: ingest into
    a large database without changing it. `stories`: every article of the copy that is in no story gets
    one of its own (bench/generate.py assigns none), so that story assignment meets assigned articles in
    its windows, with their signatures (generator version 4), as in a database that ingested them."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    started = time.perf_counter()
    shutil.copyfile(db, target)
    index = db.with_name(db.name + ".index")
    if index.is_dir():
        # symlinks=True: `current` is a link to the generation in use; a copied directory is no index.
        shutil.copytree(index, target.with_name(target.name + ".index"), symlinks=True)
    print(f"copied {db} and its index in {time.perf_counter() - started:.0f} s")
    if stories:
        started = time.perf_counter()
        with contextlib.closing(sqlite3.connect(target)) as conn, conn:
            first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM stories").fetchone()[0]
            conn.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, article_count, source_count)"
                " SELECT id + ?, title, published_at, published_at, 1, 1 FROM articles WHERE story_id IS NULL",
                (first,),
            )
            conn.execute("UPDATE articles SET story_id = id + ? WHERE story_id IS NULL", (first,))
            # The planner's statistics of the original (bench/generate.py runs ANALYZE) say every article
            # has the same story_id (NULL): with them, merging stories scanned the whole table.
            if conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'").fetchone()[0]:
                conn.execute("ANALYZE articles")
                conn.execute("ANALYZE stories")
        print(f"a story for each article of the copy in {time.perf_counter() - started:.0f} s")
    return f"sqlite:///{target}"
