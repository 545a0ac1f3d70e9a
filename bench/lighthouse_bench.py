"""Benchmark: Lighthouse 12 (mobile) on the postman's PWA, and the size of its app shell.

Builds mobile_pwa/ (npm ci when node_modules is missing, then `npm run build`), serves the app with
gunicorn on a free port (production settings, a throwaway SQLite database and storage directory),
runs Lighthouse 12 from bench/node_modules (bench/package.json and its lock; `npm ci` there when it
is missing — Lighthouse is the bench's tool, not a dependency of the app) on /app/ — the sign-in
screen, the first thing a phone loads — with its default mobile emulation and simulated slow-4G
throttling, and reads the
service worker's precache list to sum the gzipped size of the app shell (every file the worker
precaches: HTML, JS, CSS, manifest, icons), and of its part a first start fetches (index.html and
what it names) apart from the chunks loaded when first used.

Prints readable lines, then one JSON object as its last line. Targets (reported, not asserted):
performance >= 95, accessibility >= 95, shell <= 150 KB gzipped. Exit status 1 only if the
benchmark itself failed.

    .venv/bin/python bench/lighthouse_bench.py [--runs 3] [--skip-build]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PWA = ROOT / "mobile_pwa"
BENCH = ROOT / "bench"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
DIST = PWA / "dist"
CHROME = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
TARGETS = {"performance": 95, "accessibility": 95, "shell_kb": 150}


def build(skip: bool) -> None:
    npm_ci = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    if not LIGHTHOUSE.exists():
        subprocess.run(npm_ci, cwd=BENCH, check=True)
    if skip and (DIST / "sw.js").is_file():
        return
    if not (PWA / "node_modules" / ".bin" / "vite").exists():
        subprocess.run(npm_ci, cwd=PWA, check=True)
    subprocess.run(["npm", "run", "build", "--silent"], cwd=PWA, check=True, stdout=subprocess.DEVNULL)


def shell_files() -> list[str]:
    """The service worker's precache list (what a phone keeps for offline starts)."""
    source = (DIST / "sw.js").read_text()
    urls = re.findall(r'"url":"([^"]+)"', source)
    if not urls:
        raise RuntimeError("no precache manifest found in dist/sw.js")
    return sorted(set(urls))


def shell_size() -> dict:
    files = {}
    for url in shell_files():
        data = (DIST / url).read_bytes()
        files[url] = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=9, mtime=0))}
    total = sum(f["gzip_bytes"] for f in files.values())
    # What a first start fetches: index.html and what it names; the rest is precached but loaded
    # when first used (the map, the barcode decoder and its Wasm, the agency handover screen).
    named = set(re.findall(r'(?:src|href)="/app/([^"#]+)"', (DIST / "index.html").read_text()))
    first = {"index.html", *named} & set(files)
    first_total = sum(files[url]["gzip_bytes"] for url in first)
    return {
        "files": files,
        "first_load_files": sorted(first),
        "first_load_gzip_kb": round(first_total / 1024, 1),
        "lazy_gzip_kb": round((total - first_total) / 1024, 1),
        "bytes": sum(f["bytes"] for f in files.values()),
        "gzip_bytes": total,
        "gzip_kb": round(total / 1024, 1),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path) -> dict:
    return {
        **os.environ,
        "POSTROUND_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ID_HASH_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "STORAGE_DIR": str(workdir / "storage"),
        "RATELIMIT_ENABLED": "false",
    }


# The tracking page as a citizen opens it from the QR on the envelope: a demo result with its fees due
# and the payees' accounts, so the page draws its VietQR codes (the heaviest answer /track/ gives).
_TRACKED_ITEM = """
from sqlalchemy import select
from backend import create_app
from backend.extensions import db
from backend.models import Item
from backend.services.citizen_links import tracking_link
app = create_app()
with app.app_context():
    items = db.session.scalars(select(Item).where(Item.direction == "return").order_by(Item.id)).all()
    paying = [i for i in items if i.government_fee > 0 and i.status not in ("delivered", "cancelled")]
    item = (paying or items)[0]
    print(tracking_link(item).split("/track/", 1)[1])
"""


def seed_tracked(env: dict) -> str:
    """Migrate and seed the bench database; the query string of a demo result's tracking link."""
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*flask, "db", "upgrade"], **quiet, stderr=subprocess.DEVNULL)
    subprocess.run([*flask, "seed-demo", "--force"], **quiet)  # a throwaway bench database
    python = str(ROOT / ".venv" / "bin" / "python")
    found = subprocess.run([python, "-c", _TRACKED_ITEM], cwd=ROOT, env=env, check=True, capture_output=True)
    return "/track/" + found.stdout.decode().strip().splitlines()[-1]


