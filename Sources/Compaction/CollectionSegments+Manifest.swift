// The bridge between a version manifest's segment list (Catalog) and the segments readers open (Segments).
import Catalog
import Segments

extension CollectionSegments {
    /// The segments a manifest names; nil when one of the three kinds is missing.
    public init?(manifest: CollectionManifest) {
        func files(_ kind: SegmentKind) -> SegmentFiles? {
            manifest.segments.first { $0.kind == kind }.map { SegmentFiles(id: $0.id, files: $0.files) }
        }
        guard let record = files(.record), let metadata = files(.metadata), let vector = files(.vector) else {
            return nil
        }
        self.init(
            record: record, metadata: metadata, vector: vector, compactedOffset: manifest.compactedLogOffset,
            maxOffsetID: UInt32(clamping: manifest.maxOffsetID))
    }

    /// The manifest's segment list for these segments.
    public var manifests: [SegmentManifest] {
        [
            SegmentManifest(id: record.id, kind: .record, files: record.files),
            SegmentManifest(id: metadata.id, kind: .metadata, files: metadata.files),
            SegmentManifest(id: vector.id, kind: .vector, files: vector.files),
        ]
    }
}
