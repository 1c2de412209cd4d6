"""Starts the local stack for `make run` and `make test`: private PostgreSQL and Redis servers
under var/, then the web server, Celery worker and beat (run) or the test suite (test).

Standard library only: it runs before anything else is known to work.
"""

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
VENV_BIN = ROOT / ".venv" / "bin"
RUN_PG_PORT = 55432
RUN_REDIS_PORT = 56379
DB_USER = "returnsdesk"
DB_NAME = "returnsdesk"
SERVICE_USER = "returnsdesk"
BROWSER = "/usr/bin/chromium"


def say(message):
    print(f"==> {message}", flush=True)


def fail(message):
    print(f"\nERROR: {message}\n", file=sys.stderr, flush=True)
    sys.exit(1)


# --- Finding or installing the servers -------------------------------------------------------


def postgres_bindir():
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
        candidates.append(out.strip())
    for bindir in candidates:
        if Path(bindir, "initdb").exists() and Path(bindir, "postgres").exists():
            return Path(bindir)
    return None


def _version_key(path):
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def ensure_system_packages(*, need_browser):
    missing = []
    if postgres_bindir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if need_browser and not Path(BROWSER).exists():
        missing.append("chromium")
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        fail(
            f"missing: {', '.join(missing)}. Install them (Debian: sudo apt-get install -y "
            f"{' '.join(missing)}), or point DATABASE_URL and REDIS_URL at running servers "
            "(make run only)."
        )
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env)


# --- Running a server as an unprivileged user -------------------------------------------------


def service_account():
    """PostgreSQL refuses to run as root: as root, servers run as an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def own(path, account):
    if account is None:
        return
    for dirpath, _dirnames, filenames in os.walk(path):
        os.chown(dirpath, account.pw_uid, account.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), account.pw_uid, account.pw_gid)


def spawn(cmd, *, account=None, log=None, env=None):
    kwargs = {}
    if account is not None:
        kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    stdout = open(log, "ab") if log else None  # noqa: SIM115 - kept open for the child's life
    return subprocess.Popen(
        cmd,
        stdout=stdout,
        stderr=subprocess.STDOUT if log else None,
        env=env,
        start_new_session=True,
        **kwargs,
    )


def wait_for_port(port, *, process, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"{name} exited with code {process.returncode}; see its log under var/")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    fail(f"{name} did not open port {port} within {timeout}s")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres(*, datadir, port, account, log, durable):
    bindir = postgres_bindir()
    datadir.parent.mkdir(parents=True, exist_ok=True)
    if not (datadir / "PG_VERSION").exists():
        say(f"initialising PostgreSQL in {datadir.relative_to(ROOT)}")
        datadir.mkdir(parents=True, exist_ok=True)
        own(datadir, account)
        subprocess.run(
            [
                bindir / "initdb",
                "-D",
                datadir,
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
        )
    socket_dir = datadir / "run"
    socket_dir.mkdir(exist_ok=True)
    own(socket_dir, account)
    # Throwaway test data need not survive a crash; skipping fsync makes the suite faster.
    fsync = "on" if durable else "off"
    process = spawn(
        [
            bindir / "postgres",
            "-D",
            datadir,
            "-p",
            str(port),
            "-k",
            socket_dir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"fsync={fsync}",
        ],
        account=account,
        log=log,
    )
    wait_for_port(port, process=process, name="PostgreSQL")
    for _ in range(100):
        ready = subprocess.run(
            [bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER],
            capture_output=True,
        )
        if ready.returncode == 0:
            break
        time.sleep(0.2)
    exists = subprocess.run(
        [
            bindir / "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            DB_USER,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME],
            check=True,
        )
    return process


def start_redis(*, datadir, port, log, persistent):
    datadir.mkdir(parents=True, exist_ok=True)
    cmd = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(datadir),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    cmd += ["--appendonly", "yes"] if persistent else ["--save", "", "--appendonly", "no"]
    process = spawn(cmd, log=log)
    wait_for_port(port, process=process, name="Redis")
    return process


def stop(processes):
    """Stops children newest first: app processes before the servers they use."""
    for name, process in reversed(processes):
        if process.poll() is None:
            # PostgreSQL's "fast" shutdown is SIGINT; everything else stops on SIGTERM.
            process.send_signal(signal.SIGINT if name == "postgres" else signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def fresh_dir(path):
    """An empty folder at `path`, whatever a previous run left there."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def ensure_free(port, name, variable):
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            fail(
                f"port {port} for {name} is taken (another `make run`?). Stop it, "
                f"or set {variable} to use a server you run yourself."
            )


# --- The desk's own processes ------------------------------------------------------------------


