package esnode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// blackholeAction decodes an action line straight into its metadata; no
// map is built per line and source lines are never decoded.
type blackholeAction struct {
	Index  *bulkMeta `json:"index"`
	Create *bulkMeta `json:"create"`
	Update *bulkMeta `json:"update"`
	Delete *bulkMeta `json:"delete"`
}

// handleBlackholeBulk answers a bulk request as if every item was written
// (index, create and update "created" with version 1, delete "deleted"),
// storing nothing. It streams the body line by line, so memory stays flat
// however large the request is; item 429 faults still apply.
func (n *Node) handleBlackholeBulk(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defaultIndex := r.PathValue("index")
	faults := n.faults.get()
	br := bufio.NewReaderSize(r.Body, 64<<10)
	out := bytes.NewBuffer(make([]byte, 0, 4096))
	fields := parseItemFields(r.URL.Query().Get("filter_path"))
	out.WriteString(`{"took":0,"items":[`)
	var (
		line, items int
		failed      bool
		lastValid   string
		lineBuf     []byte
		expectSrc   bool
		terminated  = true
	)
	for {
		l, err := readLine(br, &lineBuf)
		if len(l) > 0 || err == nil {
			line++
			terminated = err == nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if errMaxBytes(err) {
				n.stats.tooLarge.Add(1)
				writeTooLarge(w)
				return
			}
			writeError(w, r, errorf(http.StatusBadRequest, "parse_exception", "reading request body: %v", err))
			return
		}
		if expectSrc {
			expectSrc = false
		} else if len(bytes.TrimSpace(l)) > 0 {
			var a blackholeAction
			if jerr := json.Unmarshal(l, &a); jerr != nil {
				writeError(w, r, errMalformedLine(line, "expected START_OBJECT or END_OBJECT but found [%s]", tokenName(l)))
				return
			}
			action, meta := a.which()
			if meta == nil {
				writeError(w, r, errMalformedLine(line, "expected field [create], [delete], [index] or [update]"))
				return
			}
			expectSrc = action != "delete"
			name := meta.Index
			if name == "" {
				name = defaultIndex
			}
			if name != lastValid {
				if e := validateIndexName(name); e != nil {
					failed = true
					appendBlackholeError(out, items, action, name, e)
					items++
					continue
				}
				lastValid = name
			}
			id := ""
			if meta.ID != nil {
				id = *meta.ID
			} else {
				id = n.ids.next()
			}
			if faults.Item429 > 0 && n.faults.roll() < faults.Item429 {
				n.stats.items429.Add(1)
				failed = true
				appendBlackholeError(out, items, action, name, errBulkRejected(name, 1))
			} else {
				appendBlackholeItem(out, fields, items, action, name, id, n.blackholeSeq.Add(1)-1)
			}
			items++
		}
		if err != nil {
			break
		}
	}
	if items > 0 && (!terminated || expectSrc) {
		writeError(w, r, errIllegalArgument("The bulk request must be terminated by a newline [\\n]"))
		return
	}
	if items == 0 {
		writeError(w, r, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;"))
		return
	}
	n.stats.bulkItems.Add(int64(items))
	out.WriteString(`]`)
	if fields.has("errors") {
		out.WriteString(`,"errors":`)
		out.WriteString(strconv.FormatBool(failed))
	}
	out.WriteString("}\n")
	b := out.Bytes()
	// took is only known now; it fits in the zero's place when under 10ms
	// and is otherwise left at 0 rather than copying the whole buffer.
	if ms := time.Since(start).Milliseconds(); ms > 0 && ms < 10 {
		b[8] = byte('0' + ms)
	}
	w.Header().Set("Content-Type", responseContentType(r))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (a *blackholeAction) which() (string, *bulkMeta) {
	switch {
	case a.Index != nil:
		return "index", a.Index
	case a.Create != nil:
		return "create", a.Create
	case a.Update != nil:
		return "update", a.Update
	case a.Delete != nil:
		return "delete", a.Delete
	}
	return "", nil
}

// readLine returns the next line without its newline; err is io.EOF after
// the last line. Lines longer than the reader's buffer are joined in buf.
func readLine(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	l, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		*buf = append((*buf)[:0], l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = br.ReadSlice('\n')
			*buf = append(*buf, l...)
		}
		l = *buf
	}
	if err == nil {
		l = l[:len(l)-1]
	}
	return bytes.TrimRight(l, "\r"), err
}

func appendBlackholeItem(out *bytes.Buffer, f itemFields, i int, action, index, id string, seqNo int64) {
	if i > 0 {
		out.WriteByte(',')
	}
	result, status, version := "created", 201, int64(1)
	if action == "delete" {
		result, status, version = "deleted", 200, 2
	}
	b := out.AvailableBuffer()
	b = append(b, `{"`...)
	b = append(b, action...)
	b = append(b, `":{`...)
	sep := ""
	field := func(name string) bool {
		if !f.has(name) {
			return false
		}
		b = append(b, sep...)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		sep = ","
		return true
	}
	if field("_index") {
		b = appendJSONString(b, index)
	}
	if field("_id") {
		b = appendJSONString(b, id)
	}
	if field("_version") {
		b = strconv.AppendInt(b, version, 10)
	}
	if field("result") {
		b = append(b, '"')
		b = append(b, result...)
		b = append(b, '"')
	}
	if field("_shards") {
		b = append(b, `{"total":2,"successful":1,"failed":0}`...)
	}
	if field("_seq_no") {
		b = strconv.AppendInt(b, seqNo, 10)
	}
	if field("_primary_term") {
		b = append(b, '1')
	}
	if field("status") {
		b = strconv.AppendInt(b, int64(status), 10)
	}
	b = append(b, "}}"...)
	out.Write(b)
}

func appendBlackholeError(out *bytes.Buffer, i int, action, index string, e *esError) {
	if i > 0 {
		out.WriteByte(',')
	}
	item, _ := json.Marshal(map[string]any{action: map[string]any{
		"_index": index, "status": e.Status, "error": e.object(),
	}})
	out.Write(item)
}

// appendJSONString quotes s as JSON, fast for the plain ASCII ids and index
// names that make up nearly all bulk traffic.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
