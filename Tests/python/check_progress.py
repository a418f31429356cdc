"""Progress output of the long commands (issue 23), through the built binary ($CAIRN_BIN, else .build/debug/cairn):
with stderr on a pseudo-terminal they redraw one status line (`\\r` and a clear-line, with percentages); with stderr
to a pipe they print plain lines (every CAIRN_PROGRESS_INTERVAL seconds; 0 here, so every step shows) and no `\\r`;
`--quiet` prints no progress; stdout is the same in every mode. Covers demo, check, compact, gc, catalog rebuild,
store put/get of an object larger than one part, and warm when the local S3 server runs. Standard library only.
"""
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("CAIRN_BIN") or os.path.join(ROOT, ".build", "debug", "cairn")
STATUS = "\r\x1b[K"

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)


def environment(interval=None):
    env = dict(os.environ)
    env.pop("CAIRN_PROGRESS_INTERVAL", None)
    if interval is not None:
        env["CAIRN_PROGRESS_INTERVAL"] = str(interval)
    return env


def on_terminal(*arguments):
    """Runs cairn with stderr on a pseudo-terminal (stdout to a pipe): (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([BINARY, *arguments], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave, env=environment())
    os.close(slave)
    terminal = b""
    stdout = b""
    streams = {master, process.stdout.fileno()}
    while streams:
        ready, _, _ = select.select(list(streams), [], [], 120)
        if not ready:
            process.kill()
            check(False, f"cairn {' '.join(arguments)} did not finish")
            break
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal side reports EIO once the child has closed it
                data = b""
            if not data:
                streams.discard(fd)
            elif fd == master:
                terminal += data
            else:
                stdout += data
    os.close(master)
    status = process.wait(timeout=120)
    return status, stdout.decode(), terminal.decode(errors="replace")


def on_pipe(*arguments, interval=None):
    """Runs cairn with stderr to a pipe: (status, stdout, stderr)."""
    result = subprocess.run([BINARY, *arguments], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            env=environment(interval), timeout=300)
    return result.returncode, result.stdout, result.stderr


def redraws(terminal, phase):
    """The status lines drawn for `phase` on the terminal."""
    return [part for part in terminal.split(STATUS) if part.startswith(phase)]


def check_warm(store, folder):
    """warm (s3:// only): the store copied to the local S3 server, warmed into a disk cache on the terminal."""
    bucket = os.environ.get("S3_BUCKET")
    if not bucket or not os.environ.get("AWS_ACCESS_KEY_ID"):
        print("check_progress: warm skipped (no local S3 server; `make test` starts one)")
        return False
    prefix = f"s3://{bucket}/progress-{os.getpid()}"
    for directory, _, files in os.walk(store):
        for name in files:
            path = os.path.join(directory, name)
            key = os.path.relpath(path, store)
            if key.startswith(".cairn") or key.startswith("catalog.sqlite3"):
                continue
            status, _, stderr = on_pipe("store", "put", path, f"{prefix}/{key}", "--quiet")
            check(status == 0, f"copying {key} to the bucket: {stderr}")
    arguments = ("warm", prefix, "--collection", "articles", "--cache-dir", os.path.join(folder, "cache"),
                 "--catalog", os.path.join(folder, "warm.sqlite3"))
    status, stdout, terminal = on_terminal(*arguments)
    check(status == 0 and stdout.startswith("warmed articles version "), f"warm: {status} {stdout} {terminal[-500:]!r}")
    warming = redraws(terminal, "warming: ")
    check(any("(0%)" in line for line in warming) and any("(100%)" in line for line in warming),
          f"warm redraws objects done of their total with percentages: {terminal[-500:]!r}")
    check(" fetched 0 objects" not in stdout, f"the first warm fetches from the bucket: {stdout}")
    # A second warm finds every object in the cache: it reads no object's bytes (only listings), and still counts
    # the whole version.
    status, again, _ = on_pipe(*arguments, "--quiet")
    check(status == 0 and "objects, 0 B into" in again, f"a second warm fetches no object: {again}")
    check(again.split(";")[0] == stdout.split(";")[0], f"both warms read the same objects: {stdout} / {again}")
    return True


def main():
    if not os.access(BINARY, os.X_OK):
        print(f"check_progress: no cairn binary at {BINARY}")
        sys.exit(1)
    folder = tempfile.mkdtemp(prefix="cairn-progress-")
    warmed = False
    store = os.path.join(folder, "store")
    try:
        # demo: adding the articles and compacting them, on the terminal.
        status, stdout, terminal = on_terminal("demo", "--path", store, "--count", "1500", "--python", "/nonexistent")
        check(status == 0 and "Demo finished" in stdout, f"demo: {status} {stdout[-500:]} {terminal[-500:]}")
        adding = redraws(terminal, "adding articles: ")
        check(any("(100%)" in line for line in adding) and any("(0%)" in line for line in adding),
              f"demo redraws its ingest with percentages: {terminal[:1000]!r}")
        check(redraws(terminal, "writing the segments of articles: "), f"demo shows its compaction: {terminal!r}")
        check("Demo finished" not in terminal and "added 500/1500" in stdout, "demo's results stay on stdout")

        # check: terminal, plain lines, the default interval, --quiet; stdout the same in every mode.
        status, quiet_stdout, quiet_terminal = on_terminal("check", store, "--quiet")
        check(status == 0 and quiet_stdout.endswith("ok\n"), f"check --quiet: {status} {quiet_stdout}")
        check(quiet_terminal == "", f"--quiet prints no progress on a terminal: {quiet_terminal!r}")
        status, stdout, terminal = on_terminal("check", store)
        check(stdout == quiet_stdout, f"check's stdout does not depend on progress: {stdout!r}")
        check(terminal.startswith(STATUS) and terminal.endswith("\n"), f"check's status line: {terminal!r}")
        check(any("(100%)" in line for line in redraws(terminal, "checking: ")), f"check's percentage: {terminal!r}")
        status, stdout, stderr = on_pipe("check", store)
        check(stdout == quiet_stdout and "\r" not in stderr, f"check to a pipe: {stderr!r}")
        check(stderr.count("\n") == 1 and stderr.startswith("checking: 1/1 collection (100%) in "),
              f"a short job to a pipe prints its summary line alone at the default interval: {stderr!r}")
        status, stdout, stderr = on_pipe("check", store, interval=0)
        lines = stderr.splitlines()
        check("\r" not in stderr and len(lines) >= 3 and all(line.startswith("checking: ") for line in lines),
              f"check's plain lines: {stderr!r}")
        check(lines and lines[0] == "checking: 0/1 collection (0%)" and " in " in lines[-1],
              f"plain lines from 0% to the summary: {lines}")
        status, stdout, stderr = on_pipe("check", store, "--quiet", interval=0)
        check(stdout == quiet_stdout and stderr == "", f"--quiet prints no progress to a pipe: {stderr!r}")

        # compact: the demo's last update and deletes are still in the log.
        status, stdout, terminal = on_terminal("compact", store)
        check(status == 0 and "compacted 1 of 1 collection(s)" in stdout, f"compact: {status} {stdout}")
        check(any("%" in line for line in redraws(terminal, "writing the segments of articles: ")),
              f"compact redraws with percentages: {terminal!r}")
        check("compacting articles" in stdout and "compacting articles" not in terminal, "compact's stdout lines")

        # gc, everything old enough: plain lines per collection.
        status, stdout, stderr = on_pipe("gc", store, "--min-age", "0", interval=0)
        check(status == 0 and "\ndeleted " in stdout, f"gc: {status} {stdout} {stderr}")
        check("collecting garbage: 1/1 collection (100%)" in stderr and "\r" not in stderr, f"gc's lines: {stderr!r}")

        # catalog rebuild into a new catalog file.
        catalog = os.path.join(folder, "rebuilt.sqlite3")
        status, stdout, terminal = on_terminal("catalog", "rebuild", store, "--catalog", catalog)
        check(status == 0 and "collections: 1 (1 new" in stdout, f"catalog rebuild: {status} {stdout}")
        check(any("(100%)" in line for line in redraws(terminal, "rebuilding the catalog: ")),
              f"catalog rebuild's status line: {terminal!r}")

        # store put/get of an object of three parts.
        source = os.path.join(folder, "large.bin")
        with open(source, "wb") as file:
            file.write(os.urandom(20 << 20))
        url = "file://" + os.path.join(folder, "objects") + "/large.bin"
        status, stdout, terminal = on_terminal("store", "put", source, url)
        check(status == 0 and stdout.startswith("upload: "), f"store put: {status} {stdout} {terminal}")
        check(any("(100%)" in line and "MiB" in line for line in redraws(terminal, "uploading large.bin: ")),
              f"store put's status line: {terminal!r}")
        copy = os.path.join(folder, "copy.bin")
        status, stdout, stderr = on_pipe("store", "get", url, copy, interval=0)
        check(status == 0 and stdout.startswith("download: "), f"store get: {status} {stdout} {stderr}")
        check("downloading large.bin: 3/3 parts (100%)" in stderr and "\r" not in stderr,
              f"store get's plain lines: {stderr!r}")
        with open(source, "rb") as a, open(copy, "rb") as b:
            check(a.read() == b.read(), "the object came back whole")
        status, stdout, terminal = on_terminal("store", "get", url, copy, "--quiet")
        check(status == 0 and terminal == "", f"store get --quiet: {terminal!r}")

        warmed = check_warm(store, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"check_progress: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_progress: status lines on a terminal, plain lines to a pipe, nothing with --quiet, stdout "
          f"unchanged (demo, check, compact, gc, catalog rebuild, store put/get{', warm' if warmed else ''}): ok")


if __name__ == "__main__":
    main()
