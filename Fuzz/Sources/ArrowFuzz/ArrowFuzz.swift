// libFuzzer entry point: every input is opened as an Arrow IPC file or stream and every value of every batch
// is read. A typed `ArrowError` is the expected outcome for garbage; a crash or an AddressSanitizer report is
// a bug. Built with -sanitize=fuzzer,address -parse-as-library (libFuzzer provides main).
import ArrowIPC

@_cdecl("LLVMFuzzerTestOneInput")
public func arrowFuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    // A copy into an aligned allocation, so AddressSanitizer sees reads past the input's end.
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
