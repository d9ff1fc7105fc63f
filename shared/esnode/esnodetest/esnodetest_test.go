package esnodetest

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestHelpersSeeWrites(t *testing.T) {
	s := Start(t, esnode.Options{RefreshInterval: -1})
	c := Client(t, s)
	res, err := c.Bulk(strings.NewReader(
		`{"index":{"_index":"h","_id":"1"}}`+"\n"+`{"n":1}`+"\n"+
			`{"index":{"_index":"h","_id":"2"}}`+"\n"+`{"n":2}`+"\n"), c.Bulk.WithContext(t.Context()))
	decode(t, "bulk", res, err, nil)
	if got := Source(t, c, "h", "2"); got["n"] != float64(2) {
		t.Fatalf("Source = %v, want n=2", got)
	}
	if got := Source(t, c, "h", "nope"); got != nil {
		t.Fatalf("Source of a missing doc = %v, want nil", got)
	}
	if got := Count(t, c, "h"); got != 0 {
		t.Fatalf("Count before refresh = %d, want 0 (refresh_interval -1)", got)
	}
	Refresh(t, c, "h")
	if got := Count(t, c, "h"); got != 2 {
		t.Fatalf("Count after refresh = %d, want 2", got)
	}
	hits := SearchAll(t, c, "h")
	if len(hits) != 2 || hits[0].ID != "1" || hits[1].ID != "2" || hits[1].Source["n"] != float64(2) {
		t.Fatalf("SearchAll = %+v", hits)
	}
}
