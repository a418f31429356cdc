// The embedded API (Client → Collection). Importing Cairn also brings the types its signatures use: metadata values,
// filters, configuration and schema (CairnModel) and JSON values (CairnJSON). The segments, compactor, garbage
// collector and checker stay behind `Client` and `Collection`; of compaction only the reports users get back are
// visible (below).
@_exported import CairnJSON
@_exported import CairnModel
import Compaction

// How far a long job (`compact(reporter:)`, `collectGarbage(reporter:)`, `check(reporter:)`, a warm-up) is.
@_exported import struct ObjectStore.JobProgress
@_exported import typealias ObjectStore.ProgressReporter

/// What `Collection.compact()` did.
public typealias CompactionSummary = Compaction.CompactionSummary
/// What `Client.collectGarbage` keeps.
public typealias GarbageCollectionPolicy = Compaction.GarbageCollectionPolicy
/// What `Client.collectGarbage` did.
public typealias GarbageCollectionReport = Compaction.GarbageCollectionReport
/// What `Client.check` found.
public typealias CheckReport = Compaction.CheckReport
