#!/usr/bin/env python3
"""Builds the `cairn-db` wheel (for `make dist`): the Python module in python/cairn_db, the `cairn` binary, and the
shared libraries it needs beyond glibc and the C++ runtime, so that `pip install` alone is enough on any x86_64
Linux with a recent enough glibc.

    scripts/build-wheel.py --binary .build/release/cairn --out dist

Why bundle, and what (docs/decisions/0028-dist.md): the binary runs as its own process, never loaded into Python,
so its libraries cannot clash with the interpreter's; the wheel carries libcurl, libzstd, libsqlite3, libroaring and
everything they load in turn, and leaves out only what every manylinux system provides (the libraries below). The
binary gets the RUNPATH $ORIGIN/../lib and each bundled library $ORIGIN (patchelf), as auditwheel does for extension
modules. The platform tag is the newest GLIBC_ symbol version any of these files needs (objdump -T).

A wheel is a zip with a fixed layout (PEP 427, PEP 491): the package, then NAME-VERSION.dist-info/ with METADATA,
WHEEL, entry_points.txt and RECORD (every file's sha256, urlsafe base64 without padding, and size)."""
import argparse
import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NAME = "cairn_db"
DIST_NAME = "cairn-db"
# What manylinux systems always provide (auditwheel's policy list, less the graphics libraries): never bundled.
SYSTEM_LIBRARIES = {
    "linux-vdso.so.1", "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
    "librt.so.1", "libutil.so.1", "libresolv.so.2", "libnsl.so.1", "libgcc_s.so.1", "libstdc++.so.6",
}


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def shared_libraries(binary):
    """{soname: path} of everything the dynamic loader maps for `binary` (ldd: the whole closure)."""
    libraries = {}
    for line in run("ldd", binary).splitlines():
        match = re.match(r"\s*(\S+) => (\S+) \(", line)
        if match:
            libraries[match.group(1)] = match.group(2)
        elif "not found" in line:
            sys.exit(f"build-wheel: {binary} needs a library ldd cannot find: {line.strip()}")
    return libraries


def glibc_floor(paths):
    """The newest GLIBC_x.y symbol version the files need, as (x, y)."""
    newest = (2, 17)
    for path in paths:
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", run("objdump", "-T", path)):
            newest = max(newest, (int(major), int(minor)))
    return newest


def version_of_repository():
    with open(os.path.join(ROOT, "VERSION")) as file:
        return file.read().strip()


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def metadata(version):
    readme = ("Cairn, an object-storage-backed vector database that speaks Chroma's HTTP API, as a `cairn` command "
              "and a Python module.\n\n"
              "```python\nimport cairn_db\n\nclient = cairn_db.serve(\"my-data\")  # a folder or an s3:// URL\n"
              "collection = client.get_or_create_collection(\"articles\")\n```\n\n"
              "`serve()` starts `cairn serve` on a free port and returns the official `chromadb.HttpClient` "
              "connected to it (install the `client` extra, or any chromadb 1.5.x); the server stops at exit or "
              "with `client.close()`. The `cairn` command is the server and its tools (`cairn --help`).\n")
    return (f"Metadata-Version: 2.1\nName: {DIST_NAME}\nVersion: {version}\n"
            "Summary: Cairn: an object-storage-backed vector database with Chroma's HTTP API (server binary and "
            "Python launcher)\n"
            "Requires-Python: >=3.9\n"
            "Classifier: Operating System :: POSIX :: Linux\n"
            "Classifier: Programming Language :: Python :: 3\n"
            "Provides-Extra: client\n"
            "Requires-Dist: chromadb-client>=1.5,<2; extra == \"client\"\n"
            "Description-Content-Type: text/markdown\n\n" + readme)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the release `cairn` to ship")
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"))
    parser.add_argument("--version", default=None, help="default: the VERSION file")
    args = parser.parse_args()
    version = args.version or version_of_repository()
    module = open(os.path.join(ROOT, "python", NAME, "__init__.py")).read()
    if f'__version__ = "{version}"' not in module:
        sys.exit(f"build-wheel: python/{NAME}/__init__.py's __version__ is not {version}: change it with VERSION")
    for tool in ("patchelf", "objdump", "ldd"):
        if shutil.which(tool) is None:
            sys.exit(f"build-wheel: {tool} is missing (make dist installs patchelf and binutils)")

    with tempfile.TemporaryDirectory(prefix="cairn-wheel-") as staging:
        package = os.path.join(staging, NAME)
        shutil.copytree(os.path.join(ROOT, "python", NAME), package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.makedirs(os.path.join(package, "bin"))
        os.makedirs(os.path.join(package, "lib"))
        binary = os.path.join(package, "bin", "cairn")
        shutil.copy2(args.binary, binary)
        bundled = []
        for soname, path in sorted(shared_libraries(args.binary).items()):
            if soname in SYSTEM_LIBRARIES:
                continue
            target = os.path.join(package, "lib", soname)
            shutil.copyfile(os.path.realpath(path), target)
            os.chmod(target, 0o755)
            run("patchelf", "--set-rpath", "$ORIGIN", target)
            bundled.append(soname)
        run("patchelf", "--set-rpath", "$ORIGIN/../lib", binary)
        elves = [binary] + [os.path.join(package, "lib", soname) for soname in bundled]
        major, minor = glibc_floor(elves)
        tag = f"py3-none-manylinux_{major}_{minor}_x86_64"

        dist_info = f"{NAME}-{version}.dist-info"
        generated = {
            f"{dist_info}/METADATA": metadata(version),
            f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: cairn scripts/build-wheel.py\n"
                                  f"Root-Is-Purelib: false\nTag: {tag}\n",
            f"{dist_info}/entry_points.txt": "[console_scripts]\ncairn = cairn_db._cli:main\n",
            f"{dist_info}/top_level.txt": f"{NAME}\n",
        }
        os.makedirs(args.out, exist_ok=True)
        wheel_path = os.path.join(args.out, f"{NAME}-{version}-{tag}.whl")
        records = []
        with zipfile.ZipFile(wheel_path + ".part", "w", zipfile.ZIP_DEFLATED) as wheel:
            def add(arcname, data, mode):
                info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | mode) << 16  # pip keeps the executable bit from here
                wheel.writestr(info, data, compresslevel=6)
                records.append(record_line(arcname, data))

            for directory, folders, files in os.walk(package):
                folders.sort()
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    with open(path, "rb") as file:
                        data = file.read()
                    mode = 0o755 if os.access(path, os.X_OK) else 0o644
                    add(os.path.relpath(path, staging), data, mode)
            for arcname, text in generated.items():
                add(arcname, text.encode(), 0o644)
            record_name = f"{dist_info}/RECORD"
            records.append(f"{record_name},,")
            info = zipfile.ZipInfo(record_name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            wheel.writestr(info, "\n".join(records) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        os.replace(wheel_path + ".part", wheel_path)
    print(f"build-wheel: {wheel_path} (glibc >= {major}.{minor}; bundled: {', '.join(bundled) or 'nothing'})")


if __name__ == "__main__":
    main()
