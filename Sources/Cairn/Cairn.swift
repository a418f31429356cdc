// The embedded API (Client → Collection). Importing Cairn also brings the types its signatures use: metadata values
// and filters (Segments) and JSON values (CairnJSON). Of the compaction module only the reports users get back are
// visible (below); the compactor, garbage collector and checker themselves stay behind `Client` and `Collection`.
@_exported import CairnJSON
import Compaction
@_exported import Segments

/// What `Collection.compact()` did.
public typealias CompactionSummary = Compaction.CompactionSummary
/// What `Client.collectGarbage` keeps.
public typealias GarbageCollectionPolicy = Compaction.GarbageCollectionPolicy
/// What `Client.collectGarbage` did.
public typealias GarbageCollectionReport = Compaction.GarbageCollectionReport
/// What `Client.check` found.
public typealias CheckReport = Compaction.CheckReport
