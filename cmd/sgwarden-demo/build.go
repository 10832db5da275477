package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sgwarden/sgwarden/internal/lambdarie"
)

// pkgRemediate is the real function the demo runs.
const pkgRemediate = "./functions/remediate"

// binaries are the demo's executables.
type binaries struct {
	bootstrap string
	rie       string
}

// buildBinaries builds the remediate bootstrap for the host (as Lambda
// builds it: CGO_ENABLED=0, -tags lambda.norpc, -trimpath) and the RIE into
// dir, both at once. The Go build cache makes every run after the first
// one quick.
func buildBinaries(ctx context.Context, root, dir string, progress func(time.Duration)) (binaries, error) {
	b := binaries{
		bootstrap: filepath.Join(dir, "remediate", "bootstrap"),
		rie:       filepath.Join(dir, "aws-lambda-rie"),
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = lambdarie.BuildBootstrap(ctx, root, b.bootstrap, pkgRemediate)
	}()
	go func() {
		defer wg.Done()
		errs[1] = lambdarie.BuildRIE(ctx, root, b.rie)
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	waitWithProgress(done, progress, progressEvery)
	return b, errors.Join(errs...)
}

// progressEvery is how often a build that is still running says so.
const progressEvery = 10 * time.Second

// waitWithProgress waits for done, calling progress with the time elapsed
// every interval, so that a long first build is never silent.
func waitWithProgress(done <-chan struct{}, progress func(time.Duration), every time.Duration) {
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			progress(time.Since(start))
		}
	}
}

// moduleRoot finds the directory holding go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the sgwarden module: run make demo from the repository")
		}
		dir = parent
	}
}
