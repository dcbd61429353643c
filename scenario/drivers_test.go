package scenario

import (
	"github.com/poolload/poolload/driver/http"
	"github.com/poolload/poolload/driver/mysql"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/driver/postgres"
)

// The tests' scenarios name these drivers. They are registered in the order
// runner/drivers.go registers them, which is the order messages list them.
func init() {
	noop.Register()
	mysql.Register()
	http.Register()
	postgres.Register()
}
