// Garbage collection: deletes the objects no kept collection version references — superseded manifests and the
// blocks, roots and HNSW files only they used, orphans of failed compactions, log fragments already folded into
// a kept version, and whole folders of deleted collections. The rules that make it safe (docs/operations.md,
// decision 0015):
// - It works from a listing of the collection's folder taken after the catalog was brought up to date (a manifest
//   left uncommitted by a crashed writer is rolled forward first), plus the manifests of the kept versions.
// - Kept: the newest `keepVersions` versions, the catalog's current version, and every version that stopped being
//   current less than `max(minAge, keepFor)` ago. Everything those reference is kept.
// - Nothing younger than `minAge` is deleted (bar folded log fragments, except the newest: the log's high-water
//   mark): a compaction in progress writes its
//   blocks, roots and HNSW files before its manifest, so they look unreferenced until it publishes.
// - Anything it cannot read (a kept manifest or root) makes it leave that collection alone.
// - Deletion order: manifests first (oldest first), then roots, blocks and HNSW files, then log fragments, so a
//   crash part-way never leaves a manifest whose files are gone.
import Blockfile
import Catalog
import Foundation
import Log
import ObjectStore

/// What garbage collection keeps and how it runs.
public struct GarbageCollectionPolicy: Sendable, Hashable {
    /// The newest versions of each collection that are always kept (at least 1).
    public var keepVersions: Int
    /// Objects younger than this are never deleted, and a version stays kept for this long after a newer one
    /// replaced it (readers that opened it just before are not cut off).
    public var minAge: TimeInterval
    /// Retention: a version stays kept (readable as of it, restorable) for this long after a newer one replaced
    /// it, on top of the newest `keepVersions`; never less than `minAge`.
    public var keepFor: TimeInterval
    /// List what would be deleted, delete nothing, change nothing.
    public var dryRun: Bool

    public static let defaultKeepVersions = 1
    public static let defaultMinAge: TimeInterval = 3600

    public init(
        keepVersions: Int = defaultKeepVersions, minAge: TimeInterval = defaultMinAge, keepFor: TimeInterval = 0,
        dryRun: Bool = false
    ) {
        self.keepVersions = max(1, keepVersions)
        self.minAge = max(0, minAge)
        self.keepFor = max(0, keepFor)
        self.dryRun = dryRun
    }

    /// How long a replaced version stays kept.
    var keptAfterReplacement: TimeInterval { max(minAge, keepFor) }
}

/// What one garbage collection did (or, in a dry run, would do).
public struct GarbageCollectionReport: Sendable, Hashable {
    /// What a deleted object was: a superseded version manifest, a root, a block, an HNSW file, or a log fragment
    /// at or below the compacted offset of every kept version.
    public typealias Kind = CollectionObjectKind

    public struct Deletion: Sendable, Hashable {
        public var key: String
        public var bytes: Int
        public var kind: Kind
    }

    public var dryRun: Bool
    /// Collection folders looked at.
    public var collections = 0
    /// Versions kept across all collections.
    public var keptVersions = 0
    /// Deleted collections whose folders were removed (or would be).
    public var removedCollections = 0
    public var deletions: [Deletion] = []
    /// Collections left alone, with the reason.
    public var skipped: [String] = []
    /// Deletions that failed (retried by the next run), with the error.
    public var failures: [String] = []

    public var bytes: Int { deletions.reduce(0) { $0 + $1.bytes } }
    public func count(_ kind: Kind) -> Int { deletions.count { $0.kind == kind } }
    public func bytes(_ kind: Kind) -> Int { deletions.filter { $0.kind == kind }.reduce(0) { $0 + $1.bytes } }
}

public struct GarbageCollector: Sendable {
    let store: any ObjectStore
    let root: ObjectPath
    /// The catalog, through the one service that changes it (a roll-forward publishes in its order).
    let service: CatalogService
    var catalog: CatalogDatabase { service.database }
    var manifests: ManifestStore { service.manifests }
    let now: @Sendable () -> Date

    public init(
        store: any ObjectStore, root: ObjectPath, service: CatalogService,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.root = root
        self.service = service
        self.now = now
    }

