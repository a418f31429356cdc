// What `cairn --version` prints: the release version and the commit it was built from.
//
// The version's single source of truth is the VERSION file at the repository root (the Makefile and the wheel read
// it); `CairnVersion.version` repeats it because a Swift build cannot read files, and `Tests/python/check_version.py`
// fails when the two disagree. The commit is stamped by `make dist` (scripts/dist.sh): it writes
// Sources/cairn/BuildStamp.generated.swift (gitignored, so the work tree stays clean) and builds with
// `-Xswiftc -DCAIRN_BUILD_STAMP`; any other build says the commit is unknown.
enum CairnVersion {
    static let version = "0.1.0"

    #if CAIRN_BUILD_STAMP
        static let commit = BuildStamp.commit
    #else
        static let commit = "unknown"
    #endif

    /// `0.1.0 (commit 1a2b3c4d5e6f)`, the line `cairn --version` prints.
    static var description: String { "\(version) (commit \(commit))" }
}
