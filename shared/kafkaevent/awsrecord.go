package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
)

// fieldKey returns an object key as bytes, unescaped when needed.
func fieldKey(raw []byte, slow bool) []byte {
	if !slow {
		return raw
	}
	return []byte(unquote(raw, slow))
}

// foldEq matches a key the way encoding/json matches struct field names:
// exact first, then case-insensitively (Unicode simple folding).
func foldEq(key []byte, name string) bool {
	if len(key) == len(name) && string(key) == name {
		return true
	}
	return bytes.EqualFold(key, []byte(name))
}

// knownKey reads an object key spelled exactly as Lambda spells a record
// field, quotes included, and returns the field and the key's bytes. Any
// other key (another spelling, escapes, a foreign field) is left unread,
// and key is nil. Reading every key byte by byte and then matching it was
// among the largest costs of decoding an event of 1 KiB values.
//
// A key followed right away by its colon, as Lambda writes it, is matched
// by two word comparisons and read with the colon; colon says so.
func (s *scanner) knownKey(prev recordField) (f recordField, key []byte, colon bool) {
	s.ws()
	// Lambda writes the fields in one order: the one after prev is
	// tried first.
	f = lambdaOrder[prev]
	if s.i+16 <= len(s.b) {
		lo, hi := binary.LittleEndian.Uint64(s.b[s.i:]), binary.LittleEndian.Uint64(s.b[s.i+8:])
		if !keyPatterns[f].match(lo, hi) {
			for f = recTopic; f <= recHeaders && !keyPatterns[f].match(lo, hi); f++ {
			}
		}
		if f <= recHeaders {
			key = s.b[s.i+1 : s.i+1+len(recordFieldNames[f])]
			s.i += keyPatterns[f].n
			return f, key, true
		}
		f = lambdaOrder[prev]
	}
	if s.i+2 >= len(s.b) || s.b[s.i] != '"' {
		return recOther, nil, false
	}
	if !s.quoted(recordFieldNames[f]) {
		f = s.anyKnownKey()
	}
	if f == recOther {
		return recOther, nil, false
	}
	key = s.b[s.i+1 : s.i+1+len(recordFieldNames[f])]
	s.i += len(key) + 2
	return f, key, false
}

// keyPattern is a record field's key with its colon, "topic": say, as
// the little-endian words of the 16 input bytes it starts, masked to its
// length. The longest, "timestampType":, is 16 bytes.
type keyPattern struct {
	lo, hi, loMask, hiMask uint64
	n                      int
}

func (p *keyPattern) match(lo, hi uint64) bool {
	return lo&p.loMask == p.lo && hi&p.hiMask == p.hi
}

var keyPatterns = func() (t [recHeaders + 1]keyPattern) {
	for f := recTopic; f <= recHeaders; f++ {
		var b, m [16]byte
		k := `"` + recordFieldNames[f] + `":`
		copy(b[:], k)
		for i := range len(k) {
			m[i] = 0xff
		}
		le := binary.LittleEndian
		t[f] = keyPattern{lo: le.Uint64(b[:8]), hi: le.Uint64(b[8:]), loMask: le.Uint64(m[:8]), hiMask: le.Uint64(m[8:]), n: len(k)}
	}
	// recOther matches nothing: a zero mask would match anything, so it
	// asks for a byte no masked input can have.
	t[recOther] = keyPattern{lo: 1}
	return t
}()

// lambdaOrder is the field Lambda writes after each one: topic first,
// headers last.
var lambdaOrder = [...]recordField{
	recOther: recTopic, recTopic: recPartition, recPartition: recOffset, recOffset: recTimestamp,
	recTimestamp: recTimestampType, recTimestampType: recKey, recKey: recValue, recValue: recHeaders, recHeaders: recTopic,
}

// anyKnownKey names the key at s.i, quoted, if it is a record field
// spelled exactly; it reads nothing.
func (s *scanner) anyKnownKey() recordField {
	var f recordField
	switch s.b[s.i+1] {
	case 't':
		// The longest name first: "timestamp" is a prefix of the other.
		switch {
		case s.quoted("timestampType"):
			f = recTimestampType
		case s.quoted("timestamp"):
			f = recTimestamp
		case s.quoted("topic"):
			f = recTopic
		}
	case 'p':
		if s.quoted("partition") {
			f = recPartition
		}
	case 'o':
		if s.quoted("offset") {
			f = recOffset
		}
	case 'k':
		if s.quoted("key") {
			f = recKey
		}
	case 'v':
		if s.quoted("value") {
			f = recValue
		}
	case 'h':
		if s.quoted("headers") {
			f = recHeaders
		}
	}
	return f
}

