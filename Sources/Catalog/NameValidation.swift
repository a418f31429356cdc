// Chroma's rules for collection and database names (rust/types/src/validators.rs, `validate_name`), with its exact
// messages, so a name Chroma refuses is refused here with the same words. Tenant names only need to be usable as
// an object-key component.
import Foundation

public enum NameValidation {
    /// Longest collection or database name Chroma accepts.
    public static let maxNameLength = 512
    /// Shortest collection or database name Chroma accepts.
    public static let minNameLength = 3
    /// Longest tenant or database name accepted (Chroma sets no upper bound; object keys need one).
    public static let maxTenantLength = 512

    /// Checks a collection or database name; throws `invalidArgument` with Chroma's message.
    /// A name may carry one topology prefix, `topology+name`, each part valid on its own (as Chroma allows).
    public static func validate(name: String) throws(CatalogError) {
        if let plus = name.firstIndex(of: "+") {
            // Chroma counts bytes here.
            guard name.utf8.count <= maxNameLength else {
                throw CatalogError(
                    .invalidArgument, "Expected a name containing 3-512 characters. Got: \(name.utf8.count)")
            }
            let topology = String(name[..<plus])
            let rest = String(name[name.index(after: plus)...])
            guard !rest.contains("+") else {
                throw CatalogError(
                    .invalidArgument, "Expected a name to contain at most one topology:  Got two `+` characters.")
            }
            try validate(name: topology)
            try validate(name: rest)
            return
        }
        guard isAlphanumericShape(name) else {
            throw CatalogError(
                .invalidArgument,
                "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a "
                    + "character in [a-zA-Z0-9]. Got: \(name)")
        }
        guard !name.contains("..") else {
            throw CatalogError(
                .invalidArgument, "Expected a name that does not contains two consecutive periods (..). Got \(name)")
        }
        // Only IPv4 can pass the character check (IPv6 needs ':').
        guard !isIPv4Address(name) else {
            throw CatalogError(.invalidArgument, "Expected a name that is not a valid ip address. Got \(name)")
        }
    }

    /// Checks a tenant name: Chroma requires at least 3 characters; we also refuse `/`, `.`/`..` and control
    /// characters, which would change the meaning of an object key.
    public static func validate(tenant: String) throws(CatalogError) {
        try validateKeyComponent(tenant, what: "tenant")
    }

    /// Checks a collection name: Chroma's rules, and its message as its server words it for a collection
    /// (`Validation error: name: …`).
    public static func validate(collectionName name: String) throws(CatalogError) {
        do {
            try validate(name: name)
        } catch {
            throw CatalogError(error.code, "Validation error: name: " + error.message)
        }
    }

    /// Checks a database name: Chroma's server applies the collection-name rules (with their message as is).
    public static func validate(database: String) throws(CatalogError) {
        try validate(name: database)
    }

    static func validateKeyComponent(_ name: String, what: String) throws(CatalogError) {
        guard name.count >= 3 else {
            throw CatalogError(.invalidArgument, "Expected a \(what) name of at least 3 characters. Got: \(name)")
        }
        guard name.utf8.count <= maxTenantLength else {
            throw CatalogError(.invalidArgument, "Expected a \(what) name of at most \(maxTenantLength) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0 == "/" || $0.value < 0x20 || $0.value == 0x7F }),
            name != "...", !name.allSatisfy({ $0 == "." })
        else {
            throw CatalogError(
                .invalidArgument, "Expected a \(what) name without '/' or control characters. Got: \(name)")
        }
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$`
    static func isAlphanumericShape(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= minNameLength, bytes.count <= maxNameLength else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Dotted-quad IPv4 as Rust's `Ipv4Addr::from_str` reads it: four decimal octets 0...255, no leading zeros.
    static func isIPv4Address(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            guard part.count == 1 || part.first != "0" else { return false }
            return (Int(part) ?? 256) <= 255
        }
    }
}
