package mysql

import (
	"slices"
	"testing"

	"github.com/poolload/poolload/driver/mysql/managed"
)

// What the managed server did unasked is said before the run, one line
// each: a variable it did not take as given, and the data directories of
// killed runs its start removed (issue #14, item 7).
func TestWarningsSayWhatTheManagedServerDid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server *managed.Server
		want   []string
	}{
		{"a server of the user's", nil, nil},
		{"nothing to say", &managed.Server{}, nil},
		{"a variable adjusted", &managed.Server{Adjusted: map[string]string{"max_connections": "5 → 10"}},
			[]string{"target.mysql.server_vars.max_connections: asked 5, the managed server took 10"}},
		{"one stale directory", &managed.Server{Removed: []string{"/tmp/poolload-mariadb-1"}},
			[]string{"removed 1 data directory of managed servers left by a poolload that was killed (/tmp/poolload-mariadb-1)"}},
		{"two stale directories", &managed.Server{Removed: []string{"/tmp/a", "/tmp/b"}},
			[]string{"removed 2 data directories of managed servers left by a poolload that was killed (/tmp/a, /tmp/b)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run{&Target{server: tc.server}}.Warnings()
			if !slices.Equal(got, tc.want) {
				t.Errorf("Warnings() = %q, want %q", got, tc.want)
			}
		})
	}
}