// quoted reports whether the input at s.i is name in quotes.
func (s *scanner) quoted(name string) bool {
	end := s.i + len(name) + 2
	return end <= len(s.b) && s.b[s.i] == '"' && s.b[end-1] == '"' && string(s.b[s.i+1:end-1]) == name
}

// quotedBytes is quoted for bytes.
func (s *scanner) quotedBytes(name []byte) bool { return s.quoted(string(name)) }

// smallInt reads, in one pass, an integer of at most 18 digits that fits
// in bits, as JSON writes it (no leading zero, no fraction or exponent),
// and reports whether it did; anything else is left unread for
// number and parseInt. Offsets, partitions and timestamps all take this
// path: scanning the literal and then parsing it took nearly twice as long.
func (s *scanner) smallInt(bits uint) (int64, bool) {
	j := s.i
	neg := j < len(s.b) && s.b[j] == '-'
	if neg {
		j++
	}
	k, n := j, int64(0)
	for k < len(s.b) && k-j <= 18 && '0' <= s.b[k] && s.b[k] <= '9' {
		n = n*10 + int64(s.b[k]-'0')
		k++
	}
	digits := k - j
	if digits == 0 || digits > 18 || digits > 1 && s.b[j] == '0' {
		return 0, false
	}
	if k < len(s.b) {
		if c := s.b[k]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if bits < 64 && (n >= 1<<(bits-1) || n < -(1<<(bits-1))) {
		return 0, false
	}
	s.i = k
	return n, true
}

// recordField is a field of an AWS record.
type recordField uint8

const (
	recOther recordField = iota
	recTopic
	recPartition
	recOffset
	recTimestamp
	recTimestampType
	recKey
	recValue
	recHeaders
)

var recordFieldNames = [...]string{
	recTopic: "topic", recPartition: "partition", recOffset: "offset", recTimestamp: "timestamp",
	recTimestampType: "timestampType", recKey: "key", recValue: "value", recHeaders: "headers",
}

// fieldOf names a record's key as encoding/json matches it to the fields
// of events.KafkaRecord. Lambda spells every key exactly, which one switch
// settles; only another spelling pays for case-insensitive comparisons,
// one per field name.
func fieldOf(key []byte) recordField {
	switch string(key) {
	case "topic":
		return recTopic
	case "partition":
		return recPartition
	case "offset":
		return recOffset
	case "timestamp":
		return recTimestamp
	case "timestampType":
		return recTimestampType
	case "key":
		return recKey
	case "value":
		return recValue
	case "headers":
		return recHeaders
	}
	for f := recTopic; f <= recHeaders; f++ {
		if bytes.EqualFold(key, []byte(recordFieldNames[f])) {
			return f
		}
	}
	return recOther
}

// recordState collects one AWS record while its fields are read.
type recordState struct {
	// rec is the record's slot in batch.Records, filled in place.
	rec                    *Record
	hasTopic, hasPartition bool
	hasOffset              bool
	err                    *RecordError
	key, val               b64String
}

// b64String is a base64 key or value as the first pass leaves it: a span
// of the payload, decoded in the second pass.
type b64String struct {
	raw   []byte
	flags stringFlags
}

// stringFlags say whether a key or value was present, needs unescaping
// (slow, see scanner.str) and was validated as a JSON string (checked, see
// scanner.span).
type stringFlags uint8

const (
	stringSet stringFlags = 1 << iota
	stringSlow
	stringChecked
)

func (st *recordState) fail(e *RecordError) {
	if st.err == nil {
		st.err = e
	}
}

// headerFail records a problem with the headers, which is the record's
// only where headers are used (Record.HeaderErr).
func (st *recordState) headerFail(e *RecordError) {
	if st.rec.HeaderErr == nil {
		st.rec.HeaderErr = e
	}
}

// pendingRecord is what the first pass keeps of one records element; it
// is kept small because a 6 MB event has thousands. An object element's
// Record, with its key and value still base64 spans of the payload, is the
// next one in batch.Records.
type pendingRecord struct {
	// start is where the element begins in the payload.
	start int
	// err is the first field problem; it outranks a base64 error, which
	// outranks a missing field.
	err      *RecordError
	flags    pendingFlags
	key, val stringFlags
}

type pendingFlags uint16

const (
	isObject pendingFlags = 1 << iota
	hasTopic
	hasPartition
	hasOffset
)

func flagIf(f pendingFlags, ok bool) pendingFlags {
	if ok {
		return f
	}
	return 0
}

// record reads one element of a records array. Field problems make the
// record a Failure; only broken JSON syntax fails the event, because then
// the element boundaries themselves are unknown.
func (d *awsDecoder) record() error {
	s := &d.s
	s.ws()
	start := s.i
	var st recordState
	if s.peek() != '{' {
		if err := s.skip(1); err != nil {
			return err
		}
		d.pending = append(d.pending, pendingRecord{start: start, err: recordErr(ErrWrongType, "", "record is not a JSON object")})
		return nil
	}
	s.i++
	// The record is read into its slot in Records: building it on the
	// stack and appending copied its 21 words once more per record.
	n := len(d.batch.Records)
	d.batch.Records = append(d.batch.Records, Record{})
	st.rec = &d.batch.Records[n]
	if err := d.fields(&st); err != nil {
		// Broken JSON fails the event; the slot must not keep spans of it.
		d.batch.Records[n] = Record{}
		d.batch.Records = d.batch.Records[:n]
		return err
	}
	d.pending = append(d.pending, pendingRecord{start: start, err: st.err, key: st.key.flags, val: st.val.flags,
		flags: isObject | flagIf(hasTopic, st.hasTopic) | flagIf(hasPartition, st.hasPartition) | flagIf(hasOffset, st.hasOffset)})
	// Base64 is decoded in the second pass, which also means a later
	// duplicate key wins as it does in encoding/json.
	st.rec.Key, st.rec.Value = st.key.raw, st.val.raw
	return nil
}

// fields reads the members of a record object after its '{', through its
// '}'.
func (d *awsDecoder) fields(st *recordState) error {
	s := &d.s
	if s.consume('}') {
		return nil
	}
	prev := recOther
	for {
		f, key, colon := s.knownKey(prev)
		prev = f
		if key == nil {
			kraw, kslow, err := s.str()
			if err != nil {
				return err
			}
			key = fieldKey(kraw, kslow)
			f = fieldOf(key)
		}
		if !colon && !s.consume(':') {
			return s.syntax("expected ':'")
		}
		if err := d.field(st, f, key); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.syntax("expected ',' or '}'")
	}
}

// decodeRecords is the second pass: it decodes every pending key and value
// into one arena and sorts the elements into Records and Failures,
// compacting Records in place.
func (d *awsDecoder) decodeRecords() error {
	size := 0
	for i := range d.batch.Records {
		r := &d.batch.Records[i]
		// Spans of set strings are never nil, even when empty.
		size += base64.StdEncoding.DecodedLen(len(r.Key)) + base64.StdEncoding.DecodedLen(len(r.Value))
	}
	// Never nil, even when empty: an empty key or value is a slice of it,
	// and a nil one would read as a Kafka null.
	if d.arena = d.mem.arena[:0]; d.arena == nil || cap(d.arena) < size {
		d.arena = make([]byte, 0, size)
	}
	if d.batch.Indexes = d.mem.indexes[:0]; cap(d.batch.Indexes) < len(d.batch.Records) {
		d.batch.Indexes = make([]int, 0, len(d.batch.Records))
	}
	good := d.batch.Records[:0]
	next := 0
	for index := range d.pending {
		p := &d.pending[index]
		if p.flags&isObject == 0 {
			d.failure(index, p, Record{}, p.err)
			continue
		}
		// good never overtakes next, so r is read before its slot is
		// reused. r is worked on in place (a Record is 21 words, and
		// copying each out and back was a measurable part of the decode).
		r := &d.batch.Records[next]
		next++
		rerr := p.err
		var fatal error
		if r.Key, fatal = d.decodeString(r.Key, p.key, "key", &rerr); fatal != nil {
			return fatal
		}
		if r.Value, fatal = d.decodeString(r.Value, p.val, "value", &rerr); fatal != nil {
			return fatal
		}
		if rerr == nil {
			switch {
			case p.flags&hasTopic == 0:
				rerr = recordErr(ErrMissingField, "topic", "absent or null")
			case p.flags&hasPartition == 0:
				rerr = recordErr(ErrMissingField, "partition", "absent or null")
			case p.flags&hasOffset == 0:
				rerr = recordErr(ErrMissingField, "offset", "absent or null")
			}
		}
		if rerr != nil {
			d.failure(index, p, *r, rerr)
			continue
		}
		r.ValueSize = len(r.Value)
		if k := len(good); k != next-1 {
			d.batch.Records[k] = *r
		}
		good = good[:len(good)+1]
		d.batch.Indexes = append(d.batch.Indexes, index)
	}
	// Failed records' slots must not keep their strings reachable.
	clear(d.batch.Records[len(good):])
	d.batch.Records = good
	return nil
}

// decodeString decodes one key or value span. A base64 error becomes the
// record's error unless it has one already; only invalid JSON is returned.
func (d *awsDecoder) decodeString(raw []byte, f stringFlags, field string, rerr **RecordError) ([]byte, error) {
	if f&stringSet == 0 {
		return raw, nil
	}
	b, err, fatal := d.b64(raw, f&stringSlow != 0, f&stringChecked != 0)
	if fatal != nil {
		return nil, fatal
	}
	if err != nil && *rerr == nil {
		*rerr = recordErr(ErrBadBase64, field, "%v", err)
	}
	return b, nil
}

func (d *awsDecoder) failure(index int, p *pendingRecord, r Record, err *RecordError) {
	// The element was read once already, so skipping it again finds its
	// end and cannot fail; only failures pay for keeping no end offset.
	s := scanner{b: d.s.b, i: p.start}
	_ = s.skip(1)
	d.batch.Failures = append(d.batch.Failures, Failure{
		Index:     index,
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		// The position fields say whether Topic, Partition and Offset were
		// read or are zero values; a partial batch response must not name
		// a position that was not read.
		HasPartition: p.flags&hasPartition != 0,
		HasOffset:    p.flags&hasOffset != 0,
		Raw:          json.RawMessage(d.s.b[p.start:s.i]),
		Err:          err,
	})
}

// field reads the value of field f, whose name in the payload is key.
func (d *awsDecoder) field(st *recordState, f recordField, key []byte) error {
	s := &d.s
	isNull := s.peek() == 'n'
	switch f {
	case recTopic:
		if isNull {
			st.hasTopic = false
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, "topic", "not a string"))
			return s.skip(1)
		}
		st.hasTopic = true
		// A batch usually has one topic: the same bytes as the last
		// topic's (which had no escapes) are the same string.
		if d.lastTopicRaw != nil && s.quotedBytes(d.lastTopicRaw) {
			s.i += len(d.lastTopicRaw) + 2
			st.rec.Topic = d.lastTopic
			return nil
		}
		raw, slow, err := s.str()
		if err != nil {
			return err
		}
		st.rec.Topic = d.topic(raw, slow)
	case recPartition:
		n, ok, err := d.intField(st, "partition", 32)
		if err != nil || isNull {
			st.hasPartition = false
			return err
		}
		if ok {
			st.hasPartition = true
			st.rec.Partition = int32(n)
		}
	case recOffset:
		n, ok, err := d.intField(st, "offset", 64)
		if err != nil || isNull {
			st.hasOffset = false
			return err
		}
		if ok {
			st.hasOffset = true
			st.rec.Offset = n
		}
	case recTimestamp:
		n, ok, err := d.intField(st, "timestamp", 64)
		if err != nil {
			return err
		}
		if ok && !isNull {
			st.rec.Timestamp = n
		}
	case recTimestampType:
		if isNull {
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, "timestampType", "not a string"))
			return s.skip(1)
		}
		for _, tt := range [...]string{"CREATE_TIME", "LOG_APPEND_TIME"} {
			if s.quoted(tt) {
				s.i += len(tt) + 2
				st.rec.TimestampType = tt
				return nil
			}
		}
		raw, slow, err := s.str()
		if err != nil {
			return err
		}
		st.rec.TimestampType = timestampType(raw, slow)
	case recKey, recValue:
		isKey := f == recKey
		if isNull {
			return s.skip(1)
		}
		if s.peek() != '"' {
			st.fail(recordErr(ErrWrongType, string(key), "not a string"))
			return s.skip(1)
		}
		f := &st.val
		if isKey {
			f = &st.key
		}
		// A key or value replaced by a later duplicate is never decoded,
		// so it is validated now if the first pass skipped that.
		if f.flags&(stringSet|stringChecked) == stringSet {
			if _, err := d.check(f.raw); err != nil {
				return err
			}
		}
		raw, slow, checked, err := s.span()
		if err != nil {
			return err
		}
		f.raw, f.flags = raw, stringSet
		if slow {
			f.flags |= stringSlow
		}
		if checked {
			f.flags |= stringChecked
		}
	case recHeaders:
		return d.headers(st)
	default:
		return s.skip(1)
	}
	return nil
}

