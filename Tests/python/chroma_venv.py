"""The official chromadb client lives in its own venv, .venv-chroma: its pins conflict with the tools in .venv.
Scripts that need it call `ensure(__file__)` first; it re-runs them under .venv-chroma's python, creating the venv
and installing the pinned chromadb on first use."""
import os
import subprocess
import sys
import venv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHROMA_VENV = os.path.join(ROOT, ".venv-chroma")
CHROMA_PIN = "chromadb==1.5.9"
# ChromaBm25EmbeddingFunction imports snowballstemmer, which chromadb does not depend on.
EXTRA_PINS = ["snowballstemmer==3.1.1"]


def ensure(script):
    python = os.path.join(CHROMA_VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(CHROMA_VENV):
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        return
    marker = os.path.join(CHROMA_VENV, ".installed-" + "-".join([CHROMA_PIN] + EXTRA_PINS))
    if not os.path.exists(marker):
        print(f"{os.path.basename(script)}: installing {CHROMA_PIN} into {CHROMA_VENV}", flush=True)
        if not os.path.exists(python):
            venv.create(CHROMA_VENV, with_pip=True)
        subprocess.check_call([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", CHROMA_PIN]
                              + EXTRA_PINS)
        open(marker, "w").close()
    os.execv(python, [python, os.path.abspath(script)] + sys.argv[1:])
