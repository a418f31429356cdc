// The catalog's use of CairnJSON's `JSONValue` (the project's one JSON type, which keeps `1` apart from `1.0`):
// parsing stored text into typed catalog errors.
@_exported import CairnJSON
import Foundation

extension JSONValue {
    /// Parses JSON the catalog stored (a row's column, a manifest, a marker); `corrupt` naming `what` otherwise.
    static func catalogParse(_ bytes: some Collection<UInt8>, what: String) throws(CatalogError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CatalogError(.corrupt, "\(what): malformed JSON at byte \(error.offset): \(error.message)")
        }
    }
}
