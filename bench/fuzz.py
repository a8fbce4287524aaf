"""Coverage-guided fuzzing of every instrument reader (atheris, libFuzzer's engine).

``python bench/fuzz.py [--seconds 60] [--quick] [--reader NAME ...] [--max-len 16384]``

Each registered reader (:func:`analysis.readers.registry`) is fuzzed for ``--seconds`` through
:func:`analysis.readers.read` with its format forced: the file a user could upload, read the
way labdb reads it. The contract: a reader returns a table or raises
:class:`~analysis.readers.ParseError`, and nothing else (no other exception, no input taking
longer than ``--timeout`` s, no more than ``--rss-mb`` of memory). Any other outcome is a
crash: the input is written to ``--artifacts`` (``<reader>-crash-<sha1>``) with the traceback
printed, and this script exits 1 naming the readers that crashed. Minimise an input with
``--minimise FILE --reader NAME`` before turning it into a regression test
(tests/analysis/readers/test_fuzz_regressions.py).

Seeds per reader: the real instrument files of the conformance data
(``LABDB_CONFORMANCE_DATA``, default ``../shared/data``) that detection gives to it, and the
demo study's simulated files, each cut to ``--max-len`` bytes. The readers' modules are
instrumented once (``atheris.instrument_imports``) and each reader is fuzzed in a forked child
of its own, so a crash or a leak in one does not end the others.

``--quick`` (CI, .ci/run step 4): 3 s per reader (about 2 minutes for all of them), libFuzzer
seed 1.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["analysis.readers"]):
    from analysis.readers import base as readers

    readers._load_reader_modules()  # every reader module, instrumented

from analysis.readers import ParseError  # noqa: E402


def conformance_root() -> Path:
    env = os.environ.get("LABDB_CONFORMANCE_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def seed_files(work: Path) -> list[Path]:
    """The conformance files (if present) and the demo study's simulated files."""
    from analysis.simulate import write_demo_study
    from analysis.simulate.mechanics import write_demo_set

    files = sorted(p for p in conformance_root().rglob("*") if p.is_file())
    files = [p for p in files if p.name not in {"MANIFEST.tsv", "README.md"}]
    files += [f.path for f in write_demo_study(work / "demo", seed=0)]
    files += list(write_demo_set(work / "mechanics", seed=0).values())
    return files


def seeds_by_reader(files: list[Path], max_len: int) -> dict[str, list[bytes]]:
    """Each file's head, given to the reader that detection chooses for it."""
    out: dict[str, list[bytes]] = {}
    for path in files:
        try:
            spec = readers.detect(path)
        except ParseError:
            continue
        with path.open("rb") as fh:
            out.setdefault(spec.name, []).append(fh.read(max_len))
    return out


def fuzz_one(
    spec: readers.ReaderSpec,
    seeds: list[bytes],
    *,
    seconds: float,
    work: Path,
    artifacts: Path,
    args: argparse.Namespace,
) -> int:
    """Fuzz ``spec`` in a forked child for ``seconds``; the child's exit status (0: no crash)."""
    corpus = work / f"corpus-{spec.name}"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(seed)
    suffix = spec.extensions[0] if spec.extensions else ".dat"
    sample = work / f"input-{spec.name}{suffix}"
    flags = [
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_mb}",
        f"-max_len={args.max_len}",
        f"-artifact_prefix={artifacts}/{spec.name}-",
        "-print_final_stats=1",
    ]
    if args.seed:
        flags.append(f"-seed={args.seed}")
    # the deadline is kept by the target (libFuzzer's own exit runs exit handlers)
    argv = [sys.argv[0], f"-max_total_time={int(seconds) + 30}", *flags, str(corpus)]

    deadline = time.monotonic() + seconds

    def target(data: bytes) -> None:
        if time.monotonic() > deadline:
            _leave(0)
        sample.write_bytes(data)
        try:
            readers.read(sample, format=spec.name)
        except ParseError:
            pass
        except BaseException:
            crash = artifacts / f"{spec.name}-crash-{hashlib.sha1(data).hexdigest()}"  # nosec B324
            crash.write_bytes(data)
            print(f"\n=== {spec.name}: not a ParseError; input in {crash}", file=sys.stderr)
            traceback.print_exc()
            _leave(1)

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: libFuzzer runs until the deadline or a crash
        try:
            atheris.Setup(argv, target)
            atheris.Fuzz()
        finally:
            _leave(70)
    # a child stuck past its time and libFuzzer's own timeout is ended here
    limit = time.monotonic() + seconds + 2 * args.timeout + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > limit:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print(f"=== {spec.name}: the fuzzing process hung and was killed", file=sys.stderr)
            return 124
        time.sleep(0.5)


