"""Cairn for Python: the `cairn` binary this wheel carries, and `serve()`, which starts it as a Chroma-compatible
server on a free port and returns the official client connected to it.

    import cairn_db
    client = cairn_db.serve("my-data")      # a folder, or "s3://bucket/prefix?endpoint=…&region=…"
    collection = client.get_or_create_collection("articles")

The server stops when `client.close()` or `cairn_db.stop(client)` is called, when a `with cairn_db.Server(...)`
block ends, and at interpreter exit. chromadb is not a dependency of this package (the binary is useful alone):
install `cairn-db[client]` or any chromadb 1.5.x to use `serve()`.
"""

import atexit
import os
import subprocess
import sys
import threading
import time
import urllib.request

__all__ = ["Server", "ServerError", "binary_path", "serve", "stop", "__version__"]

__version__ = "0.1.0"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class ServerError(RuntimeError):
    """`cairn serve` did not start, or stopped answering before it was ready; the message carries its stderr."""


def binary_path():
    """The `cairn` executable: $CAIRN_BINARY when set (a build from source), else the one inside this package."""
    override = os.environ.get("CAIRN_BINARY")
    if override:
        return override
    bundled = os.path.join(_PACKAGE_DIR, "bin", "cairn")
    if not os.path.exists(bundled):
        raise ServerError(f"no cairn binary at {bundled}: this is a source checkout; set CAIRN_BINARY to a build")
    return bundled


class Server:
    """One `cairn serve` process on 127.0.0.1 (by default) and a free port. `store` is a folder or an s3:// URL;
    extra command-line options go in `options` (e.g. ["--log-level", "warning"]). The auth token, when given, is
    handed over in the environment (CAIRN_AUTH_TOKEN), never on the command line where `ps` shows it."""

    def __init__(self, store, port=0, host="127.0.0.1", auth_token=None, options=(), env=None, timeout=60.0):
        store = os.fspath(store)
        flag = "--store" if store.startswith("s3://") else "--path"
        arguments = [binary_path(), "serve", flag, store, "--host", host, "--port", str(int(port)), *options]
        environment = dict(os.environ if env is None else env)
        if auth_token is not None:
            environment["CAIRN_AUTH_TOKEN"] = auth_token
        self.auth_token = auth_token
        self._stderr_tail = []
        self.process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=environment, text=True)
        atexit.register(self.stop)
        # Drain stderr all along (a full pipe would block the server), keeping its end for error messages.
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        try:
            self.host, self.port = self._wait_listening(host, timeout)
            self._wait_heartbeat(timeout)
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._drain_stdout, daemon=True).start()

    def _drain_stderr(self):
        for line in self.process.stderr:
            self._stderr_tail = (self._stderr_tail + [line])[-50:]

    def _drain_stdout(self):
        for _ in self.process.stdout:
            pass

    def _failure(self, what):
        time.sleep(0.1)  # let the drain thread read what the process said last
        return ServerError(f"cairn serve {what}: {''.join(self._stderr_tail)[-4000:].strip() or '(no output)'}")

    def _wait_listening(self, host, timeout):
        # `cairn serve` prints `Listening on HOST:PORT` on stdout once bound (port 0: the port it was given).
        result = []

        def read():
            for line in self.process.stdout:
                if line.startswith("Listening on "):
                    result.append(line.strip()[len("Listening on "):].rsplit(":", 1))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not result:
            raise self._failure("exited before listening" if self.process.poll() is not None
                                else f"did not listen within {timeout:g} s")
        listened_host, port = result[0]
        return (host if listened_host in ("0.0.0.0", "::") else listened_host), int(port)

    def _wait_heartbeat(self, timeout):
        deadline = time.monotonic() + timeout
        url = f"{self.url}/api/v2/heartbeat"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise self._failure(f"exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise self._failure(f"did not answer its heartbeat within {timeout:g} s")
            time.sleep(0.05)

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def client(self, **settings):
        """A `chromadb.HttpClient` connected to this server (with the token, if any)."""
        try:
            import chromadb
        except ImportError as error:
            raise ImportError("cairn_db.serve needs the official Chroma client: pip install 'cairn-db[client]' "
                              "(or chromadb 1.5.x)") from error
        headers = dict(settings.pop("headers", None) or {})
        if self.auth_token is not None:
            headers.setdefault("Authorization", f"Bearer {self.auth_token}")
        return chromadb.HttpClient(host=self.host, port=self.port, headers=headers, **settings)

    def stop(self, timeout=30.0):
        """SIGTERM (the server finishes requests in flight and exits), then SIGKILL after `timeout` seconds."""
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(store, port=0, **options):
    """Starts `cairn serve` over `store` (a folder or an s3:// URL) and returns a connected `chromadb.HttpClient`.
    The server stops at interpreter exit, or earlier with `client.close()` / `cairn_db.stop(client)`. Keyword
    arguments go to `Server` (host, auth_token, options, env, timeout)."""
    server = Server(store, port=port, **options)
    try:
        client = server.client()
    except BaseException:
        server.stop()
        raise
    _attach(client, server)
    return client


def stop(client):
    """Stops the server `serve()` started for `client`."""
    server = getattr(client, "_cairn_server", None)
    if server is not None:
        server.stop()


def _attach(client, server):
    # The client keeps its server: `client.close()` (chromadb >= 1.x has it) also stops the server, and a `with`
    # block around the client does too where the client supports one.
    client._cairn_server = server
    original_close = getattr(client, "close", None)

    def close(*args, **kwargs):
        try:
            if original_close is not None:
                return original_close(*args, **kwargs)
        finally:
            server.stop()

    try:
        client.close = close
    except (AttributeError, TypeError):
        pass
