"""A real Celery worker process against the test database and the test Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """`log`: a file the worker's log lines go to, at `loglevel`; else they go to the console."""

    def __init__(self, *, loglevel="WARNING", log=None, hostname=None):
        self.process = None
        self.loglevel = loglevel
        self.log = log
        # A name of its own, as a worker on another machine has: `name@host`.
        self.hostname = hostname

    def start(self):
        db = settings.DATABASES["default"]
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.settings",
            # The worker must use the test database pytest-django created, not the base one.
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            CONN_MAX_AGE="0",
        )
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
