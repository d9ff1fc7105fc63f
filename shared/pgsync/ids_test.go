package pgsync

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// idCases are primary key values and the id text Elastic's connector gives
// them: Python's str() of the value asyncpg decodes. The expected texts were
// checked against CPython 3.11 (str of datetime, date, time, timedelta,
// Decimal, float, bytes) and asyncpg's codecs.
var idCases = []struct {
	name, typ, value, want string
}{
	{"int", "integer", "42", "42"},
	{"negative int", "integer", "-7", "-7"},
	{"bigint", "bigint", "9223372036854775807", "9223372036854775807"},
	{"smallint", "smallint", "-32768", "-32768"},
	{"true", "boolean", "true", "True"},
	{"false", "boolean", "false", "False"},
	{"numeric scale kept", "numeric(12,2)", "1.5", "1.50"},
	{"numeric small", "numeric", "0.0000001", "1E-7"},
	{"numeric six places", "numeric", "-0.000001", "-0.000001"},
	{"numeric zero scale 2", "numeric(5,2)", "0", "0.00"},
	{"numeric zero scale 10", "numeric(20,10)", "0", "0E-10"},
	{"numeric big", "numeric", "123456789012345678901234567890.5", "123456789012345678901234567890.5"},
	{"numeric from exponent", "numeric", "1e5", "100000"},
	{"numeric trailing zeros", "numeric", "12.3400", "12.3400"},
	{"numeric nan", "numeric", "'NaN'", "NaN"},
	{"float8 small", "double precision", "0.00001", "1e-05"},
	{"float8 1e-4", "double precision", "0.0001", "0.0001"},
	{"float8 big", "double precision", "1e16", "1e+16"},
	{"float8 1e15", "double precision", "1e15", "1000000000000000.0"},
	{"float8 whole", "double precision", "2", "2.0"},
	{"float8 tenth", "double precision", "0.1", "0.1"},
	{"float8 huge", "double precision", "1.5e300", "1.5e+300"},
	{"float8 negative zero", "double precision", "'-0'", "-0.0"},
	{"float8 nan", "double precision", "'NaN'", "nan"},
	{"float8 infinity", "double precision", "'Infinity'", "inf"},
	{"float4 widened", "real", "1.1", "1.100000023841858"},
	{"float4 exact", "real", "0.5", "0.5"},
	{"timestamptz fraction", "timestamptz", "'2024-01-02 03:04:05.25+00'", "2024-01-02 03:04:05.250000+00:00"},
	{"timestamptz in UTC", "timestamptz", "'2024-01-02 05:04:05+02'", "2024-01-02 03:04:05+00:00"},
	{"timestamptz microsecond", "timestamptz", "'2024-01-02 03:04:05.000001+00'", "2024-01-02 03:04:05.000001+00:00"},
	{"timestamptz infinity", "timestamptz", "'infinity'", "9999-12-31 23:59:59.999999"},
	{"timestamptz -infinity", "timestamptz", "'-infinity'", "0001-01-01 00:00:00"},
	{"timestamptz BC", "timestamptz", "'0044-03-15 12:00:00+00 BC'", "0044-03-15 12:00:00+00 BC"},
	{"timestamptz year 10000", "timestamptz", "'10000-01-01 00:00:00+00'", "10000-01-01 00:00:00+00"},
	{"timestamp fraction", "timestamp", "'2024-01-02 03:04:05.25'", "2024-01-02 03:04:05.250000"},
	{"timestamp whole", "timestamp", "'2024-01-02 03:04:05'", "2024-01-02 03:04:05"},
	{"timestamp year 1", "timestamp", "'0001-01-01 00:00:00.000001'", "0001-01-01 00:00:00.000001"},
	{"date", "date", "'2024-01-02'", "2024-01-02"},
	{"date infinity", "date", "'infinity'", "9999-12-31"},
	{"date -infinity", "date", "'-infinity'", "0001-01-01"},
	{"date BC", "date", "'4713-01-01 BC'", "4713-01-01 BC"},
	{"time", "time", "'13:14:15'", "13:14:15"},
	{"time fraction", "time", "'13:14:15.5'", "13:14:15.500000"},
	{"time 24:00", "time", "'24:00:00'", "24:00:00"},
	{"timetz", "timetz", "'13:14:15+05:30'", "13:14:15+05:30"},
	{"timetz west", "timetz", "'13:14:15.25-08'", "13:14:15.250000-08:00"},
	{"timetz UTC", "timetz", "'13:14:15+00'", "13:14:15+00:00"},
	{"interval", "interval", "'1 year 2 mons 3 days 04:05:06'", "428 days, 4:05:06"},
	{"interval negative hour", "interval", "'-1 hour'", "-1 day, 23:00:00"},
	{"interval one day", "interval", "'1 day'", "1 day, 0:00:00"},
	{"interval zero", "interval", "'0'", "0:00:00"},
	{"interval fraction", "interval", "'1.5 seconds'", "0:00:01.500000"},
	{"interval negative year", "interval", "'-1 year'", "-365 days, 0:00:00"},
	{"interval month minus day", "interval", "'1 mon -1 day'", "29 days, 0:00:00"},
	{"interval microsecond", "interval", "'-0.000001 seconds'", "-1 day, 23:59:59.999999"},
	{"bytea", "bytea", `'\x00ff10'`, `b'\x00\xff\x10'`},
	{"bytea quote", "bytea", "'it''s'", `b"it's"`},
	{"bytea backslash", "bytea", `'\x615c62'`, `b'a\\b'`},
	{"bytea controls", "bytea", `'\x090a0d202278'`, `b'\t\n\r "x'`},
	{"bytea both quotes", "bytea", `'\x27220a'`, `b'\'"\n'`},
	{"uuid lower case", "uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"text", "text", "'hello world_x'", "hello world_x"},
	{"char padded", "char(4)", "'ab'", "ab  "},
	{"inet", "inet", "'192.168.0.1/24'", "192.168.0.1/24"},
	{"domain over boolean", "flag", "true", "True"},
	{"enum", "mood", "'sad'", "sad"},
}

// TestIDsAsElasticFormatsThem syncs one table per key type from real
// PostgreSQL rows and compares each document id with the text Elastic's
// connector would give the row.
func TestIDsAsElasticFormatsThem(t *testing.T) {
	var setup strings.Builder
	setup.WriteString("CREATE DOMAIN flag AS boolean;\nCREATE TYPE mood AS ENUM ('happy', 'sad');\n")
	for i, c := range idCases {
		fmt.Fprintf(&setup, "CREATE TABLE k%d (k %s PRIMARY KEY, v int);\nINSERT INTO k%d VALUES (%s, 1);\n", i, c.typ, i, c.value)
	}
	conn := pgConnect(t)
	schema := testSchema(t, conn, setup.String())
	docs, _ := collect(t, testConfig(schema))
	for i, c := range idCases {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf("test_%s_k%d_%s", schema, i, c.want)
			if _, ok := docs[want]; !ok {
				var got []string
				prefix := fmt.Sprintf("test_%s_k%d_", schema, i)
				for id := range docs {
					if strings.HasPrefix(id, prefix) {
						got = append(got, strings.TrimPrefix(id, prefix))
					}
				}
				t.Fatalf("%s %s: key text %q, want %q", c.typ, c.value, got, c.want)
			}
		})
	}
}

