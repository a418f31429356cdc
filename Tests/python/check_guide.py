"""docs/guide.md, run as written so that it cannot rot: its server quick start (`cairn serve --path my-data` and the
Python snippet with the official Chroma client), every `cairn …` command of its local-store sections, and its
pyarrow snippet, in a scratch folder. The Swift quick start is ReadmeExampleTests; S3 and several nodes are covered
by ProcessCrashTests, SharedStoreTests and check_two_nodes.py. Needs $CAIRN_BIN.
"""
import os
import re
import sys

import cairn_serve
import chroma_venv

if __name__ == "__main__":
    chroma_venv.ensure(__file__)

import shlex  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

ROOT = chroma_venv.ROOT
BINARY = cairn_serve.BINARY
TOOLS_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")  # pyarrow lives in .venv


def blocks(text):
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    guide = open(os.path.join(ROOT, "docs", "guide.md")).read()
    code = blocks(guide)
    python = [body for lang, body in code if lang == "python"]
    commands = [line.strip() for lang, body in code if lang == "sh" for line in body.splitlines()
                if line.strip().startswith("cairn ")]
    serve = next(c for c in commands if c.startswith("cairn serve --path"))
    local = [c for c in commands if not c.startswith("cairn serve")]
    quick_start = next(b for b in python if "HttpClient" in b)
    pyarrow_snippet = next(b for b in python if "pyarrow" in b)
    scratch = tempfile.mkdtemp(prefix="cairn-guide-")
    port = free_port()

    argv = shlex.split(serve.replace("--port 8000", f"--port {port}"))
    server, _ = cairn_serve.start(argv[2:], f"check_guide (`{serve}`)", cwd=scratch)
    quick = subprocess.run([sys.executable, "-c", quick_start.replace("port=8000", f"port={port}")], cwd=scratch,
                           capture_output=True, text=True)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    if quick.returncode != 0 or "['a1']" not in quick.stdout:
        raise SystemExit(f"check_guide: the server quick start failed: {quick.stdout}{quick.stderr[-2000:]}")
    print(f"guide: server quick start printed {quick.stdout.strip()}", flush=True)

    for command in local:
        result = subprocess.run([BINARY] + shlex.split(command)[1:], cwd=scratch, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"check_guide: `{command}` exited {result.returncode}: {result.stdout}{result.stderr}")
        print(f"guide: `{command}` ok", flush=True)

    arrow = subprocess.run([TOOLS_PYTHON, "-c", pyarrow_snippet], cwd=scratch, capture_output=True, text=True)
    if arrow.returncode != 0 or "prefix" not in arrow.stdout:
        raise SystemExit(f"check_guide: the pyarrow snippet failed: {arrow.stdout}{arrow.stderr[-2000:]}")
    print(f"guide: pyarrow read a block: {arrow.stdout.strip()}", flush=True)
    print("check_guide: OK — docs/guide.md's commands and snippets run as written")


if __name__ == "__main__":
    main()
