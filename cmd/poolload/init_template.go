package main

// initText is the scenario poolload init writes. Each comment says what a
// field does and when to change it; README.md's "Scenario reference" has
// the rest. A test renders it for every driver and loads it.
const initText = `# yaml-language-server: $schema=scenario.schema.json
#
# A cold pool against a warm one, on your {{.Driver}} target. Written by
# poolload init as a starting point:
#
#   poolload validate THIS_FILE    # check it and print the plan; touches nothing
#   poolload run THIS_FILE         # then: poolload report --format html results/RUN
#
# The first line gives completion and checking in editors with a YAML
# language server (VS Code's YAML extension, Neovim, Helix...); put the
# schema beside this file with: poolload schema > scenario.schema.json
#
# The name is the file's; name: chooses another ([a-z0-9_-]).
description: cold vs warm {{.Driver}} pool
{{- if eq .Driver "http"}}

# To see the service's own pool start cold, let poolload run the service,
# and restart it before each variant (see variants: below):
# service:
#   run: exec ./my-service --port 8080   # sh -c, stopped at the end
#   ready: /healthz                      # a path under base_url, or tcp://host:port
{{- end}}
target:
  driver: {{.Driver}}
{{- if eq .Driver "http"}}
  http:
    base_url: {{q .BaseURL}}
    timeout: 10s                 # per request; a slower one fails with class timeout
    max_conns: 0                 # poolload's connections per host (0: no cap)
    # expect_status: [200]       # default: 200-399 succeed
    requests:                    # one is picked per iteration, by weight
      - name: get
        path: {{q .Path}}        # generators: {rand_int(1,1000)}, {uuid()}, {seq()}
    # pool_metrics:              # the service's own pool gauges, read every interval
    #   url: /metrics            # (README.md, "The HTTP target")
{{- else}}
  {{.Driver}}:
    dsn: {{.DSNValue}}
    max_open: 10                 # the pool's size: what your service configures
    acquire_timeout: 5s          # a longer wait for a connection fails (class acquire_timeout)
    query_timeout: 30s
    # conn_max_lifetime: 0s      # 0: unlimited; as your service sets it
    # conn_max_idle_time: 0s
    operations:                  # one is picked per iteration, by weight
      - name: ping
        sql: SELECT 1            # replace with your service's typical statement
        # args: ["rand_int(1,10000)"]   # generators fill {{if eq .Driver "postgres"}}$1, $2{{else}}?{{end}} placeholders
        # hold: 5ms              # keep the connection this long, as app code does
{{- end}}
load:
  executor: constant-arrival-rate   # open model: arrivals do not wait for answers
  rate: 100                      # iterations started per second: your peak, or above
  duration: 20s                  # the measured window
  pre_allocated_vus: 20          # VUs ready at t0; about rate x latency, with headroom
  max_vus: 100                   # more may start when all are busy; beyond: dropped
  graceful_stop: 10s             # how long in-flight iterations get at the end
variants:
  - name: cold                   # a fresh pool: no connection at t0
{{- if eq .Driver "http"}}
    # before: {restart: true}    # with a service: block, restart it first
{{- end}}
  - name: warm
{{- if eq .Driver "http"}}
    # before: {restart: true}
{{- else}}
    prewarm: 10                  # open max_open connections before t0, then measure
{{- end}}
    warmup: {rate: 50, duration: 5s}   # an unmeasured load phase before t0
repeat: 3                        # cold, warm, cold, warm...: drift hits both alike
thresholds:                      # checked at the end; a failure exits 99
  dropped_iterations: ["count == 0"]
  errors: ["rate < 0.01"]
  # warm.latency: ["p(99) < 50ms"]
output:
  dir: results                   # a run record per run: results/<run-id>/
  interval: 1s
`
