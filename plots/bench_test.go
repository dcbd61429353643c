package plots

import "testing"

func BenchmarkRender(b *testing.B) {
	rec := synthRecord(b, synthOpts{gauges: true, seconds: 10, reps: 2, rate: 200})
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Render(rec, dir); err != nil {
			b.Fatal(err)
		}
	}
}
