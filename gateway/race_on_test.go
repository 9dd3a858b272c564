//go:build race

package gateway

// raceDetector: this test binary runs under the race detector, which slows
// every instruction several times over.
const raceDetector = true