// intField reads an integer field; null reads as ok with no value.
func (d *awsDecoder) intField(st *recordState, name string, bits uint) (int64, bool, error) {
	s := &d.s
	if s.literal("null") {
		return 0, true, nil
	}
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		st.fail(recordErr(ErrWrongType, name, "not a number"))
		return 0, false, s.skip(1)
	}
	if n, ok := s.smallInt(bits); ok {
		return n, true, nil
	}
	lit, err := s.number()
	if err != nil {
		return 0, false, err
	}
	n, ok := parseInt(lit, bits)
	if !ok {
		st.fail(recordErr(ErrWrongType, name, "%s is not an integer within %d bits", lit, bits))
		return 0, false, nil
	}
	return n, true, nil
}

func (d *awsDecoder) topic(raw []byte, slow bool) string {
	if !slow && d.lastTopicRaw != nil && bytes.Equal(raw, d.lastTopicRaw) {
		return d.lastTopic
	}
	t := unquote(raw, slow)
	if !slow {
		d.lastTopic, d.lastTopicRaw = t, raw
	}
	return t
}

// timestampType avoids an allocation for the two values Kafka defines.
func timestampType(raw []byte, slow bool) string {
	switch string(raw) {
	case "CREATE_TIME":
		return "CREATE_TIME"
	case "LOG_APPEND_TIME":
		return "LOG_APPEND_TIME"
	}
	return unquote(raw, slow)
}

