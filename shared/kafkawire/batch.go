package kafkawire

import (
	"encoding/binary"
	"hash/crc32"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// castagnoli is the CRC-32C table record batches are checked with.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	// batchHeaderBytes is a record batch's size before its records: offset
	// (8), length (4), then the 49 bytes the length counts before them.
	batchHeaderBytes = 61
	// crcOffset is where the CRC sits; it covers everything after it.
	crcOffset = 17
)

// appendBatch appends an uncompressed record batch (magic 2) of the records
// recs[idx[0]], recs[idx[1]], ... to dst, as many as fit maxBatchBytes and
// at least one, and returns how many it took. Records without a time get
// now. The producer id, epoch and sequence are -1: not idempotent, which
// needs no producer id from the brokers and is what acks=all with retries
// gives anyway (at least once).
func appendBatch(dst []byte, recs []Record, idx []int, now time.Time) ([]byte, int) {
	var body []byte
	first, maxTS := int64(0), int64(0)
	n := 0
	var scratch []byte
	for i, ri := range idx {
		r := recs[ri]
		ts := now.UnixMilli()
		if !r.Time.IsZero() {
			ts = r.Time.UnixMilli()
		}
		if i == 0 {
			first, maxTS = ts, ts
		}
		maxTS = max(maxTS, ts)
		kr := kmsg.Record{
			// A delta may be negative (records are not sorted by time);
			// it is a signed varint.
			TimestampDelta64: ts - first,
			OffsetDelta:      int32(i),
			Key:              r.Key,
			Value:            r.Value,
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		// Length counts what follows it: encode with length 0 (one byte)
		// and measure the rest.
		scratch = kr.AppendTo(scratch[:0])
		l := len(scratch) - 1
		if n > 0 && batchHeaderBytes+len(body)+binary.MaxVarintLen32+l > maxBatchBytes {
			break
		}
		body = binary.AppendVarint(body, int64(l))
		body = append(body, scratch[1:]...)
		n++
	}
	b := kmsg.RecordBatch{
		Length:               int32(batchHeaderBytes - 12 + len(body)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(n - 1),
		FirstTimestamp:       first,
		MaxTimestamp:         maxTS,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(n),
		Records:              body,
	}
	start := len(dst)
	dst = b.AppendTo(dst)
	crc := crc32.Checksum(dst[start+crcOffset+4:], castagnoli)
	binary.BigEndian.PutUint32(dst[start+crcOffset:], crc)
	return dst, n
}

// murmur2 is the 32-bit MurmurHash2 Kafka's Java client partitions keys
// with (Utils.murmur2): seed 0x9747b28c, little-endian 4-byte words.
func murmur2(b []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	h := uint32(seed) ^ uint32(len(b))
	for ; len(b) >= 4; b = b[4:] {
		k := binary.LittleEndian.Uint32(b)
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
