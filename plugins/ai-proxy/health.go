package main

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"

	"github.com/ai-proxy/ai-proxy/provider"
)

// Token health checks (Higress `failover`): every healthCheckInterval one VM of the
// gateway — the holder of a lease in shared data — sends a chat request with the
// provider's healthCheckModel for each token that is out of the rotation, through the
// cluster its last failed request went to. Token health itself lives in shared data
// (provider.Config.RecordToken / RecordHealthCheck), so every VM sees the same rotation.

const leaseKey = "ai-proxy/health-lease"

// leaseTTL is how long a silent leader keeps the lease before another VM takes over.
const leaseTTL = 60 * time.Second

// vmID names this VM in the lease.
var vmID = rand.Uint64() | 1

// startHealthChecks asks the host for ticks when some provider has token failover.
func startHealthChecks() {
	if period := healthCheckPeriod(); period > 0 {
		_ = proxywasm.SetTickPeriodMilliSeconds(period)
	}
}

// healthCheckPeriod is the tick period the health checks need (ms; 0: none).
func healthCheckPeriod() uint32 {
	var period uint32
	for _, c := range failoverProviders {
		if period == 0 || c.Failover.HealthCheckInterval < period {
			period = c.Failover.HealthCheckInterval
		}
	}
	return period
}

// healthKey is where the cluster for a provider's health checks is kept.
func healthKey(c *provider.Config) string { return "ai-proxy/health-cluster/" + c.Type + "/" + c.ID }

// noteHealthCheckCluster remembers the cluster a provider's failed request went to, for
// the health checks of its tokens.
func noteHealthCheckCluster(c *provider.Config, cluster string) {
	if cluster == "" {
		v, _ := proxywasm.GetProperty([]string{"cluster_name"})
		cluster = string(v)
	}
	if cluster != "" {
		_ = proxywasm.SetSharedData(healthKey(c), []byte(cluster), 0)
	}
}

// OnTick resumes requests waiting for a credential (token.go) and runs the health
// checks, on the VM that holds the lease.
func (p *pluginContext) OnTick() {
	p.pollCredentials()
	if len(failoverProviders) == 0 || !holdLease(time.Now()) {
		return
	}
	now := time.Now().UnixMilli()
	for _, c := range failoverProviders {
		if now-p.lastCheck[c] < int64(c.Failover.HealthCheckInterval) {
			continue
		}
		if p.lastCheck == nil {
			p.lastCheck = map[*provider.Config]int64{}
		}
		p.lastCheck[c] = now
		cluster, _, err := proxywasm.GetSharedData(healthKey(c))
		if err != nil || len(cluster) == 0 {
			continue
		}
		for i := range c.APITokens {
			if c.TokenDown(sharedStore{}, i) {
				healthCheck(c, i, string(cluster))
			}
		}
	}
}

// holdLease takes or renews the health-check lease; false when another VM holds it.
func holdLease(now time.Time) bool {
	v, cas, err := proxywasm.GetSharedData(leaseKey)
	if err == nil && len(v) == 16 {
		holder, at := binary.LittleEndian.Uint64(v), int64(binary.LittleEndian.Uint64(v[8:]))
		if holder != vmID && now.UnixNano()-at < int64(leaseTTL) {
			return false
		}
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], vmID)
	binary.LittleEndian.PutUint64(b[8:], uint64(now.UnixNano()))
	return proxywasm.SetSharedData(leaseKey, b[:], cas) == nil
}

// healthCheck sends one chat request with token i of provider c.
func healthCheck(c *provider.Config, i int, cluster string) {
	_, hm, body, ok := ownChat(c, c.HealthCheckRequest(), i)
	if !ok {
		return
	}
	_, err := proxywasm.DispatchHttpCall(cluster, hm.pairs, body, nil, c.Failover.HealthCheckTimeout, func(_, _, _ int) {
		hs, _ := proxywasm.GetHttpCallResponseHeaders()
		status, _ := strconv.Atoi(newHeaderMap(hs).Get(":status"))
		if c.RecordHealthCheck(sharedStore{}, i, status == 200) {
			proxywasm.LogInfof("ai-proxy: provider %s: API token #%d passed its health checks and is back in the rotation", c.ID, i)
		}
	})
	if err != nil {
		proxywasm.LogWarnf("ai-proxy: provider %s: health check not sent to cluster %s: %v", c.ID, cluster, err)
	}
}
