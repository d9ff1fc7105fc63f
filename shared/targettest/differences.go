package targettest

// Where the servers genuinely differ in what they answer, the tests ask the
// engine rather than spelling the difference out in each test.

// MappingErrorType is the bulk item error type of a document that does not
// fit the index's mapping (a string into a long field, a value where an
// object is mapped): Elasticsearch 8 (and the esnode, which follows it)
// says document_parsing_exception; Elasticsearch 7 and OpenSearch 1, 2 and
// 3 (1.3.20, 2.19.6, 3.6.0 checked) say mapper_parsing_exception.
func (e *Engine) MappingErrorType() string {
	if e.Distribution == OpenSearch || e.Major() < 8 {
		return "mapper_parsing_exception"
	}
	return "document_parsing_exception"
}
