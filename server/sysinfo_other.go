//go:build !linux

package server

import (
	"runtime"
	"time"
)

// What INFO reports about the host and the process where Linux's sources are
// missing: the figures Go gives portably, zero otherwise.

func osName() string { return runtime.GOOS + " " + runtime.GOARCH }

const multiplexingAPI = "go-netpoll"

func totalSystemMemory() uint64 { return 0 }

func processRSS() uint64 { return 0 }

func cpuTimes() (sys, user, childSys, childUser time.Duration) { return }
