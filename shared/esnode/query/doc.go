// Package query is the query engine of the in-memory Elasticsearch-API node:
// it parses search request bodies (query DSL, sort, _source filtering) and
// evaluates them against documents, reproducing Elasticsearch 8.x semantics.
package query
