/// Chroma's `Bm25Tokenizer`, working on UTF-8 and Unicode scalars.
///
/// Python's steps are `re.sub(r"[^\w\s]+", " ", text)`, `.lower().split()`, then per token:
/// drop stopwords, drop tokens longer than `tokenMaxLength` code points, stem, strip, drop
/// empty stems. Since no character is both `\w` and whitespace and lowercasing never yields
/// whitespace, the raw tokens are exactly the maximal runs of `\w` scalars, each lowercased
/// on its own (the final-sigma context cannot reach across a separator either).
struct Tokenizer: Sendable {
    /// Stopwords, lowercased like Python's `{word.lower() for word in stopwords}`.
    let stopwords: Set<ExactString>
    let tokenMaxLength: Int

    init(stopwords: Set<String>, tokenMaxLength: Int) {
        self.stopwords = Set(stopwords.map { ExactString(PythonUnicode.lowercased($0)) })
        self.tokenMaxLength = tokenMaxLength
    }

    /// Calls `body` with the UTF-8 bytes of each kept, stemmed token, in text order.
    func forEachStem(in text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var text = text
        var state = TokenState()
        text.withUTF8 { bytes in
            var position = 0
            var tokenStart = -1
            var tokenIsASCII = true
            while position < bytes.count {
                let byte = bytes[position]
                var length = 1
                if byte < 0x80 {
                    if PythonUnicode.isASCIIWord(byte) {
                        if tokenStart < 0 {
                            tokenStart = position
                            tokenIsASCII = true
                        }
                        position += 1
                        continue
                    }
                } else {
                    let scalar: Unicode.Scalar
                    (scalar, length) = decodeScalar(in: bytes, at: position)
                    if PythonUnicode.isWord(scalar) {
                        if tokenStart < 0 { tokenStart = position }
                        tokenIsASCII = false
                        position += length
                        continue
                    }
                }
                if tokenStart >= 0 {
                    let token = UnsafeBufferPointer(rebasing: bytes[tokenStart..<position])
                    state.process(token, isASCII: tokenIsASCII, tokenizer: self, body)
                    tokenStart = -1
                }
                position += length
            }
            if tokenStart >= 0 {
                let token = UnsafeBufferPointer(rebasing: bytes[tokenStart..<bytes.count])
                state.process(token, isASCII: tokenIsASCII, tokenizer: self, body)
            }
        }
    }

    /// Python's `Bm25Tokenizer.tokenize`: the kept stems in order.
    func stems(in text: String) -> [String] {
        var stems: [String] = []
        forEachStem(in: text) { stems.append(String(decoding: $0, as: UTF8.self)) }
        return stems
    }
}

/// Scratch buffers reused from one token to the next.
private struct TokenState {
    var units: [UInt8] = []
    var scalars: [Unicode.Scalar] = []
    var lowered: [Unicode.Scalar] = []
    var others: [Unicode.Scalar] = []
    var output: [UInt8] = []

    mutating func process(
        _ token: UnsafeBufferPointer<UInt8>,
        isASCII: Bool,
        tokenizer: Tokenizer,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        units.removeAll(keepingCapacity: true)
        if isASCII {
            // One code point per byte.
            guard token.count <= tokenizer.tokenMaxLength else { return }
            for byte in token {
                units.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            if !tokenizer.stopwords.isEmpty,
                tokenizer.stopwords.contains(ExactString(String(decoding: units, as: UTF8.self)))
            {
                return
            }
            EnglishStemmer.stem(units: &units)
            // `.strip()` and the empty check: a stem never contains whitespace, and is only
            // empty for an empty token, but both are kept for fidelity.
            guard !units.isEmpty else { return }
            units.withUnsafeBufferPointer(body)
            return
        }

        scalars.removeAll(keepingCapacity: true)
        var position = 0
        while position < token.count {
            let (scalar, length) = decodeScalar(in: token, at: position)
            scalars.append(scalar)
            position += length
        }
        lowered.removeAll(keepingCapacity: true)
        PythonUnicode.appendLowercase(of: scalars, to: &lowered)
        guard lowered.count <= tokenizer.tokenMaxLength else { return }
        if !tokenizer.stopwords.isEmpty {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: lowered)
            if tokenizer.stopwords.contains(ExactString(String(view))) { return }
        }

        others.removeAll(keepingCapacity: true)
        for scalar in lowered {
            if scalar.isASCII {
                units.append(UInt8(truncatingIfNeeded: scalar.value))
            } else {
                units.append(EnglishStemmer.placeholder)
                others.append(scalar)
            }
        }
        EnglishStemmer.stem(units: &units)
        guard !units.isEmpty else { return }

        output.removeAll(keepingCapacity: true)
        var nextOther = 0
        for unit in units {
            if unit == EnglishStemmer.placeholder, nextOther < others.count {
                UTF8.encode(others[nextOther]) { output.append($0) }
                nextOther += 1
            } else {
                output.append(unit)
            }
        }
        output.withUnsafeBufferPointer(body)
    }
}

/// Decodes the scalar starting at `position` of valid UTF-8 (a Swift string's storage).
@inline(__always)
private func decodeScalar(in bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> (Unicode.Scalar, Int) {
    let lead = UInt32(bytes[position])
    let value: UInt32
    let length: Int
    if lead < 0x80 {
        value = lead
        length = 1
    } else if lead < 0xE0 {
        value = (lead & 0x1F) << 6 | UInt32(bytes[position + 1] & 0x3F)
        length = 2
    } else if lead < 0xF0 {
        value = (lead & 0x0F) << 12 | UInt32(bytes[position + 1] & 0x3F) << 6 | UInt32(bytes[position + 2] & 0x3F)
        length = 3
    } else {
        value =
            (lead & 0x07) << 18 | UInt32(bytes[position + 1] & 0x3F) << 12
            | UInt32(bytes[position + 2] & 0x3F) << 6 | UInt32(bytes[position + 3] & 0x3F)
        length = 4
    }
    return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
}

/// A string compared and hashed by its exact code points, like a Python `str` (Swift's
/// `String` equality would also equate canonically equivalent spellings).
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) {
        self.value = value
    }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var value = value
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
