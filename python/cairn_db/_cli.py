"""The `cairn` console script: replaces this Python process with the bundled binary, so signals, exit status and
standard streams are the binary's own."""
import os
import sys

from . import ServerError, binary_path


def main():
    try:
        binary = binary_path()
    except ServerError as error:
        sys.exit(f"cairn: {error}")
    os.execv(binary, [binary, *sys.argv[1:]])
