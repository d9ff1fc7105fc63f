package esnode_test

// openDifferences are the shapes whose differences are not fixed yet: their
// differences are logged rather than failing the test, and a shape listed
// here that matches fails it, so that the list only shrinks.
var openDifferences = map[string]bool{
	"doc-bad-ids": true, "pgsync-dynamic-index": true,
}
