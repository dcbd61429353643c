package scenario

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/poolload/poolload/units"
)

// maxFileSize bounds what Parse reads: a scenario is a page of YAML, and a
// huge file is a mistake (the wrong path) rather than a scenario.
const maxFileSize = 256 << 10

// Load reads, interpolates, decodes, defaults and validates the scenario in
// path. Environment variables come from the process. Any problem in the
// file comes back as *Errors.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse turns the text of a scenario file into a Scenario. file is used in
// messages and for the default name; lookupEnv resolves ${VAR} (nil means
// os.LookupEnv). Either a valid Scenario or an *Errors comes back.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (s *Scenario, err error) {
	errs := &errorList{file: file}
	// goccy can panic on odd input; a bad file must not crash the CLI.
	defer func() {
		if r := recover(); r != nil {
			errs.list = nil
			errs.add(pos{1, 1}, "", fmt.Sprintf("cannot read this file as YAML (parser failure: %v)", r))
			s, err = nil, errs.err()
		}
	}()
	if len(data) > maxFileSize {
		errs.add(pos{1, 1}, "", fmt.Sprintf("file is larger than %d KiB: is this a scenario?", maxFileSize>>10))
		return nil, errs.err()
	}
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	text, envErrs := interpolate(data, lookupEnv)
	idx, ok := decodeChecks(text, len(envErrs) == 0, errs)
	if len(envErrs) > 0 {
		// The values are wrong anyway: report where each variable is
		// used, named by the field it lands in when the YAML allows.
		for _, e := range envErrs {
			errs.add(e.at, idx.fieldAt(e.at), e.msg)
		}
		return nil, errs.err()
	}
	if !ok {
		return nil, errs.err()
	}
	s = new(Scenario)
	if err := yaml.UnmarshalWithOptions(text, s, yaml.Strict()); err != nil {
		errs.addYAML(err, idx) // a problem the checks above did not foresee
		return nil, errs.err()
	}
	s.File = file
	s.applyDefaults(file, idx.written)
	for _, fe := range s.Validate() {
		if fe.Field == "name" && !idx.written("name") {
			fe.Msg += " (taken from the file name: write name: to choose one)"
		}
		errs.add(idx.posOf(fe.Field), fe.Field, fe.Msg)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeChecks parses text and checks it against the Scenario types,
// reporting every misplaced, unknown or mistyped value at once (goccy stops
// at the first, and gives no position for a bad duration). report=false
// only builds the index: the text still holds unset ${VAR}s.
func decodeChecks(text []byte, report bool, errs *errorList) (*index, bool) {
	f, err := parser.ParseBytes(text, 0)
	if err != nil {
		if report {
			errs.addYAML(err, nil)
		}
		return nil, false
	}
	c := &checker{idx: newIndex(), errs: &errorList{file: errs.file}}
	for i, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if i > 0 {
			c.errs.add(nodePos(doc.Body), "", "a scenario file holds one YAML document: remove this second one (or the --- before it)")
			break
		}
		c.value(doc.Body, scenarioType, "")
	}
	if report {
		errs.list = append(errs.list, c.errs.list...)
	}
	return c.idx, len(c.errs.list) == 0
}

var (
	scenarioType = reflect.TypeFor[Scenario]()
	targetType   = reflect.TypeFor[Target]()
	durationType = reflect.TypeFor[units.Duration]()
	textYAMLType = reflect.TypeFor[textYAML]()
	beforeType   = reflect.TypeFor[Before]()
)

// isMapping reports whether n is a mapping.
func isMapping(n ast.Node) bool {
	_, ok := mappingEntries(n)
	return ok
}

// isString reports whether n is a string scalar.
func isString(n ast.Node) bool {
	_, ok := n.(*ast.StringNode)
	return ok
}

// textYAML is a scalar type that parses its own YAML text.
type textYAML interface {
	UnmarshalYAML([]byte) error
}

// checker walks the YAML tree alongside the Go types it will decode into.
type checker struct {
	idx  *index
	errs *errorList
	// bounds is the range tag of the field being checked ("1..100000"),
	// which an out-of-range number's message quotes; a list or a map
	// passes its field's on to its elements.
	bounds string
}

