"""`make audit`: pip-audit over every locked dependency (runtime, the `local` extra, every group), where a
vulnerability database is reachable.

pip-audit asks a vulnerability service about each `name==version`: OSV (api.osv.dev) or PyPI's JSON API, which
carries PyPI's advisories. A build machine may reach neither (only a package index), and pip-audit then reports
every dependency as "not found" and "No known vulnerabilities found", which reads like a clean bill. So each
service is asked about one package first; when none answers, this says so and exits 0: nothing was audited, and
that is not a failure of the code (`make test` never runs this). Exit status 1 when a vulnerability is known.

    python -m tools.audit [--service osv|pypi] [--timeout 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"
# One package every lock has, at a version both services know.
PROBE = ("requests", "2.31.0")
SERVICES = ("osv", "pypi")


def probe(service: str, timeout: float) -> str | None:
    """None when `service` answers a question about a known package; else why not."""
    name, version = PROBE
    if service == "osv":
        body = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}).encode()
        request = urllib.request.Request(
            "https://api.osv.dev/v1/query", data=body, headers={"Content-Type": "application/json"}
        )
    else:
        request = urllib.request.Request(f"https://pypi.org/pypi/{name}/{version}/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # nosec B310 # noqa: S310 - fixed https URLs
            document = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return str(getattr(error, "reason", error))[:200]
    key = "vulns" if service == "osv" else "vulnerabilities"
    return None if isinstance(document, dict) and key in document else "an answer without vulnerability data"


def locked_requirements() -> str:
    """Every locked dependency, pinned, without the project itself."""
    out = subprocess.run(  # nosec B603 # a fixed command line
        [str(UV), "export", "--frozen", "--all-extras", "--all-groups", "--no-hashes", "--no-emit-project"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def pip_audit(requirements: str, service: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requirements.txt"
        path.write_text(requirements, encoding="utf-8")
        command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "-s", service]
        command += ["-r", str(path), "--no-deps", "--disable-pip", "--strict"]
        return subprocess.run(command, cwd=ROOT, check=False).returncode  # nosec B603 # a fixed command line


def main(
    argv: Sequence[str] | None = None,
    *,
    ask: Callable[[str, float], str | None] = probe,
    requirements: Callable[[], str] = locked_requirements,
    audit: Callable[[str, str], int] = pip_audit,
) -> int:
    parser = argparse.ArgumentParser(prog="make audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", choices=SERVICES, action="append", help="the services to try, in order")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    unreachable: dict[str, str] = {}
    for service in args.service or SERVICES:
        why = ask(service, args.timeout)
        if why is None:
            print(f"make audit: asking {service} about every locked dependency")
            return audit(requirements(), service)
        unreachable[service] = why
    said = "; ".join(f"{service}: {why}" for service, why in unreachable.items())
    print(f"make audit: no vulnerability database is reachable from this machine ({said}).")
    print("Nothing was audited. Run `make audit` where api.osv.dev or pypi.org's JSON API answers.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
