// `cairn store put|get|ls|rm`: object-store access in the shape of `aws s3 cp/ls/rm` (being written).
import ArgumentParser

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Copy, list and remove objects.")
}
