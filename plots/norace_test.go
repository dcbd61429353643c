//go:build !race

package plots

// testDPI is the PNG resolution of the rendering tests: the real one.
const testDPI = defaultDPI
