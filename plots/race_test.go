//go:build race

package plots

// testDPI is the PNG resolution of the rendering tests: under the race
// detector a third of the real one, which keeps the package's tests under
// twenty seconds while still drawing every figure.
const testDPI = defaultDPI / 3
