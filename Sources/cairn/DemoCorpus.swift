// The demo's data: a few thousand short articles on eight topics, written deterministically from word lists, and a
// hashing bag-of-words embedder (not a neural model: texts that share words get similar vectors, which is enough to
// make search results look sensible without downloading a model).
import Foundation

enum DemoCorpus {
    static let topics: [(name: String, words: [String])] = [
        (
            "astronomy",
            ["telescope", "galaxy", "nebula", "orbit", "comet", "planet", "star", "supernova", "observatory", "cosmic"]
        ),
        ("cooking", ["pasta", "garlic", "oven", "recipe", "sauce", "basil", "dough", "simmer", "spice", "kitchen"]),
        (
            "finance",
            ["market", "bond", "inflation", "dividend", "portfolio", "interest", "equity", "budget", "bank", "credit"]
        ),
        (
            "sports",
            ["match", "goal", "league", "coach", "season", "striker", "tournament", "score", "team", "training"]
        ),
        (
            "medicine",
            [
                "vaccine", "clinical", "patient", "therapy", "dose", "trial", "symptom", "hospital", "immune",
                "diagnosis",
            ]
        ),
        ("music", ["guitar", "album", "melody", "concert", "rhythm", "orchestra", "chord", "lyrics", "tour", "piano"]),
        (
            "travel",
            ["flight", "island", "hotel", "passport", "beach", "mountain", "itinerary", "museum", "train", "harbor"]
        ),
        (
            "computing",
            ["compiler", "database", "kernel", "network", "cache", "algorithm", "server", "memory", "thread", "index"]
        ),
    ]
    static let glue = ["the", "a", "new", "report", "on", "how", "why", "with", "about", "after", "during", "local"]

    struct Article {
        var id: String
        var text: String
        var topic: String
        var year: Int
        var rating: Double
        var featured: Bool
    }

    /// `count` articles; the same every run.
    static func articles(_ count: Int) -> [Article] {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (0..<count).map { i in
            let topic = topics[Int(next() % UInt64(topics.count))]
            var words: [String] = []
            for _ in 0..<(8 + Int(next() % 6)) {
                words.append(next() % 3 == 0 ? glue[Int(next() % UInt64(glue.count))] : topic.words[Int(next() % 10)])
            }
            let text =
                words.joined(separator: " ").prefix(1).uppercased() + words.joined(separator: " ").dropFirst() + "."
            return Article(
                id: String(format: "article-%05d", i), text: text, topic: topic.name, year: 2015 + Int(next() % 11),
                rating: Double(next() % 50 + 1) / 10, featured: next() % 10 == 0)
        }
    }

    static let dimension = 64

    /// A hashing bag-of-words embedding, L2-normalised.
    static func embed(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let words = text.lowercased().split { !$0.isLetter }
        for word in words where !glue.contains(String(word)) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            vector[Int(hash % UInt64(dimension))] += 1
            vector[Int((hash >> 32) % UInt64(dimension))] += 0.5
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
