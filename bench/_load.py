"""Load generators for the requests-per-second figures: wrk (preferred) or Python processes.

Every scenario runs `connections` concurrent clients, one per simulated phone. Each client has
exactly one connection and sends its next request only after the previous answer (no pipelining),
so a phone's pushes arrive in sequence order. gunicorn's sync workers close the connection after
every response, so each request pays a TCP connect; that is the same for the baseline.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from _wire import BASE_HEADERS

PUSH_AT = "2026-11-26T09:30:00+07:00"


@dataclass
class Phone:
    """One simulated phone for the load tests."""

    token: str
    cursor: str = ""
    item_id: int = 0
    next_seq: int = 1  # the first sequence number its next push uses
    prefix: str = ""  # unique per phone and run: mutation ids are <prefix><seq>


@dataclass
class LoadResult:
    tool: str
    requests: int
    errors: int  # non-2xx answers and socket errors
    seconds: float
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def combine(parts: list[LoadResult]) -> LoadResult:
    """Several runs of one scenario as one: totals, the mean of the medians and the worst p99."""
    p50s = [p.p50_ms for p in parts if p.p50_ms is not None]
    p99s = [p.p99_ms for p in parts if p.p99_ms is not None]
    return LoadResult(
        parts[0].tool,
        sum(p.requests for p in parts),
        sum(p.errors for p in parts),
        sum(p.seconds for p in parts),
        sum(p50s) / len(p50s) if p50s else None,
        max(p99s) if p99s else None,
    )


def fee_batch(phone: Phone, first_seq: int, batch: int) -> bytes:
    """`batch` fee mutations (no attachments) with sequence numbers first_seq, first_seq+1, ..."""
    mutations = ",".join(
        f'{{"id":"{phone.prefix}{seq}","seq":{seq},"type":"fee","v":1,"at":"{PUSH_AT}",'
        f'"item_id":{phone.item_id},"data":{{"service_fee":5000,"receipt_number":"BL{seq}"}},"attachments":[]}}'
        for seq in range(first_seq, first_seq + batch)
    )
    return f'{{"protocol":1,"app_version":"bench-1.0","mutations":[{mutations}]}}'.encode()


# --- wrk ---------------------------------------------------------------------------------------------

_LUA_COMMON = r"""
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d," ..
    "\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99))))
end
"""


def _lua_str(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text


def _lua_headers(extra: dict) -> str:
    headers = dict(BASE_HEADERS) | extra
    return "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in headers.items()) + "}"


def _wrk_script(kind: str, phones: list[Phone], batch: int) -> str:
    if kind == "health":
        return (
            _LUA_COMMON
            + f"""
local req
function init(args) req = wrk.format("GET", "/api/health", {_lua_headers({})}) end
function request() return req end
"""
        )
    rows = ",\n".join(
        "{" + f"token = {_lua_str(p.token)}, cursor = {_lua_str(p.cursor)}, item = {p.item_id}, "
        f"seq = {p.next_seq}, prefix = {_lua_str(p.prefix)}" + "}"
        for p in phones
    )
    table = f"local phones = {{\n{rows}\n}}\n"
    if kind == "pull":
        return (
            _LUA_COMMON
            + table
            + f"""
local req
function init(args)
  local p = phones[((tid - 1) % #phones) + 1]
  local headers = {_lua_headers({"Accept-Encoding": "gzip"})}
  headers["Authorization"] = "Bearer " .. p.token
  req = wrk.format("GET", "/api/sync/pull?cursor=" .. p.cursor, headers)
end
function request() return req end
"""
        )
    if kind == "push":
        return (
            _LUA_COMMON
            + table
            + f"""
local p, seq, headers
function init(args)
  p = phones[((tid - 1) % #phones) + 1]
  seq = p.seq
  headers = {_lua_headers({"Accept-Encoding": "gzip", "Content-Type": "application/json"})}
  headers["Authorization"] = "Bearer " .. p.token
end
function request()
  local parts = {{}}
  for i = 1, {batch} do
    parts[i] = string.format('{{"id":"%s%d","seq":%d,"type":"fee","v":1,"at":"{PUSH_AT}","item_id":%d,' ..
      '"data":{{"service_fee":5000,"receipt_number":"BL%d"}},"attachments":[]}}', p.prefix, seq, seq, p.item, seq)
    seq = seq + 1
  end
  local body = '{{"protocol":1,"app_version":"bench-1.0","mutations":[' .. table.concat(parts, ",") .. ']}}'
  return wrk.format("POST", "/api/sync/push", headers, body)
end
"""
        )
    raise ValueError(kind)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    base_url: str,
    kind: str,
    phones: list[Phone],
    connections: int,
    seconds: float,
    workdir: Path,
    batch: int = 10,
) -> LoadResult:
    script = workdir / f"wrk_{kind}.lua"
    script.write_text(_wrk_script(kind, phones, batch))
    command = [
        wrk_path(),
        f"-t{connections}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^WRKJSON (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    data = json.loads(match.group(1))
    errors = data["status"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return LoadResult(
        "wrk",
        data["requests"],
        errors,
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
    )


# --- Python processes (when wrk is not installed) ----------------------------------------------------


def _worker(args) -> tuple[int, int, list[float]]:
    host, port, kind, phone, start_at, end_at, batch = args
    headers = dict(BASE_HEADERS)
    if kind != "health":
        headers["Authorization"] = f"Bearer {phone.token}"
        headers["Accept-Encoding"] = "gzip"
    if kind == "push":
        headers["Content-Type"] = "application/json"
    path = {
        "health": "/api/health",
        "pull": f"/api/sync/pull?cursor={phone.cursor}",
        "push": "/api/sync/push",
    }[kind]
    seq = phone.next_seq
    done = errors = 0
    latencies: list[float] = []
    connection = http.client.HTTPConnection(host, port, timeout=30)
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < end_at:
        body = None
        if kind == "push":
            body = fee_batch(phone, seq, batch)
            seq += batch
        began = time.perf_counter()
        try:
            connection.request("POST" if body else "GET", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
        latencies.append(time.perf_counter() - began)
        done += 1
    connection.close()
    return done, errors, latencies


def run_python(
    host: str, port: int, kind: str, phones: list[Phone], connections: int, seconds: float, batch: int = 10
) -> LoadResult:
    context = multiprocessing.get_context("spawn")
    with context.Pool(connections) as pool:
        start_at = time.time() + 1.0 + connections * 0.05  # let every process start first
        jobs = [
            (
                host,
                port,
                kind,
                phones[i % len(phones)] if phones else None,
                start_at,
                start_at + seconds,
                batch,
            )
            for i in range(connections)
        ]
        results = pool.map(_worker, jobs)
    latencies = sorted(x for _, _, lat in results for x in lat)
    pick = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies else None
    )
    return LoadResult(
        f"python ({connections} processes)",
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        seconds,
        pick(0.5) if pick else None,
        pick(0.99) if pick else None,
    )


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
