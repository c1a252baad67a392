package num

import "math/big"

// Big returns x as a big.Float of 64-bit precision, exactly: arithmetic on
// it with that precision and the default rounding (to nearest, ties to
// even) rounds as the x87 FPU does in extended precision, as long as the
// results stay within the long double's exponent range.
func (x LongDouble) Big() *big.Float {
	f := new(big.Float).SetPrec(64)
	if x.inf {
		return f.SetInf(x.neg)
	}
	f.SetUint64(x.mant).SetMantExp(f, int(x.exp))
	if x.neg {
		f.Neg(f)
	}
	return f
}
