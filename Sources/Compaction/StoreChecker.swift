// `cairn check`: walks every collection version in the store — manifest, blockfile roots, every block and entry,
// HNSW header and data — plus the log past the compacted offset and the catalog's pointers, and reports every
// dangling or corrupt reference. Read-only.
import Blockfile
import Catalog
import Foundation
import Log
import ObjectStore
import Segments
import Spann
import VectorIndex

/// What a check found.
public struct CheckReport: Sendable, Hashable {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var collectionID: String
        /// The collection version the problem is in, when it is in one.
        public var version: UInt64?
        public var message: String

        public var description: String {
            "collection \(collectionID)" + (version.map { " version \($0)" } ?? "") + ": " + message
        }
    }

    public var collections = 0
    public var versions = 0
    public var roots = 0
    /// Block objects read (bases and deltas; a block shared by several versions counts once per version).
    public var blocks = 0
    public var entries = 0
    /// Vector indexes checked (HNSW files or SPANN indexes).
    public var indexes = 0
    public var logFragments = 0
    public var problems: [Problem] = []

    public var isClean: Bool { problems.isEmpty }
}

public struct StoreChecker: Sendable {
    let store: any ObjectStore
    let root: ObjectPath
    let service: CatalogService
    var catalog: CatalogDatabase { service.database }
    var manifests: ManifestStore { service.manifests }

    public init(store: any ObjectStore, root: ObjectPath, service: CatalogService) {
        self.store = store
        self.root = root
        self.service = service
    }

    /// Checks the whole store. With `loadIndexes` every HNSW index is also loaded (slower, needs its memory).
    /// `progress` gets a line per collection, `reporter` the collections checked of all (and after each version).
    /// Throws only when the store cannot be listed; everything else is a problem in the report.
    public func check(
        loadIndexes: Bool = false, progress: (@Sendable (String) -> Void)? = nil, reporter: ProgressReporter? = nil
    ) async throws -> CheckReport {
        var report = CheckReport()
        let folders: [CollectionFolder]
        do {
            folders = try await CollectionFolder.all(in: manifests)
        } catch {
            throw CompactionError(.failed, "listing collections: \(error.message)")
        }
        // Shared blocks of successive versions are fetched once while they fit.
        let cache = BlockCache(blockCapacity: 256 << 20)
        let total = folders.count
        reporter?(JobProgress("checking", unit: "collections", done: 0, total: total))
        for (position, folder) in folders.enumerated() {
            report.collections += 1
            let before = report.problems.count
            await check(folder, into: &report, cache: cache, loadIndexes: loadIndexes) {
                reporter?(JobProgress("checking", unit: "collections", done: position, total: total))
            }
            reporter?(JobProgress("checking", unit: "collections", done: position + 1, total: total))
            progress?(
                "collection \(folder.collectionID): "
                    + (report.problems.count == before ? "ok" : "\(report.problems.count - before) problem(s)"))
        }
        await checkCatalog(into: &report)
        return report
    }

    /// Checks one collection folder; `versionChecked` runs after each version (progress within a large folder).
    private func check(
        _ folder: CollectionFolder, into report: inout CheckReport, cache: BlockCache, loadIndexes: Bool,
        versionChecked: () -> Void
    ) async {
        let path = folder.path(root)
        func problem(_ message: String, version: UInt64? = nil) {
            report.problems.append(
                CheckReport.Problem(collectionID: folder.collectionID, version: version, message: message))
        }
        let objects: [ObjectInfo]
        do {
            objects = try await store.listAll(prefix: path.root)
        } catch {
            problem("cannot list \(path.root): \(error)")
            return
        }
        let versionKeys = objects.compactMap { info in path.versionNumber(ofKey: info.key).map { ($0, info.key) } }
            .sorted { $0.0 < $1.0 }
        var read: [(key: String, manifest: CollectionManifest)] = []
        for (number, key) in versionKeys {
            report.versions += 1
            do {
                let manifest = try await manifests.read(key: key)
                guard manifest.version == number, manifest.collectionID == folder.collectionID else {
                    problem(
                        "manifest \(key) holds version \(manifest.version) of \(manifest.collectionID)",
                        version: number)
                    continue
                }
                read.append((key, manifest))
            } catch {
                problem("manifest \(key): \(error.message)", version: number)
            }
        }
        let newest = read.last?.manifest
        // A deleted collection's versions are all garbage: garbage collection of its parent may already have taken
        // the files they name (all but what live forks still name) before its own folder goes.
        if newest?.deleted != true {
            for (key, manifest) in read {
                await checkVersion(
                    manifest, key: key, path: path, cache: cache, loadIndexes: loadIndexes, into: &report)
                versionChecked()
            }
        }
        // The log past the newest version's compacted offset must be readable: it holds acknowledged writes.
        if let newest, !newest.deleted {
            let wal = WriteAheadLog(store: store, path: path)
            var after = newest.compactedLogOffset
            while true {
                do {
                    let fragments = try await wal.read(after: after, limit: 256)
                    report.logFragments += fragments.count
                    guard let last = fragments.last else { break }
                    after = last.offset
                } catch {
                    problem("log after offset \(after): \(error)")
                    break
                }
            }
        }
    }

