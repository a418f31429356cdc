// The embedded default store: one file per object under a root folder. Every write is atomic (temp file,
// fsync, rename, directory fsync) and conditional puts are atomic across threads and processes (flock).
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `ObjectStore` over a local folder.
///
/// Layout: the object `a/b/c` is the file `ROOT/a/b/c`. The folder `ROOT/.cairn/` holds temp files, multipart
/// parts and lock files and is never listed. A crash mid-write leaves at most a temp file there (removed at the
/// next open once it is an hour old), never a partial object. ETags derive from the file's inode, size and
/// modification time: stable while the object is unchanged, different after every rewrite.
public final class LocalFileStore: ObjectStore {
    public let root: URL
    private let rootPath: String
    private let internalPath: String

    /// The reserved top-level folder name; keys may not start with it.
    static let internalFolder = ".cairn"
    /// Lock stripes: puts and deletes of keys in one stripe serialise (across processes, through flock).
    static let lockStripes = 64
    /// Temp files and abandoned multipart uploads older than this are removed when a store opens.
    static let staleAge: TimeInterval = 3600

    /// Opens (and creates, if needed) a store rooted at `root`.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        rootPath = self.root.path
        internalPath = rootPath + "/" + Self.internalFolder
        for dir in [
            rootPath, internalPath, internalPath + "/tmp", internalPath + "/locks", internalPath + "/multipart",
        ] {
            try Self.makeDirectory(dir)
        }
        removeStaleFiles()
    }

    // MARK: Reads

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try Self.validate(key)
        let path = self.path(of: key)
        return try await BlockingIO.run { () throws(ObjectStoreError) in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Self.errnoError(key: key, operation: "open") }
            defer { close(fd) }
            let info = try Self.info(fd: fd, key: key)
            let resolved: Range<Int>
            if let range {
                guard let r = range.resolve(size: info.size) else {
                    throw ObjectStoreError(
                        .invalidRange, key: key, message: "range \(range) is outside an object of \(info.size) bytes")
                }
                resolved = r
            } else {
                resolved = 0..<info.size
            }
            let data = try Self.read(fd: fd, range: resolved, key: key)
            return ObjectData(data: data, info: info, range: resolved)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try Self.validate(key)
        let path = self.path(of: key)
        return try await BlockingIO.run { () throws(ObjectStoreError) in
            var st = stat()
            guard stat(path, &st) == 0 else { throw Self.errnoError(key: key, operation: "stat") }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw ObjectStoreError(.notFound, key: key, message: "no such object (a folder is there)")
            }
            return Self.info(stat: st, key: key)
        }
    }

    // MARK: Writes

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try Self.validate(key)
        return try await BlockingIO.run { [self] () throws(ObjectStoreError) in
            let temp = try writeTempFile(data, key: key)
            return try commit(temp: temp, key: key, condition: condition)
        }
    }

    public func delete(_ key: String) async throws {
        try Self.validate(key)
        try await BlockingIO.run { [self] () throws(ObjectStoreError) in
            try withStripeLock(for: key) { () throws(ObjectStoreError) in
                let path = self.path(of: key)
                if unlink(path) != 0 {
                    if errno == ENOENT { return }
                    throw Self.errnoError(key: key, operation: "unlink")
                }
                let parent = (path as NSString).deletingLastPathComponent
                try Self.syncDirectory(parent, key: key)
                removeEmptyFolders(from: parent)
            }
        }
    }

    /// Writes `data` to a new temp file and makes it durable; returns its path.
    private func writeTempFile(_ data: Data, key: String) throws(ObjectStoreError) -> String {
        let temp = internalPath + "/tmp/" + UUID().uuidString
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.errnoError(key: key, operation: "create temp file") }
        do throws(ObjectStoreError) {
            try Self.writeAll(fd: fd, data: data, key: key)
            guard fsync(fd) == 0 else { throw Self.errnoError(key: key, operation: "fsync") }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        return temp
    }

    /// Publishes a durable temp file at `key` under `condition`, atomically, then syncs the folder.
    private func commit(temp: String, key: String, condition: PutCondition) throws(ObjectStoreError) -> ObjectInfo {
        defer { unlink(temp) }  // after a rename this fails harmlessly; after link/precondition it cleans up
        let path = self.path(of: key)
        let parent = (path as NSString).deletingLastPathComponent
        return try withStripeLock(for: key) { () throws(ObjectStoreError) in
            // A concurrent delete may remove an empty parent folder between mkdir and rename: retry a few times.
            var attempt = 0
            while true {
                attempt += 1
                try Self.makeDirectories(parent, below: rootPath, key: key)
                let result: Int32
                switch condition {
                case .none:
                    result = rename(temp, path)
                case .ifNoneMatch:
                    result = link(temp, path)
                    if result != 0 && errno == EEXIST {
                        throw ObjectStoreError(.preconditionFailed, key: key, message: "object already exists")
                    }
                case .ifMatch(let etag):
                    var st = stat()
                    guard stat(path, &st) == 0 else {
                        if errno == ENOENT {
                            throw ObjectStoreError(.notFound, key: key, message: "no such object to match ETag \(etag)")
                        }
                        throw Self.errnoError(key: key, operation: "stat")
                    }
                    let current = Self.info(stat: st, key: key).etag
                    guard current == etag else {
                        throw ObjectStoreError(
                            .preconditionFailed, key: key, message: "ETag is \(current), expected \(etag)")
                    }
                    result = rename(temp, path)
                }
                if result == 0 { break }
                if errno == ENOENT && attempt < 5 { continue }
                throw Self.errnoError(key: key, operation: "publish")
            }
            try Self.syncDirectory(parent, key: key)
            var st = stat()
            guard stat(path, &st) == 0 else { throw Self.errnoError(key: key, operation: "stat") }
            return Self.info(stat: st, key: key)
        }
    }

    // MARK: Listing

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try await BlockingIO.run { [self] () throws(ObjectStoreError) in
            // Walk only the folder the prefix names (its part up to the last '/'), pruning folders whose keys all
            // sort before the continuation.
            let folderPart = prefix.lastIndex(of: "/").map { String(prefix[...$0]) } ?? ""
            var keys: [String] = []
            walk(folderKey: folderPart, prefix: prefix, after: continuation, into: &keys)
            keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let page = Listing.page(
                sortedKeys: keys, prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
            var objects: [ObjectInfo] = []
            objects.reserveCapacity(page.keys.count)
            for key in page.keys {
                var st = stat()
                guard stat(path(of: key), &st) == 0 else { continue }  // deleted meanwhile
                objects.append(Self.info(stat: st, key: key))
            }
            return ObjectListPage(
                objects: objects, commonPrefixes: page.commonPrefixes, continuation: page.continuation)
        }
    }

    private func walk(folderKey: String, prefix: String, after: String?, into keys: inout [String]) {
        // Every key here starts with folderKey; if the continuation does not, and sorts after folderKey, they
        // differ inside folderKey, so every key in this folder sorts before the continuation.
        if let after, !folderKey.isEmpty, !after.utf8.starts(with: folderKey.utf8),
            folderKey.utf8.lexicographicallyPrecedes(after.utf8)
        {
            return
        }
        let dirPath = folderKey.isEmpty ? rootPath : rootPath + "/" + String(folderKey.dropLast())
        guard let dir = opendir(dirPath) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." || (folderKey.isEmpty && name == Self.internalFolder) { continue }
            let key = folderKey + name
            var isFolder = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var st = stat()
                guard stat(rootPath + "/" + key, &st) == 0 else { continue }
                isFolder = (st.st_mode & S_IFMT) == S_IFDIR
            }
            if isFolder {
                let sub = key + "/"
                // Descend only where the folder and the prefix can still agree.
                if sub.utf8.starts(with: prefix.utf8) || prefix.utf8.starts(with: sub.utf8) {
                    walk(folderKey: sub, prefix: prefix, after: after, into: &keys)
                }
            } else if key.utf8.starts(with: prefix.utf8) {
                keys.append(key)
            }
        }
    }

    // MARK: Multipart

    public func createMultipartUpload(_ key: String) async throws -> String {
        try Self.validate(key)
        let id = UUID().uuidString
        let dir = internalPath + "/multipart/" + id
        try await BlockingIO.run { () throws(ObjectStoreError) in
            try Self.makeDirectory(dir)
            try Self.writeFile(dir + "/key", Data(key.utf8), key: key)
        }
        return id
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try MultipartRules.checkPartNumber(partNumber, key: key)
        let dir = try uploadDirectory(uploadID, key: key)
        return try await BlockingIO.run { () throws(ObjectStoreError) in
            try Self.checkUpload(dir: dir, key: key, uploadID: uploadID)
            let part = dir + "/" + Self.partName(partNumber)
            let temp = part + ".tmp-" + UUID().uuidString
            try Self.writeFile(temp, data, key: key)
            guard rename(temp, part) == 0 else { throw Self.errnoError(key: key, operation: "rename part") }
            var st = stat()
            guard stat(part, &st) == 0 else { throw Self.errnoError(key: key, operation: "stat part") }
            return UploadedPart(partNumber: partNumber, etag: Self.info(stat: st, key: key).etag, size: data.count)
        }
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try MultipartRules.checkCompletion(parts, key: key)
        let dir = try uploadDirectory(uploadID, key: key)
        return try await BlockingIO.run { [self] () throws(ObjectStoreError) in
            try Self.checkUpload(dir: dir, key: key, uploadID: uploadID)
            let temp = internalPath + "/tmp/" + UUID().uuidString
            let out = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard out >= 0 else { throw Self.errnoError(key: key, operation: "create temp file") }
            do throws(ObjectStoreError) {
                for part in parts {
                    let partPath = dir + "/" + Self.partName(part.partNumber)
                    let fd = open(partPath, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else {
                        throw ObjectStoreError(
                            .invalidArgument, key: key, message: "part \(part.partNumber) was not uploaded")
                    }
                    defer { close(fd) }
                    let info = try Self.info(fd: fd, key: key)
                    guard info.etag == part.etag else {
                        throw ObjectStoreError(
                            .invalidArgument, key: key,
                            message: "part \(part.partNumber) has ETag \(info.etag), not \(part.etag)")
                    }
                    try Self.writeAll(fd: out, data: try Self.read(fd: fd, range: 0..<info.size, key: key), key: key)
                }
                guard fsync(out) == 0 else { throw Self.errnoError(key: key, operation: "fsync") }
                close(out)
            } catch {
                close(out)
                unlink(temp)
                throw error
            }
            let info = try commit(temp: temp, key: key, condition: condition)
            Self.removeTree(dir)
            return info
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        let dir = try uploadDirectory(uploadID, key: key)
        await BlockingIO.runIgnoringErrors { Self.removeTree(dir) }
    }

    private func uploadDirectory(_ uploadID: String, key: String) throws(ObjectStoreError) -> String {
        guard UUID(uuidString: uploadID) != nil else {
            throw ObjectStoreError(.notFound, key: key, message: "no such upload \(uploadID)")
        }
        return internalPath + "/multipart/" + uploadID
    }

    private static func checkUpload(dir: String, key: String, uploadID: String) throws(ObjectStoreError) {
        let fd = open(dir + "/key", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ObjectStoreError(.notFound, key: key, message: "no such upload \(uploadID)") }
        defer { close(fd) }
        let stored = try read(fd: fd, range: 0..<(try info(fd: fd, key: key).size), key: key)
        guard stored == Data(key.utf8) else {
            throw ObjectStoreError(.notFound, key: key, message: "upload \(uploadID) belongs to another key")
        }
    }

    private static func partName(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}

// MARK: - Paths, keys, locks and POSIX helpers

extension LocalFileStore {
    /// The file of an object.
    func path(of key: String) -> String { rootPath + "/" + key }

    public func localFile(_ key: String) -> URL? {
        guard (try? Self.validate(key)) != nil else { return nil }
        let path = path(of: key)
        return FileManager.default.fileExists(atPath: path) ? URL(fileURLWithPath: path) : nil
    }

    /// Keys must map to a file path one-to-one: no empty, `.` or `..` components, none longer than 255 bytes,
    /// no NUL, and not inside the store's reserved `.cairn/` folder.
    static func validate(_ key: String) throws(ObjectStoreError) {
        guard !key.isEmpty, key.utf8.count <= 1024 else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "keys must be 1 to 1,024 bytes of UTF-8")
        }
        guard !key.utf8.contains(0) else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "keys may not contain NUL")
        }
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        for component in components {
            guard !component.isEmpty, component != ".", component != "..", component.utf8.count <= 255 else {
                throw ObjectStoreError(
                    .invalidArgument, key: key,
                    message:
                        "a local store cannot hold keys with empty, '.' or '..' path components or components over 255 bytes"
                )
            }
        }
        guard components.first.map(String.init) != internalFolder else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "keys may not start with '\(internalFolder)/'")
        }
    }

    /// Runs `body` holding the exclusive flock of `key`'s stripe. flock locks belong to the open file description,
    /// so this excludes other threads (each opens its own) and other processes alike.
    func withStripeLock<T>(for key: String, _ body: () throws(ObjectStoreError) -> T) throws(ObjectStoreError) -> T {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let lockPath = internalPath + "/locks/\(hash % UInt64(Self.lockStripes))"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.errnoError(key: key, operation: "open lock") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Self.errnoError(key: key, operation: "flock") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func info(fd: Int32, key: String) throws(ObjectStoreError) -> ObjectInfo {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw errnoError(key: key, operation: "fstat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ObjectStoreError(.notFound, key: key, message: "no such object (a folder is there)")
        }
        return info(stat: st, key: key)
    }

    static func info(stat st: stat, key: String) -> ObjectInfo {
        let nanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let etag =
            "\"" + String(UInt64(st.st_ino), radix: 16) + "-" + String(UInt64(bitPattern: nanos), radix: 16)
            + "-" + String(UInt64(st.st_size), radix: 16) + "\""
        let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        return ObjectInfo(key: key, size: Int(st.st_size), etag: etag, lastModified: modified)
    }

    static func read(fd: Int32, range: Range<Int>, key: String) throws(ObjectStoreError) -> Data {
        var data = Data(count: range.count)
        var done = 0
        var failure: ObjectStoreError?
        data.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while done < range.count {
                let n = pread(fd, base + done, range.count - done, off_t(range.lowerBound + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoError(key: key, operation: "read")
                    return
                }
                if n == 0 { break }
                done += n
            }
        }
        if let failure { throw failure }
        guard done == range.count else {
            throw ObjectStoreError(.truncated, key: key, message: "file ended after \(done) of \(range.count) bytes")
        }
        return data
    }

    static func writeAll(fd: Int32, data: Data, key: String) throws(ObjectStoreError) {
        var failure: ObjectStoreError?
        data.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let n = write(fd, base + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoError(key: key, operation: "write")
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
    }

    /// Writes a small internal file (not durable: multipart bookkeeping lives only as long as its upload).
    static func writeFile(_ path: String, _ data: Data, key: String) throws(ObjectStoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw errnoError(key: key, operation: "create") }
        defer { close(fd) }
        try writeAll(fd: fd, data: data, key: key)
    }

    static func syncDirectory(_ path: String, key: String) throws(ObjectStoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw errnoError(key: key, operation: "open folder") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw errnoError(key: key, operation: "fsync folder") }
    }

    static func makeDirectory(_ path: String) throws(ObjectStoreError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw errnoError(key: nil, operation: "create folder \(path)")
        }
    }

    /// `mkdir -p` for the folders of a key below the root; new folders are made durable in their parents.
    static func makeDirectories(_ path: String, below root: String, key: String) throws(ObjectStoreError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ObjectStoreError(.invalidArgument, key: key, message: "a parent of the key is an object")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent.count > root.count { try makeDirectories(parent, below: root, key: key) }
        if mkdir(path, 0o755) != 0 {
            if errno == EEXIST { return }
            if errno == ENOTDIR {
                throw ObjectStoreError(.invalidArgument, key: key, message: "a parent of the key is an object")
            }
            throw errnoError(key: key, operation: "create folder")
        }
        try syncDirectory(parent, key: key)
    }

    /// Removes now-empty folders from `folder` up to (not including) the root; a folder that is not empty stays.
    func removeEmptyFolders(from folder: String) {
        var current = folder
        while current.count > rootPath.count, current.hasPrefix(rootPath + "/") {
            guard rmdir(current) == 0 else { return }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Temp files and multipart uploads left by crashed writers, once old enough that no live writer owns them.
    func removeStaleFiles() {
        let cutoff = Date().addingTimeInterval(-Self.staleAge)
        for folder in [internalPath + "/tmp", internalPath + "/multipart"] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names {
                let path = folder + "/" + name
                if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate]
                    as? Date,
                    modified < cutoff
                {
                    Self.removeTree(path)
                }
            }
        }
    }

    static func errnoError(key: String?, operation: String) -> ObjectStoreError {
        let code = errno
        let text = String(cString: strerror(code))
        if code == ENOENT {
            return ObjectStoreError(.notFound, key: key, message: "no such object")
        }
        if code == ENOTDIR {
            return ObjectStoreError(.notFound, key: key, message: "no such object (a parent is an object)")
        }
        return ObjectStoreError(.io, key: key, message: "\(operation) failed: \(text) (errno \(code))")
    }
}

extension BlockingIO {
    static func runIgnoringErrors(_ body: @escaping @Sendable () -> Void) async {
        _ = try? await run { () throws(ObjectStoreError) in body() }
    }
}
