package esnode_test

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

func TestIndexLifecycle(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	body := `{"settings":{"number_of_shards":1,"index":{"refresh_interval":"5s"}},"mappings":{"dynamic":"strict","properties":{"t":{"type":"keyword"}}}}`
	status, res := read(t)(c.Indices.Create("life", c.Indices.Create.WithBody(strings.NewReader(body)), c.Indices.Create.WithContext(t.Context())))
	if status != 200 || res["acknowledged"] != true || res["index"] != "life" {
		t.Fatalf("create = %d %v", status, res)
	}
	status, res = read(t)(c.Indices.Create("life", c.Indices.Create.WithContext(t.Context())))
	if status != 400 || errType(res) != "resource_already_exists_exception" {
		t.Fatalf("create again = %d %v", status, res)
	}
	status, _ = read(t)(c.Indices.Exists([]string{"life"}, c.Indices.Exists.WithContext(t.Context())))
	wantStatus(t, "exists", status, 200, nil)
	_, res = read(t)(c.Indices.Get([]string{"life"}, c.Indices.Get.WithContext(t.Context())))
	if get(res, "life.settings.index.refresh_interval") != "5s" || get(res, "life.mappings.dynamic") != "strict" ||
		get(res, "life.settings.index.number_of_shards") != "1" {
		t.Fatalf("get index = %v", res)
	}
	status, res = call(t, c, "PUT", "/life/_doc/1", `{"t":"x","other":1}`)
	if status != 400 || errType(res) != "strict_dynamic_mapping_exception" {
		t.Fatalf("strict mapping write = %d %v", status, res)
	}
	status, res = read(t)(c.Indices.Delete([]string{"life"}, c.Indices.Delete.WithContext(t.Context())))
	if status != 200 || res["acknowledged"] != true {
		t.Fatalf("delete = %d %v", status, res)
	}
	status, _ = read(t)(c.Indices.Exists([]string{"life"}, c.Indices.Exists.WithContext(t.Context())))
	wantStatus(t, "exists after delete", status, 404, nil)
	status, res = read(t)(c.Indices.Delete([]string{"life"}, c.Indices.Delete.WithContext(t.Context())))
	if status != 404 || errType(res) != "index_not_found_exception" {
		t.Fatalf("delete missing = %d %v", status, res)
	}
}

func TestInvalidIndexNames(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	for _, name := range []string{"Upper", "a b", "a%2Fb", "a*b", "a%3Fb", "a%22b", "a<b", "a>b", "a%7Cb", "a%2Cb", "a%23b", "a:b", "_a", "-a", "%2Ba", strings.Repeat("x", 256)} {
		t.Run(name[:min(len(name), 10)], func(t *testing.T) {
			status, res := call(t, c, "PUT", "/"+strings.ReplaceAll(name, " ", "%20"), "")
			if status != 400 || errType(res) != "invalid_index_name_exception" {
				t.Fatalf("PUT /%s = %d %v", name, status, res)
			}
		})
	}
}

func TestDynamicMapping(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	call(t, c, "PUT", "/dm/_doc/1", `{"count":3,"ratio":0.5,"ok":true,"name":"x","at":"2024-05-01T10:00:00Z","day":"2024/05/01","obj":{"inner":"y"},"nums":"12","dotted.key":1}`)
	_, res := read(t)(c.Indices.GetMapping(c.Indices.GetMapping.WithIndex("dm"), c.Indices.GetMapping.WithContext(t.Context())))
	props := get(res, "dm.mappings.properties").(obj)
	want := map[string]string{
		"count": "long", "ratio": "float", "ok": "boolean", "name": "text", "at": "date", "day": "date",
		"nums": "text", "obj.properties.inner": "text", "dotted.properties.key": "long",
	}
	for path, typ := range want {
		if got := get(props, path+".type"); got != typ {
			t.Errorf("%s: type %v, want %s (mapping %v)", path, got, typ, props)
		}
	}
	if get(props, "name.fields.keyword.type") != "keyword" || get(props, "name.fields.keyword.ignore_above") != float64(256) {
		t.Errorf("text field lacks the keyword sub-field: %v", props["name"])
	}
	// Numeric strings are coerced into a long field; words are not.
	if status, res := call(t, c, "PUT", "/dm/_doc/2", `{"count":"42"}`); status != 201 {
		t.Fatalf("numeric string into long = %d %v", status, res)
	}
	if status, res := call(t, c, "PUT", "/dm/_doc/3", `{"count":"lots"}`); status != 400 || errType(res) != "document_parsing_exception" {
		t.Fatalf("word into long = %d %v", status, res)
	}
	if status, res := call(t, c, "PUT", "/dm/_doc/4", `{"obj":"flat"}`); status != 400 || errType(res) != "document_parsing_exception" {
		t.Fatalf("value into object = %d %v", status, res)
	}
	if status, res := call(t, c, "PUT", "/dm/_doc/5", `{"name":{"deep":1}}`); status != 400 || errType(res) != "document_parsing_exception" {
		t.Fatalf("object into text = %d %v", status, res)
	}
}

func TestCatIndicesAndSettings(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	call(t, c, "PUT", "/cat1", `{"settings":{"number_of_replicas":0}}`)
	call(t, c, "POST", "/_bulk", ndjson(`{"index":{"_index":"cat1","_id":"1"}}`, `{"a":1}`, `{"index":{"_index":"cat1","_id":"2"}}`, `{"a":2}`))
	rows := func() []any {
		res, err := c.Cat.Indices(c.Cat.Indices.WithFormat("json"), c.Cat.Indices.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []any
		if err := decodeJSON(res.Body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	r := rows()
	if len(r) != 1 || r[0].(obj)["docs.count"] != "0" || get(r[0], "health") != "green" || get(r[0], "index") != "cat1" {
		t.Fatalf("_cat/indices before refresh = %v", r)
	}
	esnodetest.Refresh(t, c, "cat1")
	if r = rows(); r[0].(obj)["docs.count"] != "2" || get(r[0], "pri") != "1" || get(r[0], "rep") != "0" {
		t.Fatalf("_cat/indices after refresh = %v", r)
	}
	_, res := read(t)(c.Indices.GetSettings(c.Indices.GetSettings.WithIndex("cat1"), c.Indices.GetSettings.WithContext(t.Context())))
	if get(res, "cat1.settings.index.number_of_replicas") != "0" {
		t.Fatalf("settings = %v", res)
	}
}
