"""Refresh the explorer's vendored browser libraries from the npm registry: `make assets`.

`assets.json` beside this file is the one place that pins them: package, version, licence and which files
of the package tarball to copy where. This script fetches each tarball (`npm pack` when npm is installed,
else a plain HTTPS download checked against the registry's sha512 integrity), copies the listed files
into `static/vendor/<package>/` (or the package's `dest`, relative to the repository root) and records
each file's sha256 in `assets.json`, which `tests/web/test_assets.py` checks. Nothing here runs at
install or serve time: the files are committed and ship in the Python package.

    python -m app.web.assets            # re-download the pinned versions
    python -m app.web.assets --latest   # move every pin to the registry's newest version first
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "assets.json"
VENDOR = HERE / "static" / "vendor"
ROOT = HERE.parent.parent
REGISTRY = "https://registry.npmjs.org"


def load() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text())


def destination(name: str, spec: dict[str, Any]) -> Path:
    base = ROOT / spec["dest"] if "dest" in spec else VENDOR
    return base / name


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _registry_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def latest_version(name: str) -> str:
    if shutil.which("npm"):
        out = subprocess.run(["npm", "view", name, "version"], check=True, capture_output=True, text=True)
        return out.stdout.strip()
    return str(_registry_json(f"{REGISTRY}/{name}/latest")["version"])


def fetch_tarball(name: str, version: str, into: Path) -> Path:
    if shutil.which("npm"):
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--pack-destination", str(into), "--json", "--silent"],
            check=True,
            capture_output=True,
            text=True,
        )
        return into / json.loads(out.stdout)[0]["filename"]
    meta = _registry_json(f"{REGISTRY}/{name}/{version}")
    target = into / f"{name}-{version}.tgz"
    with urllib.request.urlopen(meta["dist"]["tarball"], timeout=120) as r:
        target.write_bytes(r.read())
    algo, _, expected = meta["dist"]["integrity"].partition("-")
    got = base64.b64encode(hashlib.new(algo, target.read_bytes()).digest()).decode()
    if got != expected:
        raise SystemExit(f"{name}@{version}: the tarball does not match the registry's {algo} integrity")
    return target


def refresh(latest: bool = False, say: Any = print) -> dict[str, Any]:
    manifest = load()
    with tempfile.TemporaryDirectory(prefix="geonews-assets-") as tmp:
        for name, spec in manifest["packages"].items():
            if latest:
                spec["version"] = latest_version(name)
            tgz = fetch_tarball(name, spec["version"], Path(tmp))
            unpacked = Path(tmp) / name
            with tarfile.open(tgz) as tar:
                tar.extractall(unpacked, filter="data")
            dest = destination(name, spec)
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            spec["sha256"] = {}
            for src, dst in spec["files"].items():
                shutil.copyfile(unpacked / "package" / src, dest / dst)
                spec["sha256"][dst] = sha256(dest / dst)
            say(f"{name}@{spec['version']} ({spec['license']}) -> {dest.relative_to(ROOT)}")
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check() -> list[str]:
    """What differs between assets.json and the vendored files (empty when they agree)."""
    problems = []
    for name, spec in load()["packages"].items():
        dest = destination(name, spec)
        for dst in spec["files"].values():
            path = dest / dst
            if not path.exists():
                problems.append(f"{path.relative_to(ROOT)} is missing")
            elif sha256(path) != spec.get("sha256", {}).get(dst):
                problems.append(f"{path.relative_to(ROOT)} does not match its sha256 in assets.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latest", action="store_true", help="move the pins to the newest versions first")
    p.add_argument("--check", action="store_true", help="only verify the vendored files against the pins")
    args = p.parse_args(argv)
    if args.check:
        problems = check()
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    refresh(latest=args.latest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
