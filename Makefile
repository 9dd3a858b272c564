# SVPN — see README.md. Every target installs what it needs through `deps`.

GO        ?= go
BIN       := bin
# Packages that must build without cgo on every OS: all but the Fyne UI.
NOUI_PKGS  = $$($(GO) list ./... | grep -v -e '/ui' -e '/cmd/svpn$$')
# Fyne's bundled colour-emoji font (4 MB, which every window process parsed
# once per text style) is left out of the desktop app: SVPN shows no emoji.
UI_TAGS   ?= no_emoji
FUZZTIME  ?= 10s
# Go minimises each new interesting input for up to 60 s by default, which
# used up whole FUZZTIME budgets (0 execs/s after the first find).
FUZZMINTIME ?= 1s

.PHONY: all deps build run test vet notices notices-check fmt-check tidy-check staticcheck race crossbuild bench fuzz fuzz-list clean screenshots deb-test

all: build

deps:
	@./scripts/deps.sh

# svpnctl is built with cgo: it loads security token (PKCS#11) modules;
# built without, it says token_unsupported (E-250) for pkcs11: certificates.
build: deps
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/svpn-gateway ./cmd/svpnd ./cmd/svpn-wallet ./cmd/svpn-loadtest
	CGO_ENABLED=1 $(GO) build -o $(BIN)/ ./cmd/svpnctl

# The whole product on this machine, for a person: the demo gateway, svpnd
# in userspace mode (no privileges needed) and the desktop app, on loopback,
# with fresh state in a temporary directory. Log in as test05, password
# svpn1234! (changed at the first login), with the demo certificate on the
# simulated USB drive, certificate password demo-cert1!; the portal opens in
# the browser. Quit from the tray (or close the window when the desktop has
# no tray) or press Ctrl-C: everything started here stops.
RUN_API   ?= 127.0.0.1:18443
RUN_WG    ?= 51821
RUN_PROXY ?= 127.0.0.1:1080
run: build
	CGO_ENABLED=1 $(GO) build -tags '$(UI_TAGS)' -o $(BIN)/ ./cmd/svpn
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "make run: no display; run it in a desktop session (or: Xvfb :99 & DISPLAY=:99 make run)" >&2; exit 1; fi
	@dir=$$(mktemp -d /tmp/svpn-demo.XXXXXX); pids=""; \
	trap 'kill $$pids 2>/dev/null; wait $$pids 2>/dev/null; rm -rf "$$dir"' EXIT INT TERM; \
	./$(BIN)/svpn-gateway demo --dir "$$dir" --listen $(RUN_API) --wg-port $(RUN_WG) --heartbeat 5s >"$$dir/gateway.log" 2>&1 & pids="$$pids $$!"; \
	i=0; until [ -f "$$dir/demo.json" ]; do i=$$((i+1)); [ $$i -lt 300 ] || { cat "$$dir/gateway.log"; exit 1; }; sleep 0.1; done; \
	./$(BIN)/svpnd run --userspace --socket "$$dir/svpnd.sock" --profile "$$dir/profile.json" --proxy $(RUN_PROXY) >"$$dir/svpnd.log" 2>&1 & pids="$$pids $$!"; \
	i=0; until ./$(BIN)/svpnctl --socket "$$dir/svpnd.sock" status >/dev/null 2>&1; do i=$$((i+1)); [ $$i -lt 300 ] || { cat "$$dir/svpnd.log"; exit 1; }; sleep 0.1; done; \
	echo "원격근무서비스 demo: log in as test05 / svpn1234!, certificate password demo-cert1! (logs in $$dir)"; \
	echo "  other certificate kinds: test06-test09 in $$dir/demo.json \"users\" (test09: 보안토큰, PIN demo-pin1)"; \
	SOFTHSM2_CONF="$$dir/softhsm/softhsm2.conf" ./$(BIN)/svpn --socket "$$dir/svpnd.sock" --drive "$$dir/usb" --disk "$$dir/home"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# THIRD_PARTY_NOTICES and the .debs' copyright files, from the modules the
# shipped programs link (scripts/notices); notices-check fails when stale.
notices:
	$(GO) run ./scripts/notices

notices-check:
	@$(GO) run ./scripts/notices -check

# go.mod and go.sum say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { echo "go.mod/go.sum not tidy; run go mod tidy:"; $(GO) mod tidy -diff; exit 1; }

# staticcheck, pinned; `go run pkg@version` builds it in a module graph of
# its own, so its requirements never move the product's. The first run
# builds it and analyses every dependency (minutes); later runs are cached.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
staticcheck:
	$(GO) run $(STATICCHECK) ./...

# The packages with goroutines and shared state, under the race detector
# (./ui: its tests apply the windows' posted UI updates on the test
# goroutine, as the app applies them on Fyne's).
RACE_PKGS ?= ./gateway/... ./client/... ./tunnel/... ./streambind ./ui ./ui/tray
race:
	$(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)

crossbuild:
	@for os in linux windows darwin; do \
		echo "build CGO_ENABLED=0 GOOS=$$os (non-UI packages)"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build $(NOUI_PKGS) || exit 1; \
	done

