// The XML bodies S3 answers with, parsed into a small element tree with Foundation's XMLParser
// (FoundationXML on Linux), and read into the values S3Store needs.
import Foundation
import ObjectStore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One XML element: its name (without namespace), its text, and its children in order.
struct S3XMLNode: Sendable {
    var name: String
    var text: String = ""
    var children: [S3XMLNode] = []

    func child(_ name: String) -> S3XMLNode? { children.first { $0.name == name } }
    func children(_ name: String) -> [S3XMLNode] { children.filter { $0.name == name } }
    func text(_ name: String) -> String? { child(name)?.text }

    /// Parses `data`; `nil` if it is not well-formed XML.
    static func parse(_ data: Data) -> S3XMLNode? {
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [S3XMLNode] = []
        var root: S3XMLNode?
        /// Bounds the depth of untrusted input.
        let maxDepth = 32

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            guard stack.count < maxDepth else {
                parser.abortParsing()
                return
            }
            stack.append(S3XMLNode(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            guard let node = stack.popLast() else { return }
            if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        }
    }
}

/// `<Error><Code/><Message/><RequestId/></Error>`
struct S3ErrorBody: Sendable {
    var code: String?
    var message: String?
    var requestID: String?

    init?(_ data: Data) {
        guard !data.isEmpty, let root = S3XMLNode.parse(data), root.name == "Error" else { return nil }
        code = root.text("Code")
        message = root.text("Message")
        requestID = root.text("RequestId")
    }
}

/// `ListBucketResult` of ListObjectsV2.
struct S3ListResult: Sendable {
    var objects: [ObjectInfo]
    var commonPrefixes: [String]
    var isTruncated: Bool
    var nextContinuationToken: String?

    init?(_ data: Data) {
        guard let root = S3XMLNode.parse(data), root.name == "ListBucketResult" else { return nil }
        var objects: [ObjectInfo] = []
        for entry in root.children("Contents") {
            guard let key = entry.text("Key"), let size = entry.text("Size").flatMap({ Int($0) }) else { return nil }
            objects.append(
                ObjectInfo(
                    key: key, size: size, etag: entry.text("ETag") ?? "",
                    lastModified: entry.text("LastModified").flatMap(S3Dates.parseISO8601)))
        }
        self.objects = objects
        commonPrefixes = root.children("CommonPrefixes").compactMap { $0.text("Prefix") }
        isTruncated = root.text("IsTruncated") == "true"
        nextContinuationToken = root.text("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
    }
}

enum S3XMLWriter {
    /// `<CompleteMultipartUpload>` naming each part's number and ETag.
    static func completeMultipartUpload(_ parts: [UploadedPart]) -> Data {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return Data(xml.utf8)
    }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            default: output.append(character)
            }
        }
        return output
    }
}
