package server

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// What INFO reports about the host and the process, read from Linux.

// osName is INFO's os: kernel name, release and machine, as uname -srm.
func osName() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "Linux"
	}
	return utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
}

// utsString converts a NUL-terminated uname field, whose element type
// differs between architectures.
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, ch := range f {
		if ch == 0 {
			break
		}
		b = append(b, byte(ch))
	}
	return string(b)
}

// multiplexingAPI is the poller under Go's network runtime.
const multiplexingAPI = "epoll"

// totalSystemMemory returns the machine's memory in bytes, 0 if unknown.
func totalSystemMemory() uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// processRSS returns the process's resident set size in bytes from
// /proc/self/statm, 0 if unavailable.
func processRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// cpuTimes returns the system and user CPU time of the process and of its
// terminated children.
func cpuTimes() (sys, user, childSys, childUser time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		sys, user = time.Duration(ru.Stime.Nano()), time.Duration(ru.Utime.Nano())
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		childSys, childUser = time.Duration(ru.Stime.Nano()), time.Duration(ru.Utime.Nano())
	}
	return
}
