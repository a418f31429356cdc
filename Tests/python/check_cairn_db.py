"""The wheel's Python module, python/cairn_db, against the built cairn ($CAIRN_BIN, via $CAIRN_BINARY): serve() on a
free port returns a connected chromadb.HttpClient that runs the quick start; client.close(), a `with Server(...)`
block and interpreter exit each stop the server; an auth token goes through the environment, not the command line,
and the returned client sends it; a server that cannot start raises ServerError with its message. Also that the
release version is written the same in VERSION, Sources/cairn/Version.swift and cairn_db, and that
`cairn --version` prints it. The wheel itself, on a Debian root without Swift, is scripts/dist-test.sh.
"""
import os
import re
import subprocess
import sys
import tempfile

import cairn_serve
import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

ROOT = chroma_venv.ROOT
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "dist"))
os.environ["CAIRN_BINARY"] = os.path.abspath(cairn_serve.BINARY)

import cairn_db  # noqa: E402
import quickstart  # noqa: E402

failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what, flush=True)
    if not condition:
        failures.append(what)


def running(process):
    return process.poll() is None


def check_version():
    version = open(os.path.join(ROOT, "VERSION")).read().strip()
    swift = re.search(r'static let version = "(.*)"', open(os.path.join(ROOT, "Sources/cairn/Version.swift")).read())
    check(re.fullmatch(r"\d+\.\d+\.\d+", version) is not None, f"VERSION is a version number ({version})")
    check(swift is not None and swift.group(1) == version, "Sources/cairn/Version.swift says the VERSION file's version")
    check(cairn_db.__version__ == version, "cairn_db.__version__ says the VERSION file's version")
    readme = open(os.path.join(ROOT, "README.md")).read()
    check(f"cairn-{version}-linux-x86_64.tar.gz" in readme and f"cairn_db-{version}-py3-none-manylinux_" in readme,
          "README's install commands name this version's tarball and wheel")
    listed = [line.strip() for line in open(os.path.join(ROOT, "packaging", "runtime-packages"))
              if line.strip() and not line.startswith("#")]
    apt = re.search(r"sudo apt-get install -y ([^&\n]*)", readme)
    check(apt is not None and apt.group(1).split() == listed,
          "README's tarball install names exactly packaging/runtime-packages")
    line = subprocess.run([cairn_db.binary_path(), "--version"], capture_output=True, text=True).stdout.strip()
    check(re.fullmatch(re.escape(version) + r" \(commit (unknown|[0-9a-f]{12}(-dirty)?)\)", line) is not None,
          f"cairn --version prints the version and commit ({line})")


def check_serve(scratch):
    client = cairn_db.serve(os.path.join(scratch, "data"))
    server = client._cairn_server
    check(server.port > 0 and running(server.process), f"serve() started cairn serve on a free port ({server.port})")
    quickstart.quick_start(client)
    check(True, "the quick start ran through the returned chromadb.HttpClient")
    client.close()
    check(server.process.returncode == 0, "client.close() stopped the server (status 0)")

    with cairn_db.Server(os.path.join(scratch, "data")) as again:
        count = again.client().get_collection("articles").count()
        check(count == 3, f"a second server on the same folder sees the records ({count})")
    check(again.process.returncode == 0, "leaving a `with Server(...)` block stopped the server")


def check_exit(scratch):
    # A script that starts a server and exits without closing it: atexit stops the server.
    script = ("import cairn_db, sys; c = cairn_db.serve(sys.argv[1]); "
              "print(c._cairn_server.process.pid, flush=True)")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    result = subprocess.run([sys.executable, "-c", script, os.path.join(scratch, "exit")], capture_output=True,
                            text=True, env=env, timeout=120)
    pid = int(result.stdout.strip() or 0)
    gone = pid > 0 and (not os.path.exists(f"/proc/{pid}") or _zombie(pid))
    check(result.returncode == 0 and gone, f"interpreter exit stopped the server (pid {pid})")


def _zombie(pid):
    try:
        return open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


def check_token(scratch):
    token = "dist-check-token-" + os.urandom(6).hex()
    client = cairn_db.serve(os.path.join(scratch, "auth"), auth_token=token)
    server = client._cairn_server
    command_line = open(f"/proc/{server.process.pid}/cmdline", "rb").read()
    check(token.encode() not in command_line, "the auth token is not on the server's command line")
    collection = client.get_or_create_collection("secret")
    check(collection.count() == 0, "the client serve() returned sends the token")
    import chromadb

    try:  # the client asks for its identity when created: refused there already
        chromadb.HttpClient(host=server.host, port=server.port).list_collections()
        refused = False
    except Exception as error:  # the client raises its own error type for 401
        refused = "401" in str(error) or "auth" in str(error).lower() or "Unauthorized" in str(error)
    check(refused, "a client without the token is refused")
    client.close()


def check_failure(scratch):
    blocker = os.path.join(scratch, "not-a-folder")
    open(blocker, "w").close()
    try:
        cairn_db.serve(blocker, timeout=60)
        check(False, "serve() on a file (not a folder) raises ServerError")
    except cairn_db.ServerError as error:
        check("cairn serve" in str(error), f"serve() on a file raises ServerError naming the problem ({error})")


def main():
    check_version()
    with tempfile.TemporaryDirectory(prefix="cairn-db-check-") as scratch:
        check_serve(scratch)
        check_exit(scratch)
        check_token(scratch)
        check_failure(scratch)
    if failures:
        raise SystemExit(f"check_cairn_db: {len(failures)} failed: {failures}")
    print("check_cairn_db: all passed")


if __name__ == "__main__":
    main()
