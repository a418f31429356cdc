"""Starts Chroma's own server, `chroma run` from .venv-chroma, as a reference for the Python checks: on 127.0.0.1, a
free port, a folder of its own, optionally with reset allowed (only a config file can turn `allow_reset` on). Waits
for its heartbeat (bounded); stop() ends only the process it started."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

import chroma_venv

BINARY = os.path.join(chroma_venv.CHROMA_VENV, "bin", "chroma")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaRun:
    def __init__(self, folder, allow_reset=False, timeout=60):
        """`chroma run` persisting into folder/data; raises RuntimeError (with its log's tail) if it does not answer."""
        os.makedirs(folder, exist_ok=True)
        self.folder, self.allow_reset = folder, allow_reset
        self.process, self.port = None, None
        last = None
        for _ in range(3):  # a free port can be taken between choosing it and binding it: try a few
            try:
                self._start(timeout)
                return
            except RuntimeError as error:
                last = error
        raise last

    def _start(self, timeout):
        self.port = free_port()
        config = os.path.join(self.folder, "config.yaml")
        with open(config, "w") as f:
            f.write(f'persist_path: "{os.path.join(self.folder, "data")}"\n'
                    f'listen_address: "127.0.0.1"\nport: {self.port}\n'
                    f'allow_reset: {"true" if self.allow_reset else "false"}\n')
        self.log = os.path.join(self.folder, f"chroma-run-{self.port}.log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([BINARY, "run", config], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL,
                                            env=dict(os.environ, ANONYMIZED_TELEMETRY="False"))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        with open(self.log, errors="replace") as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f"chroma run did not answer on 127.0.0.1:{self.port}: {tail}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def restart(self):
        """Stops it and starts it again over the same folder (on a new port)."""
        self.stop()
        self._start(60)