def start_server(workdir: Path, path: str = "/app/", env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = env or server_env(workdir)
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}{path}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not answer on " + url)


def lighthouse(url: str, workdir: Path, n: int) -> dict:
    report = workdir / f"lighthouse-{n}.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--form-factor=mobile",
        "--only-categories=performance,accessibility",
        "--output=json",
        f"--output-path={report}",
        "--chrome-flags=--headless --no-sandbox --disable-gpu",
        "--quiet",
    ]
    subprocess.run(
        command,
        check=True,
        env={**os.environ, "CHROME_PATH": CHROME},
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=240,
    )
    data = json.loads(report.read_text())
    audits = data["audits"]
    failed = sorted(
        audit_id
        for ref in data["categories"]["accessibility"]["auditRefs"]
        if (audit_id := ref["id"]) and audits[audit_id].get("score") == 0 and ref["weight"] > 0
    )
    return {
        "performance": round(data["categories"]["performance"]["score"] * 100),
        "accessibility": round(data["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "speed_index_ms": round(audits["speed-index"]["numericValue"]),
        "accessibility_failures": failed,
        "lighthouse_version": data["lighthouseVersion"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs; the median is reported")
    parser.add_argument("--skip-build", action="store_true", help="use the existing mobile_pwa/dist")
    parser.add_argument(
        "--path", default="/app/", help="the page to audit: /app/ (the PWA) or /track/ (the citizen's page)"
    )
    parser.add_argument(
        "--tracked",
        action="store_true",
        help="audit the tracking page of a seeded demo result opened from its link (status, fees, VietQR)",
    )
    args = parser.parse_args()
    summary: dict = {}
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="postround-lighthouse-"))
    try:
        build(args.skip_build)
        shell = shell_size()
        print(
            f"app shell: {len(shell['files'])} precached files, {shell['bytes'] / 1024:.1f} KB, "
            f"{shell['gzip_kb']} KB gzipped: {shell['first_load_gzip_kb']} KB on a first start "
            f"(index.html and what it names), {shell['lazy_gzip_kb']} KB loaded when first used"
        )
        for url, size in shell["files"].items():
            print(f"  {url:40} {size['bytes'] / 1024:7.1f} KB  gzip {size['gzip_bytes'] / 1024:6.1f} KB")
        env = server_env(workdir)
        path = seed_tracked(env) if args.tracked else args.path
        server, url = start_server(workdir, path, env)
        runs = []
        for n in range(args.runs):
            result = lighthouse(url, workdir, n)
            runs.append(result)
            print(
                f"lighthouse run {n + 1}: performance {result['performance']}, accessibility "
                f"{result['accessibility']} (FCP {result['fcp_ms']} ms, LCP {result['lcp_ms']} ms, "
                f"TBT {result['tbt_ms']} ms, CLS {result['cls']})"
            )
        performance = statistics.median_low(r["performance"] for r in runs)
        accessibility = statistics.median_low(r["accessibility"] for r in runs)
        median_run = next(r for r in runs if r["performance"] == performance)
        summary = {
            "url": url,
            "lighthouse_version": runs[0]["lighthouse_version"],
            "form_factor": "mobile",
            "runs": len(runs),
            "performance": performance,
            "accessibility": accessibility,
            "performance_runs": [r["performance"] for r in runs],
            "accessibility_runs": [r["accessibility"] for r in runs],
            "fcp_ms": median_run["fcp_ms"],
            "lcp_ms": median_run["lcp_ms"],
            "tbt_ms": median_run["tbt_ms"],
            "cls": median_run["cls"],
            "accessibility_failures": sorted({f for r in runs for f in r["accessibility_failures"]}),
            "shell_files": len(shell["files"]),
            "shell_bytes": shell["bytes"],
            "shell_gzip_bytes": shell["gzip_bytes"],
            "shell_gzip_kb": shell["gzip_kb"],
            "first_load_gzip_kb": shell["first_load_gzip_kb"],
            "lazy_gzip_kb": shell["lazy_gzip_kb"],
            "targets_met": {
                "performance": performance >= TARGETS["performance"],
                "accessibility": accessibility >= TARGETS["accessibility"],
                "shell_size": shell["gzip_kb"] <= TARGETS["shell_kb"],
            },
        }
        print(
            f"performance {performance}, accessibility {accessibility}, app shell {shell['gzip_kb']} KB gzipped"
        )
        status = 0
    except Exception as error:  # report, then the JSON line with the error
        summary = {**summary, "error": f"{type(error).__name__}: {error}"}
        if isinstance(error, subprocess.CalledProcessError) and error.stderr:
            print(error.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
        status = 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(summary, ensure_ascii=False))
    return status


if __name__ == "__main__":
    sys.exit(main())
