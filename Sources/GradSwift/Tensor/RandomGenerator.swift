#if canImport(Glibc)
import Glibc
#endif

/// The engine's seedable random generator (xoshiro256**, seeded through SplitMix64),
/// shared by every random op and guarded by a lock.
public final class RandomGenerator: @unchecked Sendable {
    /// The generator used by `uniform`, `normal` and the layers' initialisers.
    public static let shared = RandomGenerator(seed: 0x5EED)

    private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var spareGaussian: Double?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// A generator in the state `seed(seed)` gives.
    public init(seed: UInt64) {
        pthread_mutex_init(mutex, nil)
        reseed(seed)
    }

    /// Restarts the sequence from `seed`.
    public func seed(_ seed: UInt64) { withLock { $0.reseed(seed) } }

    /// Runs `body` with exclusive use of the generator.
    public func withLock<R>(_ body: (RandomGenerator) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(self)
    }

    private func reseed(_ seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
        spareGaussian = nil
    }

    /// The next 64 random bits.
    func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// A uniform integer in `0..<bound` (`bound` 0 stands for 2^64), without modulo bias:
    /// draws below 2^64 mod `bound` are rejected.
    func next(below bound: UInt64) -> UInt64 {
        guard bound != 0 else { return next() }
        let rejected = (0 &- bound) % bound
        while true {
            let r = next()
            if r >= rejected { return r % bound }
        }
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal sample (Box-Muller, the second value of each pair kept for the next call).
    func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        var u = nextUnit()
        while u == 0 { u = nextUnit() }
        let radius = (-2 * log(u)).squareRoot(), angle = 2 * Double.pi * nextUnit()
        spareGaussian = radius * sin(angle)
        return radius * cos(angle)
    }
}
