// libFuzzer driver for the Arrow IPC readers: every input is opened as an Arrow IPC file or stream and every
// value of every batch is read. A typed `ArrowError` is the expected outcome for garbage; a crash or an
// AddressSanitizer report is a bug. Built with -sanitize=fuzzer,address (see docs/format.md); SwiftPM keeps
// its own main, so it hands control to libFuzzer through LLVMFuzzerRunDriver.
import ArrowIPC
import CFuzzDriver
import Glibc

/// Also exported under libFuzzer's standard name, in case the link picks libFuzzer's own main.
@_cdecl("LLVMFuzzerTestOneInput")
func arrowFuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    // An exact-size copy, so AddressSanitizer sees any read past the input's end.
    let storage = ByteStorage(copying: UnsafeRawBufferPointer(start: start, count: count))
    var limits = ArrowLimits()
    limits.maxBufferBytes = 64 << 20  // keep the fuzzer's memory use bounded
    do {
        let contents = try ArrowIPCContents(storage: storage, options: ArrowReadOptions(limits: limits))
        for i in 0..<contents.batchCount {
            let batch = try contents.recordBatch(at: i)
            for column in batch.columns {
                for row in 0..<column.length { _ = column.jsonValue(at: row) }
            }
        }
    } catch {
        _ = error.code
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in arrowFuzzOneInput(data, size) })
