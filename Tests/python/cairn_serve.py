"""Starts `cairn serve` for the Python checks: the built binary ($CAIRN_BIN, else .build/debug/cairn), waited for
until it prints `Listening on host:port`."""
import os
import subprocess

import chroma_venv

BINARY = os.environ.get("CAIRN_BIN") or os.path.join(chroma_venv.ROOT, ".build", "debug", "cairn")


def start(arguments, who, cwd=None, env=None):
    """`cairn serve …arguments`; returns (process, port) once it listens, or exits naming `who` and its stderr."""
    process = subprocess.Popen([BINARY, "serve", *arguments], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    while line and not line.startswith("Listening on "):
        line = process.stdout.readline()
    if not line.startswith("Listening on "):
        process.kill()
        raise SystemExit(f"{who}: cairn serve did not start: {process.stderr.read()[-2000:]}")
    return process, int(line.strip().rsplit(":", 1)[1])


def stop(process, folder=None):
    """SIGTERM (a minute to finish, then SIGKILL), and the data folder removed when given."""
    import shutil
    import signal

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def s3_test_url(name):
    """A fresh prefix `name-<random>` on the local S3 server `make test` starts ($CAIRN_S3_TEST_URL), as a store URL
    for `cairn serve --store`; None when that server is not there."""
    import uuid

    base = os.environ.get("CAIRN_S3_TEST_URL")
    if not base:
        return None
    location, _, query = base.partition("?")
    return f"{location.rstrip('/')}/{name}-{uuid.uuid4().hex[:12]}?{query}"
