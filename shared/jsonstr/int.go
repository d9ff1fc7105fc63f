package jsonstr

import "math/bits"

// digitPairs holds "00" to "99", two bytes each.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// AppendInt appends v in base 10, as strconv.AppendInt does. It writes the
// digits straight into dst's spare capacity: the offsets, partitions,
// timestamps and sizes of every document are the most frequent numbers the
// sink writes, and strconv formats into a buffer of its own first and then
// copies, which showed as a tenth of the document builder's time.
func AppendInt(dst []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	// Partitions and small counts: no length to compute.
	if u < 100 {
		if u < 10 {
			return append(dst, byte('0'+u))
		}
		return append(dst, digitPairs[u*2], digitPairs[u*2+1])
	}
	n := uintLen(u)
	start := len(dst)
	if cap(dst)-start < n {
		dst = append(dst, make([]byte, n)...)
	} else {
		dst = dst[:start+n]
	}
	i := start + n
	// Four digits per division: the two pairs of each group are split off
	// it independently of the next division, which is the only chain from
	// one group to the next. Two digits per division made a 13-digit
	// timestamp six dependent divisions.
	for u >= 10000 {
		q := u / 10000
		r := u - q*10000
		hi, lo := r/100*2, r%100*2
		i -= 4
		dst[i], dst[i+1], dst[i+2], dst[i+3] = digitPairs[hi], digitPairs[hi+1], digitPairs[lo], digitPairs[lo+1]
		u = q
	}
	for u >= 100 {
		q := u / 100
		p := (u - q*100) * 2
		i -= 2
		dst[i], dst[i+1] = digitPairs[p], digitPairs[p+1]
		u = q
	}
	if u >= 10 {
		p := u * 2
		dst[i-2], dst[i-1] = digitPairs[p], digitPairs[p+1]
	} else {
		dst[i-1] = byte('0' + u)
	}
	return dst
}

// IntLen is the number of characters AppendInt writes for v: the sizes of
// documents and action lines are computed before they are written.
func IntLen(v int64) int {
	if v < 0 {
		return 1 + uintLen(-uint64(v))
	}
	return uintLen(uint64(v))
}

// uintLen is the number of decimal digits of u: from its bit length,
// log10(2) being about 1233/4096, corrected by one comparison. A loop of
// divisions took a third of AppendInt's time on 13-digit timestamps.
func uintLen(u uint64) int {
	v := u | 1 // 0 has one digit, as 1 does
	t := bits.Len64(v) * 1233 >> 12
	if v < pow10[t] {
		return t
	}
	return t + 1
}

// pow10 holds 10^0 to 10^19, every power of ten a uint64 holds.
var pow10 = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}