# The full check CI runs (.ci/run): format, vet, tidy go.mod, staticcheck,
# every test (fuzz seed corpora included), the race detector on gateway,
# client, tunnel and the desktop app, and the cgo-free builds for linux,
# windows and darwin.
test: deps fmt-check vet tidy-check notices-check staticcheck
	$(GO) test -count=1 -timeout 15m ./...
	@$(MAKE) --no-print-directory race
	@$(MAKE) --no-print-directory crossbuild
	@$(MAKE) --no-print-directory deb-test

# The client and gateway .debs (with a stand-in for the cgo desktop app, so
# it stays quick): lintian-clean, then installed into a fresh Debian root
# booted with systemd, a login through svpn0, and a purge that leaves
# nothing behind. Root only; about a minute (debootstrap is cached in
# ~/.cache/svpn-dist).
deb-test:
	@if [ "$$(id -u)" -ne 0 ]; then echo "deb-test: needs root (debootstrap, systemd-nspawn); skipped"; exit 0; fi; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	DIST="$$tmp" SVPN_UI=stub ./installer/dist.sh linux >"$$tmp.log" 2>&1 || { cat "$$tmp.log"; exit 1; }; \
	SVPN_DIST_TEST=1 DIST="$$tmp" $(GO) test -count=1 -timeout 10m -run '^(TestDebLintian|TestDebInstallPurge)$$' ./installer

# Benchmarks: certificate scan and key decryption, ciphers, store, gateway
# logins (production argon2id) and WireGuard peers. Results in bench.txt.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./certstore/... ./wgkey | tee bench.txt
	$(GO) test -run '^$$' -bench 'Login$$|Argon2Bound|ClusterLogin' -benchmem -count 1 -benchtime 300x ./gateway | tee -a bench.txt
	$(GO) test -run '^$$' -bench LoginStorm -count 1 -benchtime 1x -timeout 30m ./gateway | tee -a bench.txt
	$(GO) test -run '^$$' -bench SessionMemory -count 3 -benchtime 1x ./gateway | tee -a bench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./gateway/store ./gateway/wgdevice ./gateway/password ./tunnel ./tunnel/firewall ./client/gatewayapi | tee -a bench.txt
	$(GO) test -run '^$$' -bench LoginToFirstPacket -benchtime 30x -count 3 ./e2e | tee -a bench.txt
	$(GO) test -run '^$$' -bench UDPBlocked -benchtime 10x -count 1 ./e2e | tee -a bench.txt
	$(GO) test -run '^$$' -bench MobileApprovalToConnected -benchtime 30x -count 3 ./e2e | tee -a bench.txt
	@$(MAKE) --no-print-directory build
	BIN=$(BIN) ./scripts/bench-iperf.sh | tee -a bench.txt
	BIN=$(BIN) ./scripts/bench-iperf-tcp.sh | tee -a bench.txt
	$(GO) test -run '^$$' -bench DesktopApp -benchtime 1x ./ui/xvfbtest | tee -a bench.txt

# Coverage-guided fuzzing of every parser of outside input, FUZZTIME each:
# every Fuzz function of every package (go list finds the packages whose
# tests define one, go test -list names them), so a new target is never
# forgotten. `make fuzz-list` shows them.
FUZZ_PKGS ?= $$($(GO) list -f '{{.ImportPath}}{{range .TestGoFiles}} {{$$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$$.Dir}}/{{.}}{{end}}' ./... | \
	while read -r p files; do [ -n "$$files" ] && grep -qs '^func Fuzz' $$files && echo "$$p"; done)
fuzz:
	@for p in $(FUZZ_PKGS); do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$p || exit 1; \
		done; \
	done

fuzz-list:
	@for p in $(FUZZ_PKGS); do $(GO) test -list '^Fuzz' $$p | grep ^Fuzz | sed "s|^|$$p |"; done

clean:
	rm -rf $(BIN) dist bench.txt

# PNGs of the desktop app's windows in docs/screenshots: the real app under
# Xvfb, driven with xdotool, against the demo gateway and svpnd (userspace).
screenshots: deps
	SVPN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout 10m -run '^(TestScreenshots|TestTokenScreenshots|TestMobileIDApp)$$' -v ./ui/xvfbtest

# Packages for Linux (.deb), Windows (NSIS installer) and macOS (bundle to
# finish on a Mac) into dist/: slow, outside `make test`. Settings such as
# PROFILE=, WINTUN_DLL=, SIGN_PKCS12= are described in installer/README.md.
# dist-test builds with the test switches and tests the packages (root).
.PHONY: dist dist-test
dist: deps
	@./installer/dist.sh

dist-test: deps
	@./installer/dist-test.sh

# The Windows tests of certstore, client/... and tunnel, built with
# GOOS=windows and run under Wine (wine64, with the test-only
# bcryptprimitives.dll stand-in); a summary per package. Not part of
# `make test`: Wine is not Windows. scripts/winetest lists the tests Wine
# 8.0 cannot support, each with its reason. WINE_TEST_ARGS: e.g. -keep.
.PHONY: wine-test
wine-test: deps
	@./installer/deps.sh windows
	$(GO) run ./scripts/winetest $(WINE_TEST_ARGS)
