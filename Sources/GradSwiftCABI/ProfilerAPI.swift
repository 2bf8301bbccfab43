import GradSwift

// MARK: Per-op profiler (torch.profiler's key averages)

/// Starts a profile (`GS_ERR_INVALID_STATE` when one is running): from now until
/// gs_profiler_stop, every gs_ function call, every layer's forward and every backward rule
/// adds its time to a record of its name. Records are process-wide: calls on every thread count.
@c(gs_profiler_start)
public func gsProfilerStart() -> Int32 {
    guarded("gs_profiler_start") { try Profiler.start() }
}

/// Stops the running profile (`GS_ERR_INVALID_STATE` when none is running) and writes how many
/// records it made into `count`, readable with gs_profiler_record_name and
/// gs_profiler_record_times until the next profile stops. `count` is checked first: when it is
/// NULL the profile goes on.
@c(gs_profiler_stop)
public func gsProfilerStop(_ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_profiler_stop") {
        guard let count else { throw CallError.null("gs_profiler_stop", "count") }
        count.pointee = Int64(try Profiler.stop().count)
    }
}

/// Copies the name of record `index` of the last stopped profile (records come by self time,
/// largest first) into `buffer`, snprintf-style: at most `capacity - 1` bytes and a NUL;
/// `*length` gets the full length in bytes. Names are a gs_ function (`gs_matmul`), a layer's
/// kind (`Linear`) or a backward rule (`matmul backward`).
@c(gs_profiler_record_name)
public func gsProfilerRecordName(_ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
                                 _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_profiler_record_name") {
        try writeName(Profiler.lastProfile.map(\.name), index, "profiler records", buffer, capacity, length,
                      "gs_profiler_record_name")
    }
}

/// Writes the times of record `index` of the last stopped profile: how many times the scope
/// ran into `count`, its self time (less the time of scopes nested in it) into `self_ns` and
/// its total time into `total_ns`, in nanoseconds.
@c(gs_profiler_record_times)
public func gsProfilerRecordTimes(_ index: Int64, _ count: UnsafeMutablePointer<Int64>?,
                                  _ selfNs: UnsafeMutablePointer<Int64>?, _ totalNs: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_profiler_record_times") {
        let op = "gs_profiler_record_times"
        guard let count else { throw CallError.null(op, "count") }
        guard let selfNs else { throw CallError.null(op, "self_ns") }
        guard let totalNs else { throw CallError.null(op, "total_ns") }
        let records = Profiler.lastProfile
        guard index >= 0 && index < Int64(records.count) else {
            throw CallError(status: .indexError, message: "\(op): index \(index) is out of range for \(records.count) profiler records")
        }
        let record = records[Int(index)]
        count.pointee = Int64(record.count)
        selfNs.pointee = Int64(clamping: record.selfNanoseconds)
        totalNs.pointee = Int64(clamping: record.totalNanoseconds)
    }
}