def web_command(*, port, access_log):
    return [
        str(VENV_BIN / "gunicorn"),
        "config.asgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        # ASGI, because GET /api/v1/returns/{id}?wait= holds a request for seconds: on the
        # event loop it holds no thread.
        "--workers",
        "2",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--access-logfile",
        str(access_log),
    ]


def worker_command():
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
    ]


def beat_command(*, schedule):
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(schedule),
    ]


# --- make run ---------------------------------------------------------------------------------


def run(args):
    processes = []

    def shutdown(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    logs = VAR / "log"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local")
    try:
        ensure_system_packages(need_browser=False)
        if "DATABASE_URL" not in os.environ:
            ensure_free(RUN_PG_PORT, "PostgreSQL", "DATABASE_URL")
            pg = start_postgres(
                datadir=VAR / "postgres",
                port=RUN_PG_PORT,
                account=service_account(),
                log=logs / "postgres.log",
                durable=True,
            )
            processes.append(("postgres", pg))
        if "REDIS_URL" not in os.environ:
            ensure_free(RUN_REDIS_PORT, "Redis", "REDIS_URL")
            processes.append(
                (
                    "redis",
                    start_redis(
                        datadir=VAR / "redis",
                        port=RUN_REDIS_PORT,
                        log=logs / "redis.log",
                        persistent=True,
                    ),
                )
            )
        manage = [str(VENV_BIN / "python"), str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input"], check=True, env=env)
        subprocess.run([*manage, "bootstrap_demo"], check=True, env=env)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], check=True, env=env)
        port = int(os.environ.get("PORT", "8000"))
        gunicorn = spawn(
            web_command(port=port, access_log=logs / "access.log"),
            env=dict(env, PROMETHEUS_MULTIPROC_DIR=str(fresh_dir(VAR / "prometheus"))),
            log=logs / "gunicorn.log",
        )
        processes.append(("gunicorn", gunicorn))
        processes.append(("worker", spawn(worker_command(), env=env, log=logs / "worker.log")))
        processes.append(
            (
                "beat",
                spawn(
                    beat_command(schedule=VAR / "celerybeat-schedule"),
                    env=env,
                    log=logs / "beat.log",
                ),
            )
        )
        if os.environ.get("DEMO", "1") != "0":
            processes.append(
                ("demo", spawn([*manage, "demo_stream"], env=env, log=logs / "demo.log"))
            )
        wait_for_port(port, process=gunicorn, name="gunicorn")
        base = f"http://127.0.0.1:{port}"
        print(
            f"\nReturns desk is up (logs in var/log/):\n"
            f"  reviewer UI  {base}/\n"
            f"  admin        {base}/admin/\n"
            f"  API docs     {base}/api/docs/\n"
            f"  readiness    {base}/readyz\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    fail(f"{name} exited with code {process.returncode}; see var/log/{name}.log")
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        stop(processes)


# --- make test --------------------------------------------------------------------------------


def test(args):
    ensure_system_packages(need_browser=True)
    VAR.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="test-stack-", dir=VAR))
    processes = []
    try:
        account = service_account()
        own(scratch, account)
        pg_port, redis_port = free_port(), free_port()
        processes.append(
            (
                "postgres",
                start_postgres(
                    datadir=scratch / "postgres",
                    port=pg_port,
                    account=account,
                    log=scratch / "postgres.log",
                    durable=False,
                ),
            )
        )
        processes.append(
            (
                "redis",
                start_redis(
                    datadir=scratch / "redis",
                    port=redis_port,
                    log=scratch / "redis.log",
                    persistent=False,
                ),
            )
        )
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=f"postgres://{DB_USER}@127.0.0.1:{pg_port}/{DB_NAME}",
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            MODEL_ARTIFACT_DIR=str(scratch / "models"),
        )
        python = str(VENV_BIN / "python")
        checks = [
            [python, "manage.py", "check", "--fail-level", "WARNING"],
            [python, "manage.py", "makemigrations", "--check", "--dry-run"],
            [python, "-m", "pytest", *args.pytest_args],
        ]
        for command in checks:
            say(" ".join(command[1:]))
            result = subprocess.run(command, cwd=ROOT, env=env)
            if result.returncode != 0:
                return result.returncode
        return 0
    finally:
        stop(processes)
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the whole system in the foreground")
    sub.add_parser("ensure-packages", help="install missing Debian packages (root only)")
    sub.add_parser("test", help="run the suite against throwaway servers; extra args go to pytest")
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra
    if args.command == "run":
        run(args)
    elif args.command == "ensure-packages":
        ensure_system_packages(need_browser=True)
    else:
        sys.exit(test(args))


if __name__ == "__main__":
    main()
