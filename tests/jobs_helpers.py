"""Big exports and a worker for tests of background jobs (tests/test_background_jobs.py, test_worker_kill.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from sqlalchemy.orm import undefer

from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import BackgroundJob, Item
from tests.server_process import production_env, spawn

HEADER = "Mã bưu gửi,Mã thủ tục,Họ tên,Điện thoại,Địa chỉ,Xã/Phường,Tỉnh/Thành phố,Chiều"


def export(rows: int, start: int = 52_000_000, bad: frozenset[int] = frozenset()) -> bytes:
    """A one-stop-shop export of `rows` rows; the rows numbered in `bad` (1-based) name no procedure."""
    lines = [HEADER]
    for n in range(1, rows + 1):
        procedure = "9.999999" if n in bad else "1.001193"
        direction = "thu gom" if n % 3 == 0 else "trả kết quả"
        lines.append(
            f"{make_s10('RR', start + n)},{procedure},Nguyễn Thị Hồng {n},0918 245 {n % 1000:03d},"
            f'"Tổ {n % 40 + 1}, Ấp Láng Cát",Xã Châu Thành,An Giang,{direction}'
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def run_queued(app) -> int:
    """Do what a consumer's worker does: take each task off the real queue and execute it."""
    huey = app.extensions["postround.tasks"].huey
    done = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        done += 1
    return done


def job_row(app, job_id: str) -> BackgroundJob:
    with app.app_context():
        job = db.session.get(BackgroundJob, job_id, options=[undefer(BackgroundJob.input)])
        db.session.expunge(job)
        return job


def item_codes(app) -> list[str]:
    with app.app_context():
        return db.session.execute(db.select(Item.code)).scalars().all()


class Consumer:
    """`flask --app wsgi worker` against the test's database and queue."""

    def __init__(self, app, log_path, **env: str):
        self.log_path = log_path
        queue = {
            "TASK_QUEUE_URL": app.config["TASK_QUEUE_URL"],
            "TASK_QUEUE_NAME": app.config["TASK_QUEUE_NAME"],
        }
        self.env = production_env(
            app.config["SQLALCHEMY_DATABASE_URI"], app.config["STORAGE_DIR"], **(queue | env)
        )
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = spawn(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "2"], self.env, log
            )
        return self

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(15)
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
