package analysis

import (
	"fmt"
	"math"
	"net"
	"strings"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// The host's CPU, as analysis/README.md ("host") states the rules.
const (
	// stealHighPct is the share of the host's CPU time taken by the
	// hypervisor from which an interval's latencies are inflated: the
	// target and poolload both waited for a CPU that was not there.
	stealHighPct = 10
	// saturatedPct is the share of the host's CPU time busy or stolen
	// at or above which the host had no CPU to spare; whether anything
	// queued for one is cpuDelayed's question. The same share of the
	// CPUs poolload may use (GOMAXPROCS) saturates poolload alone.
	saturatedPct = 90
	// cpuDelayMs is the median schedule lag at or above which poolload's
	// goroutines waited for a CPU: a quiet machine starts the median
	// iteration tens of microseconds late.
	cpuDelayMs = 1
	// lostShare is the share of an interval's schedule lost (dropped, or
	// not finished) at or above which the run fell behind in it.
	lostShare = 0.10
)

// HostCPU is the host's CPU and poolload's own over the measured windows
// (the host_* and harness_cpu_cores columns). A field is absent when it
// was not measured: the host's shares need Linux's /proc/stat.
type HostCPU struct {
	// CPUs is how many CPUs the host has; the shares are of all of them.
	CPUs int `json:"cpus,omitempty"`
	// StealMaxPct is the highest share of the host's CPU time the
	// hypervisor took in an interval, StealSeconds how long the intervals
	// where it took at least 10% lasted.
	StealMaxPct  *float64 `json:"steal_max_pct,omitempty"`
	StealSeconds *float64 `json:"steal_seconds,omitempty"`
	// BusyP50Pct is the median interval's share of the host's CPU time
	// spent running anything, poolload included.
	BusyP50Pct *float64 `json:"busy_p50_pct,omitempty"`
	// HarnessP50 and HarnessMax are poolload's own CPU, in cores.
	HarnessP50 *float64 `json:"harness_cpu_cores_p50,omitempty"`
	HarnessMax *float64 `json:"harness_cpu_cores_max,omitempty"`
}

// HostOf reads the host's CPU of a record; nil when none was sampled (a
// record written before the columns existed).
func HostOf(r *record.Record) *HostCPU {
	h := &HostCPU{CPUs: r.Info.HostCPUs}
	some := false
	set := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		some = true
		return &v
	}
	stealMax, stealSecs := math.NaN(), math.NaN()
	harnessMax := math.NaN()
	for _, row := range r.Rows {
		if s, ok := row.Values[record.HostStealPct]; ok && !math.IsNaN(s) {
			if !(s <= stealMax) {
				stealMax = s
			}
			if math.IsNaN(stealSecs) {
				stealSecs = 0
			}
			if s >= stealHighPct {
				stealSecs += rowSeconds([]record.Row{row})
			}
		}
		if c, ok := row.Values[record.HarnessCPUCores]; ok && !(c <= harnessMax) {
			harnessMax = c
		}
	}
	h.StealMaxPct, h.StealSeconds = set(stealMax), set(stealSecs)
	h.BusyP50Pct = set(colMedian(r.Rows, record.HostBusyPct))
	h.HarnessP50, h.HarnessMax = set(colMedian(r.Rows, record.HarnessCPUCores)), set(harnessMax)
	if !some {
		return nil
	}
	return h
}

// String is the summary's line, e.g. "host (2 CPUs): steal max 27% (12 s
// at 10% or more), busy p50 95%; poolload CPU p50 1.2 cores, max 1.6".
func (h *HostCPU) String() string {
	var host, self []string
	if h.StealMaxPct != nil {
		s := fmt.Sprintf("steal max %.0f%%", *h.StealMaxPct)
		if h.StealSeconds != nil && *h.StealSeconds > 0 {
			s += fmt.Sprintf(" (%s s at %d%% or more)", secs(*h.StealSeconds), stealHighPct)
		}
		host = append(host, s)
	}
	if h.BusyP50Pct != nil {
		host = append(host, fmt.Sprintf("busy p50 %.0f%%", *h.BusyP50Pct))
	}
	if h.HarnessP50 != nil {
		self = append(self, fmt.Sprintf("poolload CPU p50 %.2g cores", *h.HarnessP50))
	}
	if h.HarnessMax != nil {
		self = append(self, fmt.Sprintf("max %.2g", *h.HarnessMax))
	}
	label := "host"
	if h.CPUs > 0 {
		label = fmt.Sprintf("host (%d CPUs)", h.CPUs)
	}
	parts := []string{strings.Join(host, ", "), strings.Join(self, ", ")}
	return label + ": " + strings.Trim(strings.Join(parts, "; "), "; ")
}

