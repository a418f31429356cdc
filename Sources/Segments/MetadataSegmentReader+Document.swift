// Evaluating a WhereDocument over the trigram index. A $contains needle of exactly three bytes is answered by one
// posting list; longer needles intersect their trigrams' lists and verify the candidates against the documents;
// a regex's candidates come from the trigrams of its required literals (RegexLiterals), and every document in scope
// when it has none; shorter needles verify every document in scope.
import Bitmaps
import Blockfile

extension MetadataSegmentReader {
    func evaluate(_ filter: WhereDocument, within: RoaringBitmap, verifier: any MetadataSegmentVerifier)
        async throws -> RoaringBitmap
    {
        switch filter {
        case .and(let children):
            var result = within
            for child in children {
                if result.isEmpty { break }
                result = try await evaluate(child, within: result, verifier: verifier)
            }
            return result
        case .or(let children):
            var result = RoaringBitmap()
            var rest = within
            for child in children {
                if rest.isEmpty { break }
                let matched = try await evaluate(child, within: rest, verifier: verifier)
                result.formUnion(matched)
                rest.subtract(matched)
            }
            return result
        case .contains(let needle): return try await contains(needle, within: within, verifier: verifier)
        case .notContains(let needle):
            return within.subtracting(try await contains(needle, within: within, verifier: verifier))
        case .regex(let pattern): return try await regex(pattern, within: within, verifier: verifier)
        case .notRegex(let pattern):
            return within.subtracting(try await regex(pattern, within: within, verifier: verifier))
        }
    }

    /// Offset ids in `within` that have a document.
    private func withDocuments(_ within: RoaringBitmap) async throws -> RoaringBitmap {
        let all = try await fullText.get(BlockfileKey("", .uint32(Trigrams.hasDocumentKey))) ?? RoaringBitmap()
        return within.intersection(all)
    }

    private func contains(_ needle: String, within: RoaringBitmap, verifier: any MetadataSegmentVerifier)
        async throws -> RoaringBitmap
    {
        var trigrams: [UInt32] = []
        Trigrams.distinct(needle, into: &trigrams)
        if needle.utf8.count < 3 {
            if needle.isEmpty { return try await withDocuments(within) }
            return try await verify(try await withDocuments(within), verifier: verifier) { substring(needle, in: $0) }
        }
        let candidates = try await trigramCandidates(trigrams, within: within)
        if needle.utf8.count == 3 || candidates.isEmpty { return candidates }
        return try await verify(candidates, verifier: verifier) { substring(needle, in: $0) }
    }

    /// Records in `within` whose document contains every one of `trigrams`.
    private func trigramCandidates(_ trigrams: [UInt32], within: RoaringBitmap) async throws -> RoaringBitmap {
        let postings = try await fullText.get(trigrams.map { BlockfileKey("", .uint32($0)) })
        var candidates = within
        // Smallest posting lists first, so the intersection shrinks fastest.
        for posting in postings.map({ $0 ?? RoaringBitmap() }).sorted(by: { $0.count < $1.count }) {
            candidates.formIntersection(posting)
            if candidates.isEmpty { break }
        }
        return candidates
    }

    private func regex(_ pattern: String, within: RoaringBitmap, verifier: any MetadataSegmentVerifier)
        async throws -> RoaringBitmap
    {
        let compiled = try compileRegex(pattern)
        // Every match contains the pattern's required literals: their trigrams narrow the documents to read.
        var trigrams: [UInt32] = []
        var scratch: [UInt32] = []
        for literal in RegexLiterals.required(pattern) where literal.utf8.count >= 3 {
            Trigrams.distinct(literal, into: &scratch)
            trigrams.append(contentsOf: scratch)
        }
        let candidates =
            trigrams.isEmpty
            ? try await withDocuments(within) : try await trigramCandidates(Array(Set(trigrams)), within: within)
        if candidates.isEmpty { return candidates }
        return try await verify(candidates, verifier: verifier) { (try? compiled.firstMatch(in: $0)) != nil }
    }

    /// The candidates whose document satisfies `test`, fetched from the verifier in batches.
    private func verify(
        _ candidates: RoaringBitmap, verifier: any MetadataSegmentVerifier, test: (String) -> Bool
    ) async throws -> RoaringBitmap {
        let ids = candidates.array
        var matched: [UInt32] = []
        var start = 0
        while start < ids.count {
            let batch = Array(ids[start..<min(ids.count, start + Self.verificationBatchSize)])
            let documents = try await verifier.documents(for: batch)
            guard documents.count == batch.count else {
                throw MetadataSegmentError(
                    .verifier, "asked for \(batch.count) documents, the verifier returned \(documents.count)")
            }
            for (id, document) in zip(batch, documents) where document.map(test) ?? false { matched.append(id) }
            start += batch.count
        }
        return RoaringBitmap(matched)
    }
}
