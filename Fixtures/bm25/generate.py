#!/usr/bin/env python3
"""Generate the TextAnalysis test fixtures from the Python reference implementation.

Pins the committed fixtures were generated with:
    CPython 3.11.7 (unicodedata.unidata_version == "14.0.0")
    chromadb==1.5.9 (ChromaBm25EmbeddingFunction)
    snowballstemmer==3.1.1 (pure-Python EnglishStemmer; PyStemmer NOT installed)
    mmh3==5.3.1

Usage (from the repository root):
    python3 -m venv .venv && .venv/bin/pip install chromadb==1.5.9 snowballstemmer==3.1.1
    SNOWBALL_VOC=/path/to/snowball-data/english/voc.txt \
        .venv/bin/python Fixtures/bm25/generate.py

Word and sentence sources: the snowball-data English vocabulary (optional, via
SNOWBALL_VOC; the committed fixtures used snowballstem/snowball-data at
ba91f32bb9c5c25634eaa36e9dadb869f519ebd9), /usr/share/common-licenses and the
CPython standard library's top-level .py files. All sampling uses fixed seeds,
so the output only changes when those sources change.

Outputs (all in this directory):
    stems.txt      front-coded "word -> stem" pairs (format below)
    encodings.jsonl one JSON object per text with the exact Python output
    murmur.txt     "hex-bytes hash" lines, mmh3.hash(bytes, 0, signed=False)
    unicode.txt    Python's view of every code point: \\w ranges, lower(),
                   and the final-sigma context classes
"""

import json
import os
import random
import re
import sys
import unicodedata
from pathlib import Path

import mmh3
import snowballstemmer
from chromadb.utils.embedding_functions.chroma_bm25_embedding_function import (
    ChromaBm25EmbeddingFunction,
)

HERE = Path(__file__).resolve().parent
STDLIB = Path(os.__file__).resolve().parent
LICENSES = Path("/usr/share/common-licenses")

STEM_COUNT = 21000
CUSTOM = dict(k=1.5, b=0.5, avg_doc_length=100, token_max_length=10)

assert sys.version_info[:2] == (3, 11), sys.version
assert unicodedata.unidata_version == "14.0.0"
try:
    import Stemmer  # noqa: F401  (PyStemmer would replace the pure-Python stemmer)

    raise SystemExit("uninstall PyStemmer: the fixtures must come from snowballstemmer's Python code")
except ImportError:
    pass


