package managed

import "github.com/poolload/poolload/driver/serverdir"

// dirs is how a managed MariaDB's temporary folders look: a later start
// finds and removes those a killed poolload left behind.
func dirs() serverdir.Layout {
	return serverdir.Layout{Prefix: "poolload-mariadb-", PidFile: "mariadbd.pid"}
}

// RemoveStale deletes the folders of managed servers whose owner process
// is gone and whose mariadbd is not running, and returns them.
func RemoveStale(tmp string) ([]string, error) { return dirs().RemoveStale(tmp) }
