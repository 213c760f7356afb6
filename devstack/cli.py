"""The `hark` command: `hark up` starts the local stack; `hark classify` classifies JSONL from stdin; `hark config
check FILE`, `hark config reference`, `hark keys id KEY` and `hark sla sweep [--at TIME]` serve the care workflow;
`hark dlq inspect|redrive` and `hark replay` are the operator's tools, for the local stack or, with AWS
credentials and HARK_STAGE, a deployment; `hark keys sync` and `hark smoke --url URL` serve a deployed stack
(docs/deployment.md); `hark backfill PLATFORM --since DATE` fetches a polled platform's history; `hark cost
--messages-per-day N` prices a volume on AWS (devstack/cost.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, TextIO, cast

if TYPE_CHECKING:
    from rich.console import Console

    from devstack.console import Feed
    from devstack.demo import DemoStream
    from devstack.fakes import FakePlatforms
    from devstack.stack import LocalStack


def _env() -> dict[str, str]:
    return dict(os.environ)  # noqa: TID251 - the command line is an edge


def _port(name: str, default: int) -> int:
    raw = _env().get(name)
    return int(raw) if raw else default


def up(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    from devstack.console import SafeStream  # noqa: PLC0415
    from devstack.stack import LocalStack, StackOptions  # noqa: PLC0415

    console = Console(file=cast("TextIO", SafeStream(sys.stdout)), highlight=False)
    options = StackOptions(
        host="127.0.0.1",
        port=args.port,
        aws_port=args.aws_port,
        endpoint=args.endpoint,
        verbose=args.verbose,
        concurrency=args.concurrency,
    )

    def on_request(method: str, path: str, status: int, seconds: float) -> None:
        if args.verbose:
            console.print(f"[dim]{method} {path} → {status} in {seconds * 1000:.1f} ms[/]")

    def on_batch(function: str, size: int, failed: int) -> None:
        if args.verbose or failed:
            style = "red" if failed else "dim"
            console.print(f"[{style}]{function}: batch of {size}, {failed} failed[/]")

    # Where a WebSub hub calls back: the front this stack serves.
    os.environ.setdefault("HARK_PUBLIC_URL", f"http://127.0.0.1:{args.port}")  # noqa: TID251 - the edge configures
    fakes = _fake_platforms()
    stack = LocalStack(options, on_request=on_request, on_batch=on_batch)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():  # a second Ctrl-C: the clean stop is stuck, leave now
            os._exit(128 + signum)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    feed = demo = None
    try:
        try:
            stack.start()
        except OSError as error:
            console.print(
                f"[red]Could not start: {error}[/] (is another process using the port? set HARK_PORT / HARK_AWS_PORT)"
            )
            return 1
        feed, demo = _show(console, stack, demo=not args.no_demo)
        stopping.wait()
        console.print("Stopping…")
    finally:
        # Whatever happened above, the emulator, the front and the pollers are stopped before the process ends.
        if demo is not None:
            demo.stop()
        if feed is not None:
            feed.stop()
        stack.stop()
        if fakes is not None:
            fakes.stop()
    console.print("Stopped.")
    return 0


def _show(console: Console, stack: LocalStack, demo: bool) -> tuple[Feed, DemoStream | None]:
    """The banner, the live feed and (unless --no-demo) the demo stream, once the stack is up."""
    from devstack.console import Feed, banner, delivery_line  # noqa: PLC0415
    from devstack.demo import DemoStream, demo_secrets  # noqa: PLC0415
    from shared.secrets import DEV_GRANT, EnvSecrets  # noqa: PLC0415
    from shared.settings import Settings  # noqa: PLC0415

    secrets = EnvSecrets(Settings.from_env(_env())).get()
    # The documented dev key when it is configured, so the printed dashboard link works for a newcomer.
    api_key = next((k for k, g in secrets.api_keys.items() if g == DEV_GRANT), next(iter(secrets.api_keys)))
    assert stack.provisioned is not None
    banner(console, stack.url, stack.aws_url, api_key, stack.provisioned.env, demo=demo)
    feed = Feed(console, stack.url, api_key)
    feed.start()
    stream = None
    if demo:
        stream = DemoStream(
            stack.url,
            demo_secrets(secrets),
            api_key,
            report=lambda delivery, status, body: console.print(delivery_line(delivery, status, body)),
        )
        stream.start()
    return feed, stream


def operator_env(endpoint: str | None = None) -> dict[str, str]:
    """The environment operator commands run with. On the local stage, with no endpoint given, that is the local
    stack `hark up` started (its emulator on HARK_AWS_PORT), with its throwaway credentials; otherwise whatever
    AWS_ENDPOINT_URL, the credentials and HARK_STAGE say."""
    env = _env()
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    local = env.get("HARK_STAGE", "local") == "local"
    if local and not env.get("AWS_ENDPOINT_URL"):
        env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{_port('HARK_AWS_PORT', 5000)}"
    if local:
        env.setdefault("HARK_STAGE", "local")
        env.setdefault("AWS_ACCESS_KEY_ID", "hark-local")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "hark-local")
    if not env.get("AWS_REGION") and not env.get("AWS_DEFAULT_REGION"):
        env["AWS_REGION"] = "us-east-1"
    env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    env.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    # boto3 and PynamoDB read credentials and region from the process environment, not from Settings.
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "POWERTOOLS_"))})  # noqa: TID251
    return env


def dlq(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    from devstack import dlq as tools  # noqa: PLC0415
    from shared.errors import HarkError  # noqa: PLC0415
    from shared.queues import QueueDeadLetters  # noqa: PLC0415
    from shared.resources import QUEUES  # noqa: PLC0415
    from shared.settings import Settings  # noqa: PLC0415

    console = Console(highlight=False)
    settings = Settings.from_env(operator_env(args.endpoint))
    queues = [QueueDeadLetters(settings, q) for q in QUEUES if args.queue in ("all", q.key)]
    try:
        if args.action == "inspect":
            tools.inspect(console, queues, args.limit)
            return 0
        return 1 if tools.redrive(console, queues, args.limit) else 0
    except HarkError as error:
        console.print(f"[red]{error.detail}[/] (is the stack running? AWS_ENDPOINT_URL={settings.aws_endpoint_url})")
        return 2


def replay(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    from devstack import replay as tools  # noqa: PLC0415
    from services.ingest import bootstrap  # noqa: PLC0415
    from shared.errors import HarkError  # noqa: PLC0415

    console = Console(highlight=False)
    try:
        since = tools.moment(args.since)
        until = tools.moment(args.until) if args.until else datetime.now(UTC)
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        return 2
    if until <= since:
        console.print("[red]--until must be later than --since[/]")
        return 2
    env = operator_env(args.endpoint)
    try:
        return tools.run(console, bootstrap.build(env), args.platform, since, until, args.limit)
    except HarkError as error:
        console.print(f"[red]{error.detail}[/] (is the stack running? AWS_ENDPOINT_URL={env.get('AWS_ENDPOINT_URL')})")
        return 2


def _fake_platforms() -> FakePlatforms | None:
    """Replies go to local fakes of every platform unless HARK_API_BASE_<PLATFORM> points elsewhere."""
    from devstack.fakes import PLATFORMS, FakePlatforms  # noqa: PLC0415

    env = os.environ  # noqa: TID251 - the command line is an edge: it configures the in-process functions
    unset = [p for p in PLATFORMS if not env.get(f"HARK_API_BASE_{p.upper()}")]
    if not unset:
        return None
    fakes = FakePlatforms().start()
    for platform in unset:
        env[f"HARK_API_BASE_{platform.upper()}"] = fakes.base(platform)
    return fakes


def config_command(args: argparse.Namespace) -> int:
    from services.respond import cli  # noqa: PLC0415

    if args.action == "check":
        return cli.check_config(args.file, sys.stdout, sys.stderr)
    return cli.reference(sys.stdout, check=args.check)


def keys_command(args: argparse.Namespace) -> int:
    if args.action == "sync":
        from devstack import gateway_keys  # noqa: PLC0415

        return gateway_keys.run(_env(), args.stage, args.secret_name, args.dry_run, sys.stdout, sys.stderr)
    from services.respond import cli  # noqa: PLC0415

    return cli.key_id_of(args.key, sys.stdout)


def _use_local_emulator() -> None:
    """Point the AWS SDK at the local stack's emulator, with the throwaway credentials `hark up` gives its
    functions, unless AWS_ENDPOINT_URL already says where to go."""
    env = os.environ  # noqa: TID251 - the command line is an edge; the AWS SDK reads credentials from here
    if env.get("AWS_ENDPOINT_URL"):
        return
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{env.get('HARK_AWS_PORT') or 5000}"
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "hark-local"),
        ("AWS_SECRET_ACCESS_KEY", "hark-local"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        env.setdefault(name, value)


def sla_command(args: argparse.Namespace) -> int:
    from services.respond import cli  # noqa: PLC0415

    if _env().get("HARK_STAGE", "local") == "local":
        _use_local_emulator()
    return cli.sweep(_env(), args.at, sys.stdout, sys.stderr)


def smoke_command(args: argparse.Namespace) -> int:
    from devstack import smoke  # noqa: PLC0415

    if not (args.key and args.secret) and smoke.stage_and_region(args.url, args.stage, _env())[0] == "local":
        _use_local_emulator()  # the local stack's secret is in its emulator
    return smoke.run(
        _env(),
        args.url,
        key=args.key,
        secret=args.secret,
        platform=args.platform,
        stage=args.stage,
        secret_name=args.secret_name,
        timeout=args.timeout,
        keep=args.keep,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
    )


def backfill_command(args: argparse.Namespace) -> int:
    from devstack import backfill  # noqa: PLC0415

    if _env().get("HARK_STAGE", "local") == "local":
        _use_local_emulator()
    return backfill.run(args.platform, args.since, args.source, args.limit, sys.stdout)


def cost_command(args: argparse.Namespace) -> int:
    from devstack import cost  # noqa: PLC0415

    return cost.run(
        sys.stdout,
        args.messages_per_day,
        routed_share=args.routed_share,
        results=args.results,
        as_json=args.json,
    )


def _share(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("between 0 and 1")
    return value


def _volume(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("0 or more")
    return value


def classify(args: argparse.Namespace) -> int:
    from services.classify.cli import run  # noqa: PLC0415

    return run(sys.stdin, sys.stdout, sys.stderr, analyzer=args.analyzer, env=_env())


def _positive(raw: str) -> int:
    value = int(raw)
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError("between 1 and 100000")
    return value


def _operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The operator's tools: what is in the dead-letter queues, and the raw archive replayed."""
    from shared.resources import QUEUES  # noqa: PLC0415 - plain data, no AWS

    dlq_parser = commands.add_parser("dlq", help="see why messages are in the dead-letter queues, and send them back")
    dlq_parser.add_argument("action", choices=("inspect", "redrive"))
    dlq_parser.add_argument("--queue", choices=("all", *(q.key for q in QUEUES)), default="all")
    dlq_parser.add_argument("--limit", type=_positive, default=100, help="at most this many messages per queue (100)")
    dlq_parser.add_argument("--endpoint", help="AWS endpoint (default: the local stack's emulator on the local stage)")
    dlq_parser.set_defaults(func=dlq)

    replay_parser = commands.add_parser(
        "replay", help="re-drive archived webhook deliveries through ingest (what is already stored is dropped)"
    )
    replay_parser.add_argument("--platform", required=True, help="the platform id, as in /webhooks/{platform}")
    replay_parser.add_argument("--since", required=True, help="ISO date or date-time (UTC), or a duration ago: 24h, 7d")
    replay_parser.add_argument("--until", help="ISO date or date-time, or a duration ago (default: now)")
    replay_parser.add_argument("--limit", type=_positive, default=10_000, help="at most this many deliveries (10000)")
    replay_parser.add_argument(
        "--endpoint", help="AWS endpoint (default: the local stack's emulator on the local stage)"
    )
    replay_parser.set_defaults(func=replay)


