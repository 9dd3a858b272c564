# SVPN — see README.md. Every target installs what it needs through `deps`.

GO        ?= go
BIN       := bin
# Packages that must build without cgo on every OS: all but the Fyne UI.
NOUI_PKGS  = $$($(GO) list ./... | grep -v -e '/ui' -e '/cmd/svpn$$')
FUZZTIME  ?= 10s

.PHONY: all deps build run test vet fmt-check crossbuild bench fuzz clean

all: build

deps:
	@./scripts/deps.sh

build: deps
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/svpnctl ./cmd/svpn-gateway ./cmd/svpnd

# Until the gateway and the desktop app exist, `run` lists the certificates
# the picker will show, from this OS's standard locations.
run: build
	./$(BIN)/svpnctl certs list

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

crossbuild:
	@for os in linux windows darwin; do \
		echo "build CGO_ENABLED=0 GOOS=$$os (non-UI packages)"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build $(NOUI_PKGS) || exit 1; \
	done

# The full check CI runs (.ci/run): format, vet, every test (fuzz seed
# corpora included), and the cgo-free builds for linux, windows and darwin.
test: deps fmt-check vet
	$(GO) test -count=1 -timeout 15m ./...
	@$(MAKE) --no-print-directory crossbuild

# Benchmarks: certificate scan and key decryption, ciphers, store, gateway
# logins (production argon2id) and WireGuard peers. Results in bench.txt.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./certstore/... ./wgkey | tee bench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -benchtime 300x ./gateway | tee -a bench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./gateway/store ./gateway/wgdevice ./gateway/password ./tunnel | tee -a bench.txt
	$(GO) test -run '^$$' -bench LoginToFirstPacket -benchtime 30x -count 3 ./e2e | tee -a bench.txt
	@$(MAKE) --no-print-directory build
	BIN=$(BIN) ./scripts/bench-iperf.sh | tee -a bench.txt

# Coverage-guided fuzzing of every parser of outside input, FUZZTIME each.
FUZZ_PKGS ?= ./certstore ./gateway ./gateway/password ./gateway/wgdevice ./wgkey
fuzz:
	@for p in $(FUZZ_PKGS); do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN) dist bench.txt
