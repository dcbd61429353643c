package scenario

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/poolload/poolload/driver/mysql"
)

// run.json keeps the shape it had when Target had a field per driver:
// driver, the block under the driver's name (redacted), instances.
func TestTargetJSONShape(t *testing.T) {
	tg := NewTarget(mysql.Name, &mysql.Config{DSN: "root:pw@tcp(h:1)/db", MaxOpen: 3})
	tg.Instances = 2
	b, err := json.Marshal(Scenario{Target: tg}.Target)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"driver":"mysql","mysql":{"dsn":"root:*****@tcp(h:1)/db","max_open":3},"instances":2}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
	var back Target
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	tg.Block().(*mysql.Config).DSN = "root:*****@tcp(h:1)/db"
	if !reflect.DeepEqual(back, tg) {
		t.Errorf("read back %+v, want %+v", back, tg)
	}
}