def _backfill_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backfill_parser = commands.add_parser(
        "backfill", help="fetch a polled platform's history down to a date and hand it to ingest"
    )
    backfill_parser.add_argument("platform", choices=("reddit", "wordpress", "youtube", "bluesky", "discord", "tiktok"))
    backfill_parser.add_argument("--since", required=True, help="a date (2025-01-31), a date-time, or 48h / 30d ago")
    backfill_parser.add_argument("--source", help="only this source (its id in the config)")
    backfill_parser.add_argument("--limit", type=int, help="hand at most this many items per feed")
    backfill_parser.set_defaults(func=backfill_command)


def _cost_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cost_parser = commands.add_parser(
        "cost",
        help="what a volume costs on AWS with Hark's default policy, against the naive design (devstack/cost.py)",
    )
    cost_parser.add_argument("--messages-per-day", type=_volume, required=True, help="inbound messages a day")
    cost_parser.add_argument(
        "--routed-share", type=_share, help="share of messages that need a human (default: as make bench measured)"
    )
    cost_parser.add_argument(
        "--results", help="a make bench result (default bench/results/latest.json if there, else the built-in figures)"
    )
    cost_parser.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    cost_parser.set_defaults(func=cost_command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hark", description="Hark: a serverless community command center.")
    commands = parser.add_subparsers(dest="command", required=True)

    up_parser = commands.add_parser("up", help="start the local stack (AWS emulator, services, dashboard)")
    up_parser.add_argument("--port", type=int, default=_port("HARK_PORT", 8000), help="HTTP port (HARK_PORT, 8000)")
    up_parser.add_argument(
        "--aws-port",
        type=int,
        default=_port("HARK_AWS_PORT", 5000),
        help="emulator port (HARK_AWS_PORT, 5000)",
    )
    up_parser.add_argument("--endpoint", help="use this AWS endpoint (e.g. LocalStack) instead of the embedded one")
    up_parser.add_argument("--no-demo", action="store_true", help="start empty, without the demo stream")
    up_parser.add_argument("--verbose", action="store_true", help="show every request, batch and service log")
    up_parser.add_argument("--concurrency", type=_positive, default=4, help="execution environments per function (4)")
    up_parser.set_defaults(func=up)

    _operator_commands(commands)

    classify_parser = commands.add_parser(
        "classify", help='classify JSONL from stdin: {"id", "text", "lang"?, "platform"?} per line'
    )
    classify_parser.add_argument("--analyzer", choices=("local", "comprehend", "tiered"), default=None)
    classify_parser.set_defaults(func=classify)

    config_parser = commands.add_parser("config", help="check a configuration file, or print the config reference")
    config_actions = config_parser.add_subparsers(dest="action", required=True)
    check_parser = config_actions.add_parser("check", help="validate FILE; every error with its path")
    check_parser.add_argument("file")
    reference_parser = config_actions.add_parser("reference", help="print the config reference (Markdown)")
    reference_parser.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs from it")
    config_parser.set_defaults(func=config_command)

    keys_parser = commands.add_parser("keys", help="API keys")
    keys_actions = keys_parser.add_subparsers(dest="action", required=True)
    id_parser = keys_actions.add_parser("id", help="print a key's id, which the config names it by")
    id_parser.add_argument("key")
    sync_parser = keys_actions.add_parser(
        "sync",
        help="register the deployed secret's API keys with API Gateway on their usage plans, remove revoked ones",
    )
    sync_parser.add_argument("--stage", default=_env().get("HARK_STAGE") or "dev", help="the deployed stage (dev)")
    sync_parser.add_argument("--secret-name", help="the secret (default hark/<stage>/secrets)")
    sync_parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    keys_parser.set_defaults(func=keys_command)

    sla_parser = commands.add_parser("sla", help="SLA clocks")
    sla_actions = sla_parser.add_subparsers(dest="action", required=True)
    sweep_parser = sla_actions.add_parser("sweep", help="mark near-breach and breach now (or --at TIME)")
    sweep_parser.add_argument("--at", help="sweep as if it were this time (ISO 8601)")
    sla_parser.set_defaults(func=sla_command)

    _backfill_parser(commands)

    _cost_parser(commands)

    smoke_parser = commands.add_parser(
        "smoke", help="send a signed test delivery to a deployed stack (or hark up) and follow it to its task"
    )
    smoke_parser.add_argument("--url", required=True, help="the API's URL (the stack output ApiUrl)")
    smoke_parser.add_argument("--key", help="an API key that may read mentions and tasks (default: from the secret)")
    smoke_parser.add_argument("--secret", help="the platform's signing secret (default: from the secret)")
    smoke_parser.add_argument("--platform", choices=("generic", "github"), default="generic")
    smoke_parser.add_argument("--stage", help="the stage whose secret to read (default: from the URL)")
    smoke_parser.add_argument("--secret-name", help="the secret (default hark/<stage>/secrets)")
    smoke_parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the task (60)")
    smoke_parser.add_argument("--keep", action="store_true", help="leave the test task open (default: close it)")
    smoke_parser.add_argument("--json", action="store_true", help="one JSON document instead of lines")
    smoke_parser.set_defaults(func=smoke_command)

    args = parser.parse_args(argv)
    return int(args.func(args))
