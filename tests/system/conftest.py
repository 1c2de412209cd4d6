"""A real Celery worker process against the test database and the test Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config import devstack

ROOT = Path(__file__).resolve().parents[2]


def desk_process_env(**settings_env) -> dict:
    """The environment of a desk process the suite starts: the suite's settings, and the test
    database pytest-django created, not the base one; `settings_env` on top."""
    db = settings.DATABASES["default"]
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **settings_env,
    )


class WorkerProcess:
    """`log`: a file the worker's log lines go to, at `loglevel`; else they go to the console.
    `env`: settings to add to its environment. Its connections close after each task unless
    `env` says otherwise (CONN_MAX_AGE), so none outlives the test database."""

    def __init__(self, *, loglevel="WARNING", log=None, hostname=None, env=None):
        self.process = None
        self.env = {"CONN_MAX_AGE": "0", **(env or {})}
        self.loglevel = loglevel
        self.log = log
        # A name of its own, as a worker on another machine has: `name@host`.
        self.hostname = hostname

    def start(self):
        env = desk_process_env(**self.env)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                self.loglevel,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                *(["--hostname", self.hostname] if self.hostname else []),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=self.log,
            stderr=self.log,
        )
        return self

    def kill(self):
        os.killpg(self.process.pid, 9)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class WebProcess:
    """The web server as `make run` starts it (config.devstack.web_command), on a free port,
    against the test database and the test Redis. `env`: settings to add to its environment."""

    def __init__(self, *, log_dir: Path, env=None):
        self.port = devstack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.env = env or {}
        self.process = None

    def start(self):
        env = desk_process_env(PROMETHEUS_MULTIPROC_DIR=str(self.log_dir), **self.env)
        self.process = devstack.spawn(
            devstack.web_command(port=self.port, access_log=self.log_dir / "access.log"),
            env=env,
            log=self.log_dir / "web.log",
        )
        devstack.wait_for_port(self.port, process=self.process, name="web")
        return self

    def worker_pids(self) -> list[int]:
        """The server's worker processes: the children of gunicorn's arbiter."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self):
        devstack.stop([("web", self.process)])


@pytest.fixture
def worker(transactional_db):
    process = WorkerProcess().start()
    yield process
    process.stop()
    connection.close()


def wait_until(predicate, *, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