// value checks node n against type t at path.
func (c *checker) value(n ast.Node, t reflect.Type, path string) {
	n = unwrap(n)
	if isEmpty(n) {
		return // null decodes to the zero value; an alias is checked by goccy
	}
	switch {
	case t == targetType:
		c.structure(n, targetShape(), path) // the blocks come from the registry
	case t == durationType:
		c.duration(n, path)
	case t == beforeType && isString(n):
		return // the short form before: COMMAND
	case t == beforeType && !isMapping(n):
		c.errs.add(nodePos(n), path, "expected a command or a mapping of restart, run, ready, timeout; got "+describe(n))
	case t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(textYAMLType):
		c.text(n, t, path)
	case t.Kind() == reflect.Pointer:
		c.value(n, t.Elem(), path)
	case t.Kind() == reflect.Struct:
		c.structure(n, t, path)
	case t.Kind() == reflect.Map:
		c.mapping(n, t.Elem(), path)
	case t.Kind() == reflect.Slice:
		c.list(n, t.Elem(), path)
	default:
		c.scalar(n, t.Kind(), path)
	}
}

// entry notes where path is written and checks its value.
func (c *checker) entry(key, n ast.Node, t reflect.Type, path string) {
	v := unwrap(n)
	p := nodePos(v)
	if _, scalar := v.(ast.ScalarNode); (!scalar || isEmpty(v)) && key != nil {
		p = nodePos(key)
	}
	c.idx.note(path, p, !isEmpty(v))
	c.value(n, t, path)
}

func (c *checker) structure(n ast.Node, t reflect.Type, path string) {
	entries, ok := mappingEntries(n)
	if !ok {
		c.errs.add(nodePos(n), path, "expected a mapping of fields, got "+describe(n))
		return
	}
	fields, names := yamlFields(t)
	for _, e := range entries {
		name, ok := keyName(e.Key)
		if !ok {
			continue // a merge key (<<): goccy checks what it brings in
		}
		f, known := fields[name]
		if !known {
			c.errs.add(nodePos(e.Key), joinPath(path, name), unknownField(name, names))
			continue
		}
		outer := c.bounds
		c.bounds = f.Tag.Get("range")
		c.entry(e.Key, e.Value, f.Type, joinPath(path, name))
		c.bounds = outer
	}
}

func (c *checker) mapping(n ast.Node, elem reflect.Type, path string) {
	entries, ok := mappingEntries(n)
	if !ok {
		c.errs.add(nodePos(n), path, "expected a mapping, got "+describe(n))
		return
	}
	for _, e := range entries {
		if name, ok := keyName(e.Key); ok {
			c.entry(e.Key, e.Value, elem, joinPath(path, name))
		}
	}
}

func (c *checker) list(n ast.Node, elem reflect.Type, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		c.errs.add(nodePos(n), path, "expected a list, got "+describe(n))
		return
	}
	for i, item := range seq.Values {
		c.entry(nil, item, elem, fmt.Sprintf("%s[%d]", path, i))
	}
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func isEmpty(n ast.Node) bool {
	switch n.(type) {
	case nil, *ast.NullNode, *ast.AliasNode:
		return true
	}
	return false
}

// mappingEntries returns the key: value pairs of a mapping node.
func mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// keyName is the text of a mapping key; false for a merge key.
func keyName(k ast.MapKeyNode) (string, bool) {
	var n ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	n = unwrap(n)
	if _, merge := n.(*ast.MergeKeyNode); merge || n == nil {
		return "", false
	}
	return scalarText(n)
}

// scalarText is the text of a scalar as written, without quotes.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
	case ast.ScalarNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// yamlFields maps the YAML names of t's fields to the fields, and lists
// the names in declaration order.
func yamlFields(t reflect.Type) (map[string]reflect.StructField, []string) {
	m := map[string]reflect.StructField{}
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f
		names = append(names, name)
	}
	return m, names
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
