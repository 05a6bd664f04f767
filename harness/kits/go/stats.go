package kit

import (
	"sort"
	"time"
)

// maxLatencySamples bounds the memory the latency figures take; a longer
// run keeps its first samples, which is enough for percentiles.
const maxLatencySamples = 1 << 20

// latencies records request-sent to answer-received times (client).
type latencies struct {
	us []float64
}

func (l *latencies) add(d time.Duration) {
	if len(l.us) < maxLatencySamples {
		l.us = append(l.us, float64(d)/float64(time.Microsecond))
	}
}

// fields are latency_p50_us, latency_p95_us and latency_p99_us (the
// reference peer's rounding: the sample at q*(n-1), to the nearest index),
// nothing when no answer came.
func (l *latencies) fields() obj {
	if len(l.us) == 0 {
		return nil
	}
	s := append([]float64(nil), l.us...)
	sort.Float64s(s)
	at := func(q float64) float64 { return s[int(q*float64(len(s)-1)+0.5)] }
	return obj{{"latency_p50_us", at(0.50)}, {"latency_p95_us", at(0.95)}, {"latency_p99_us", at(0.99)}}
}

// cpuFields is cpu_seconds (this process, user + kernel) when known.
func cpuFields() obj {
	if s, ok := cpuSeconds(); ok {
		return obj{{"cpu_seconds", s}}
	}
	return nil
}
