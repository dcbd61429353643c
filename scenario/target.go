package scenario

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/network"
)

// Target names the driver and holds its block. Exactly the block named by
// Driver must be present. The drivers, their blocks' types and what they
// can do come from the driver registry: this package names none of them.
type Target struct {
	Driver string
	// Blocks are the driver blocks written (target.<name>), by driver name.
	Blocks map[string]driver.Config
	// Instances is how many copies of this pool share the server (a
	// fleet of replicas, one pool each): the runner opens that many
	// independent pools and stripes the iterations over them, and the
	// diagnostics judge the server's headroom for all of them.
	Instances int
	// Network, if set, puts an emulated link (latency, bandwidth, faults)
	// between poolload's connections and the target.
	Network *network.Conditions
}

// NewTarget is a Target of the named driver with its block.
func NewTarget(name string, block driver.Config) Target {
	return Target{Driver: name, Blocks: map[string]driver.Config{name: block}}
}

// Block is the chosen driver's block, or nil.
func (t *Target) Block() driver.Config { return t.Blocks[t.Driver] }

// registered lists the drivers a scenario may name, in the order messages
// list them. A variable so that a test can add a driver.
var registered = driver.Registered

// lookup returns the registered driver called name.
func lookup(name string) (driver.Registration, bool) {
	for _, r := range registered() {
		if r.Name == name {
			return r, true
		}
	}
	return driver.Registration{}, false
}

// targetShape is Target as a file spells it: driver, one field per
// registered driver holding its block, instances, network. The YAML
// checker, the decoder and the JSON encoder all work on it, so that
// target.mysql reads, fails and prints as if Target had a mysql field.
func targetShape() reflect.Type {
	fields := []reflect.StructField{{Name: "Driver", Type: reflect.TypeFor[string](),
		Tag: `yaml:"driver" json:"driver"`}}
	for i, r := range registered() {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Block%d", i),
			Type: reflect.TypeOf(r.NewConfig()),
			Tag:  reflect.StructTag(fmt.Sprintf(`yaml:"%s" json:"%s,omitempty"`, r.Name, r.Name))})
	}
	fields = append(fields,
		reflect.StructField{Name: "Instances", Type: reflect.TypeFor[int](),
			Tag: `yaml:"instances" json:"instances,omitempty" range:"0..10000"`},
		reflect.StructField{Name: "Network", Type: reflect.TypeFor[*network.Conditions](),
			Tag: `yaml:"network" json:"network,omitempty"`})
	return reflect.StructOf(fields)
}

// shape returns a pointer to t in targetShape. A block of a driver that is
// not registered, or of the wrong type, has no field and is left out.
func (t *Target) shape() reflect.Value {
	p := reflect.New(targetShape())
	v := p.Elem()
	v.Field(0).SetString(t.Driver)
	for i, r := range registered() {
		b := reflect.ValueOf(t.Blocks[r.Name])
		if f := v.Field(1 + i); b.IsValid() && b.Type() == f.Type() {
			f.Set(b)
		}
	}
	v.FieldByName("Instances").SetInt(int64(t.Instances))
	v.FieldByName("Network").Set(reflect.ValueOf(t.Network))
	return p
}

// setShape sets t from p, a pointer to a targetShape value.
func (t *Target) setShape(p reflect.Value) {
	v := p.Elem()
	*t = Target{Driver: v.Field(0).String(),
		Instances: int(v.FieldByName("Instances").Int()),
		Network:   v.FieldByName("Network").Interface().(*network.Conditions)}
	for i, r := range registered() {
		if f := v.Field(1 + i); !f.IsNil() {
			if t.Blocks == nil {
				t.Blocks = map[string]driver.Config{}
			}
			t.Blocks[r.Name] = f.Interface().(driver.Config)
		}
	}
}

// UnmarshalYAML decodes the target block through its shape, with the
// decoder's own options (strict fields, anchors).
func (t *Target) UnmarshalYAML(unmarshal func(any) error) error {
	p := reflect.New(targetShape())
	if err := unmarshal(p.Interface()); err != nil {
		return err
	}
	t.setShape(p)
	return nil
}

// MarshalYAML writes the target as a file spells it.
func (t Target) MarshalYAML() (any, error) { return t.shape().Interface(), nil }

// MarshalJSON writes the target as run.json has it: driver, the blocks
// under their drivers' names, instances, network.
func (t Target) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.shape().Interface())
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Target) UnmarshalJSON(b []byte) error {
	p := reflect.New(targetShape())
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		return fmt.Errorf("reading the scenario's target: %w", err)
	}
	t.setShape(p)
	return nil
}