def read_sources():
    texts = []
    for path in sorted(LICENSES.glob("*")):
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    for path in sorted(STDLIB.glob("*.py")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


# ---------------------------------------------------------------- stems

SPECIAL_WORDS = """
skis skies sky news howe atlas cosmos bias andes idly gently ugly early only singly
dying lying tying vying eying spying flying crying trying ying ying's
inning innings outing outings canning cannings herring herrings earring earrings evening evenings
proceed proceeds proceeded proceeding exceed exceeded exceeding succeed succeeded succeeding
proceedly exceedly succeedly reproceed feed feeds agreed agreedly guaranteed
generate general generic generous generously communication communism community arsenic arsenal
past paste pasted pasting pastes univers universe universal university lateral later emerge
emergency organ organic organize intern internal international interfere interval
y ya yay yy yyy yes yea yield yielding boy boys boyish toy toying say saying says sayyid
by cry cried cries crying ties tie die dies died pies spies ski skiing
a b i o s t is as us ss sss bus gas gaps kiwis caress caresses ponies cats feet
bb dd ff gg mm nn pp rr tt add added adding egg egged off offed hop hopped hopping
hoping hoped conflated troubled sized luxuriated fizzed filing failing bled
'tis 'twas o'clock dog's dogs' 'dog' '' ''' 's 's' ''s it's' can't won't don't
'ies 'sses ''y 'y 'yes y'all rock'n'roll
ogist biologist geologist apology apologies analogies fulli fully hopefully
lessli needlessly entli fervently abli ably
generation generational generalization generalizations agreeing
ational tional rational national sensational traditional conditional
analyse analyze analyzing analyzer theorize theorizer
electriciti electricity electrical electrically
hopefulness carelessness effectiveness sensitivity sensibility
controlling controller controlled rolled rolling
happy happiness happier happiest happily unhappily
atlases cosmoses biases andeses newses hows
caf\u00e9 na\u00efve fa\u00e7ade gr\u00f6\u00dfe stra\u00dfe \u00f1and\u00fa \u00e9t\u00e9 r\u00e9sum\u00e9 r\u00e9sum\u00e9s
na\u00efvety co\u00f6perate co\u00f6perating pok\u00e9mon pok\u00e9mons \u00fcber \u00fcberall
\u0434\u043e\u043c \u03bb\u03cc\u03b3\u03bf\u03c2 \u6771\u4eac \u6771\u4eac\u306b\u884c\u304f abc\u0301ing y\u00e9s
i\u0307stanbul i\u0307i\u0307i\u0307 \u00bding x\u00b2ed fooed\u00b2 ying\u2160
Yes YES Yay SAYING Flying Y'all yY yYy aYy ayY
1234 123ing 1st 2nd 3rd 4th 1990s 1990's a1b2c3 _private __init__ foo_bar snake_case_ing
""".split()


def stem_words(texts, stemmer):
    pool = set()
    voc = os.environ.get("SNOWBALL_VOC")
    if voc:
        pool.update(w.strip() for w in Path(voc).read_text(encoding="utf-8").split() if w.strip())
    for text in texts:
        for word in re.findall(r"[A-Za-z']+", text):
            pool.add(word.lower().strip("'") or word)
        for word in re.findall(r"\w+", text):
            pool.add(word.lower())
    special = list(SPECIAL_WORDS)
    pool.difference_update(special)
    rng = random.Random(20240601)
    chosen = set(special)
    chosen.update(rng.sample(sorted(pool), STEM_COUNT - len(chosen)))
    words = sorted(chosen)
    # Front coding, one line per word, sorted:
    #   <shared><rest>[\t<cut><appended>]
    # <shared> is the number of leading code points shared with the previous word and
    # <cut> the number of code points removed from the end of the word to get the stem,
    # both written as one character chr(0x30 + n); the tab part is omitted when the
    # stem equals the word.
    lines = []
    previous = ""
    for word in words:
        stem = stemmer.stemWord(word)
        shared = 0
        while shared < min(len(word), len(previous), 78) and word[shared] == previous[shared]:
            shared += 1
        line = chr(0x30 + shared) + word[shared:]
        if stem != word:
            keep = 0
            while keep < min(len(word), len(stem)) and word[keep] == stem[keep]:
                keep += 1
            assert len(word) - keep <= 78
            line += "\t" + chr(0x30 + len(word) - keep) + stem[keep:]
        lines.append(line)
        previous = word
    assert all("\t" not in w and "\n" not in w and " " not in w for w in words)
    (HERE / "stems.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(words)


# ---------------------------------------------------------------- encodings

HANDWRITTEN_TEXTS = [
    "",
    " ",
    "\t\n\r\x0b\x0c",
    "The quick brown fox jumps over the lazy dog.",
    "Dogs are running; the fox runs quickly! Running dogs.",
    "Usain Bolt's top speed reached ~27.8 mph (44.72 km/h)",
    "the and of to a in is it you that",
    "a",
    "it's",
    "Don't stop-believing!!! (Journey, 1981)",
    "snake_case_identifiers and __dunder__ names _ __ ___",
    "foo_bar-baz.qux/quux\\corge",
    "E-mail: someone@example.com, URL: https://example.com/a/b?c=d&e=f#g",
    "Prices: $10.99, \u20ac5, \u00a33.50, \u00a51000 and 50% off!!!",
    "Caf\u00e9 na\u00efve fa\u00e7ade r\u00e9sum\u00e9 co\u00f6perate \u00fcber",
    "Cafe\u0301 with a combining accent (NFD) vs caf\u00e9 (NFC)",
    "Stra\u00dfe STRASSE stra\u00dfe Gr\u00f6\u00dfe GR\u00d6SSE \u1e9e",
    "\u0130stanbul \u0130\u0130\u0130 \u0131s\u0131k I\u0307 DIYARBAKIR",
    "\u039f\u0394\u039f\u03a3 \u0391\u039b\u0397\u0398\u0395\u0399\u0391\u03a3 \u03a3\u039f\u03a6\u0399\u0391 \u03a3 \u03a3\u03a3 \u0391\u03a3\u03a3\u0391",
    "\u039b\u03cc\u03b3\u03bf\u03c2 \u03ba\u03b1\u03b9 \u0398\u03b5\u03cc\u03c2 \u1f08\u03c1\u03c7\u03ae",
    "\u0295\u03a3 \u0295\u03a3\u0295 a\u0295\u03a3 \u03a3\u0295",
    "\u0391\u03a3\u02b0 \u0391\u02b0\u03a3 \u2160\u03a3 \u03a3\u2160 \u03a3\u02b0\u0391 \u03a3_ _\u03a3 A\u03a3 a\u03a3b 1\u03a3",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438.",
    "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002\u5317\u4eac\u3001\u4e0a\u6d77\uff0c\u9999\u6e2f\uff01",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc640 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea \u0939\u093f\u0928\u094d\u0926\u0940",
    "Emoji \U0001f600 \U0001f44d\U0001f3fd family \U0001f468\u200d\U0001f469\u200d\U0001f467 flags \U0001f1fa\U0001f1f8 rocket\U0001f680launch",
    "non\u00a0breaking\u00a0space and\u2003em\u2002en\u2009thin\u200ahair\u3000ideographic",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
    "line\u2028separator\u2029paragraph\x85next\x1cfile\x1dgroup\x1erecord\x1funit",
    "tabs\tand\nnewlines\r\nand\x0bvertical\x0cfeed",
    "Fullwidth \uff21\uff22\uff23 \uff11\uff12\uff13 \uff44\uff4f\uff47\uff53",
    "Superscripts x\u00b2 y\u00b3 \u00bd \u2153 \u2460 \u2474 \u2160\u2161\u2162 \u216b",
    "Digits \u0660\u0661\u0662 \u0966\u0967 \u0e51\u0e52 \U0001d7ce\U0001d7cf",
    "Ligatures \ufb01nance \ufb02ow \ufb00 \u0132sselmeer \u01c4 \u01c5 \u01c6 \u01f1",
    "Titlecase \u01c5ungla \u1f88 \u1fbc and \u0345 ypogegrammeni",
    "Math \U0001d400\U0001d401\U0001d402 \U0001d49c \u2102 \u210d \u2115",
    "Armenian \u0535\u0582 \u0587 and Cherokee \u13a0\u13a1 \uab70 Deseret \U00010400\U00010428",
    "Glagolitic \u2c00\u2c30 Georgian \u10a0 \u10d0 \u1c90 Osage \U000104b0",
    "Combining: a\u0300 e\u0301 o\u0308 n\u0303 and alone \u0300\u0301 and i\u0307",
    "Mixed123numbers456 and 3.14159 and 1,000,000 and 0x1F and 1e10 and v1.2.3",
    "running runner runs ran run RUNNING Running rUnNiNg",
    "generously generalization generations communicated universally organizations",
    "skis skies sky news howe atlas cosmos bias andes idly gently ugly early only singly",
    "dying lying tying vying inning outing canning herring earring evening proceed exceed succeed",
    "hopping hoping hopped hoped fizzed fizzing filing filling",
    "It's the dog's bone; the dogs' bones. O'Neil's rock'n'roll y'all",
    "\u2018smart quotes\u2019 \u201cdouble\u201d \u00abguillemets\u00bb \u2039single\u203a",
    "dashes \u2013 en \u2014 em \u2012 figure \u2010 hyphen \u2011 nb-hyphen",
    "ellipsis\u2026 bullet\u2022 middle\u00b7dot dagger\u2020 section\u00a7 pilcrow\u00b6",
    "!!!???...,,,;;;:::---___+++===",
    "___",
    "_a_ _b_ __c__",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "the the the the the fox fox fox dog",
    "fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox fox",
    "repeated repeat repeating repeats repeater repetition",
    "Ab\u0130c",
    "\u00c5ngstr\u00f6m \u212bngstr\u00f6m \u2126hm \u2127 Kelvin \u212a",
    "\u1e9b\u0323 \u017f \u1e9e \u00df \u03c2 \u03c3 \u03a3 \u0345",
    "Cyrillic \u0400\u0401\u040d \u0450 \u0451 \u0460\u0461 \u04c0 \u04cf",
    "Turkish dotless \u0131 and dotted \u0130; Azeri; Lithuanian \u00cc \u00cd \u0128",
    "Mongolian\u180evowel separator and ogham\u1680space",
    "nul\x00char and del\x7fchar and bell\x07",
    "Private use \ue000\uf8ff and replacement \ufffd and noncharacter \ufdd0",
    "Tamil \u0ba4\u0bae\u0bbf\u0bb4\u0bcd Bengali \u09ac\u09be\u0982\u09b2\u09be Devanagari \u0915\u093f\u0924\u093e\u092c",
    "Lao \u0e9e\u0eb2\u0eaa\u0eb2\u0ea5\u0eb2\u0ea7 Khmer \u1797\u17b6\u179f\u17b6\u1781\u17d2\u1798\u17c2\u179a Tibetan \u0f56\u0f7c\u0f51\u0f0b",
    "Unicode 15 chars: \U0001e030\U0001e04f Kawi \U00011f04 and CJK ext H \U00031350",
    "Unicode 16 chars: Garay \U00010d50\U00010d70 Latin \ua7cb\ua7cc\ua7cd\ua7da\ua7db\ua7dc Tulu \U00011380",
    "Caseless emoji \U0001f170\U0001f171 and circled \u24b6\u24d0 and squared \U0001f130",
    "x" * 39,
    "x" * 40,
    "x" * 41,
    "y" * 40 + " " + "z" * 41 + " short",
    "\u00e9" * 40 + " " + "\u00e9" * 41,
    "\u0130" * 20 + " " + "\u0130" * 21 + " " + "\u0130" * 19 + "x",
    "\u6f22" * 40 + " " + "\u6f22" * 41,
    "\U0001d7ce" * 40 + " " + "\U0001d7ce" * 41,
    "antidisestablishmentarianism supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis is 45 letters long",
    "lopado\u00adtemacho\u00adselacho soft\u00adhyphen",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "0 1 2 3 4 5 6 7 8 9 10 100 1000",
    "ys yss yes yesses ayes eyes",
    "Ys y's 'y 'ys",
]


def sentences_from(texts, rng, count):
    candidates = []
    for text in texts:
        for piece in re.split(r"(?<=[.!?])\s+|\n\s*\n", text):
            piece = piece.strip()
            if 20 <= len(piece) <= 110:
                candidates.append(piece)
    candidates = sorted(set(candidates))
    return rng.sample(candidates, count)


def synthetic_texts(rng, count):
    alphabet = (
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        + list(" \t\n.,;:!?'\"-()[]{}<>/\\@#$%^&*+=~`|")
        + ["\u00e9", "\u00df", "\u0130", "\u03a3", "\u03c3", "\u0436", "\u6f22", "\u00a0", "\u3000",
           "\U0001f600", "\u0301", "\u00b2", "\u2160", "\u02b0", "\u2019", "\u200b"]
    )
    words = ["running", "generously", "the", "a", "it's", "skies", "dying", "fox", "caf\u00e9",
             "\u039f\u0394\u039f\u03a3", "universal", "organization", "hopping", "yes"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 10)):
            if rng.random() < 0.5:
                parts.append(rng.choice(words))
            else:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10))))
        out.append(rng.choice([" ", "", "-", ", "]).join(parts))
    return out


