"""`make mutate`: plant each listed bug in a scratch copy of the repository and check that the test suite notices.

A mutant is one small, plausible mistake in a parser, a verifier, a triage rule, a task transition or an edge: a
comparison flipped, a branch dropped, a field swapped. It is *killed* when the tests fail with it in place, and
*survives* when they still pass: a surviving mutant is a behaviour nothing checks. The source tree is never
touched; each mutant is applied to a copy in a temporary directory, which is deleted afterwards.

    python -m tools.mutate [--only NAME ...] [--tests "tests/unit tests/contract"] [--list]

Exit status 0 when every mutant is killed, 1 when any survived, 2 when one no longer applies (the code it mutates
changed: update its entry in `tools/mutants.py`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TESTS = ("tests/unit", "tests/contract")


def _copy_tree(target: Path) -> None:
    """The working tree as git sees it (tracked and new files, not ignored ones): what the tests would run on."""
    listed = subprocess.run(  # nosec B603 B607 # a fixed git command line (git from PATH, as a developer runs it)
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _apply(workdir: Path, mutant: Mutant) -> bool:
    path = workdir / mutant.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.original) != 1:
        return False
    path.write_text(text.replace(mutant.original, mutant.mutated), encoding="utf-8")
    return True


def _restore(workdir: Path, mutant: Mutant) -> None:
    shutil.copy2(ROOT / mutant.path, workdir / mutant.path)


def _run_tests(workdir: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    started = time.monotonic()
    result = subprocess.run(  # nosec B603 # a fixed pytest command line of this checkout's interpreter
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode == 0, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="run only these mutants (by name)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.name:42} {mutant.path}: {mutant.why}")
        return 0

    from rich.console import Console
    from rich.progress import Progress

    console = Console(highlight=False)
    survived: list[Mutant] = []
    stale: list[Mutant] = []
    with tempfile.TemporaryDirectory(prefix="hark-mutate-") as scratch:
        workdir = Path(scratch)
        _copy_tree(workdir)
        clean, seconds = _run_tests(workdir, DEFAULT_TESTS)
        if not clean:
            console.print("[red]The suite fails without any mutant: fix it first.[/]")
            return 2
        console.print(f"Suite passes unmutated in {seconds:.1f} s; {len(chosen)} mutants to try.")
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task("mutants", total=len(chosen))
            for mutant in chosen:
                if not _apply(workdir, mutant):
                    stale.append(mutant)
                else:
                    passed, seconds = _run_tests(workdir, mutant.tests or DEFAULT_TESTS)
                    _restore(workdir, mutant)
                    verdict = "[red]survived[/]" if passed else "[green]killed[/]"
                    progress.console.print(f"{verdict:>22}  {mutant.name}  [dim]{mutant.why} ({seconds:.1f} s)[/]")
                    if passed:
                        survived.append(mutant)
                progress.advance(bar)
    tried = len(chosen) - len(stale)
    killed = tried - len(survived)
    console.print(f"\nMutation score: {killed}/{tried} killed ({100 * killed / max(tried, 1):.0f}%).")
    for mutant in survived:
        console.print(f"[red]survived[/] {mutant.name}: {mutant.path}: {mutant.why}")
    for mutant in stale:
        console.print(f"[yellow]does not apply[/] {mutant.name}: {mutant.path} changed; update tools/mutants.py")
    if stale:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main())
