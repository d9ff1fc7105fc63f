package query

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	err := fmt.Errorf("search idx: %w", parsingErr("unknown query [%s]", "xyz"))
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatal("wrapped *Error not found by errors.As")
	}
	if qe.Status != 400 || qe.Type != TypeParsing || qe.Reason != "unknown query [xyz]" {
		t.Errorf("error = %+v", qe)
	}
	if got := qe.Error(); got != "parsing_exception: unknown query [xyz]" {
		t.Errorf("Error() = %q", got)
	}
}