def encodings(texts):
    """encodings.json: {"values": [distinct floats], "texts": [{"t": text,
    "d": [[index, label, value#], ...] for ChromaBm25EmbeddingFunction(include_tokens=True),
    "c": [[index, label, value#], ...] for the CUSTOM parameters}]}, value# indexing "values"."""
    rng = random.Random(7)
    all_texts = list(HANDWRITTEN_TEXTS)
    all_texts += sentences_from(texts, rng, 160)
    all_texts += synthetic_texts(rng, 60)
    default = ChromaBm25EmbeddingFunction(include_tokens=True)
    plain = ChromaBm25EmbeddingFunction()
    custom = ChromaBm25EmbeddingFunction(include_tokens=True, **CUSTOM)
    values = {}

    def entries(vector):
        labels = vector.labels or []  # None for an empty vector
        assert len(vector.indices) == len(vector.values) == len(labels)
        return [[i, label, values.setdefault(v, len(values))]
                for i, v, label in zip(vector.indices, vector.values, labels)]

    records = []
    for text in all_texts:
        d = default([text])[0]
        p = plain([text])[0]
        assert list(p.indices) == list(d.indices) and list(p.values) == list(d.values)
        c = custom([text])[0]
        records.append({"t": text, "d": entries(d), "c": entries(c)})
    table = sorted(values, key=values.get)
    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    (HERE / "encodings.json").write_text(
        '{"values":' + json.dumps(table, separators=(",", ":")) + ',\n"texts":[\n' + body + "\n]}\n", encoding="utf-8")
    return len(all_texts)