    private func checkVersion(
        _ manifest: CollectionManifest, key: String, path: CollectionPath, cache: BlockCache, loadIndexes: Bool,
        into report: inout CheckReport
    ) async {
        func problem(_ message: String) {
            report.problems.append(
                CheckReport.Problem(collectionID: manifest.collectionID, version: manifest.version, message: message))
        }
        // A tombstone names the segments of the version it deleted, which are garbage from then on: garbage
        // collection may have taken some (all but what the collection's forks still name) before the tombstone.
        guard !manifest.deleted else { return }
        let references: VersionReferences
        do {
            references = try VersionReferences(manifest: manifest, manifestKey: key, path: path)
        } catch {
            problem(error.message)
            return
        }
        var readable = true
        for blockfile in references.blockfiles {
            report.roots += 1
            do {
                let rootObject = try await blockfile.location.readRoot(blockfile.rootID, store: store)
                report.blocks += rootObject.blocks.reduce(0) { $0 + $1.objectIDs.count }
                report.entries += try await blockfile.location.checkAllEntries(
                    of: rootObject, store: store, cache: cache)
            } catch {
                readable = false
                problem("segment \(blockfile.segmentID) file \(blockfile.file) (root \(blockfile.rootID)): \(error)")
            }
        }
        if readable, !manifest.deleted, let segments = CollectionSegments(manifest: manifest) {
            // The record segment's three files and the manifest agree on how many records there are.
            do {
                let records = try await RecordSegmentReader.open(
                    store: store, segment: path.segment(segments.record.id), files: segments.record.files,
                    cache: cache)
                let counts = [records.live.count, records.records.count, records.userIDs.count]
                if counts.contains(where: { $0 != Int(manifest.recordCount) }) {
                    problem(
                        "the record segment holds \(counts[0]) live ids, \(counts[1]) records and \(counts[2]) user "
                            + "ids; the manifest says \(manifest.recordCount) records")
                }
            } catch {
                problem("record segment \(segments.record.id): \(error)")
            }
        }
        if let index = references.index {
            report.indexes += 1
            do {
                let summary = try await HNSWIndex.checkStored(at: index, store: store, load: loadIndexes)
                if !manifest.deleted, summary.liveCount != Int(manifest.recordCount) {
                    problem(
                        "HNSW index \(index.indexID) holds \(summary.liveCount) live vectors, the manifest says "
                            + "\(manifest.recordCount) records")
                }
                if let dimension = manifest.dimension, summary.dimension != dimension {
                    problem(
                        "HNSW index \(index.indexID) has dimension \(summary.dimension), the collection \(dimension)")
                }
            } catch {
                problem("HNSW index \(index.indexID): \(error)")
            }
        } else if references.spann {
            report.indexes += 1
            if readable { await checkSpann(manifest, path: path, cache: cache, problem: problem) }
        } else if manifest.recordCount > 0, !manifest.deleted, !references.vectorsInRecords {
            problem("\(manifest.recordCount) records but no HNSW index")
        }
    }

    /// A SPANN index (its four blockfiles decoded above): it opens with the collection's configuration, holds as
    /// many live vectors as the manifest says records, and every live vector is in a posting at its version.
    private func checkSpann(
        _ manifest: CollectionManifest, path: CollectionPath, cache: BlockCache, problem: (String) -> Void
    ) async {
        guard let segments = CollectionSegments(manifest: manifest), let dimension = manifest.dimension,
            let parameters = try? CollectionConfiguration(
                metadata: nil, configuration: manifest.configuration, stored: true
            ).spann,
            let roots = segments.spannRoots(dimension: dimension, space: parameters.space)
        else {
            problem("the vector segment holds a SPANN index but the collection has no spann configuration or dimension")
            return
        }
        do {
            let index = try await SpannIndex.open(
                roots: roots, parameters: parameters, store: store, location: segments.vectorLocation(collection: path),
                cache: cache)
            if index.liveCount != Int(manifest.recordCount) {
                problem(
                    "SPANN index holds \(index.liveCount) live vectors, the manifest says \(manifest.recordCount) records"
                )
            }
            _ = try await index.verify()
        } catch {
            problem("SPANN index of segment \(segments.vector.id): \(error)")
        }
    }

    /// Every collection the catalog lists must have its current manifest in the store.
    private func checkCatalog(into report: inout CheckReport) async {
        func problem(_ id: String, _ message: String) {
            report.problems.append(CheckReport.Problem(collectionID: id, version: nil, message: message))
        }
        do {
            for tenant in try catalog.listTenants() {
                for database in try catalog.listDatabases(tenant: tenant.name) {
                    for collection in try catalog.listCollections(tenant: tenant.name, database: database.name)
                    where collection.version > 0 {
                        let key = manifests.key(
                            tenant: collection.tenant, database: collection.database, collectionID: collection.id,
                            version: collection.version)
                        do {
                            _ = try await store.head(key)
                        } catch {
                            problem(
                                collection.id,
                                "the catalog is at version \(collection.version), whose manifest cannot be read: \(error)"
                            )
                        }
                    }
                }
            }
        } catch {
            problem("-", "reading the catalog: \(error.message)")
        }
    }
}