// TestIDsCompositeAndRuleKeys checks keys of several columns (joined by _,
// each formatted by its type) and an advanced rule's id_columns with a
// NULL, which is left out as Elastic's connector leaves out None.
func TestIDsCompositeAndRuleKeys(t *testing.T) {
	conn := pgConnect(t)
	schema := testSchema(t, conn, `
CREATE TABLE ev (at timestamptz, ok boolean, amount numeric(6,3), PRIMARY KEY (at, ok, amount));
INSERT INTO ev VALUES ('2024-01-02 03:04:05.5+00', false, 2);
CREATE TABLE opt (id int PRIMARY KEY, tag text);
INSERT INTO opt VALUES (1, NULL), (2, 'x');`)
	docs, _ := collect(t, testConfig(schema))
	want := "test_" + schema + "_ev_2024-01-02 03:04:05.500000+00:00_False_2.000"
	if _, ok := docs[want]; !ok {
		t.Errorf("composite key: no document %q among %v", want, sortedIDs(docs))
	}

	cfg := testConfig(schema)
	cfg.Queries = []SyncQuery{{Tables: []string{"opt"}, Query: "SELECT id, tag FROM opt", IDColumns: []string{"tag", "id"}}}
	docs, _ = collect(t, cfg)
	for _, id := range []string{"test_" + schema + "_opt_1", "test_" + schema + "_opt_x_2"} {
		if _, ok := docs[id]; !ok {
			t.Errorf("rule ids: no document %q among %v", id, sortedIDs(docs))
		}
	}
}

// TestIDsOverLimitHashedAsElastic checks that an id over Elasticsearch's
// 512-byte limit becomes the hex MD5 of the whole id, as Elastic's
// connector framework hashes it, and that one at the limit is kept.
func TestIDsOverLimitHashedAsElastic(t *testing.T) {
	conn := pgConnect(t)
	schema := testSchema(t, conn, "CREATE TABLE l (k text PRIMARY KEY);")
	prefix := "test_" + schema + "_l_"
	fits := strings.Repeat("a", maxIDBytes-len(prefix))
	long := strings.Repeat("é", 300)
	pgExec(t, conn, "INSERT INTO l VALUES ('"+fits+"'), ('"+long+"')")
	docs, _ := collect(t, testConfig(schema))
	for _, id := range []string{prefix + fits, md5Hex(prefix + long)} {
		if _, ok := docs[id]; !ok {
			t.Errorf("no document %q among %v", id, sortedIDs(docs))
		}
	}
}

// md5Hex is Python's hashlib.md5(id.encode("utf8")).hexdigest().
func md5Hex(id string) string {
	sum := md5.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

func sortedIDs(docs map[string]string) []string {
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