# ---------------------------------------------------------------- murmur

def murmur():
    rng = random.Random(99)
    samples = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", "caf\u00e9".encode(), "\U0001f600".encode()]
    for length in range(0, 41):
        samples.append(bytes(rng.randrange(256) for _ in range(length)))
    while len(samples) < 320:
        samples.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 24))))
    lines = [f"{data.hex() or '-'} {mmh3.hash(data, 0, signed=False)}" for data in samples]
    (HERE / "murmur.txt").write_text("\n".join(lines) + "\n", encoding="ascii")
    return len(samples)


# ---------------------------------------------------------------- unicode

def ranges(predicate):
    out = []
    start = None
    for cp in range(0x110000 + 1):
        inside = cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF and predicate(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append(f"{start:X}-{cp - 1:X}" if cp - 1 != start else f"{start:X}")
            start = None
    return out


def unicode_tables():
    """unicode.txt, Python's view of every scalar (surrogates excluded):
    W ranges matching re \\w;  S ranges where str.isspace();
    I ranges that are case-ignorable and K ranges that are cased and not case-ignorable
      (observed through the final-sigma rule of str.lower(); nothing else matters to it);
    L first last step delta: chr(cp).lower() == chr(cp + delta) for cp in range(first, last + 1, step);
    M cp lowered...: multi-code-point lowercase mappings."""
    word = re.compile(r"\w")
    sigma = "\u03a3"
    final = "\u03c2"
    lines = [f"# Python {sys.version.split()[0]}, Unicode {unicodedata.unidata_version}"]
    for cp in range(0x110000):  # no code point is both a word character and whitespace
        assert not (chr(cp).isspace() and word.match(chr(cp))), hex(cp)
    lines.append("W " + " ".join(ranges(lambda cp: word.match(chr(cp)) is not None)))
    lines.append("S " + " ".join(ranges(lambda cp: chr(cp).isspace())))
    lines.append("I " + " ".join(ranges(lambda cp: ("A" + chr(cp) + sigma).lower()[-1] == final
                                         and (chr(cp) + sigma).lower()[-1] != final)))
    lines.append("K " + " ".join(ranges(lambda cp: (chr(cp) + sigma).lower()[-1] == final)))
    singles = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        lowered = chr(cp).lower()
        if len(lowered) > 1:
            lines.append(f"M {cp:X} " + " ".join(f"{ord(c):X}" for c in lowered))
        elif lowered != chr(cp):
            singles.append((cp, ord(lowered) - cp))
    i = 0
    while i < len(singles):
        first, delta = singles[i]
        j = i + 1
        step = singles[j][0] - first if j < len(singles) and singles[j][1] == delta else 1
        if step not in (1, 2):
            step = 1
        while j < len(singles) and singles[j][1] == delta and singles[j][0] == singles[j - 1][0] + step:
            j += 1
        lines.append(f"L {first:X} {singles[j - 1][0]:X} {step} {delta}")
        i = j
    (HERE / "unicode.txt").write_text("\n".join(lines) + "\n", encoding="ascii")


def main():
    texts = read_sources()
    stemmer = snowballstemmer.stemmer("english")
    assert type(stemmer).__module__ == "snowballstemmer.english_stemmer"
    print("stems", stem_words(texts, stemmer))
    print("encodings", encodings(texts))
    print("murmur", murmur())
    unicode_tables()
    for path in sorted(HERE.iterdir()):
        print(f"{path.name:18} {path.stat().st_size:8d} bytes")


if __name__ == "__main__":
    main()
