// The embedded API (Client → Collection). Importing Cairn also brings the types its signatures use: metadata values
// and filters (Segments), JSON values (CairnJSON) and compaction summaries (Compaction).
@_exported import CairnJSON
@_exported import Compaction
@_exported import Segments
