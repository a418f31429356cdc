// Collection and database names follow Chroma's rules and messages (rust/types/src/validators.rs).
import Catalog
import Testing

@Suite struct NameValidationTests {
    @Test(arguments: [
        "abc", "my_collection", "my-collection", "my.collection", "MyCollection123", "a.b", "007",
        "topo+name", "region1+database", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
        String(repeating: "x", count: 512),
    ])
    func acceptsChromaValidNames(name: String) throws {
        try NameValidation.validate(name: name)
    }

    @Test(arguments: [
        "", "a", "ab", "_abc", "-abc", ".abc", "abc_", "abc-", "abc.", "has space", "naïve", "a/b/c", "abc!",
        String(repeating: "x", count: 513),
    ])
    func refusesBadShapes(name: String) {
        expectCatalogError(
            .invalidArgument,
            "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a "
                + "character in [a-zA-Z0-9]. Got: \(name)"
        ) { try NameValidation.validate(name: name) }
    }

    @Test func refusesConsecutivePeriods() {
        expectCatalogError(
            .invalidArgument, "Expected a name that does not contains two consecutive periods (..). Got abc..def"
        ) { try NameValidation.validate(name: "abc..def") }
    }

    @Test(arguments: ["192.168.0.1", "127.0.0.1", "0.0.0.0", "255.255.255.255"])
    func refusesIPv4Addresses(name: String) {
        expectCatalogError(.invalidArgument, "Expected a name that is not a valid ip address. Got \(name)") {
            try NameValidation.validate(name: name)
        }
    }

    @Test func topologyPrefixRules() {
        expectCatalogError(
            .invalidArgument, "Expected a name to contain at most one topology:  Got two `+` characters."
        ) { try NameValidation.validate(name: "a1c+b2c+c3c") }
        // Each part must be valid on its own.
        expectCatalogError(.invalidArgument) { try NameValidation.validate(name: "ab+valid") }
        expectCatalogError(.invalidArgument) { try NameValidation.validate(name: "valid+_bad") }
        expectCatalogError(.invalidArgument, "Expected a name containing 3-512 characters. Got: 513") {
            try NameValidation.validate(name: "abc+" + String(repeating: "x", count: 509))
        }
    }

    @Test func tenantNames() throws {
        try NameValidation.validate(tenant: "acme corp")
        expectCatalogError(.invalidArgument) { try NameValidation.validate(tenant: "ab") }
        expectCatalogError(.invalidArgument) { try NameValidation.validate(tenant: "a/b/c") }
        // Chroma 1.5's server applies the collection-name rules to databases, with the same message.
        try NameValidation.validate(database: "good_db")
        expectCatalogError(.invalidArgument) { try NameValidation.validate(database: "my database") }
        expectCatalogError(
            .invalidArgument,
            "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]. Got: db"
        ) {
            try NameValidation.validate(database: "db")
        }
        expectCatalogError(.invalidArgument) { try NameValidation.validate(database: "a/b/c") }
        expectCatalogError(.invalidArgument) { try NameValidation.validate(database: "...") }
    }

    @Test func collectionMetadataRules() throws {
        try CatalogError.validate(collectionMetadata: ["hnsw:space": "cosine", "n": 1, "f": 1.5, "b": true])
        expectCatalogError(.invalidArgument, "Metadata cannot be empty") {
            try CatalogError.validate(collectionMetadata: [:])
        }
        expectCatalogError(.invalidArgument, "Metadata key cannot start with '#' or '$': $where") {
            try CatalogError.validate(collectionMetadata: ["$where": 1])
        }
        expectCatalogError(.invalidArgument, "Metadata key cannot be empty") {
            try CatalogError.validate(collectionMetadata: ["": 1])
        }
        expectCatalogError(.invalidArgument) { try CatalogError.validate(collectionMetadata: ["k": ["a": 1]]) }
        expectCatalogError(.invalidArgument) { try CatalogError.validate(collectionMetadata: ["k": nil]) }
    }
}
