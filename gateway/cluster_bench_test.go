package gateway

import (
	"crypto/x509"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/internal/loadgen"
	"github.com/opensvpn/svpn/internal/pgserver/pgtest"
)

// BenchmarkClusterLogin: b.N real logins (production argon2id, 16 at a
// time, ECDSA certificates so the client's signing is cheap) against 1
// node on SQLite, 1 node on PostgreSQL and 3 nodes on PostgreSQL, all in
// this process: on one machine 3 nodes share its cores, so the figure shows
// what the cluster's coordination costs, not how it scales. Compare with
// BenchmarkArgon2Bound of the same run.
func BenchmarkClusterLogin(b *testing.B) {
	for _, c := range []struct {
		name  string
		nodes int
		pg    bool
	}{{"sqlite-1node", 1, false}, {"postgres-1node", 1, true}, {"postgres-3nodes", 3, true}} {
		b.Run(c.name, func(b *testing.B) {
			res := benchCluster(b, c.nodes, c.pg, b.N, 16, 0, password.DefaultParams)
			b.ReportMetric(res.LoginsPerS, "logins/s")
			b.ReportMetric(res.P50ms, "p50-ms")
			b.ReportMetric(res.P99ms, "p99-ms")
			b.ReportMetric(float64(res.FailedTimeout+res.FailedOther), "failed")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkLoginStorm: 2,000 logins arriving at 5x what one node (SQLite,
// production argon2id) checks per second, each client giving a call 15 s.
// Reports those that failed by timeout (the goal is 0), the retries, and
// the seconds until all were in. It runs once, whatever b.N.
func BenchmarkLoginStorm(b *testing.B) {
	hash, _ := password.Hash("x", password.DefaultParams)
	start := time.Now()
	for range 4 {
		password.Verify(hash, "x")
	}
	capacity := float64(runtime.GOMAXPROCS(0)) / (time.Since(start).Seconds() / 4)
	res := benchCluster(b, 1, false, 2000, 2000, 5*capacity, password.DefaultParams)
	b.ReportMetric(capacity, "capacity-logins/s")
	b.ReportMetric(float64(res.OK), "ok")
	b.ReportMetric(float64(res.FailedTimeout), "failed_timeout")
	b.ReportMetric(float64(res.FailedOther), "failed_other")
	b.ReportMetric(float64(res.Retried), "retried")
	b.ReportMetric(res.ElapsedS, "s-until-all-in")
	b.ReportMetric(res.P99ms, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func benchCluster(b *testing.B, nodes int, pg bool, logins, concurrency int, rate float64, cost password.Params) *loadgen.Result {
	b.Helper()
	dsn := ""
	if pg {
		dsn = pgtest.NewDatabase(b)
	}
	var hs []*harness
	for i := range nodes {
		hs = append(hs, newHarness(b, func(c *Config) {
			if pg {
				c.Store = dsn
			}
			c.Node, c.Argon2, c.WG.Address = fmt.Sprintf("n%d", i+1), cost, "10.90.0.1/16"
			// Admission control as in production (the test harness
			// otherwise admits every login).
			c.LoginQueueBudget = Duration(DefaultLoginQueueBudget)
		}))
	}
	ctx := runNodes(b, (*Server).Run, hs...)
	var urls []string
	for _, h := range hs {
		urls = append(urls, h.baseURL())
	}
	users := loadUsers(b, hs[0].st, hs[0].pki, logins, cost)
	pool := x509.NewCertPool()
	pool.AddCert(hs[0].ts.Certificate())
	b.ResetTimer()
	res, err := loadgen.Run(ctx, loadgen.Options{URLs: urls, GatewayID: hs[0].cfg.GatewayID, RootCAs: pool, Users: users,
		Concurrency: concurrency, Rate: rate, Timeout: 15 * time.Second, MaxDuration: 15 * time.Minute, Sources: 200, MaxRetries: 1000})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	return res
}
