//go:build race

package main

// raceEnabled says the tests run with the race detector: the end-to-end
// binary is built with it too (and reuses the compiled packages).
const raceEnabled = true
