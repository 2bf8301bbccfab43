/// exp, tanh and the logistic function in branch-free arithmetic, so that loops over them
/// vectorise (libm's functions are an opaque call per element). Within a few ulp of libm over
/// the whole range: overflow gives +inf, results below the normal range round into the
/// subnormals and then to 0, and NaN propagates.
protocol VectorMath: BinaryFloatingPoint {
    /// e^x, by 2^n · p(r) with r = x - n ln 2, |r| <= ln 2 / 2; 2^n is applied as two normal
    /// factors assembled in the exponent bits, so that tiny results round once.
    static func vectorExp(_ x: Self) -> Self
}

extension Float: VectorMath {
    @inline(__always) static func vectorExp(_ x: Float) -> Float {
        // Beyond these e^x is +inf, or 0 after rounding; NaN fails both tests and stays.
        let y = x < -104 ? -104 : (x > 89 ? 89 : x)
        // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = y * 1.442_695_04 + magic
        let n = shifted - magic
        let r = (y - n * 0.693_359_375) + n * 2.121_944_4e-4
        let poly: Float = ((((1.987_569_15e-4 * r + 1.398_199_95e-3) * r + 8.333_451_9e-3) * r
            + 4.166_579_59e-2) * r + 0.166_666_655) * r + 0.500_000_01
        let k = Int32(bitPattern: shifted.bitPattern &- magic.bitPattern)
        let half = k >> 1
        let scale1 = Float(bitPattern: UInt32(bitPattern: (half &+ 127) << 23))
        let scale2 = Float(bitPattern: UInt32(bitPattern: (k &- half &+ 127) << 23))
        return (poly * r * r + r + 1) * scale1 * scale2
    }
}

extension Double: VectorMath {
    @inline(__always) static func vectorExp(_ x: Double) -> Double {
        let y = x < -746 ? -746 : (x > 710 ? 710 : x)
        // Adding 1.5·2^52 rounds to an integer held in the low mantissa bits.
        let magic: Double = 6_755_399_441_055_744
        let shifted = y * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        let r = (y - n * 6.931_471_803_691_238_2e-1) - n * 1.908_214_929_270_587_7e-10
        // Taylor series to r^12 (truncation below 2e-16 for |r| <= ln 2 / 2).
        let c2: Double = 1.0 / 2, c3: Double = 1.0 / 6, c4: Double = 1.0 / 24, c5: Double = 1.0 / 120
        let c6: Double = 1.0 / 720, c7: Double = 1.0 / 5040, c8: Double = 1.0 / 40320, c9: Double = 1.0 / 362_880
        let c10: Double = 1.0 / 3_628_800, c11: Double = 1.0 / 39_916_800, c12: Double = 1.0 / 479_001_600
        var poly = c12 * r + c11
        poly = poly * r + c10
        poly = poly * r + c9
        poly = poly * r + c8
        poly = poly * r + c7
        poly = poly * r + c6
        poly = poly * r + c5
        poly = poly * r + c4
        poly = poly * r + c3
        poly = poly * r + c2
        let k = Int64(bitPattern: shifted.bitPattern &- magic.bitPattern)
        let half = k >> 1
        let scale1 = Double(bitPattern: UInt64(bitPattern: (half &+ 1023) << 52))
        let scale2 = Double(bitPattern: UInt64(bitPattern: (k &- half &+ 1023) << 52))
        return ((poly * r + 1) * r + 1) * scale1 * scale2
    }
}

extension VectorMath {
    /// The logistic function 1 / (1 + e^-x), as e^x / (1 + e^x) for negative x so that tiny
    /// results keep their precision.
    @inline(__always) static func vectorSigmoid(_ x: Self) -> Self {
        let e = vectorExp(-Swift.abs(x))
        let s = 1 / (1 + e)
        return x >= 0 ? s : e * s
    }

    /// tanh x: (1 - e^-2|x|) / (1 + e^-2|x|) with the sign of x, or for |x| < 1/16, where that
    /// difference would cancel, the Taylor series to x^11.
    @inline(__always) static func vectorTanh(_ x: Self) -> Self {
        let a = Swift.abs(x), s = x * x
        let c11: Self = -1382 / 155_925, c9: Self = 62 / 2835, c7: Self = -17 / 315, c5: Self = 2 / 15, c3: Self = -1 / 3
        let series = x * (1 + s * (c3 + s * (c5 + s * (c7 + s * (c9 + s * c11)))))  // keeps -0
        let e = vectorExp(-2 * a)
        let t = (1 - e) / (1 + e)
        let signed = x < 0 ? -t : t
        return a < 0.0625 ? series : signed
    }
}
