package checkpoint

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"
)

// splitmix64 spreads keys like KeyOf does, cheaply.
func splitmix64(i uint64) Key {
	z := i + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return Key(z ^ z>>31 | 1)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestIndexMemory measures what a 1M-key index costs in memory, as replay
// builds it (one map entry per key), and keeps it well under 40 MiB.
func TestIndexMemory(t *testing.T) {
	const n = 1_000_000
	before := heapInUse()
	s := newState(t.TempDir(), Options{})
	for i := range uint64(n) {
		k := splitmix64(i)
		s.begin(k, 1)
		s.result(k, codeMatched, int64(100+i*300))
	}
	after := heapInUse()
	if s.index.len() != n {
		t.Fatalf("index has %d keys, want %d", s.index.len(), n)
	}
	used := float64(after-before) / (1 << 20)
	t.Logf("index of %d keys: %.1f MiB (%.1f bytes/key)", n, used, float64(after-before)/n)
	if used > 40 {
		t.Errorf("index of %d keys takes %.1f MiB, want < 40", n, used)
	}
	runtime.KeepAlive(s)
}

// benchResult is a typical one-record answer.
func benchResult() Result {
	r := sampleResult(1)
	r.Records = []json.RawMessage{json.RawMessage(`{"personId":"5f1e2d","firstName":"Ada","lastName":"Lovelace","personTitle":"Chief Analyst","seniority":"C-Level","organizationName":"Analytical Engines Ltd","companyDomain":"engines.example","linkedinUrl":"https://www.linkedin.com/in/ada","personCity":"London","personCountry":"United Kingdom","contactEmailStatus":"verified","lastUpdated":"2025-11-02"}`)}
	r.Total, r.Credits = 1, 1
	return r
}

func benchState(b *testing.B) *State {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "s"), Job{Input: testInput}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.BeginRun(nil); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRecord measures Record of a typical result: one write(2) each,
// group commit at the default interval.
func BenchmarkRecord(b *testing.B) {
	s := benchState(b)
	r := benchResult()
	i := uint64(0)
	for b.Loop() {
		i++
		r.Key = splitmix64(i)
		if err := s.Record(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBeginRecord measures the journal work of one lookup as the job
// does it: Begin, then Record (two lines, two write(2)s).
func BenchmarkBeginRecord(b *testing.B) {
	s := benchState(b)
	r := benchResult()
	i := uint64(0)
	for b.Loop() {
		i++
		r.Key = splitmix64(i)
		if _, err := s.Begin(r.Key, false); err != nil {
			b.Fatal(err)
		}
		if err := s.Record(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkReplay measures OpenReadOnly of a journal of 100,000 results
// (and their Begin lines) and the heap the replayed State keeps.
func BenchmarkReplay(b *testing.B) {
	const n = 100_000
	dir := filepath.Join(b.TempDir(), "s")
	s, err := Open(dir, Job{Input: testInput}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.BeginRun(nil); err != nil {
		b.Fatal(err)
	}
	for i := range uint64(n) {
		r := sampleResult(splitmix64(i))
		s.Begin(r.Key, false)
		if err := s.Record(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var kept float64
	for b.Loop() {
		b.StopTimer()
		before := heapInUse()
		b.StartTimer()
		ro, err := OpenReadOnly(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		kept = float64(heapInUse() - before)
		b.StartTimer()
		if ro.index.len() != n {
			b.Fatalf("replayed %d keys, want %d", ro.index.len(), n)
		}
		ro.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(kept/n, "heap-B/key")
}
