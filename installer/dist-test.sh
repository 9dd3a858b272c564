#!/bin/bash
# `make dist-test`: builds dist/ with the test switches, then tests the
# packages (root, a few minutes): installer/dist_test.go with
# SVPN_DIST_TEST=1. The test switches, unless set otherwise:
#   WINTUN_DLL=placeholder  so that the NSIS installer is built and run under Wine
#   SVPN_UI=stub            only while cmd/svpn does not exist, so that the
#                           .desktop entry, autostart and shortcuts are tested
set -euo pipefail
cd "$(dirname "$0")/.."
export WINTUN_DLL=${WINTUN_DLL:-placeholder}
if [ -z "${SVPN_UI:-}" ]; then
	if [ -f cmd/svpn/main.go ]; then SVPN_UI=auto; else SVPN_UI=stub; fi
fi
export SVPN_UI
start=$(date +%s)
./installer/dist.sh
built=$(date +%s)
SVPN_DIST_TEST=1 DIST=${DIST:-$PWD/dist} ${GO:-go} test -count=1 -v -timeout 30m ./installer/ 2>&1 | tee "${DIST:-dist}/dist-test.log"
echo "dist-test: build $((built - start))s, tests $(($(date +%s) - built))s"
