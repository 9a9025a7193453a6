//go:build unix

package job

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/clodura/sim"
	"github.com/clodura/enrich/reader"
	"github.com/clodura/enrich/writer"
)

// The engine benchmarks run whole jobs in process against fakeSearcher,
// which answers at once: what is left is the engine's own cost (reading,
// keys, pacing, the checkpoint, writing), with no HTTP. bench/run.sh runs
// them and puts the figures in BENCHMARKS.md.
//
//	go test -run '^$' -bench BenchmarkEngine -benchtime 3x ./job/

// benchRows is the size of one benchmark job.
const benchRows = 20_000

// fakeSearcher answers like the simulator would, without a network: about
// 85% of lookups find one person whose record echoes the query (the same
// size as the simulator's records), the rest find nobody.
type fakeSearcher struct{}

func (fakeSearcher) SearchPeople(_ context.Context, req clodura.SearchRequest) (*clodura.SearchResult, error) {
	h := fnv.New64a()
	h.Write([]byte(req.FirstName + "\x00" + req.LastName + "\x00" + req.OrganizationName))
	v := h.Sum64()
	if v%100 < 15 {
		return &clodura.SearchResult{}, nil
	}
	rec := fmt.Sprintf(`{"personId":"P%012x","firstName":%q,"lastName":%q,"personTitle":"Director of Operations",`+
		`"seniority":"Director","functional":"Operations","personCity":"Toronto","personState":"Ontario",`+
		`"personCountry":"Canada","linkedinUrl":"https://www.linkedin.com/in/%x","organizationName":%q,`+
		`"organizationId":"O%012x","companyDomain":%q,"contactEmailStatus":"verified","lastUpdated":"2024-03-22T00:00:00Z"}`,
		v&0xffffffffffff, req.FirstName, req.LastName, v>>20, req.OrganizationName, v>>16&0xffffffffffff, req.CompanyDomain)
	return &clodura.SearchResult{Records: []json.RawMessage{json.RawMessage(rec)}, Total: 1}, nil
}

func (fakeSearcher) Credits(context.Context) (clodura.Credits, error) {
	return clodura.Credits{Remaining: 1e12, Raw: json.RawMessage(`{"remainingCredits":1e12}`)}, nil
}

