"""Installed-file integrity: each file a distribution's RECORD lists, checked for its size and
digest.

RECORD is the wheel spec's CSV manifest ("The RECORD file", PEP 376 / PEP 627): one row per
installed file, ``path,algorithm=urlsafe-base64-digest-without-padding,size``. Rows without a
hash (RECORD itself, signatures, files the installer wrote without one) are skipped, as the
spec says. Paths are relative to the site folder the dist-info lives in; a path that leaves
it through ``..`` (scripts in ``bin/``) is checked where it really points, but a path that
resolves outside the environment is never opened.

Files are hashed by ``jobs`` workers. Checking a small file is mostly interpreter time under
the GIL, so threads do not scale on a venv of many small files; a check of more than
:data:`_PROCESS_FILES` files therefore forks ``jobs`` worker processes (where ``fork`` exists;
at most one per usable core). They take slices of RECORD rows of equal cost (bytes plus a
fixed cost per file) as they become free, turn them into files and hash them, while this
process looks for unlisted files. Smaller checks, or ``jobs=1``, use threads: hashlib and
file reads release the GIL, so threads still hash large files in parallel.
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False  # not typing's: importing typing costs verify's start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    from .inventory import InstalledDistribution

    #: One file of a share: (distribution, RECORD path, real path, algorithm, digest, size, allowed folders).
    ShareRow = tuple[str, str, str, str, str, int | None, tuple[str, ...]]
    Dealt = TypeVar("Dealt")

HASH = "hash"
SIZE = "size"
MISSING_FILE = "missing"
UNREADABLE = "unreadable"
OUTSIDE = "outside"
UNLISTED = "unlisted"

#: Problems that make a distribution ``modified``; the others are reported only.
FAILING_PROBLEMS = frozenset({HASH, SIZE, MISSING_FILE, UNREADABLE})

_CHUNK = 128 << 10  # bytes read per call for large files: fits the L2 cache, where hashing is fastest
_LARGE = 1 << 20  # bytes from which a file is hashed alone, outside the GIL most of the time
_BATCH_FILES = 256
_FILE_COST = 32 << 10  # bytes a file's open and stat cost as much as reading, when shares are balanced
_PROCESS_FILES = 2000  # from this many files, forking workers costs less than the GIL does
_SHARES_PER_WORKER = 8  # shares taken as workers become free: none idles long at the end


class DistributionIntegrity:
    """The integrity of one installed distribution.

    Attributes:
        name: PEP 503 name.
        has_record: False when the distribution has no RECORD (unverifiable).
        problems: ``{"path", "problem", "expected", "found"}`` dicts, ``problem`` one of
            ``hash``, ``size``, ``missing``, ``unreadable`` (these fail), ``outside`` (a RECORD
            path that resolves outside the environment; not opened) and ``unlisted`` (a file in
            the distribution's folders that RECORD does not name). Paths are as RECORD writes
            them (relative to the site folder), sizes in bytes.
    """

    __slots__ = ("name", "has_record", "problems")

    def __init__(self, name: str, has_record: bool):
        self.name = name
        self.has_record = has_record
        self.problems: list[dict[str, Any]] = []

    @property
    def modified(self) -> bool:
        """True when a listed file differs from RECORD or is gone."""
        return any(p["problem"] in FAILING_PROBLEMS for p in self.problems)


class IntegrityResult:
    """Every checked distribution's integrity and what the check cost.

    Attributes:
        distributions: PEP 503 name -> :class:`DistributionIntegrity`.
        files: files checked in all.
        bytes_hashed: bytes read and hashed.
        seconds: wall time of the whole check.
    """

    __slots__ = ("distributions", "files", "bytes_hashed", "seconds")

    def __init__(self, distributions: dict[str, DistributionIntegrity], files: int, bytes_hashed: int, seconds: float) -> None:
        self.distributions: dict[str, DistributionIntegrity] = distributions
        self.files: int = files
        self.bytes_hashed: int = bytes_hashed
        self.seconds: float = seconds


class _Listed:
    """One RECORD row to check."""

    __slots__ = ("owner", "path", "full", "algorithm", "digest", "size", "allowed")

    def __init__(self, owner: DistributionIntegrity, path: str, full: str, algorithm: str, digest: str, size: int | None,
                 allowed: tuple[str, ...]) -> None:  # fmt: skip
        self.owner = owner
        self.path = path
        self.full = full
        self.algorithm = algorithm
        self.digest = digest
        self.size = size
        self.allowed = allowed


def check_integrity(distributions: Iterable[InstalledDistribution], installed: Iterable[InstalledDistribution], prefix: str, *,
                    jobs: int | None = None, progress: Callable[[int, int], object] | None = None) -> IntegrityResult:  # fmt: skip
    """Check the files of ``distributions`` against their RECORDs.

    Args:
        distributions: the :class:`~lockgate.env.inventory.InstalledDistribution` objects to check.
        installed: every installed distribution of the environment (their RECORDs decide which
            files are someone's, so a namespace package shared with another distribution
            raises no ``unlisted`` report).
        prefix: the environment's ``sys.prefix``; RECORD paths may point anywhere below it.
        jobs: hashing workers (processes, or threads for a small check; module doc); None is
            :func:`usable_cores`.
        progress: optional ``callable(bytes_done, bytes_total)``, called from this thread.

    Returns:
        An :class:`IntegrityResult`.

    Raises:
        LockgateError: a worker process died (killed, out of memory): nothing can be decided.
    """
    import time

    started = time.perf_counter()
    distributions = list(distributions)
    everyone, records = _read_records(distributions, installed)
    jobs = jobs or usable_cores()
    if jobs > 1 and _can_fork():
        rows = {dist.name: _hashed_rows(records[dist.name]) for dist in distributions}
        if sum(len(found) for found in rows.values()) >= _PROCESS_FILES:
            return _check_in_processes(distributions, everyone, records, rows, prefix, jobs, progress, started)
    plan = _plan(distributions, everyone, records, prefix)
    bytes_hashed = _hash_all(plan.work, jobs, progress, plan.find_unlisted)
    return plan.result(bytes_hashed, len(plan.work), time.perf_counter() - started)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container or ``taskset`` limits
    it), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


#: What forked workers inherit instead of receiving it pickled: (distributions, their hashed
#: RECORD rows by name, prefix). Set only while a pool runs.
_forked: tuple[list[InstalledDistribution], dict[str, list[list[str]]], str] | None = None


def _check_in_processes(distributions: list[InstalledDistribution], everyone: dict[str, InstalledDistribution],
                        records: dict[str, list[list[str]] | None], rows: dict[str, list[list[str]]], prefix: str, jobs: int,
                        progress: Callable[[int, int], object] | None, started: float) -> IntegrityResult:  # fmt: skip
    """Check on forked processes (one thread each), finding unlisted files here meanwhile.

    Each worker resolves and hashes slices of RECORD rows (``(distribution, start, stop)``:
    the rows themselves are inherited through the fork, never pickled), so reading a RECORD
    into files to check is spread over the workers too. No more processes than
    :func:`usable_cores` are started: hashing is CPU-bound, and more would only compete (on
    2 cores, 16 processes were 10% slower than 2).
    """
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from ..errors import LockgateError

    global _forked
    _flush_standard_streams()
    results = {}
    for dist in distributions:
        if records[dist.name] is None:
            results[dist.name] = _listed_files(dist, None, prefix)[0]  # no RECORD, or a tampered one: no work
        else:
            results[dist.name] = DistributionIntegrity(dist.name, has_record=True)
    plan = IntegrityPlan([], results, distributions, everyone, records)
    workers = min(jobs, usable_cores())
    shares, total = _slices(distributions, rows, workers * _SHARES_PER_WORKER)
    done = files = 0
    _forked = (distributions, rows, prefix)
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(shares)), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_check_slices, share) for share in shares]
            plan.find_unlisted()
            for future in as_completed(futures):
                problems, hashed, checked = future.result()
                plan.add_problems(problems)
                done, files = done + hashed, files + checked
                if progress is not None:
                    progress(done, total)
    except BrokenProcessPool:
        raise LockgateError("--integrity: a hashing process died (killed or out of memory), so the check is undecided; rerun with --jobs 1") from None
    finally:
        _forked = None
    return plan.result(done, files, time.perf_counter() - started)


def _flush_standard_streams() -> None:
    """A forked worker flushes what it inherits: flushed here first, no text is written twice."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # no stream, a closed pipe: the verdict is the exit code
            pass


def _slices(distributions: list[InstalledDistribution], rows: dict[str, list[list[str]]], count: int) -> tuple[list[list[tuple[int, int, int]]], int]:
    """``(shares, bytes)``: the rows cut into slices of about a ``count``-th of the cost each (bytes
    as RECORD gives them plus a fixed cost per file), dealt largest first to the least loaded of
    ``count`` shares; and the bytes RECORD lists in all."""
    costs = {dist.name: [_record_size(row) or 0 for row in rows[dist.name]] for dist in distributions}
    total = sum(sum(found) for found in costs.values())
    limit = (total + _FILE_COST * sum(len(found) for found in costs.values())) // count + 1
    pieces = []  # (cost, distribution index, start, stop)
    for index, dist in enumerate(distributions):
        start, cost = 0, 0
        for position, bytes_ in enumerate(costs[dist.name]):
            cost += bytes_ + _FILE_COST
            if cost >= limit:
                pieces.append((cost, index, start, position + 1))
                start, cost = position + 1, 0
        if start < len(costs[dist.name]):
            pieces.append((cost, index, start, len(costs[dist.name])))
    shares = _deal([(cost, (index, start, stop)) for cost, index, start, stop in pieces], count)
    return [share for share in shares if share], total


def _deal(costed: list[tuple[int, Dealt]], count: int) -> list[list[Dealt]]:
    """``count`` lists of about equal cost: the costliest first, each to the least loaded list."""
    import heapq

    loads = [(0, index) for index in range(count)]
    dealt: list[list[Dealt]] = [[] for _ in range(count)]
    for cost, thing in sorted(costed, key=lambda pair: -pair[0]):
        load, index = heapq.heappop(loads)
        dealt[index].append(thing)
        heapq.heappush(loads, (load + cost, index))
    return dealt


def _check_slices(share: list[tuple[int, int, int]]) -> tuple[list[tuple[str, dict[str, Any]]], int, int]:
    """In a forked worker: resolve and hash ``(distribution, start, stop)`` slices of the
    inherited rows; returns ``([(distribution name, problem)], bytes hashed, files checked)``."""
    assert _forked is not None, "only in a worker forked by _check_in_processes"
    distributions, rows, prefix = _forked
    problems, hashed, checked = [], 0, 0
    for index, start, stop in share:
        dist = distributions[index]
        result, listed = _listed_files(dist, rows[dist.name][start:stop], prefix)
        hashed += _hash_all(listed, 1, None, lambda: None)
        checked += len(listed)
        problems += [(dist.name, problem) for problem in result.problems]
    return problems, hashed, checked


class IntegrityPlan:
    """The files one integrity check reads, from the RECORDs of the distributions it covers:
    built once, then hashed here (:func:`check_integrity`) or in shares by several processes
    (:meth:`shares`, :func:`check_share`, :meth:`add_problems`), as the ranks of an MPI group do.

    Attributes:
        work: the RECORD rows to hash.
        results: PEP 503 name -> :class:`DistributionIntegrity`, filled as problems are found.
    """

    __slots__ = ("work", "results", "_distributions", "_everyone", "_records")

    def __init__(self, work: list[_Listed], results: dict[str, DistributionIntegrity], distributions: list[InstalledDistribution],
                 everyone: dict[str, InstalledDistribution], records: dict[str, list[list[str]] | None]) -> None:  # fmt: skip
        self.work = work
        self.results = results
        self._distributions = distributions
        self._everyone = everyone
        self._records = records

    def find_unlisted(self) -> None:
        """Report the files in the covered distributions' folders that no RECORD names."""
        _find_unlisted(self._distributions, self._everyone.values(), self._records, self.results)

    def shares(self, count: int) -> list[list[ShareRow]]:
        """The work split into ``count`` picklable shares of about equal cost (bytes plus a
        fixed cost per file), largest files first, each to the least loaded share."""
        rows: list[tuple[int, ShareRow]] = [
            ((item.size or 0) + _FILE_COST, (item.owner.name, item.path, item.full, item.algorithm, item.digest, item.size, item.allowed))
            for item in self.work
        ]
        return _deal(rows, count)

    def add_problems(self, problems: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Take the ``(distribution name, problem)`` pairs a :func:`check_share` found."""
        for name, problem in problems:
            self.results[name].problems.append(problem)

    def result(self, bytes_hashed: int, files: int, seconds: float) -> IntegrityResult:
        """The finished check: problems sorted (failing first, then by path)."""
        for result in self.results.values():
            result.problems.sort(key=lambda p: (p["problem"] not in FAILING_PROBLEMS, p["path"]))
        return IntegrityResult(self.results, files, bytes_hashed, seconds)


def plan_integrity(distributions: Iterable[InstalledDistribution], installed: Iterable[InstalledDistribution], prefix: str) -> IntegrityPlan:
    """Read the RECORDs and list the files to hash; arguments as :func:`check_integrity`'s.
    RECORD paths that resolve outside the environment are problems already, never work."""
    distributions = list(distributions)
    return _plan(distributions, *_read_records(distributions, installed), prefix)


def _read_records(distributions: list[InstalledDistribution], installed: Iterable[InstalledDistribution],
                  ) -> tuple[dict[str, InstalledDistribution], dict[str, list[list[str]] | None]]:  # fmt: skip
    """Every installed distribution by name, and the RECORD rows of each (None: none readable)."""
    everyone = {dist.name: dist for dist in (*installed, *distributions)}
    return everyone, {name: _record_rows(dist) for name, dist in everyone.items()}


def _plan(distributions: list[InstalledDistribution], everyone: dict[str, InstalledDistribution],
          records: dict[str, list[list[str]] | None], prefix: str) -> IntegrityPlan:  # fmt: skip
    results: dict[str, DistributionIntegrity] = {}
    work: list[_Listed] = []
    for dist in distributions:
        rows = records[dist.name]
        result, listed = _listed_files(dist, None if rows is None else _hashed_rows(rows), prefix)
        results[dist.name] = result
        work.extend(listed)
    return IntegrityPlan(work, results, distributions, everyone, records)


def check_share(share: Iterable[ShareRow], jobs: int,
                meanwhile: Callable[[], None] = lambda: None) -> tuple[list[tuple[str, dict[str, Any]]], int]:  # fmt: skip
    """Hash one share of :meth:`IntegrityPlan.shares` on ``jobs`` threads, running ``meanwhile()``
    alongside; returns ``([(distribution name, problem)], bytes hashed)``."""
    owners: dict[str, DistributionIntegrity] = {}
    work = []
    for name, path, full, algorithm, digest, size, allowed in share:
        owner = owners.get(name) or owners.setdefault(name, DistributionIntegrity(name, has_record=True))
        work.append(_Listed(owner, path, full, algorithm, digest, size, allowed))
    hashed = _hash_all(work, jobs, None, meanwhile)
    return [(name, problem) for name, owner in owners.items() for problem in owner.problems], hashed


def _record_rows(dist: InstalledDistribution) -> list[list[str]] | None:
    """The rows of a distribution's RECORD, or None when it has none, or none that is a
    readable regular file of its own (a symlink out of the environment is never followed)."""
    import csv
    import io

    from .._io import read_regular_file

    try:
        text = read_regular_file(os.path.join(dist.metadata_dir, "RECORD")).decode("utf-8")
        return [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _listed_files(dist: InstalledDistribution, rows: list[list[str]] | None, prefix: str) -> tuple[DistributionIntegrity, list[_Listed]]:
    """The files of ``rows`` (from :func:`_hashed_rows`; None: no readable RECORD), with their
    folders resolved to real paths."""
    if rows is None:
        record = os.path.join(dist.metadata_dir, "RECORD")
        if not os.path.lexists(record):
            return DistributionIntegrity(dist.name, has_record=False), []
        broken = DistributionIntegrity(dist.name, has_record=True)  # there, but a symlink, a FIFO or unreadable: tampered
        path = os.path.relpath(record, dist.site_dir).replace(os.sep, "/")
        broken.problems.append(_problem(path, UNREADABLE, None, "not a readable regular file; its files cannot be checked"))
        return broken, []
    result = DistributionIntegrity(dist.name, has_record=True)
    allowed = (_real_folder(prefix), _real_folder(dist.site_dir))
    real_folders: dict[str, str] = {}
    listed = []
    for row in rows:
        algorithm, _, digest = row[1].partition("=")
        folder, _, name = _in_site(dist.site_dir, row[0]).rpartition(os.sep)
        full = _real_folder_of(folder, real_folders) + os.sep + name
        if not full.startswith(allowed):
            result.problems.append(_problem(row[0], OUTSIDE, full, None))
            continue
        listed.append(_Listed(result, row[0], full, algorithm.lower(), digest.rstrip("="), _record_size(row), allowed))
    return result, listed


def _hashed_rows(rows: list[list[str]] | None) -> list[list[str]]:
    """The rows that carry a hash, the first for each path (a later duplicate is not checked twice)."""
    found, seen = [], set()
    for row in rows or ():
        if len(row) >= 2 and row[1] and row[0] not in seen:
            seen.add(row[0])
            found.append(row)
    return found


def _record_size(row: list[str]) -> int | None:
    """A RECORD row's size in bytes, or None when it gives none (or not in ASCII digits: '²')."""
    return int(row[2]) if len(row) > 2 and row[2].isascii() and row[2].isdigit() else None


def _in_site(site_dir: str, path: str) -> str:
    """A RECORD path (``/``-separated, relative to the site folder) as a normalized local path.

    String joins, not os.path: this runs for every file, and most paths need no normalizing.
    """
    if os.sep != "/":
        path = path.replace("/", os.sep)
    if path[:1] in ("/", "\\") or path[1:2] == ":":
        return os.path.normpath(path)
    full = site_dir + os.sep + path
    if "." + os.sep in full or os.sep + os.sep in full or full.endswith("."):
        return os.path.normpath(full)
    return full


def _real_folder_of(folder: str, cache: dict[str, str]) -> str:
    """``os.path.realpath(folder)``, one lstat per new folder instead of one per component."""
    real = cache.get(folder)
    if real is None:
        parent, name = os.path.split(folder)
        if parent == folder or name in ("", ".", "..") or ".." in parent.split(os.sep):
            real = os.path.realpath(folder)
        else:
            real = os.path.join(_real_folder_of(parent, cache), name)
            if os.path.islink(real):
                real = os.path.realpath(real)
        cache[folder] = real
    return real


def _real_folder(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


def _problem(path: str, problem: str, expected: object, found: object) -> dict[str, Any]:
    return {"path": path, "problem": problem, "expected": expected, "found": found}


def _hash_all(work: list[_Listed], jobs: int, progress: Callable[[int, int], object] | None, meanwhile: Callable[[], None]) -> int:
    """Check every listed file on ``jobs`` threads, running ``meanwhile()`` in this thread as
    they start; returns the bytes hashed.

    Small files cost mostly interpreter time, under the GIL: threads that share that work
    only trade the GIL back and forth, which made a venv of 40,000 small files 2.5 times
    slower. So one thread at a time works under the GIL (the ``serial`` lock: a batch of
    small files, or ``meanwhile``), while the others hash large files, outside the GIL.
    """
    import queue
    from collections import deque

    large = deque([item] for item in sorted((i for i in work if (i.size or 0) >= _LARGE), key=lambda i: -(i.size or 0)))
    small = deque(_batches([i for i in work if (i.size or 0) < _LARGE]))
    done_queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    errors: list[BaseException] = []
    serial = threading.Lock()

    def worker(first: deque[list[_Listed]], second: deque[list[_Listed]]) -> None:
        try:
            for source in (first, second):
                while True:
                    try:
                        batch = source.popleft()
                    except IndexError:
                        break
                    if source is small:
                        with serial:
                            done_queue.put(_check_batch(batch))
                    else:
                        done_queue.put(_check_batch(batch))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(error)
        finally:
            done_queue.put(None)

    threads = [threading.Thread(target=worker, args=(large, small) if n else (small, large), daemon=True) for n in range(jobs)]
    for thread in threads:
        thread.start()
    with serial:
        meanwhile()
    total = sum(item.size or 0 for item in work)
    done, running = 0, len(threads)
    while running:
        hashed = done_queue.get()
        if hashed is None:
            running -= 1
        else:
            done += hashed
            if progress is not None:
                progress(done, total)
    if errors:
        raise errors[0]
    return done


def _batches(work: list[_Listed]) -> list[list[_Listed]]:
    """Small files in batches of a few hundred: one queue operation each, not one per file."""
    return [work[start : start + _BATCH_FILES] for start in range(0, len(work), _BATCH_FILES)]


_buffers = threading.local()


def _check_batch(batch: list[_Listed]) -> int:
    """Check a batch of files; problems go to their owners. Returns bytes hashed."""
    hashed = 0
    for item in batch:
        try:
            problem, size = _check_file(item)
        except FileNotFoundError:
            problem, size = _problem(item.path, MISSING_FILE, item.size, None), 0
        except OSError as error:
            problem, size = _problem(item.path, UNREADABLE, item.size, error.strerror), 0
        hashed += size
        if problem:
            item.owner.problems.append(problem)  # list.append is atomic under the GIL
    return hashed


def _check_file(item: _Listed) -> tuple[dict[str, Any] | None, int]:
    """``(problem or None, bytes hashed)`` for one listed file."""
    constructor = _constructor(item.algorithm)
    if constructor is None:
        return _problem(item.path, HASH, f"{item.algorithm}={item.digest}", "unknown hash algorithm"), 0
    descriptor = _open(item)
    if descriptor is None:
        return _problem(item.path, OUTSIDE, item.full, None), 0
    if not _is_regular(descriptor):
        os.close(descriptor)
        return _problem(item.path, UNREADABLE, item.size, "not a regular file"), 0
    try:
        digest, size = _digest(descriptor, item.size, constructor)
    finally:
        os.close(descriptor)
    if digest is None:
        return _problem(item.path, SIZE, item.size, size), 0
    found = _b64(digest)
    if found != item.digest and digest.hexdigest() != item.digest.lower():  # hex: as Debian's python3-* packages write RECORD
        return _problem(item.path, HASH, f"{item.algorithm}={item.digest}", f"{item.algorithm}={found}"), size
    return None, size


def _open(item: _Listed) -> int | None:
    """A read descriptor for the file, or None when it is a symlink out of the environment.

    Non-blocking, so a FIFO or device in the way is opened without waiting and then refused by
    :func:`_is_regular`, never read."""
    import errno

    try:
        return os.open(item.full, os.O_RDONLY | _NOFOLLOW)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
    real = os.path.realpath(item.full)
    return os.open(real, os.O_RDONLY | _NONBLOCKING) if real.startswith(item.allowed) else None


def _is_regular(descriptor: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(descriptor).st_mode)


_NONBLOCKING = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | _NONBLOCKING


def _digest(descriptor: int, expected_size: int | None, constructor: Callable[..., Any]) -> tuple[Any, int]:
    """``(hash object, size)``, or ``(None, size)`` when the size is not ``expected_size``."""
    if expected_size is not None and expected_size < _LARGE:
        data = os.read(descriptor, expected_size + 1)  # one call; a longer file shows as one byte more
        if len(data) == expected_size:
            return constructor(data), expected_size
    size = os.fstat(descriptor).st_size
    if expected_size is not None and size != expected_size:
        return None, size
    os.lseek(descriptor, 0, os.SEEK_SET)
    digest = constructor()
    _hash_chunks(descriptor, digest)
    return digest, size


def _constructor(algorithm: str) -> Callable[..., Any] | None:
    """The hashlib constructor of a RECORD algorithm name, or None for an unknown one."""
    import hashlib

    constructor = getattr(hashlib, algorithm, None) if algorithm in hashlib.algorithms_guaranteed else None
    return constructor if callable(constructor) else None


def _b64(digest: Any) -> str:
    import base64

    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _hash_chunks(descriptor: int, digest: Any) -> None:
    buffer = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(descriptor, "rb", buffering=0, closefd=False) as handle:
        while True:
            count = handle.readinto(buffer)
            if not count:
                return
            digest.update(view[:count])


def _find_unlisted(distributions: Iterable[InstalledDistribution], installed: Iterable[InstalledDistribution],
                   records: dict[str, list[list[str]] | None], results: dict[str, DistributionIntegrity]) -> None:  # fmt: skip
    """Report files in the checked distributions' folders that no RECORD names.

    A file belongs to the distribution that lists files in its nearest folder, so a module
    dropped into ``numpy/core/`` is numpy's. Byte-code caches are the interpreter's, not the
    installer's, and are never reported.
    """
    owned: set[str] = set()
    folder_owner: dict[str, str] = {}
    for dist in installed:
        for path in _paths(records.get(dist.name)):
            full = _in_site(dist.site_dir, path)
            owned.add(full)
            folder_owner.setdefault(full.rpartition(os.sep)[0], dist.name)
    for root, site_dir in _top_folders(distributions, records):
        for folder, subfolders, files in os.walk(root):
            if "__pycache__" in subfolders:
                subfolders.remove("__pycache__")
            for name in files:
                full = folder + os.sep + name
                if full in owned or name.endswith((".pyc", ".pyo")):
                    continue
                owner = _owner(folder, site_dir, folder_owner)
                if owner in results and results[owner].has_record:
                    path = os.path.relpath(full, site_dir).replace(os.sep, "/")
                    results[owner].problems.append(_problem(path, UNLISTED, None, os.lstat(full).st_size))  # a dangling link too


def _paths(rows: list[list[str]] | None) -> list[str]:
    return [row[0] for row in rows or ()]


def _top_folders(distributions: Iterable[InstalledDistribution], records: dict[str, list[list[str]] | None]) -> list[tuple[str, str]]:
    """``(folder, site_dir)`` of each top-level folder the distributions install into."""
    roots = {}
    for dist in distributions:
        tops = {path.split("/", 1)[0] for path in _paths(records.get(dist.name)) if "/" in path}
        for top in tops - {"", ".", ".."}:
            folder = dist.site_dir + os.sep + top
            if folder not in roots and os.path.isdir(folder) and not _leaves(folder, dist.site_dir):
                roots[folder] = dist.site_dir
    return sorted(roots.items())


def _leaves(folder: str, site_dir: str) -> bool:
    """A top folder that is a symlink out of its site folder: never walked."""
    return os.path.islink(folder) and not os.path.realpath(folder).startswith(_real_folder(site_dir))


def _owner(folder: str, site_dir: str, folder_owner: dict[str, str]) -> str | None:
    site_dir = os.path.normpath(site_dir)
    while folder.startswith(site_dir) and folder != site_dir:
        owner = folder_owner.get(folder)
        if owner:
            return owner
        folder = os.path.dirname(folder)
    return None
