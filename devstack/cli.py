"""The `hark` command: `hark up` starts the local stack; `hark classify` classifies JSONL from stdin."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO, cast


def _env() -> dict[str, str]:
    return dict(os.environ)  # noqa: TID251 - the command line is an edge


def _port(name: str, default: int) -> int:
    raw = _env().get(name)
    return int(raw) if raw else default


def up(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    from devstack.console import Feed, SafeStream, banner, delivery_line  # noqa: PLC0415
    from devstack.demo import DemoStream  # noqa: PLC0415
    from devstack.stack import LocalStack, StackOptions  # noqa: PLC0415
    from shared.secrets import DEV_GRANT, EnvSecrets  # noqa: PLC0415
    from shared.settings import Settings  # noqa: PLC0415

    console = Console(file=cast("TextIO", SafeStream(sys.stdout)), highlight=False)
    options = StackOptions(
        host="127.0.0.1",
        port=args.port,
        aws_port=args.aws_port,
        endpoint=args.endpoint,
        verbose=args.verbose,
    )

    def on_request(method: str, path: str, status: int, seconds: float) -> None:
        if args.verbose:
            console.print(f"[dim]{method} {path} → {status} in {seconds * 1000:.1f} ms[/]")

    def on_batch(function: str, size: int, failed: int) -> None:
        if args.verbose or failed:
            style = "red" if failed else "dim"
            console.print(f"[{style}]{function}: batch of {size}, {failed} failed[/]")

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
        secrets = EnvSecrets(Settings.from_env(_env())).get()
        # The documented dev key when it is configured, so the printed dashboard link works for a newcomer.
        api_key = next((k for k, g in secrets.api_keys.items() if g == DEV_GRANT), next(iter(secrets.api_keys)))
        assert stack.provisioned is not None
        banner(console, stack.url, stack.aws_url, api_key, stack.provisioned.env, demo=not args.no_demo)

        feed = Feed(console, stack.url, api_key)
        feed.start()
        if not args.no_demo:
            demo = DemoStream(
                stack.url,
                {p: secrets.platform_secret(p) for p in ("github", "meta")},
                api_key,
                report=lambda delivery, status, body: console.print(delivery_line(delivery, status, body)),
            )
            demo.start()
        stopping.wait()
        console.print("Stopping…")
    finally:
        # Whatever happened above, the emulator, the front and the pollers are stopped before the process ends.
        if demo is not None:
            demo.stop()
        if feed is not None:
            feed.stop()
        stack.stop()
    console.print("Stopped.")
    return 0


def classify(args: argparse.Namespace) -> int:
    from services.classify.cli import run  # noqa: PLC0415

    return run(sys.stdin, sys.stdout, sys.stderr, analyzer=args.analyzer, env=_env())


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
    up_parser.set_defaults(func=up)

    classify_parser = commands.add_parser(
        "classify", help='classify JSONL from stdin: {"id", "text", "lang"?, "platform"?} per line'
    )
    classify_parser.add_argument("--analyzer", choices=("local", "comprehend", "tiered"), default=None)
    classify_parser.set_defaults(func=classify)

    args = parser.parse_args(argv)
    return int(args.func(args))
