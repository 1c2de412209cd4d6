"""`make bench`: the desk's figures in one table, each beside its target.

Uses `make run`'s servers when they are up (this checkout's gunicorn on PORT, default 8000,
with its PostgreSQL, Redis and model files under var/), else starts its own PostgreSQL, Redis,
gunicorn, Celery worker and beat under var/ on free ports, as `make run` would, and stops them
afterwards. Sizes come from the flags below or BENCH_* variables of the same names
(BENCH_RETURNS=2000 is --returns 2000).
"""

import argparse
import io
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from config import devstack

READY_TIMEOUT = 300

# (figure, unit, target as text, met(value)): the targets for this 2-core machine.
TARGETS = {
    "end_to_end": ("≥ 3,000/s", lambda v: v >= 3000),
    "share": ("≥ 10%", lambda v: v >= 0.10),
    "single_p50": ("≤ 30 ms", lambda v: v <= 30),
    "single_p99": ("≤ 150 ms", lambda v: v <= 150),
    "queue_p95": ("≤ 150 ms", lambda v: v <= 150),
    "worker_rss": ("≤ 400 MB", lambda v: v <= 400),
    "replay": ("≥ 1,000/s", lambda v: v >= 1000),
    "scoring_p99": ("≤ 5 ms", lambda v: v <= 5),
    "whole_table_reads": ("none", lambda v: v == 0),
}


def _env_default(name: str, default):
    return type(default)(os.environ.get(f"BENCH_{name.upper()}", default))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = {
        "returns": (20_000, "returns posted end to end"),
        "clients": (4, "clients (API clients, retailers) posting at once"),
        "batch": (1_000, "returns per batch POST"),
        "single": (200, "single returns timed submit → decision"),
        "queue_returns": (1_000_000, "returns seeded for the page timings"),
        "case_every": (20, "one open case per K seeded returns"),
        "page_loads": (50, "loads of each page timed"),
        "replay_rows": (5_200, "rows of the day replayed"),
        "scoring_calls": (2_000, "single-row scoring calls timed"),
        "profile_returns": (0, "returns decided under cProfile after the table (0: none)"),
    }
    for name, (default, help_text) in sizes.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=_env_default(name, default),
            help=f"{help_text} (default {default:,}; BENCH_{name.upper()})",
        )
    parser.add_argument(
        "--replay-data",
        type=Path,
        default=os.environ.get("BENCH_REPLAY_DATA") or None,
        help="a labelled returns CSV to replay (default: the generator's severe-drift day)",
    )
    parser.add_argument(
        "--own-servers",
        action="store_true",
        default=os.environ.get("BENCH_OWN_SERVERS") == "1",
        help="start its own servers even when make run's are up",
    )
    args = parser.parse_args(argv)
    too_small = [name for name in sizes if getattr(args, name) < (name != "profile_returns")]
    if too_small:
        parser.error(f"must be at least 1: {', '.join(too_small)}")
    if args.batch > 1000:
        parser.error("--batch: at most 1,000 returns a POST")
    return args


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _pids_of(*words: str) -> list[int]:
    """Top-level processes started from this checkout whose command line has every word."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            parent_cmdline = Path(f"/proc/{parent}/cmdline").read_bytes().decode(errors="ignore")
        except (OSError, ValueError, IndexError):
            continue
        ours = cwd == str(devstack.ROOT) and all(w in cmdline for w in words)
        # The master only: its pool children are counted under it.
        if ours and not all(w in parent_cmdline for w in words):
            found.append(int(entry.name))
    return found


@dataclass
class Servers:
    """Where the desk under test runs, and what to stop afterwards."""

    url: str
    env: dict
    own: bool
    scratch: Path | None = None
    processes: list = field(default_factory=list)

    def web_pids(self) -> list[int]:
        if self.own:
            return [p.pid for name, p in self.processes if name == "gunicorn"]
        return _pids_of("gunicorn", "config.asgi")

    def worker_pids(self) -> list[int]:
        if self.own:
            return [p.pid for name, p in self.processes if name == "worker"]
        return _pids_of("celery", "worker")

    def postgres_pids(self) -> list[int]:
        """The postmaster: its first line of postmaster.pid, in the cluster's data directory."""
        datadir = (self.scratch or devstack.VAR) / "postgres"
        try:
            return [int((datadir / "postmaster.pid").read_text().split()[0])]
        except (OSError, IndexError, ValueError):
            return []

    def stop(self):
        devstack.stop(self.processes)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def servers_running() -> Servers | None:
    port = int(os.environ.get("PORT", "8000"))
    url = f"http://127.0.0.1:{port}"
    up = all(_listening(p) for p in (devstack.RUN_PG_PORT, devstack.RUN_REDIS_PORT, port))
    # Another checkout's make run keeps its model files under its own var/: not ours to use.
    if not (up and _ready(url) and _pids_of("gunicorn", "config.asgi")):
        return None
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local")
    return Servers(url=url, env=env, own=False)


