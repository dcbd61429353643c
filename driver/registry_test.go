package driver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoDriverImportsAnother keeps the drivers independent: no package
// under driver/ depends on a driver package other than its own (code two
// drivers share lives in a package that is not a driver, such as
// mysqlserver). A driver package is one that has a Register function.
func TestNoDriverImportsAnother(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs, drivers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		pkgs = append(pkgs, f[0])
		for _, name := range strings.Fields(f[2]) {
			src, err := os.ReadFile(filepath.Join(f[1], name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(src), "\nfunc Register() {") {
				drivers = append(drivers, f[0])
				break
			}
		}
	}
	if len(drivers) < 3 {
		t.Fatalf("found the drivers %v: want noop, mysql and http at least", drivers)
	}
	for _, p := range pkgs {
		deps, err := exec.Command("go", "list", "-deps", p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		for _, dep := range strings.Fields(string(deps)) {
			for _, d := range drivers {
				own := p == d || strings.HasPrefix(p, d+"/")
				if dep == d && !own {
					t.Errorf("%s imports the driver %s: move what both need to a shared package", p, d)
				}
			}
		}
	}
}

func TestRegister(t *testing.T) {
	saved := registry.regs
	defer func() { registry.regs = saved }()
	registry.regs = nil
	start := func(context.Context, Config) (Target, error) { return nil, nil }
	newConfig := func() Config { return nil }
	Register(Registration{Name: "b", NewConfig: newConfig, Start: start, Caps: Caps{Prewarm: true}})
	Register(Registration{Name: "a", NewConfig: newConfig, Start: start})
	var names []string
	for _, r := range Registered() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "b,a" {
		t.Errorf("Registered = %v, want registration order b, a", names)
	}
	if r, ok := Lookup("b"); !ok || !r.Caps.Prewarm {
		t.Errorf("Lookup(b) = %+v, %v", r, ok)
	}
	if _, ok := Lookup("c"); ok {
		t.Error("Lookup found an unregistered driver")
	}
	for name, r := range map[string]Registration{
		"duplicate":  {Name: "a", NewConfig: newConfig, Start: start},
		"no name":    {NewConfig: newConfig, Start: start},
		"no start":   {Name: "d", NewConfig: newConfig},
		"no decoder": {Name: "e", Start: start},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			Register(r)
		}()
	}
}
