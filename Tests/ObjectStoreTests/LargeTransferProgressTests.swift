// Large transfers report their parts and bytes as they go (what `cairn store put/get` shows), from nothing to all.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct LargeTransferProgressTests {
    @Test func multipartUploadsAndParallelReadsReportPartsAndBytes() async throws {
        let store = InMemoryStore()
        let data = Data((0..<4500).map { UInt8($0 % 251) })
        let options = TransferOptions(partSize: 1000, concurrency: 3)

        let upload = ProgressRecorder()
        try await store.putMultipart("big", data: data, options: options, reporter: upload.reporter)
        #expect(
            upload.all.first
                == JobProgress("uploading big", unit: "parts", done: 0, total: 5, bytes: 0, bytesTotal: 4500))
        #expect(
            upload.all.last
                == JobProgress("uploading big", unit: "parts", done: 5, total: 5, bytes: 4500, bytesTotal: 4500))
        #expect(upload.all.count == 6 && upload.isMonotonic)

        let download = ProgressRecorder()
        let object = try await store.getParallel(
            try await store.head("big"), options: options, reporter: download.reporter)
        #expect(object.data == data)
        #expect(
            download.all.last
                == JobProgress("downloading big", unit: "parts", done: 5, total: 5, bytes: 4500, bytesTotal: 4500))
        #expect(download.all.count == 6 && download.isMonotonic)
    }
}