def servers_start() -> Servers:
    """PostgreSQL (durable, as make run's), Redis, gunicorn, a worker and beat on free ports."""
    devstack.ensure_system_packages(need_browser=False)
    devstack.VAR.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-", dir=devstack.VAR))
    account = devstack.service_account()
    devstack.own(scratch, account)
    pg_port, redis_port, web_port = (devstack.free_port() for _ in range(3))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"postgres://{devstack.DB_USER}@127.0.0.1:{pg_port}/{devstack.DB_NAME}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        MODEL_ARTIFACT_DIR=str(scratch / "models"),
        # The bench posts faster than a retailer may; the limits are not what it measures.
        API_RATE_SUBMIT="1000000/minute",
        API_RATE_READ="1000000/minute",
    )
    servers = Servers(url=f"http://127.0.0.1:{web_port}", env=env, own=True, scratch=scratch)
    try:
        servers.processes.append(
            (
                "postgres",
                devstack.start_postgres(
                    datadir=scratch / "postgres",
                    port=pg_port,
                    account=account,
                    log=scratch / "postgres.log",
                    durable=True,
                ),
            )
        )
        servers.processes.append(
            (
                "redis",
                devstack.start_redis(
                    datadir=scratch / "redis",
                    port=redis_port,
                    log=scratch / "redis.log",
                    persistent=False,
                ),
            )
        )
        devstack.say("migrating and training the default model")
        django_setup(env)
        from django.core.management import call_command

        from scoring.selectors import training_data_default

        call_command("migrate", "--no-input", verbosity=0)
        call_command("train_model", data=training_data_default(), stdout=io.StringIO())
        web_env = dict(env, PROMETHEUS_MULTIPROC_DIR=str(devstack.fresh_dir(scratch / "prom")))
        for name, command, process_env in (
            (
                "gunicorn",
                devstack.web_command(port=web_port, access_log=scratch / "access.log"),
                web_env,
            ),
            ("worker", devstack.worker_command(), env),
            ("beat", devstack.beat_command(schedule=scratch / "beat-schedule"), env),
        ):
            servers.processes.append(
                (name, devstack.spawn(command, env=process_env, log=scratch / f"{name}.log"))
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(servers.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{servers.url}/readyz not ready; logs in {scratch}")
            time.sleep(0.5)
    except BaseException:
        servers.stop()
        raise
    return servers


def django_setup(env: dict) -> None:
    """This process talks to the same database as the servers, with the same settings."""
    import django

    os.environ.update(env)
    # Its own request lines (the page timings) would bury the progress bars.
    os.environ["LOG_LEVEL"] = "WARNING"
    django.setup()


def measure(args, servers: Servers) -> dict:
    if not servers.own:
        django_setup(servers.env)
    from core.services.api_clients import api_client_create
    from insights import bench

    figures = {}
    devstack.say("raw scoring rate of the active model")
    figures["scoring"] = bench.model_scoring_rates(calls=args.scoring_calls)
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    keys = [
        api_client_create(name=f"bench-{stamp}-{n}", role="submitter", actor_label="bench")[1]
        for n in range(args.clients)
    ]
    devstack.say(
        f"end to end: {args.returns:,} returns from {args.clients} clients at once, "
        f"batches of {args.batch:,}"
    )
    figures["throughput"] = bench.batch_throughput(
        url=servers.url,
        keys=keys,
        returns=args.returns,
        batch=args.batch,
        processes={
            "web": servers.web_pids(),
            "worker": servers.worker_pids(),
            "PostgreSQL": servers.postgres_pids(),
        },
    )
    devstack.say(f"{args.single} single returns, submit → decision")
    single = bench.single_return_latencies(url=servers.url, key=keys[0], count=args.single)
    figures["single"], figures["undecided"], figures["single_steps"] = single
    # Right after the traffic, while the worker and web processes hold what serving it took.
    figures["worker_rss"] = bench.rss_megabytes(servers.worker_pids())
    figures["web_rss"] = bench.rss_megabytes(servers.web_pids())
    devstack.say(
        f"queue and case pages at {args.queue_returns:,} returns, "
        f"{args.queue_returns // args.case_every:,} open cases (scratch database; seeding them "
        "is one SQL statement, minutes at full size)"
    )
    figures["pages"], figures["plans"] = bench.page_server_times(
        returns=args.queue_returns, case_every=args.case_every, repeat=args.page_loads
    )
    devstack.say(f"replay of {args.replay_rows:,} rows as one day (scratch database)")
    figures["replay"] = bench.replay_rate(data=args.replay_data, rows=args.replay_rows)
    if args.profile_returns:
        devstack.say(f"profiling the decide path on {args.profile_returns:,} returns")
        figures["profile"] = bench.decide_path_profile(
            returns=args.profile_returns, batch=args.batch
        )
    return figures


def _row(figure: str, measured: str, target_key: str | None = None, value=None):
    if target_key is None or value is None:
        return (figure, measured, "", "")
    target, met = TARGETS[target_key]
    return (figure, measured, target, "met" if met(value) else "MISSED")


def _cpu_rows(throughput) -> list[tuple]:
    """What a return cost each process in CPU over the end-to-end run, and the rate at which
    that cost would fill every core of this machine: the most it can reach until the cost falls."""
    per_return = throughput.cpu.per_item_ms(throughput.returns)
    total = sum(per_return.values())
    cores = os.cpu_count()
    busy = throughput.cpu.machine / (throughput.decided_seconds * cores)
    return [
        _row(
            "  CPU per return, ms of a core: " + " / ".join(per_return),
            " / ".join(f"{ms:.2f}" for ms in per_return.values()) + f" ({total:.2f} in all)",
        ),
        _row(
            f"  ceiling at that CPU: {cores} cores ÷ CPU per return",
            f"{cores * 1000 / total:,.0f} returns/s (the machine was {busy:.0%} busy)",
        ),
    ]


def table(args, figures: dict) -> str:
    import numpy as np

    scoring, throughput = figures["scoring"], figures["throughput"]
    single_p50, single_p99 = np.percentile(figures["single"], [50, 99])
    share = throughput.end_to_end_rate / scoring["batch_rows_per_second"]
    queue_p50, queue_p95 = figures["pages"]["queue page"]
    case_p50, case_p95 = figures["pages"]["case page"]
    worker_rss = max(figures["worker_rss"], default=None)
    web_rss = max(figures["web_rss"], default=None)
    replayed, replay_rate = figures["replay"]
    lock_share = throughput.lock_wait_share
    undecided = figures["undecided"]

    def mb(values, largest):
        if largest is None:
            return "not found"
        return f"{largest:,.0f} MB largest of {len(values)} ({sum(values):,.0f} MB in all)"

    rows = [
        _row(
            f"raw batch scoring (batches of {scoring['batch_rows']:,})",
            f"{scoring['batch_rows_per_second']:,.0f} rows/s",
        ),
        _row(
            "single-row scoring p50 / p99",
            f"{scoring['single_p50_ms']:.2f} / {scoring['single_p99_ms']:.2f} ms",
            "scoring_p99",
            scoring["single_p99_ms"],
        ),
        _row(
            f"end to end, {args.returns:,} returns, {args.clients} clients × batches of "
            f"{args.batch:,}, first POST → all decided",
            f"{throughput.end_to_end_rate:,.0f} returns/s ({throughput.decided_seconds:.1f} s)",
            "end_to_end",
            throughput.end_to_end_rate,
        ),
        _row(
            "  intake alone (first POST → last answered)",
            f"{throughput.intake_rate:,.0f} returns/s ({throughput.intake_seconds:.1f} s)",
        ),
        _row("  end to end / raw batch scoring", f"{share:.1%}", "share", share),
        _row(
            "  lock-wait share of active sessions (pg_stat_activity)",
            "n/a"
            if lock_share is None
            else f"{lock_share:.0%} of {throughput.busy_sessions:.1f} active sessions"
            + "".join(
                f"; {event} {n / sum(throughput.lock_types.values()):.0%}"
                for event, n in throughput.lock_types.most_common(2)
            )
            + f"; {throughput.idle_in_transaction:.1f} idle in transaction",
        ),
        *_cpu_rows(throughput),
        _row(
            f"single return submit → decision p50 ({args.single} in a row)",
            f"{single_p50:.0f} ms",
            "single_p50",
            single_p50,
        ),
        _row(
            "single return submit → decision p99",
            f"{single_p99:.0f} ms" + (f" ({undecided} undecided)" if undecided else ""),
            "single_p99",
            single_p99,
        ),
        _row(
            "  where a single return's time goes (medians)",
            "; ".join(f"{step} {ms:.0f} ms" for step, ms in figures["single_steps"].items()),
        ),
        _row(
            f"queue page p50 / p95 server time ({args.queue_returns:,} returns, "
            f"{args.queue_returns // args.case_every:,} open cases)",
            f"{queue_p50:.0f} / {queue_p95:.0f} ms",
            "queue_p95",
            queue_p95,
        ),
        _row("case page p50 / p95 server time", f"{case_p50:.0f} / {case_p95:.0f} ms"),
        *[
            _row(
                f"  {name}: statements; large tables read whole (EXPLAIN ANALYZE)",
                f"{plans.queries}; " + (", ".join(map(str, plans.whole_table_reads)) or "none"),
                "whole_table_reads",
                len(plans.whole_table_reads),
            )
            for name, plans in figures["plans"].items()
        ],
        _row(
            "worker RSS after the traffic",
            mb(figures["worker_rss"], worker_rss),
            "worker_rss",
            worker_rss,
        ),
        _row("web RSS after the traffic", mb(figures["web_rss"], web_rss)),
        _row(
            f"replay, {replayed:,} returns as one day",
            f"{replay_rate:,.0f} returns/s",
            "replay",
            replay_rate,
        ),
    ]
    headers = ("figure", "measured", "target", "")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]
    lines = [
        "| " + " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) + " |"
        for row in [headers, tuple("-" * w for w in widths), *rows]
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    servers = None if args.own_servers else servers_running()
    if servers is not None:
        devstack.say(f"using make run's servers at {servers.url}")
    else:
        devstack.say("make run's servers are not up: starting the bench's own under var/")
        servers = servers_start()
    try:
        figures = measure(args, servers)
    finally:
        if servers.own:
            devstack.say("stopping the bench's servers")
            servers.stop()
    print(
        f"\nmake bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, {'make run' if not servers.own else 'own'} servers\n",
        flush=True,
    )
    print(table(args, figures), flush=True)
    if "profile" in figures:
        rate, profile = figures["profile"]
        print(
            f"\nreturns_decide_pending under cProfile, {args.profile_returns:,} returns "
            f"(scratch database): {rate:,.0f} returns/s\n{profile}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