    /// Collects every collection folder in the store; `progress` gets one line per collection that has garbage
    /// or is skipped, `reporter` the collections done of all and the bytes deleted so far (after each collection
    /// and each deletion). Throws only when the store cannot be listed at all.
    /// `isCompacting` names the collections a compaction of this process is working on: they are left alone (the
    /// files it has written so far are unreferenced until it publishes, and under a CPU starved long enough it may
    /// outlast `minAge`, the only guard against compactions of other processes).
    public func collect(
        _ policy: GarbageCollectionPolicy = GarbageCollectionPolicy(), progress: (@Sendable (String) -> Void)? = nil,
        reporter: ProgressReporter? = nil, isCompacting: (String) -> Bool = { _ in false }
    ) async throws -> GarbageCollectionReport {
        var report = GarbageCollectionReport(dryRun: policy.dryRun)
        let folders: [CollectionFolder]
        do {
            folders = try await CollectionFolder.all(in: manifests)
        } catch {
            throw CompactionError(.failed, "listing collections: \(error.message)")
        }
        let phase = policy.dryRun ? "planning garbage collection" : "collecting garbage"
        var bytesDone = 0
        func reportProgress(_ done: Int) {
            reporter?(JobProgress(phase, unit: "collections", done: done, total: folders.count, bytes: bytesDone))
        }
        reportProgress(0)
        for (position, folder) in folders.enumerated() {
            defer { reportProgress(position + 1) }
            report.collections += 1
            if isCompacting(folder.collectionID) {
                report.skipped.append("\(folder.collectionID): a compaction of it is running in this process")
                continue
            }
            do {
                let plan = try await plan(folder, policy)
                report.keptVersions += plan.keptVersions
                if plan.removesCollection { report.removedCollections += 1 }
                guard !plan.deletions.isEmpty else { continue }
                let bytes = plan.deletions.reduce(0) { $0 + $1.bytes }
                progress?(
                    "collection \(folder.collectionID): \(policy.dryRun ? "would delete" : "deleting") "
                        + "\(plan.deletions.count) objects (\(bytes) bytes)"
                        + (plan.removesCollection ? ", the whole folder of a deleted collection" : ""))
                if policy.dryRun {
                    report.deletions += plan.deletions
                    bytesDone += bytes
                    continue
                }
                let path = folder.path(root)
                var deletedVersions: [UInt64] = []
                var checkedNewest = false
                for deletion in plan.deletions {
                    do {
                        if deletion.kind != .manifest, !checkedNewest {
                            // A version published since the plan (a restore names an old version's files) may
                            // reference what the plan found unreferenced: its files wait for the next run.
                            checkedNewest = true
                            // (A fork made since the plan may name them too: its marker comes before its manifest.)
                            let (tenant, database, id) = (folder.tenant, folder.database, folder.collectionID)
                            guard
                                try await manifests.versions(tenant: tenant, database: database, collectionID: id).last
                                    == plan.newestVersion,
                                Set(
                                    try await manifests.forkChildren(
                                        tenant: tenant, database: database, collectionID: id))
                                    == plan.children
                            else {
                                progress?(
                                    "collection \(folder.collectionID): a new version or fork was published while "
                                        + "collecting; its files are left for the next run")
                                break
                            }
                        }
                        try await store.delete(deletion.key)
                        report.deletions.append(deletion)
                        bytesDone += deletion.bytes
                        reportProgress(position)
                        if deletion.kind == .manifest, let version = path.versionNumber(ofKey: deletion.key) {
                            deletedVersions.append(version)
                        }
                    } catch {
                        // Stop here: later deletions assume the earlier ones (manifests first) happened.
                        report.failures.append("\(deletion.key): \(error)")
                        progress?("collection \(folder.collectionID): stopped at \(deletion.key): \(error)")
                        break
                    }
                }
                // The catalog forgets the versions whose manifests are gone (a deleted collection has no rows).
                if !plan.removesCollection {
                    let (id, versions) = (folder.collectionID, deletedVersions)
                    _ = try? await catalog.perform { try $0.forgetVersions(collectionID: id, versions) }
                }
            } catch {
                report.skipped.append("\(folder.collectionID): \(error)")
                progress?("collection \(folder.collectionID): left alone: \(error)")
            }
        }
        return report
    }

    struct Plan {
        var deletions: [GarbageCollectionReport.Deletion] = []
        var keptVersions = 0
        var removesCollection = false
        /// The newest manifest the plan saw (nil when there was none).
        var newestVersion: UInt64?
        /// The descendants whose fork markers the plan saw.
        var children: Set<String> = []
    }

