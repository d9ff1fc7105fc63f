package main

import (
	"context"
	"io"

	"github.com/esconnect/esconnect/shared/demo"
)

func init() {
	register("demo", "run the whole pipeline on the embedded dev stack and exit (make demo)", runDemo)
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := demo.Command(ctx, "esconnect demo", args, stdout, stderr)
	if code := demo.ExitCode(err); code > 1 {
		return &exitCodeError{code, err}
	}
	return err
}
