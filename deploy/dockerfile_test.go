package deploy

import (
	"debug/elf"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dockerfile is deploy/Dockerfile's instructions, one a line, comments
// and continuations folded.
func dockerfile(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	cur := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cur += l
		if strings.HasSuffix(cur, "\\") {
			cur = strings.TrimSuffix(cur, "\\") + " "
			continue
		}
		lines = append(lines, cur)
		cur = ""
	}
	return lines
}

// finalStage is the instructions from the last FROM on: the image.
func finalStage(t *testing.T) []string {
	lines := dockerfile(t)
	last := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			last = i
		}
	}
	return lines[last:]
}

// imageUser is the numeric UID the image runs as; 0 when it names none.
func imageUser(t *testing.T) int64 {
	t.Helper()
	var uid int64
	for _, l := range finalStage(t) {
		if u, ok := strings.CutPrefix(l, "USER "); ok {
			n, err := strconv.ParseInt(strings.Split(u, ":")[0], 10, 64)
			if err != nil {
				t.Fatalf("USER %s: want a numeric UID, which runAsNonRoot can check", u)
			}
			uid = n
		}
	}
	return uid
}

// The image: built static, small, non-root, poolload on its PATH, by a Go
// not older than the one go.mod asks for. The image itself is not built
// here (no registry to pull the bases from).
func TestDockerfile(t *testing.T) {
	lines, final := dockerfile(t), finalStage(t)
	from := final[0]
	if !strings.Contains(from, "gcr.io/distroless/static") && from != "FROM scratch" {
		t.Errorf("final stage %q: want distroless/static or scratch", from)
	}
	if uid := imageUser(t); uid == 0 {
		t.Errorf("the image runs as root")
	}
	copied := false
	for _, l := range final {
		copied = copied || strings.HasPrefix(l, "COPY --from=") && strings.HasSuffix(l, " /usr/local/bin/poolload")
	}
	if !copied {
		t.Errorf("the final stage does not put poolload in /usr/local/bin, where the manifests' command finds it")
	}
	static := false
	builder := ""
	for _, l := range lines {
		static = static || strings.HasPrefix(l, "RUN CGO_ENABLED=0 go build ") && strings.HasSuffix(l, " ./cmd/poolload")
		if m := regexp.MustCompile(`^FROM golang:(1\.[0-9]+(\.[0-9]+)?)`).FindStringSubmatch(l); m != nil {
			builder = m[1]
		}
	}
	if !static {
		t.Errorf("no RUN CGO_ENABLED=0 go build … ./cmd/poolload: the final image has no libc")
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if builder == "" || want == nil || !versionAtLeast(builder, string(want[1])) {
		t.Errorf("builder golang:%s: want at least the go %s of go.mod", builder, want[1])
	}
}

// The binary built as the Dockerfile builds it needs no dynamic loader:
// it runs on an image with no libc.
func TestBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(poolload)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s asks for a dynamic loader", poolload)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v", poolload, libs)
	}
}

// versionAtLeast compares dotted Go versions.
func versionAtLeast(have, want string) bool {
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := range w {
		if i >= len(h) {
			return true // golang:1.26 is the newest 1.26.x
		}
		a, _ := strconv.Atoi(h[i])
		b, _ := strconv.Atoi(w[i])
		if a != b {
			return a > b
		}
	}
	return true
}