// writeBenchCSV writes n distinct people, as bench/ generates them.
func writeBenchCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write([]string{"First Name", "Last Name", "Company", "Website", "Owner"})
	for i := range n {
		w.Write([]string{"Priya", "Sharma-" + strconv.Itoa(i), "Acme Corp " + strconv.Itoa(i%16), "acme.com", "rep" + strconv.Itoa(i%9)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is this process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds the per-row figures of a benchmark whose every iteration
// handles rows rows; cpu is the process CPU time spent meanwhile.
func report(b *testing.B, rows int, cpu time.Duration) {
	n := float64(rows * b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/row")
}

func benchConfig(dir, input string, i int) Config {
	out := filepath.Join(dir, fmt.Sprintf("out-%d.csv", i))
	return Config{Input: input, Output: out, StateDir: out + ".state", Searcher: fakeSearcher{}, Workers: 16}
}

// BenchmarkEngine runs a whole job (scan, lookups, output) with no limits
// and a fresh state each time: the engine's throughput with the
// checkpoint on. Resume is the same job run again over its own finished
// state: reading, replay and output, no lookup.
func BenchmarkEngine(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeBenchCSV(b, input, benchRows)
	ctx := context.Background()

	b.Run("Run", func(b *testing.B) {
		runFresh(b, func(i int) Config { return benchConfig(dir, input, i) })
	})
	b.Run("HTTP", func(b *testing.B) {
		// The same job through the real client and the simulator over
		// loopback HTTP, in this process: the engine plus HTTP on both ends.
		srv := sim.New(sim.Config{Keys: []sim.Key{{Key: "bench", Credits: 1e12,
			Plan: clodura.Plan{Name: "bench-unlimited", PerDay: 1 << 40}}}})
		hs := httptest.NewServer(srv)
		defer hs.Close()
		cl, err := clodura.NewClient(clodura.Config{BaseURL: hs.URL, APIKey: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		runFresh(b, func(i int) Config {
			cfg := benchConfig(dir, input, -i)
			cfg.Searcher = cl
			return cfg
		})
	})
	b.Run("Resume", func(b *testing.B) {
		cfg := benchConfig(dir, input, 0)
		if _, err := Run(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		for b.Loop() {
			sum, err := Run(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if sum.Lookups != 0 || sum.Requests != 0 {
				b.Fatalf("resume made %d lookups, %d requests; want none", sum.Lookups, sum.Requests)
			}
		}
		report(b, benchRows, cpuTime()-cpu0)
	})
}

// BenchmarkEngineCheckpoint makes exactly the checkpoint calls a fresh
// BenchmarkEngine/Run job makes, with the same keys and records, and
// nothing else: open and BeginRun; the rows file (Add per row, Commit);
// per lookup Status, Begin and Record; Result per row for the output;
// Stop and Close. Its ns/row over BenchmarkEngine/Run's is the share of
// the engine's time that goes to checkpointing.
func BenchmarkEngineCheckpoint(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeBenchCSV(b, input, benchRows)
	abs, _ := filepath.Abs(input)
	// What the engine would hand the checkpoint, computed outside the timer.
	in, err := reader.Open(input, reader.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var results []checkpoint.Result
	for {
		row, err := in.Next()
		if err != nil {
			break
		}
		req := searchRequest(row.Identity, 1)
		res, _ := fakeSearcher{}.SearchPeople(context.Background(), req)
		r := checkpoint.Result{Key: lookupKey(req), Records: res.Records, Total: res.Total,
			Credits: float64(len(res.Records)), Requests: 1, At: time.Now().UTC(), Status: writer.StatusNotFound}
		if res.Found() {
			r.Status = writer.StatusMatched
		}
		results = append(results, r)
	}
	in.Close()
	if len(results) != benchRows {
		b.Fatalf("%d rows read, want %d", len(results), benchRows)
	}
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		i++
		sd := filepath.Join(dir, fmt.Sprintf("s-%d", i))
		st, err := checkpoint.Open(sd, checkpoint.Job{Input: abs}, checkpoint.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.BeginRun([]string{"clodura-enrich", "run", input}); err != nil {
			b.Fatal(err)
		}
		rw, err := st.CreateRows()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			st.Status(r.Key)
			if err := rw.Add(r.Key); err != nil {
				b.Fatal(err)
			}
		}
		if err := rw.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := st.NoteCredits(1e12, json.RawMessage(`{"remainingCredits":1e12}`)); err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			st.Status(r.Key)
			if ok, err := st.Begin(r.Key, false); err != nil || !ok {
				b.Fatalf("Begin: %v, %v", ok, err)
			}
			if err := st.Record(r); err != nil {
				b.Fatal(err)
			}
		}
		for _, r := range results {
			if _, ok, err := st.Result(r.Key); err != nil || !ok {
				b.Fatalf("Result: %v, %v", ok, err)
			}
		}
		if err := st.Stop(checkpoint.Stop{Reason: "done", At: time.Now().UTC(), Requests: benchRows + 1}); err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(sd)
		b.StartTimer()
	}
	report(b, benchRows, cpuTime()-cpu0)
}

// runFresh runs a whole job per iteration, each with a new state and
// output (config(i) for the i-th), and reports rows/s and CPU per row.
func runFresh(b *testing.B, config func(i int) Config) {
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		i++
		sum, err := Run(context.Background(), config(i))
		if err != nil {
			b.Fatal(err)
		}
		if sum.Lookups != benchRows {
			b.Fatalf("%d lookups, want %d", sum.Lookups, benchRows)
		}
		b.StopTimer()
		os.RemoveAll(sum.StateDir)
		os.Remove(sum.Output)
		b.StartTimer()
	}
	report(b, benchRows, cpuTime()-cpu0)
}
