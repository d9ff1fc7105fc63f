package esnode

import (
	"encoding/json"
	"fmt"
)

// validateBulk makes the checks Elasticsearch makes on a whole bulk request
// before it runs any item: a problem with any action fails the request
// (400), and nothing is written. Per-item failures (mapping, versions,
// index names, an empty _id on index or create) come later, as items.
func validateBulk(items []bulkItem, d bulkDefaults) *esError {
	var msgs []string
	for i := range items {
		it := &items[i]
		m := &it.meta
		op := &writeOp{action: it.action, ifSeqNo: m.IfSeqNo, ifPrimaryTerm: m.IfPrimaryTerm,
			version: m.Version, versionType: m.VersionType}
		// Refused while the action line is parsed, before validation.
		if e := versionTypeError(op); e != nil {
			return e
		}
		if it.action == "update" && (m.Version != nil || m.VersionType != "") {
			return errIllegalArgument("Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead")
		}
		if m.Index == "" && d.index == "" {
			msgs = append(msgs, "index is missing")
		}
		switch it.action {
		case "update", "delete":
			if m.ID == nil || *m.ID == "" {
				msgs = append(msgs, "id is missing")
			}
		default:
			if m.ID != nil && len(*m.ID) > maxIDBytes {
				msgs = append(msgs, fmt.Sprintf("id [%s] is too long, must be no longer than %d bytes but was: %d", *m.ID, maxIDBytes, len(*m.ID)))
			}
		}
		msgs = append(msgs, opProblems(op)...)
		if it.action == "update" && updateWithoutDoc(it.source) {
			msgs = append(msgs, "script or doc is missing")
		}
	}
	if len(msgs) > 0 {
		return validationFailed(msgs)
	}
	return nil
}

// updateWithoutDoc reports an update body with neither doc nor script (an
// upsert alone is not enough); a body that is not JSON is left to the item
// to report.
func updateWithoutDoc(src []byte) bool {
	var ub updateBody
	if err := json.Unmarshal(src, &ub); err != nil {
		return false
	}
	return isEmptyJSON(ub.Doc) && isEmptyJSON(ub.Script)
}
