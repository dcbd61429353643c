package runner

import (
	"github.com/poolload/poolload/driver/http"
	"github.com/poolload/poolload/driver/mysql"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/driver/postgres"
)

// The drivers a scenario may name, registered in the order messages list
// them (one of noop, mysql, http, postgres). Adding a driver is its
// package and one line here.
func init() {
	noop.Register()
	mysql.Register()
	http.Register()
	postgres.Register()
}
