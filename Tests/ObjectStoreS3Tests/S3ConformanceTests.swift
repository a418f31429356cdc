// The store conformance suite (StorageTesting) against S3Store on the local S3 server, through the URL
// factory (a prefixed S3Store), as the rest of Cairn opens it.
import Foundation
import ObjectStore
import ObjectStoreS3
import StorageTesting
import Testing

@Suite(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server (make test starts it)"))
struct S3ConformanceTests {
    @Test(arguments: ObjectStoreConformance.checkNames)
    func conformance(_ check: String) async throws {
        let url = try #require(S3TestEnvironment.url)
        let store = try StoreFactory.open(url: url)
        try await ObjectStoreConformance.run(check, on: store)
    }
}
