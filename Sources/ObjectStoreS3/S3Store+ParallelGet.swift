// Whole-object reads of large S3 objects: the first ranged GET tells the size, the rest of the object is
// fetched as parallel ranged GETs of the same version (ETag).
import Foundation
import ObjectStore

extension S3Store {
    /// The rest of an object whose first range `first` has been read: ranged GETs of `partSize` bytes,
    /// `concurrency` in flight, each of which must come from the same version (ETag) as `first`, or the
    /// read fails with `preconditionFailed` rather than mixing two versions.
    func getRemainingInParallel(_ key: String, first: ObjectData, partSize: Int, concurrency: Int)
        async throws -> ObjectData
    {
        try first.checkComplete()
        let size = first.info.size
        guard first.range.upperBound < size else {
            return ObjectData(data: first.data, info: first.info, range: 0..<size)
        }
        var result = Data(count: size)
        result.replaceSubrange(0..<first.data.count, with: first.data)
        let offsets = Array(stride(from: first.data.count, to: size, by: partSize))
        try await withBoundedParallelism(count: offsets.count, limit: concurrency) { index in
            let offset = offsets[index]
            return try await self.getOnce(key, range: .slice(offset: offset, length: min(partSize, size - offset)))
        } consume: { _, part in
            try part.checkComplete()
            guard part.info.etag == first.info.etag, part.info.size == size else {
                throw ObjectStoreError(
                    .preconditionFailed, key: key, message: "the object changed while it was read in parts")
            }
            result.replaceSubrange(part.range, with: part.data)
        }
        return ObjectData(data: result, info: first.info, range: 0..<size)
    }
}