    /// What the descendants of a collection reference (any of their manifests, kept or not: a descendant's own
    /// collection prunes them, and this one follows), and which descendants are live (the others' markers are
    /// stale: the fork was never published, or was deleted).
    private func descendantReferences(_ children: Set<String>, of folder: CollectionFolder) async throws
        -> (keys: Set<String>, indexPrefixes: Set<String>, live: Set<String>)
    {
        var keys = Set<String>()
        var indexPrefixes = Set<String>()
        var live = Set<String>()
        for child in children.sorted() {
            let manifestKeys = try await manifests.versions(
                tenant: folder.tenant, database: folder.database, collectionID: child
            ).map { manifests.key(tenant: folder.tenant, database: folder.database, collectionID: child, version: $0) }
            // A deleted descendant needs nothing (its own descendants have markers here too).
            guard let newest = manifestKeys.last, !(try await readManifest(key: newest)).deleted else { continue }
            live.insert(child)
            for key in manifestKeys {
                let references = try VersionReferences(
                    manifest: try await readManifest(key: key), manifestKey: key, path: folder.path(root).sibling(child)
                )
                try await addObjects(of: references, what: "fork \(child) version \(references.version)", into: &keys)
                if let index = references.index { indexPrefixes.insert(index.prefix) }
            }
        }
        return (keys, indexPrefixes, live)
    }

    /// Adds the keys of every root and block `references` names to `keys` (`what` names the version in errors).
    private func addObjects(of references: VersionReferences, what: String, into keys: inout Set<String>) async throws {
        keys.formUnion(try await references.blockfileKeys(store: store, what: what))
    }

    /// What to delete in one collection folder, in deletion order.
    func plan(_ folder: CollectionFolder, _ policy: GarbageCollectionPolicy) async throws -> Plan {
        let path = folder.path(root)
        var record = try? catalog.collection(id: folder.collectionID)
        if let current = record {
            guard current.version > 0 else { throw CompactionError(.conflict, "the collection is being created") }
            if !policy.dryRun {
                // A manifest a crashed writer left at version + 1 becomes current first (or is removed).
                try? await service.rollForward(current)
                record = try? catalog.collection(id: folder.collectionID)
            }
        }
        let objects = try await listing(path)
        // Forks of this collection (and forks of them) name its files: what they reference is kept too.
        let children = Set(objects.compactMap { path.forkChild(ofKey: $0.key) })
        let descendants = try await descendantReferences(children, of: folder)
        let cutoff = now().addingTimeInterval(-policy.minAge)
        func isOld(_ date: Date?) -> Bool { policy.minAge == 0 || (date.map { $0 < cutoff } ?? false) }
        let versions = objects.compactMap { info in path.versionNumber(ofKey: info.key).map { (number: $0, info: info) }
        }
        .sorted { $0.number < $1.number }

        guard let newest = versions.last else {
            // No manifest: a creation that never published. Gone once it is old and the catalog has no row.
            guard record == nil, objects.allSatisfy({ isOld($0.lastModified) }) else { return Plan() }
            return Plan(deletions: ordered(objects, in: path), removesCollection: true)
        }
        let newestManifest = try await readManifest(key: newest.info.key)
        if newestManifest.deleted {
            guard record == nil else {
                throw CompactionError(.conflict, "the newest manifest is a tombstone the catalog has not taken")
            }
            guard isOld(newest.info.lastModified) else { return Plan() }
            if !descendants.live.isEmpty {
                // Deleted, but forks still name some of its files: those, the tombstone and the markers stay.
                let garbage = objects.filter { info in
                    guard let kind = path.kind(ofKey: info.key), kind != .forkMarker, info.key != newest.info.key
                    else { return false }
                    return !descendants.keys.contains(info.key)
                        && !descendants.indexPrefixes.contains(where: { info.key.hasPrefix($0) })
                        && (kind == .log || isOld(info.lastModified))
                }
                return Plan(deletions: ordered(garbage, in: path), newestVersion: newest.number, children: children)
            }
            // The tombstone goes last: until then a rebuild still sees the collection as deleted.
            let rest = objects.filter { $0.key != newest.info.key }
            return Plan(
                deletions: ordered(rest, in: path) + [deletion(newest.info, .manifest)], removesCollection: true,
                newestVersion: newest.number, children: children)
        }

        // Kept versions and what they reference.
        let retentionCutoff = now().addingTimeInterval(-policy.keptAfterReplacement)
        let kept = try keptVersions(
            versions, current: record?.version, keepNewest: policy.keepVersions,
            replacedRecently: { date in policy.keptAfterReplacement > 0 && (date.map { $0 >= retentionCutoff } ?? true)
            },
            isOld: isOld)
        var (referenced, indexPrefixes, logThrough) = try await references(
            of: versions.filter { kept.contains($0.number) }, newest: (newest.number, newestManifest), in: path)
        referenced.formUnion(descendants.keys)
        indexPrefixes.formUnion(descendants.indexPrefixes)

        let highWaterMark = objects.compactMap { path.logOffset(ofKey: $0.key) }.filter { $0 <= logThrough }.max()
        var plan = Plan(keptVersions: kept.count, newestVersion: newest.number, children: children)
        var garbage: [ObjectInfo] = []
        for info in objects {
            switch path.kind(ofKey: info.key) {
            case .manifest:
                let number = path.versionNumber(ofKey: info.key) ?? 0
                if !kept.contains(number), number < newest.number, isOld(info.lastModified) { garbage.append(info) }
            case .log:
                // Folded fragments go, but for the newest of them: the log's high-water mark (see
                // `WriteAheadLog.removeFragments(before:)`).
                if let offset = path.logOffset(ofKey: info.key), offset <= logThrough, offset != highWaterMark {
                    garbage.append(info)
                }
            case .root, .block:
                if !referenced.contains(info.key), isOld(info.lastModified) { garbage.append(info) }
            case .hnsw:
                if !indexPrefixes.contains(where: { info.key.hasPrefix($0) }), isOld(info.lastModified) {
                    garbage.append(info)
                }
            case .forkMarker:
                // A descendant that is not live: never published, or deleted.
                if let child = path.forkChild(ofKey: info.key), !descendants.live.contains(child),
                    isOld(info.lastModified)
                {
                    garbage.append(info)
                }
            case nil:
                continue
            }
        }
        plan.deletions = ordered(garbage, in: path)
        return plan
    }

