// Large objects on any store: multipart uploads with parts sent in parallel (aborted on failure), and reads
// split into parallel ranged gets. Both bound their concurrency.
import Foundation

/// Part sizes and parallelism for large transfers.
public struct TransferOptions: Sendable {
    /// Part size for multipart uploads and chunk size for parallel reads (S3's minimum part is 5 MiB).
    public var partSize: Int
    /// Parts or ranges in flight at once.
    public var concurrency: Int

    public init(partSize: Int = 8 << 20, concurrency: Int = 8) {
        precondition(partSize >= 1 && concurrency >= 1)
        self.partSize = partSize
        self.concurrency = concurrency
    }

    public static let `default` = TransferOptions()
}

extension ObjectStore {
    /// Uploads `data` as a multipart upload, parts in parallel, then publishes it under `condition`.
    /// On any failure the upload is aborted (best effort) and the error rethrown; nothing is published.
    /// `reporter` hears the parts and bytes uploaded after each part.
    @discardableResult
    public func putMultipart(
        _ key: String, data: Data, condition: PutCondition = .none, options: TransferOptions = .default,
        reporter: ProgressReporter? = nil
    ) async throws -> ObjectInfo {
        let uploadID = try await createMultipartUpload(key)
        do {
            let partCount = max(1, (data.count + options.partSize - 1) / options.partSize)
            var parts: [UploadedPart] = []
            parts.reserveCapacity(partCount)
            var bytes = 0
            func report() {
                reporter?(
                    JobProgress(
                        "uploading \(key)", unit: "parts", done: parts.count, total: partCount, bytes: bytes,
                        bytesTotal: data.count))
            }
            report()
            try await withBoundedParallelism(count: partCount, limit: options.concurrency) { index in
                let lower = index * options.partSize
                let slice = data.subdata(in: lower..<min(data.count, lower + options.partSize))
                return try await uploadPart(key, uploadID: uploadID, partNumber: index + 1, data: slice)
            } consume: {
                parts.append($1)
                bytes += $1.size
                report()
            }
            parts.sort { $0.partNumber < $1.partNumber }
            return try await completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition)
        } catch {
            try? await abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    /// Reads a whole object of known `info` as parallel ranged gets, checking that every range arrived whole
    /// and that the object did not change (same ETag) while it was read. `reporter` hears the ranges and bytes
    /// read after each range.
    public func getParallel(
        _ info: ObjectInfo, options: TransferOptions = .default, reporter: ProgressReporter? = nil
    ) async throws -> ObjectData {
        let size = info.size
        guard size > options.partSize else { return try await get(info.key, range: nil) }
        let chunkCount = (size + options.partSize - 1) / options.partSize
        var buffer = Data(count: size)
        var (chunks, bytes) = (0, 0)
        func report() {
            reporter?(
                JobProgress(
                    "downloading \(info.key)", unit: "parts", done: chunks, total: chunkCount, bytes: bytes,
                    bytesTotal: size))
        }
        report()
        try await withBoundedParallelism(count: chunkCount, limit: options.concurrency) { index in
            let lower = index * options.partSize
            let part = try await get(
                info.key, range: .slice(offset: lower, length: min(options.partSize, size - lower)))
            try part.checkComplete()
            guard part.info.etag == info.etag else {
                throw ObjectStoreError(
                    .preconditionFailed, key: info.key, message: "object changed while it was read in parts")
            }
            return (offset: lower, data: part.data)
        } consume: { _, chunk in
            buffer.replaceSubrange(chunk.offset..<(chunk.offset + chunk.data.count), with: chunk.data)
            chunks += 1
            bytes += chunk.data.count
            report()
        }
        return ObjectData(data: buffer, info: info, range: 0..<size)
    }
}
