# Redoubt — see README.md. Every target builds or installs what it needs.
GO        ?= go
BIN       := bin/redoubt-server
# Below a few seconds, Go's fuzzer can fail with "context deadline exceeded".
FUZZTIME  ?= 15s
PKGS      := ./...

.PHONY: build run test test-short fuzz bench bench-vs-redis bench-memory lint conformance clean

build:
	$(GO) build -o $(BIN) ./cmd/redoubt-server

# Start on the embedded default configuration (127.0.0.1 and ::1, port 6379).
run: build
	./$(BIN)

# Every test, with the race detector. Conformance tests compare against a
# real redis-server when one is installed (CI requires it: REDOUBT_REQUIRE_REDIS=1).
# Then every conformance script again over TLS and over the Unix socket, on
# both servers (the recordings are the TCP ones).
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	$(GO) test -count=1 -timeout 10m -run '^(TestRedis|TestRedoubt)$$' ./conformance -tls
	$(GO) test -count=1 -timeout 10m -run '^(TestRedis|TestRedoubt)$$' ./conformance -unix

test-short:
	$(GO) test -short -count=1 $(PKGS)

conformance:
	$(GO) test -count=1 -v ./conformance/

# Run each fuzz target for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/ ./store/

# Side by side with a real redis-server (redis-benchmark required).
bench-vs-redis: build
	$(GO) run ./bench/vsredis -redoubt $(BIN)

# Memory for big values and replies, and how soon it is given back, side by
# side with a real redis-server (about 3 minutes, up to 1 GB per server).
bench-memory: build
	$(GO) run ./bench/bigmem -redoubt $(BIN)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin
