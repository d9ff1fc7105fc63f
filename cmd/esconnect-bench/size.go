package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// sizeResult is the deployed kafka-es-sink binary and what it links.
type sizeResult struct {
	Bytes int64
	// PGX lists the PostgreSQL driver's packages kafka-es-sink depends on.
	PGX []string
}

// sinkSize builds kafka-es-sink as `make build` does (linux/arm64,
// stripped) and lists its dependencies on pgx.
func sinkSize(ctx context.Context, dir string) (sizeResult, error) {
	out := filepath.Join(dir, "arm64", "bootstrap")
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if err := goBuild(ctx, env, out, "./functions/kafka-es-sink", functionFlags...); err != nil {
		return sizeResult{}, err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return sizeResult{}, err
	}
	res := sizeResult{Bytes: fi.Size()}
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "./functions/kafka-es-sink")
	cmd.Env = env
	deps, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("go list -deps ./functions/kafka-es-sink: %w", err)
	}
	for _, p := range strings.Fields(string(deps)) {
		if strings.HasPrefix(p, "github.com/jackc/") {
			res.PGX = append(res.PGX, p)
		}
	}
	return res, nil
}
