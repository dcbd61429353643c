// Command proxy measures what the network emulator (package network) adds
// to a round trip when it is told to add nothing. An open-model client
// sends 16-byte requests on a fixed schedule to a responder in a process of
// its own, over two paths at once, and compares the two round-trip
// distributions; the budget is 50µs added at p99 at 10 000 requests/s
// through the proxy.
//
// The two paths are interleaved tick by tick: tick i goes to path A when i
// is even and to path B when it is odd, each path carrying the nominal rate
// (so the sender ticks at twice it). Both paths thus see the same machine
// at the same instants. Giving each path the load in turn, in blocks,
// cannot resolve a budget of tens of µs on a noisy 2-vCPU VM: the
// machine's state changes between blocks by far more than that at p99.
//
// One invocation runs three sessions, each with fresh connections and a
// fresh proxy:
//
//   - aa: direct vs direct, an A/A control. Nothing differs between the
//     paths, so what it reports as "added" is the bench's own resolution;
//     read the other sessions' numbers against it.
//   - kernel: direct vs the proxy with Relay "auto", which hands a
//     zero-delay link to the kernel (BPF sockmap) when it can; the relay it
//     actually got is printed, and where the kernel cannot be had this
//     session measures auto's fallback, the user relay.
//   - user: direct vs the proxy with Conditions{} (the default, the
//     goroutine relay).
//
// The 250ms blocks remain as the unit of the robust statistic: for each
// block the bench takes p99(B) − p99(A) over that block's requests, and
// reports min, median and max over blocks besides the pooled percentiles;
// a burst of outside load spoils a block rather than the verdict. The
// verdict is the median over blocks against the budget, and `-check` exits
// 1 when it is over for the relay that Conditions{} (the default) picks.
//
// -control lowers the direct path's rate (the sender then gives it one
// tick in (rate+control)/control), to load the machine less than twice
// the rate under test.
//
// Files: main.go (flags, sessions, verdict), load.go (responder, sender,
// readers), report.go (tables and percentiles).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/poolload/poolload/network"
)

const (
	frame  = 16                     // request = response: send instant (ns since t0), block+1 (0: warm-up)
	block  = 250 * time.Millisecond // unit of the per-block statistic
	budget = 50 * time.Microsecond  // p99 the proxy may add at 10 000 req/s
)

// session is one pair of paths measured together; cond nil means both
// paths are direct (the A/A control).
type session struct {
	key, title string
	cond       *network.Conditions
}

var sessions = []session{
	{"aa", "A/A: direct vs direct (the bench's noise floor)", nil},
	{"kernel", "kernel relay: direct vs proxy with Conditions{} (the default: auto)", &network.Conditions{}},
	{"user", "user relay: direct vs proxy with Relay: user (where BPF is not allowed)", &network.Conditions{Relay: network.RelayUser}},
}

// result is what a session leaves for the summary.
type result struct {
	session
	relay string        // the relay the proxy used; "" for A/A
	med   time.Duration // median over blocks of the p99 added
}

func main() {
	if os.Getenv(responderEnv) != "" {
		serveResponder()
		return
	}
	os.Exit(run())
}

