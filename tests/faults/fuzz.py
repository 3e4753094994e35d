"""The fuzz job: schemathesis (`--checks all`) and a raw-bytes harness against a live `geonews serve`, on
SQLite and (when GEONEWS_TEST_POSTGRES_URL is set) PostgreSQL. It fails on any server error.

    python -m tests.faults.fuzz [--seconds 40] [--engines sqlite,postgres]

Server errors are counted by the server itself (its /metrics: every response with a 5xx status, whoever
sent the request) and by the harness (status lines, dropped connections, a server that stops answering).
Schemathesis's other checks (schema conformance, auth, …) fail the job unless the failure is one of the
deliberate ones in tests/faults/deliberate.py (rules a schema cannot state: an unknown actor slug is a
400, a cursor is opaque and signed), each documented in docs/clients.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from tests.conftest import make_key
from tests.faults.deliberate import classify
from tests.faults.support import Server

ROOT = Path(__file__).resolve().parents[2]
METRIC = re.compile(r'^geonews_http_requests_total\{[^}]*status="(\d+)"[^}]*\} ([0-9.e+]+)$', re.M)


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


class Engine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cleanup: list[Any] = []
        if name == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="gn_fuzz_")) / "fuzz.db"
            self.url = f"sqlite:///{path}"
        else:
            base = os.environ["GEONEWS_TEST_POSTGRES_URL"]
            db = f"gn_fuzz_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = create_engine(
                make_url(base).set(drivername="postgresql+psycopg", database="postgres"),
                isolation_level="AUTOCOMMIT",
            )
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{db}"'))
            self.url = (
                make_url(base).set(drivername="postgresql", database=db).render_as_string(hide_password=False)
            )

            def drop() -> None:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                admin.dispose()

            self.cleanup.append(drop)
        env = {**os.environ, "GEONEWS_DATABASE_URL": self.url, "GEONEWS_DEV_MODE": "true"}
        _cli(env, "seed")
        self.key = make_key(Settings(database_url=self.url, _env_file=None), "admin", "fuzz")  # type: ignore[call-arg]

    def close(self) -> None:
        for fn in self.cleanup:
            fn()


def server_errors(base: str) -> dict[int, int]:
    r = httpx.get(f"{base}/metrics", timeout=10)  # the fuzz server serves it openly (its keys may be revoked)
    r.raise_for_status()
    counts: dict[int, int] = {}
    for status, value in METRIC.findall(r.text):
        if int(status) >= 500:
            counts[int(status)] = counts.get(int(status), 0) + int(float(value))
    return counts


def run_schemathesis(base: str, key: str, seconds: int, report: Path) -> dict[str, Any]:
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        "-H",
        f"Authorization: Bearer {key}",
        "--max-examples",
        "30",
        "--max-time",
        str(seconds),
        "--request-timeout",
        "20",
        "--seed",
        "20261201",
        "--no-shrink",
        "--workers",
        "2",
        # Revoking the key the run authenticates with would only blind the rest of it; the change stream
        # never ends by design (its bad parameters are tested in tests/changes).
        "--exclude-operation-id-regex",
        "delete_key|stream_changes",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    # Run where its cache (.schemathesis/) lands in a throw-away folder, not in the checkout.
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=report.parent)
    summary = [line.strip() for line in out.stdout.splitlines() if "❌" in line or " generated" in line]
    deliberate, undocumented = classify(out.stdout)
    return {
        "exit": out.returncode,
        "summary": summary[-20:],
        "tail": out.stdout[-3000:],
        "deliberate": deliberate,
        "undocumented": undocumented,
    }


# --- the raw-bytes harness -----------------------------------------------------------------------------

PATHS = [
    "/v1/articles",
    "/v1/articles/{id}",
    "/v1/articles/bulk",
    "/v1/actors",
    "/v1/actors/{slug}",
    "/v1/actors/{slug}/members",
    "/v1/actors/{slug}/relations",
    "/v1/actors/{slug}/network",
    "/v1/actors/{slug}/timeline",
    "/v1/relations",
    "/v1/relations/{id}",
    "/v1/graph/path",
    "/v1/events",
    "/v1/events/{id}",
    "/v1/event-types",
    "/v1/claims",
    "/v1/claims/{id}",
    "/v1/propositions",
    "/v1/propositions/{id}",
    "/v1/resolve",
    "/v1/keys",
    "/readyz",
]
METHODS = [
    "GET",
    "GET",
    "GET",
    "POST",
    "POST",
    "PATCH",
    "DELETE",
    "PUT",
    "HEAD",
    "OPTIONS",
    "TRACE",
    "G\x00T",
    "BREW",
]
PARAMS = [
    "q",
    "actor",
    "actors_all",
    "member_of",
    "country",
    "source",
    "language",
    "published_after",
    "published_before",
    "sort",
    "facets",
    "format",
    "limit",
    "cursor",
    "as_of",
    "type",
    "types",
    "direction",
    "depth",
    "since",
    "until",
    "from",
    "to",
    "max_depth",
    "interval",
    "with",
    "speaker",
    "about",
    "stance",
    "event",
    "status",
    "bbox",
    "near",
]
NASTY = [
    "",
    "0",
    "-1",
    "true",
    "null",
    "NaN",
    "1e999",
    "9" * 40,
    "%00",
    "%ff%fe",
    "%ed%a0%80",
    "%c0%af",
    "..%2f..%2f",
    "'; DROP TABLE articles;--",
    "\u202e",
    "\U0001f4a9",
    "a" * 5000,
    "%25",
    "%",
    "%zz",
    "2024-13-45",
    "0000-00-00",
    "nato,usa",
    "[]",
    "{}",
    "\\u0000",
    "%0d%0aX: y",
    "-9223372036854775809",
    "1.5",
    " ",
    "+",
    "*",
]


def _nasty(rng: random.Random) -> str:
    v = rng.choice(NASTY)
    if rng.random() < 0.3:
        v += "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randrange(1, 8)))
    return v


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(12 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([0, -1, 2**31, 2**63, -(2**64), 10**30, 1.5, 1e308, True, False, None])
    if kind in (1, 2):
        return _nasty(rng)
    if kind == 3:
        return rng.choice(["2024-01-01", "2024-01-01T00:00:00Z", "0", 0, "9999-12-31T23:59:59+14:00"])
    if kind == 4:
        return rng.choice(
            ["https://news.example.com/x", "https://u:p@x.com/", "http://-x-/", "javascript:alert(1)"]
        )
    if kind == 5:
        return "x" * rng.choice([1, 300, 70_000])
    if kind < 9:
        return {
            rng.choice(
                [
                    "name",
                    "kind",
                    "title",
                    "url",
                    "text",
                    "attributes",
                    "external_ids",
                    "aliases",
                    "subject",
                    "object",
                    "type",
                    "speaker",
                    "stance",
                    "article_id",
                    "start_date",
                    "published_at",
                    "participants",
                    "articles",
                    "\u0000",
                    "a" * 300,
                ]
            ): _json_value(rng, depth + 1)
            for _ in range(rng.randrange(1, 8))
        }
    return [_json_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]


def _body(rng: random.Random) -> tuple[bytes, str]:
    r = rng.random()
    if r < 0.45:
        raw = json.dumps(_json_value(rng, 0)).encode()
    elif r < 0.55:
        depth = rng.choice([40, 300, 2000])
        raw = b'{"kind":"person","name":"x","external_ids":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    elif r < 0.65:
        raw = (
            b'{"title": "'
            + rng.choice([b"\\u0000", b"\\ud800", b"\xed\xa0\x80", b"\xff", b"\\udc00\\ud800"])
            + b'"}'
        )
    elif r < 0.75:
        raw = b"\n".join(json.dumps(_json_value(rng, 1)).encode() for _ in range(rng.randrange(1, 6)))
    elif r < 0.85:
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
    else:
        raw = json.dumps(_json_value(rng, 0)).encode()[: rng.randrange(1, 50)]
    ctype = rng.choice(
        [
            "application/json",
            "application/json",
            "application/x-ndjson",
            "text/plain",
            "application/merge-patch+json",
            "application/json; charset=latin-1",
            "",
            "multipart/form-data; boundary=x",
        ]
    )
    return raw, ctype


def _request(rng: random.Random, key: str) -> bytes:
    path = rng.choice(PATHS)
    path = path.replace("{id}", rng.choice(["1", "2", "0", "-1", "99999999999", "abc", "1.0", "%00", "true"]))
    path = path.replace("{slug}", rng.choice(["nato", "usa", "%ed%a0%80", "%00", "a" * 300, "%2e%2e", "1"]))
    query = "&".join(f"{rng.choice(PARAMS)}={_nasty(rng)}" for _ in range(rng.randrange(0, 5)))
    target = path + ("?" + query if query else "")
    method = rng.choice(METHODS)
    if method == "DELETE" and path.startswith("/v1/keys"):
        method = "GET"  # keep the harness's own key
    headers = [("Host", "fuzz"), ("Connection", "close")]
    if rng.random() < 0.8:
        headers.append(("Authorization", f"Bearer {key}"))
    if rng.random() < 0.2:
        headers.append(
            (
                rng.choice(
                    ["Accept", "If-None-Match", "X-Request-ID", "Idempotency-Key", "Range", "X-API-Key"]
                ),
                rng.choice(["application/x-ndjson", "text/csv", "*/*", "\xff\xfe", "a" * 3000, 'W/"x"']),
            )
        )
    body = b""
    if method in ("POST", "PATCH", "PUT") or rng.random() < 0.05:
        body, ctype = _body(rng)
        if ctype:
            headers.append(("Content-Type", ctype))
        length = len(body) if rng.random() < 0.95 else rng.choice([0, len(body) + 10_000, -1])
        headers.append(("Content-Length", str(length)))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("utf-8", "surrogatepass") + body


def raw_harness(port: int, key: str, seconds: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    sent = 0
    statuses: dict[str, int] = {}
    bad: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        payload = _request(rng, key)
        sent += 1
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(payload)
                s.settimeout(10)
                first = s.recv(64)
        except TimeoutError:
            first = b"TIMEOUT"
        except OSError:
            first = b""
        status = (
            first[9:12].decode("latin-1")
            if first.startswith(b"HTTP/1.1 ")
            else ("timeout" if first == b"TIMEOUT" else "none")
        )
        statuses[status] = statuses.get(status, 0) + 1
        if status.startswith("5"):
            bad.append(payload[:300].decode("latin-1"))
    return {"sent": sent, "statuses": dict(sorted(statuses.items())), "server_errors": bad[:10]}


def fuzz(engine_name: str, seconds: int) -> bool:
    engine = Engine(engine_name)
    server = Server(
        engine.url,
        workers=1,
        GEONEWS_DB_STATEMENT_TIMEOUT_MS="10000",
        GEONEWS_BODY_TIMEOUT="5",
        GEONEWS_HEADER_TIMEOUT="5",
        GEONEWS_METRICS_PUBLIC="true",
        GEONEWS_LOG_LEVEL="warning",  # a 503's cause is logged at warning level (app/errors.py)
    )
    ok = True
    try:
        server.start()
        with tempfile.TemporaryDirectory() as tmp:
            st = run_schemathesis(server.base, engine.key, seconds, Path(tmp) / "st.ndjson")
        raw = raw_harness(server.port, engine.key, seconds / 2, seed=20261201)
        alive = httpx.get(f"{server.base}/healthz", timeout=10).status_code == 200
        errors = server_errors(server.base)
        print(f"== fuzz {engine_name}: schemathesis exit {st['exit']}")
        for line in st["summary"]:
            print("   ", line)
        print(f"== fuzz {engine_name}: deliberate schemathesis failures {st['deliberate'] or 'none'}")
        for operation, code, evidence in st["undocumented"]:
            print(f"   UNDOCUMENTED {code} {operation}:", evidence.replace("\n", " ")[:400])
        print(f"== fuzz {engine_name}: raw harness {raw['sent']} requests, statuses {raw['statuses']}")
        for example in raw["server_errors"]:
            print("   5xx for:", example.splitlines()[0][:200])
        print(f"== fuzz {engine_name}: server-side 5xx counts {errors or 'none'}; alive after: {alive}")
        output = server.output().splitlines()
        if errors:  # what the server said about its 5xx answers
            for line in [line for line in output if "database" in line.lower()][:20]:
                print("   server log:", line[:400])
        logged = [i for i, line in enumerate(output) if "unhandled error" in line]
        for i in logged[:10]:
            print("   server log:", output[i][:300])
            trace = output[i + 1 : i + 200]
            end = next(
                (k for k, line in enumerate(trace) if line and not line.startswith((" ", "Traceback"))), 40
            )
            for line in trace[: end + 1][-30:]:  # the end of its traceback: where it failed, and the error
                print("      ", line[:300])
        ok = not errors and not raw["server_errors"] and alive and not logged and not st["undocumented"]
        if not ok and st["tail"]:
            print(st["tail"])
    finally:
        server.stop()
        engine.close()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="schemathesis budget per engine (raw: half)")
    default = "sqlite,postgres" if os.environ.get("GEONEWS_TEST_POSTGRES_URL") else "sqlite"
    parser.add_argument("--engines", default=default)
    args = parser.parse_args()
    results = {name: fuzz(name, args.seconds) for name in args.engines.split(",")}
    failed = [n for n, ok in results.items() if not ok]
    print(f"fuzz: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
