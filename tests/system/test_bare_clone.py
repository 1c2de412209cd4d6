"""A fresh clone of the committed code, with nothing beside it, runs what `make run` runs.

The clone reuses the installed virtualenv and the test PostgreSQL and Redis (its own database
and Redis database), so what it proves is that nothing outside the repository is needed:
no shared datasets, no model, no var/.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from config.devstack import free_port

ROOT = Path(__file__).resolve().parents[2]
# Migrating, generating the data and training take about half a minute here; generous for CI.
READY_TIMEOUT = 300
DECIDED_TIMEOUT = 60
STOP_TIMEOUT = 60
# The test Redis's database 0 belongs to the rest of the suite.
CLONE_REDIS_DB = 9

pytestmark = pytest.mark.system


def progress(started, message):
    print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)


def processes_inside(directory: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every process working in or started from `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        if cwd == str(directory) or cwd.startswith(f"{directory}/") or str(directory) in cmdline:
            found.append((int(entry.name), cmdline))
    return found


def http(method, url, *, key=None, body=None, timeout=10):
    request = urllib.request.Request(url, method=method, data=body and json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:  # not listening yet
        return None, str(exc)


@pytest.fixture
def clone(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is no HEAD to clone")
    directory = tmp_path / "returns-desk"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(directory)], check=True)
    assert not (directory.parent / "shared").exists()
    (directory / ".venv").symlink_to(Path(sys.prefix))
    return directory


@pytest.fixture
def servers():
    """DATABASE_URL and REDIS_URL of a fresh database and Redis database on the test servers."""
    db = settings.DATABASES["default"]
    name = f"bare_clone_{os.getpid()}"
    server = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "autocommit": True}
    with psycopg.connect(dbname="postgres", **server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{CLONE_REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    yield {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}",
        "REDIS_URL": redis_url,
    }
    with psycopg.connect(dbname="postgres", **server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_bare_clone_runs_decides_a_return_and_stops_cleanly(clone, servers, tmp_path):
    started = time.monotonic()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The suite's own settings and data must not leak into the clone: it is a stranger's machine.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DJANGO_SETTINGS_MODULE", "MODEL_ARTIFACT_DIR", "DEFAULT_TRAINING_DATA")
    }
    env.update(servers, DEMO="0", PORT=str(port))
    log_path = tmp_path / "devstack.log"
    python = str(clone / ".venv" / "bin" / "python")
    progress(started, f"cloned HEAD into {clone}; starting `python -m config.devstack run`")
    with log_path.open("wb") as log:
        devstack = subprocess.Popen(
            [python, "-m", "config.devstack", "run"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline, next_note = time.monotonic() + READY_TIMEOUT, 0.0
        while True:
            status, body = http("GET", f"{base}/readyz", timeout=5)
            if status == 200:
                break
            assert devstack.poll() is None, f"devstack exited with {devstack.returncode}"
            assert time.monotonic() < deadline, f"/readyz not 200 in {READY_TIMEOUT}s: {body}"
            if time.monotonic() >= next_note:
                progress(started, f"waiting for /readyz ({status}: {body})")
                next_note = time.monotonic() + 15
            time.sleep(1)
        progress(started, "/readyz 200")
        log_text = log_path.read_text(errors="replace")
        assert "returns_normal_generated.csv" in log_text  # the model trained on its own data

        created = subprocess.run(
            [python, "manage.py", "create_api_client", "bare-clone", "--role", "submitter"],
            cwd=clone,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        order = {
            "order_id": "CLONE-1",
            "customer_id": "C-1",
            "order_value": "129.99",
            "product_category": "Toys",
            "payment_method": "PayPal",
            "days_since_purchase": 3,
        }
        status, body = http("POST", f"{base}/api/v1/returns", key=key, body=order)
        assert status == 202, body
        deadline = time.monotonic() + DECIDED_TIMEOUT
        while body["status"] == "pending" and time.monotonic() < deadline:
            status, body = http(
                "GET", f"{base}/api/v1/returns/CLONE-1?wait=5000", key=key, timeout=15
            )
            assert status == 200, body
        assert body["status"] != "pending", f"not decided in {DECIDED_TIMEOUT}s"
        assert body["decision"]["action"] in ("approve", "reject", "review")
        progress(started, f"return decided: {body['decision']['action']}")

        devstack.send_signal(signal.SIGTERM)
        assert devstack.wait(timeout=STOP_TIMEOUT) == 0
        # devstack waits for its children; their own children may take a moment longer.
        deadline = time.monotonic() + 10
        while processes_inside(clone) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert processes_inside(clone) == []
        progress(started, "stopped; nothing left running")
    except BaseException:
        print(log_path.read_text(errors="replace")[-6000:])
        raise
    finally:
        if devstack.poll() is None:
            os.killpg(devstack.pid, signal.SIGKILL)
            devstack.wait()
        for pid, _cmdline in processes_inside(clone):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
