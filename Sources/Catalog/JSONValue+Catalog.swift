// JSON text for the catalog's columns and the manifests, with the catalog's error type.
@_exported import CairnJSON
import Foundation

extension JSONValue {
    /// Deepest nesting the catalog reads (metadata and configuration are shallow).
    public static let maxDepth = 64

    /// The value as JSON text, keys sorted; `pretty` indents. Throws `invalidArgument` for a non-finite float.
    public func serialized(pretty: Bool = false) throws(CatalogError) -> String {
        guard isFinite else { throw CatalogError(.invalidArgument, "JSON cannot hold a non-finite number") }
        return pretty ? prettyJSONText : jsonText
    }

    /// Parses JSON text; malformed text is `corrupt`, naming the byte offset.
    public static func parse(_ text: some StringProtocol) throws(CatalogError) -> JSONValue {
        try parse(Data(text.utf8))
    }

    public static func parse(_ data: Data) throws(CatalogError) -> JSONValue {
        do {
            return try JSONParser.parse(data)
        } catch {
            throw CatalogError(.corrupt, "invalid JSON: \(error)")
        }
    }
}
