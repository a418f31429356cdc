"""A deterministic English text corpus for the sparse/BM25 benchmark (issue 21), built offline from the running
Python's standard library: the words of its comments and docstrings, in file order, cut into documents of 8 to 60
words (lengths from a generator seeded 21). The same Python version gives the same corpus; the benchmark prints the
version and a hash of the corpus beside its figures.

    python3 Benchmarks/text_corpus.py 100000     # prints the number of documents, words and the corpus hash
"""
import hashlib
import io
import os
import random
import re
import sys
import sysconfig
import tokenize

WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def _text_of(path):
    """Comment and docstring words of one source file (nothing when it does not tokenize)."""
    words = []
    try:
        with open(path, "rb") as f:
            source = f.read()
        tokens = tokenize.tokenize(io.BytesIO(source).readline)
        for token in tokens:
            if token.type == tokenize.COMMENT or (token.type == tokenize.STRING and token.string[:3] in ('"""', "'''")):
                words += WORD.findall(token.string)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, OSError):
        return []
    return words


def documents(n, seed=21):
    stdlib = sysconfig.get_paths()["stdlib"]
    paths = []
    for root, dirs, files in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "tests", "idlelib", "__pycache__"))
        paths += [os.path.join(root, f) for f in sorted(files) if f.endswith(".py")]
    words = []
    for path in paths:
        words += _text_of(path)
    rng = random.Random(seed)
    docs, position = [], 0
    while len(docs) < n:
        length = rng.randint(8, 60)
        if position + length > len(words):
            position = rng.randint(0, 1000)  # wrap around with a shift so repeated passes differ
        docs.append(" ".join(words[position:position + length]))
        position += length
    return docs


def corpus_hash(docs):
    return hashlib.sha256("\n".join(docs).encode()).hexdigest()[:12]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    docs = documents(n)
    print(len(docs), sum(len(d.split()) for d in docs), corpus_hash(docs), sys.version.split()[0])
