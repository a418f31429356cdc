// `cairn demo`: the main job on the embedded local store (being written).
import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the demo.")
}