def _failure(spec: readers.ReaderSpec, data: bytes, sample: Path) -> str | None:
    """The type of the exception other than ParseError that ``data`` raises, or None."""
    sample.write_bytes(data)
    try:
        readers.read(sample, format=spec.name)
    except ParseError:
        return None
    except Exception as exc:
        return type(exc).__name__
    return None


def minimise(spec: readers.ReaderSpec, crash: Path, work: Path) -> int:
    """Shrink a crash input by removing ever smaller chunks while the same exception type
    stays (a plain delta debugging; libFuzzer's -minimize_crash re-runs a command line, which
    a forked reader cannot be). Prints the smallest input as a Python bytes literal."""
    suffix = spec.extensions[0] if spec.extensions else ".dat"
    sample = work / f"minimise{suffix}"
    data = crash.read_bytes()
    wanted = _failure(spec, data, sample)
    if wanted is None:
        print(f"{crash} raises no exception other than ParseError for {spec.name}")
        return 1
    chunk = max(1, len(data) // 2)
    while chunk >= 1:
        i, shrunk = 0, False
        while i < len(data):
            candidate = data[:i] + data[i + chunk :]
            if _failure(spec, candidate, sample) == wanted:
                data, shrunk = candidate, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    out = crash.with_name(crash.name + ".min")
    out.write_bytes(data)
    print(f"{spec.name}: {wanted} from {len(data)} bytes ({out}):\n{data!r}")
    return 0


def _leave(code: int) -> NoReturn:
    """End the forked child at once: no exit handlers (thread pools inherited from the parent
    would be joined and hang)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per reader")
    parser.add_argument("--quick", action="store_true", help="3 s per reader (CI)")
    parser.add_argument("--reader", action="append", help="only these (repeatable)")
    parser.add_argument("--max-len", type=int, default=16384)
    parser.add_argument("--timeout", type=int, default=20, help="s for one input")
    parser.add_argument("--rss-mb", type=int, default=2048)
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts" / "fuzz")
    parser.add_argument("--minimise", type=Path, help="a crash input to minimise (one --reader)")
    parser.add_argument("--seed", type=int, help="libFuzzer's seed (--quick: 1, else random)")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    if args.seed is None and args.quick:
        args.seed = 1  # CI: the same mutations each run (time still bounds how many)
    specs = readers.registry()
    names = args.reader or sorted(specs)
    unknown = sorted(set(names) - set(specs))
    if unknown:
        parser.error(f"unknown readers: {', '.join(unknown)}")
    args.artifacts.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="labdb-fuzz-"))
    try:
        if args.minimise is not None:
            if len(names) != 1:
                parser.error("--minimise needs exactly one --reader")
            return minimise(specs[names[0]], args.minimise, work)
        seeds = seeds_by_reader(seed_files(work), args.max_len)
        crashed: list[str] = []
        started = time.monotonic()
        for name in names:
            t0 = time.monotonic()
            code = fuzz_one(
                specs[name],
                seeds.get(name, []),
                seconds=seconds,
                work=work,
                artifacts=args.artifacts,
                args=args,
            )
            outcome = "ok" if code == 0 else f"CRASH (exit {code})"
            print(
                f"fuzz {name:24s} {len(seeds.get(name, [])):3d} seeds "
                f"{time.monotonic() - t0:6.1f} s  {outcome}",
                flush=True,
            )
            if code != 0:
                crashed.append(name)
        total = time.monotonic() - started
        print(f"fuzzed {len(names)} readers for {seconds:.0f} s each in {total:.0f} s")
        if crashed:
            print(f"crashes in: {', '.join(crashed)} (inputs in {args.artifacts})")
            return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