// hostIdle is the share of the host's CPU time in row r that was neither
// busy nor stolen; NaN when the host's CPU was not read.
func hostIdle(r record.Row) float64 {
	busy, steal := val(r, record.HostBusyPct), val(r, record.HostStealPct)
	if math.IsNaN(steal) {
		steal = 0
	}
	return 100 - busy - steal
}

// harnessCPUs is how many CPUs poolload may use at once: GOMAXPROCS, at
// most the host's CPUs; 0 when the record does not say.
func (d *diag) harnessCPUs() float64 {
	n, host := d.rec.Info.GoMaxProcs, d.rec.Info.HostCPUs
	if n <= 0 || (host > 0 && host < n) {
		n = host
	}
	return float64(n)
}

// saturated says whether the CPU was fully used in row r: the host had
// less than 10% idle, or poolload used 90% of the CPUs it may use.
func (d *diag) saturated(r record.Row) bool {
	if hostIdle(r) <= 100-saturatedPct {
		return true
	}
	n := d.harnessCPUs()
	return n > 0 && val(r, record.HarnessCPUCores) >= saturatedPct/100.0*n
}

// cpuDelayed says whether work queued for a CPU in row r: the CPU was
// saturated, and poolload's goroutines started a millisecond or more late
// at the median (the run queue, as schedule_lag shows it), or a database
// server on this host had more statements running than the host has
// CPUs (Threads_running counts the monitor's own query: more than the
// CPUs, not as many).
func (d *diag) cpuDelayed(r record.Row) bool {
	return d.saturated(r) && (val(r, lagP50) >= cpuDelayMs || d.serverQueued(r))
}

// lagP50 is the median schedule lag's column.
var lagP50 = record.PercentileOf(collector.ScheduleLag, "p50")

// serverQueued says whether a database server on this host ran more
// statements than the host has CPUs in row r.
func (d *diag) serverQueued(r record.Row) bool {
	cpus := float64(d.rec.Info.HostCPUs)
	run := val(r, record.ThreadsRunning)
	if math.IsNaN(run) {
		run = val(r, record.DBThreadsRunning)
	}
	return cpus > 0 && run > cpus && d.serverLocal()
}

// localParts names the parts of the target that run on this host, as the
// target's facts give their addresses: a database server on loopback or
// a unix socket, a service on loopback. Their CPU is the host's too.
func (d *diag) localParts() []string {
	var out []string
	if addr, ok := d.serverAddr(); ok && isLocal(addr) {
		out = append(out, "the database server ("+addr+")")
	}
	if u := d.target["base_url"]; u != "" {
		host := u
		if _, rest, ok := strings.Cut(u, "://"); ok {
			host, _, _ = strings.Cut(rest, "/")
		}
		if isLocal(host) {
			out = append(out, "the service ("+host+")")
		}
	}
	return out
}

// serverAddr is the watched database server's address: the MySQL
// target's, or an HTTP target's database block's.
func (d *diag) serverAddr() (string, bool) {
	for _, k := range []string{"dsn", "db.dsn"} {
		if addr, ok := dsnAddr(d.target[k]); ok {
			return addr, true
		}
	}
	return "", false
}

// serverLocal says whether the database server runs on this host: its
// Threads_running then competes for the same CPUs.
func (d *diag) serverLocal() bool {
	addr, ok := d.serverAddr()
	return ok && isLocal(addr)
}

// dsnAddr is the address in a go-sql-driver DSN
// ([user[:password]@][net[(addr)]]/dbname): tcp(host:port), unix(path),
// or the driver's default 127.0.0.1:3306 when it names none.
func dsnAddr(dsn string) (string, bool) {
	if dsn == "" {
		return "", false
	}
	if i := strings.LastIndex(dsn, "@"); i >= 0 {
		dsn = dsn[i+1:]
	}
	// The address is in parentheses and may hold slashes (a socket's path).
	if netw, rest, ok := strings.Cut(dsn, "("); ok && !strings.Contains(netw, "/") {
		addr, _, _ := strings.Cut(rest, ")")
		if netw == "unix" {
			return "unix:" + addr, true
		}
		return addr, true
	}
	if netw, _, _ := strings.Cut(dsn, "/"); netw == "" || netw == "tcp" {
		return "127.0.0.1:3306", true
	}
	return "", false
}

// isLocal says whether addr (host:port, a host, or a unix socket) is on
// this host.
func isLocal(addr string) bool {
	if strings.HasPrefix(addr, "unix:") {
		return true
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