func run() int {
	rate := flag.Int("rate", 10000, "requests per second through the path under test")
	control := flag.Int("control", 10000, "requests per second on the direct control path (rate+control must be a multiple of it); lower it to load the machine less")
	conns := flag.Int("conns", 8, "connections per path")
	dur := flag.Duration("duration", 5*time.Second, "measured time per session")
	warm := flag.Duration("warmup", time.Second, "unmeasured time at the start of each session")
	only := flag.String("sessions", "aa,kernel,user", "sessions to run, in this order: comma list of aa, kernel, user")
	check := flag.Bool("check", false, fmt.Sprintf("exit 1 if the median over blocks of the p99 added exceeds %v for the relay Conditions{} picks", budget))
	flag.Parse()
	chosen, err := pick(*only)
	if err == nil && (*rate <= 0 || *control <= 0 || *conns <= 0 || *dur < block || (*rate+*control)%*control != 0) {
		err = fmt.Errorf("-rate, -control and -conns must be positive, rate+control a multiple of control, and -duration at least %v", block)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	upstream, stop := respond()
	defer stop()
	fmt.Printf("network proxy overhead — %s, GOMAXPROCS=%d, zero conditions\n"+
		"%d req/s on the path under test and %d req/s on the direct control, interleaved, %d connections each, %v measured per session after %v warm-up, %v blocks\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *rate, *control, *conns, *dur, *warm, block)

	l := load{rate: *rate, control: *control, conns: *conns, warmBlocks: int(*warm / block), blocks: int(*dur / block)}
	var results []result
	for _, s := range chosen {
		runtime.GC() // the last session's garbage is not this one's pause
		r, err := s.run(l, upstream)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.key, err)
			return 2
		}
		results = append(results, r)
	}
	summarize(results)
	if !*check {
		return 0
	}
	return checkAuto(results, upstream)
}

// pick returns the sessions named in list, in the bench's order.
func pick(list string) ([]session, error) {
	want := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		if !slices.ContainsFunc(sessions, func(s session) bool { return s.key == k }) {
			return nil, fmt.Errorf("-sessions: unknown session %q (want aa, kernel, user)", k)
		}
		want[k] = true
	}
	var out []session
	for _, s := range sessions {
		if want[s.key] {
			out = append(out, s)
		}
	}
	return out, nil
}

// run measures one session with its own connections and proxy.
func (s session) run(l load, upstream string) (result, error) {
	fmt.Printf("\n== %s\n", s.title)
	r := result{session: s}
	names, addrB := [2]string{"direct A", "direct B"}, upstream
	var p *network.Proxy
	if s.cond != nil {
		var err error
		if p, err = network.Listen(context.Background(), upstream, *s.cond); err != nil {
			return r, err
		}
		defer p.Close()
		r.relay = p.Relay()
		names, addrB = [2]string{"direct", "via proxy"}, p.Addr()
		fmt.Printf("relay used: %s\n", r.relay)
		if s.key == "kernel" && r.relay != network.RelayKernel {
			fmt.Printf("kernel relay not available here (%s): auto fell back to the user relay, measured anyway\n", p.RelayNote())
		}
	}
	fmt.Println()
	r.med = report(names, l.run([2]string{upstream, addrB}))
	if p != nil {
		st := p.Stats()
		fmt.Printf("proxy stats: accepted %d, bytes up %d, down %d\n", st.Accepted, st.BytesUp, st.BytesDown)
	}
	return r, nil
}

// summarize prints each session's median over blocks of the p99 added,
// with the verdict for the proxied ones.
func summarize(results []result) {
	fmt.Printf("\nsummary — median over %v blocks of the p99 added (budget %v):\n", block, budget)
	for _, r := range results {
		if r.cond == nil {
			fmt.Printf("  %-14s %10v   the bench's resolution: differences of this size are noise\n", "A/A", r.med)
			continue
		}
		verdict := "within"
		if r.med > budget {
			verdict = "OVER"
		}
		fmt.Printf("  %-14s %10v   %s the budget (relay used: %s)\n", r.key+" session", r.med, verdict, r.relay)
	}
}

// checkAuto returns 1 if the session of the relay Conditions{} picks is
// over the budget: a probe proxy says which relay that is, and the
// session that ran it stands for it.
func checkAuto(results []result, upstream string) int {
	p, err := network.Listen(context.Background(), upstream, network.Conditions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "-check:", err)
		return 2
	}
	auto := p.Relay()
	_ = p.Close()
	for _, r := range results {
		if r.key == auto {
			return over(r)
		}
	}
	fmt.Fprintf(os.Stderr, "-check: Conditions{} picks the %s relay, whose session was not run\n", auto)
	return 2
}

func over(r result) int {
	fmt.Printf("-check: Conditions{} uses the %s relay: %v added (median p99) vs %v\n", r.relay, r.med, budget)
	if r.med > budget {
		return 1
	}
	return 0
}