    /// A manifest in a collection's folder: its version number and listing entry.
    typealias VersionObject = (number: UInt64, info: ObjectInfo)

    /// The versions a policy keeps: the newest `keepNewest`, the catalog's current one, and every version that, or
    /// the one that replaced it, is not old yet.
    private func keptVersions(
        _ versions: [VersionObject], current: UInt64?, keepNewest: Int, replacedRecently: (Date?) -> Bool,
        isOld: (Date?) -> Bool
    ) throws -> Set<UInt64> {
        var kept = Set(versions.suffix(keepNewest).map(\.number))
        if let current {
            guard versions.contains(where: { $0.number == current }) else {
                throw CompactionError(.failed, "the catalog's version \(current) has no manifest")
            }
            kept.insert(current)
        }
        for (position, version) in versions.enumerated() {
            let replacedAt = position + 1 < versions.count ? versions[position + 1].info.lastModified : nil
            if !isOld(version.info.lastModified) || (position + 1 < versions.count && replacedRecently(replacedAt)) {
                kept.insert(version.number)
            }
        }
        return kept
    }

    /// What the kept versions reference: their manifests, roots and blocks (object keys), their HNSW indexes (key
    /// prefixes), and the lowest compacted log offset among them (the log is folded through it for all).
    private func references(
        of kept: [VersionObject], newest: (number: UInt64, manifest: CollectionManifest), in path: CollectionPath
    ) async throws -> (keys: Set<String>, indexPrefixes: Set<String>, logThrough: UInt64) {
        var referenced = Set<String>()
        var indexPrefixes = Set<String>()
        var logThrough = UInt64.max
        for version in kept {
            let manifest =
                version.number == newest.number ? newest.manifest : try await readManifest(key: version.info.key)
            logThrough = min(logThrough, manifest.compactedLogOffset)
            let references = try VersionReferences(manifest: manifest, manifestKey: version.info.key, path: path)
            referenced.insert(references.manifestKey)
            try await addObjects(of: references, what: "version \(version.number)", into: &referenced)
            if let index = references.index { indexPrefixes.insert(index.prefix) }
        }
        return (referenced, indexPrefixes, logThrough)
    }

    /// `objects` as deletions in the safe order: manifests (oldest first), roots, blocks and HNSW files, log.
    /// Keys outside Cairn's layout are never deleted.
    func ordered(_ objects: [ObjectInfo], in path: CollectionPath) -> [GarbageCollectionReport.Deletion] {
        let rank: [GarbageCollectionReport.Kind] = [.manifest, .root, .block, .hnsw, .log, .forkMarker]
        return objects.compactMap { info in path.kind(ofKey: info.key).map { deletion(info, $0) } }
            .sorted { lhs, rhs in
                let (l, r) = (rank.firstIndex(of: lhs.kind) ?? 0, rank.firstIndex(of: rhs.kind) ?? 0)
                return l != r ? l < r : lhs.key < rhs.key
            }
    }

    func deletion(_ info: ObjectInfo, _ kind: GarbageCollectionReport.Kind) -> GarbageCollectionReport.Deletion {
        GarbageCollectionReport.Deletion(key: info.key, bytes: info.size, kind: kind)
    }

    func listing(_ path: CollectionPath) async throws -> [ObjectInfo] {
        do {
            return try await store.listAll(prefix: path.root)
        } catch {
            throw CompactionError(.failed, "listing \(path.root): \(error)")
        }
    }

    func readManifest(key: String) async throws -> CollectionManifest {
        do {
            return try await manifests.read(key: key)
        } catch {
            throw CompactionError(.failed, "reading \(key): \(error.message)")
        }
    }
}
