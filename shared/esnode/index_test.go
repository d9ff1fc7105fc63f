package esnode_test

import (
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestRefreshSemantics(t *testing.T) {
	_, c := newNode(t, esnode.Options{RefreshInterval: time.Hour})
	call(t, c, "PUT", "/rt/_doc/1", `{"a":1}`)
	if esnodetest.Source(t, c, "rt", "1") == nil {
		t.Fatal("GET is not realtime")
	}
	if got := esnodetest.Count(t, c, "rt"); got != 0 {
		t.Fatalf("search saw an unrefreshed write: count %d", got)
	}
	if status, _ := call(t, c, "GET", "/rt/_doc/1?realtime=false", ""); status != 404 {
		t.Fatalf("realtime=false GET saw an unrefreshed write: %d", status)
	}
	call(t, c, "POST", "/_refresh", "")
	if got := esnodetest.Count(t, c, "rt"); got != 1 {
		t.Fatalf("count after POST /_refresh = %d", got)
	}
	call(t, c, "PUT", "/rt/_doc/2?refresh=true", `{"a":2}`)
	if got := esnodetest.Count(t, c, "rt"); got != 2 {
		t.Fatalf("count after refresh=true = %d", got)
	}
	call(t, c, "DELETE", "/rt/_doc/1", "")
	if got := esnodetest.Count(t, c, "rt"); got != 2 {
		t.Fatalf("count saw an unrefreshed delete: %d", got)
	}
}

// TestPeriodicRefresh proves the index refresh interval: a wait_for write
// returns once the scheduled refresh made it visible, no sooner than the
// interval allows, and refresh_interval -1 never refreshes on its own.
func TestPeriodicRefresh(t *testing.T) {
	_, c := newNode(t, esnode.Options{RefreshInterval: -1})
	call(t, c, "PUT", "/fast", `{"settings":{"index":{"refresh_interval":"300ms"}}}`)
	call(t, c, "PUT", "/never", `{"settings":{"index":{"refresh_interval":"-1"}}}`)
	call(t, c, "PUT", "/fast/_doc/0?refresh=true", `{"a":0}`)
	start := time.Now()
	status, res := call(t, c, "PUT", "/fast/_doc/1?refresh=wait_for", `{"a":1}`)
	wantStatus(t, "wait_for write", status, 201, res)
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("wait_for took %v with a 300ms interval", waited)
	}
	if got := esnodetest.Count(t, c, "fast"); got != 2 {
		t.Fatalf("after wait_for count = %d, want 2", got)
	}
	call(t, c, "PUT", "/never/_doc/1", `{"a":1}`)
	if got := esnodetest.Count(t, c, "never"); got != 0 {
		t.Fatalf("refresh_interval -1 index refreshed by itself: count %d", got)
	}
	status, res = call(t, c, "PUT", "/fast/_settings", `{"index":{"refresh_interval":"1h"}}`)
	wantStatus(t, "update refresh_interval", status, 200, res)
	call(t, c, "PUT", "/fast/_doc/2", `{"a":2}`)
	if got := esnodetest.Count(t, c, "fast"); got != 2 {
		t.Fatalf("count after raising the interval = %d, want 2", got)
	}
}
