package kafkaevent

import "unsafe"

// memory is what a Batch keeps from one DecodeInto to the next for AWS
// events, the hot path: the records, the first pass's bookkeeping, the
// records' payload positions and the arena of decoded keys and values. A
// warm function that decodes into the same Batch every invocation then
// allocates none of them again: allocating and zeroing them afresh, and
// collecting them after, was a fixed cost of every invocation.
type memory struct {
	records []Record
	pending []pendingRecord
	indexes []int
	arena   []byte
}

// DecodeInto is DecodeWith into b, reusing the memory b kept from an
// earlier DecodeInto (or Reset). The records of the earlier batch are
// overwritten, so nothing of them may be in use any more: their keys and
// values share the arena with the new ones. b keeps its memory after an
// error too.
func DecodeInto(b *Batch, payload []byte, o DecodeOptions) error {
	b.Reset()
	mem := b.mem
	nb, err := decodeWith(payload, o, &mem)
	nb.mem = mem
	*b = nb
	return err
}

// Reset forgets b's records and failures, keeping the memory for the next
// DecodeInto. The records are zeroed, so that the batch holds on to no
// string or slice of the last payload.
func (b *Batch) Reset() {
	mem := b.mem
	// Past their lengths the slices hold zero values only: decoding
	// clears the slots of failed records, and append copies no more.
	clear(mem.records)
	clear(mem.pending)
	mem.records, mem.pending = mem.records[:0], mem.pending[:0]
	mem.indexes, mem.arena = mem.indexes[:0], mem.arena[:0]
	*b = Batch{mem: mem}
}

// Retained is the memory b keeps for the next DecodeInto, in bytes.
func (b *Batch) Retained() int {
	m := &b.mem
	return cap(m.records)*int(unsafe.Sizeof(Record{})) + cap(m.pending)*int(unsafe.Sizeof(pendingRecord{})) +
		cap(m.indexes)*int(unsafe.Sizeof(0)) + cap(m.arena)
}