// headers reads [{"name": [signed bytes...]}, ...]. encoding/json decodes
// each object into a map, so within one object a repeated name keeps its
// last value; the order of names within one object is not meaningful there
// and is the payload order here.
func (d *awsDecoder) headers(st *recordState) error {
	s := &d.s
	if s.literal("null") {
		st.rec.Headers = nil
		return nil
	}
	if s.peek() != '[' {
		st.headerFail(recordErr(ErrWrongType, "headers", "not an array"))
		return s.skip(1)
	}
	s.i++
	var hs []Header
	if s.consume(']') {
		st.rec.Headers = []Header{}
		return nil
	}
	for {
		var err error
		if hs, err = d.headerObject(st, hs); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			break
		}
		return s.syntax("expected ',' or ']'")
	}
	switch {
	case st.rec.HeaderErr != nil:
		hs = nil
	case hs == nil:
		hs = []Header{}
	}
	st.rec.Headers = hs
	return nil
}

func (d *awsDecoder) headerObject(st *recordState, hs []Header) ([]Header, error) {
	s := &d.s
	if s.literal("null") {
		return hs, nil
	}
	if s.peek() != '{' {
		st.headerFail(recordErr(ErrWrongType, "headers", "element is not an object"))
		return hs, s.skip(1)
	}
	s.i++
	if s.consume('}') {
		return hs, nil
	}
	first := len(hs)
	for {
		kraw, kslow, err := s.str()
		if err != nil {
			return hs, err
		}
		if !s.consume(':') {
			return hs, s.syntax("expected ':'")
		}
		name := unquote(kraw, kslow)
		val, err := d.signedBytes(st)
		if err != nil {
			return hs, err
		}
		replaced := false
		for i := first; i < len(hs); i++ {
			if hs[i].Key == name {
				hs[i].Value, replaced = val, true
			}
		}
		if !replaced {
			hs = append(hs, Header{Key: name, Value: val})
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return hs, nil
		}
		return hs, s.syntax("expected ',' or '}'")
	}
}

// signedBytes reads an array of numbers in [-128, 127] as bytes: the Java
// byte[] of the header, where negative numbers are bytes >= 0x80.
func (d *awsDecoder) signedBytes(st *recordState) ([]byte, error) {
	s := &d.s
	if s.literal("null") {
		return []byte{}, nil
	}
	if s.peek() != '[' {
		st.headerFail(recordErr(ErrWrongType, "headers", "value is not an array of bytes"))
		return nil, s.skip(1)
	}
	s.i++
	out := []byte{}
	if s.consume(']') {
		return out, nil
	}
	for {
		if c := s.peek(); c != '-' && (c < '0' || c > '9') {
			st.headerFail(recordErr(ErrWrongType, "headers", "value element is not a number"))
			if err := s.skip(1); err != nil {
				return nil, err
			}
		} else {
			lit, err := s.number()
			if err != nil {
				return nil, err
			}
			n, ok := parseInt(lit, 8)
			if !ok || n < math.MinInt8 || n > math.MaxInt8 {
				st.headerFail(recordErr(ErrWrongType, "headers", "%s is not a signed byte", lit))
			}
			out = append(out, byte(int8(n)))
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return out, nil
		}
		return nil, s.syntax("expected ',' or ']'")
	}
}
