package main

import (
	"bufio"
	"fmt"
	"log"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// EngineBench is what the in-process Go benchmarks of job/bench_test.go
// measured, and the checkpoint's share of them.
type EngineBench struct {
	Benchmarks []GoBench `json:"benchmarks"`
	// CheckpointShare* is the part of a job's work that goes to the
	// checkpoint, by two methods: Subtract = BenchmarkEngineCheckpoint's
	// ns/row (the same checkpoint calls alone) over the job's ns/row;
	// Profile = the CPU samples under package checkpoint over all samples
	// of the job's CPU profile.
	CheckpointShareSubtract     float64  `json:"checkpoint_share_subtract"`
	CheckpointShareSubtractHTTP float64  `json:"checkpoint_share_subtract_http"`
	CheckpointShareProfile      float64  `json:"checkpoint_share_profile"`
	CheckpointShareProfileHTTP  float64  `json:"checkpoint_share_profile_http"`
	TopRun                      []string `json:"pprof_top_run"`
	TopHTTP                     []string `json:"pprof_top_http"`
	Load                        string   `json:"load"`
}

type GoBench struct {
	Name     string  `json:"name"`
	N        int     `json:"n"`
	RowsPerS float64 `json:"rows_per_s"`
	NsPerRow float64 `json:"ns_per_row"`
	CPUPerRo float64 `json:"cpu_ns_per_row"`
}

func (e *EngineBench) get(name string) GoBench {
	for _, b := range e.Benchmarks {
		if b.Name == name {
			return b
		}
	}
	return GoBench{}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+\d+ ns/op(.*)$`)

func engineSection(cfg *config, res *Results) error {
	iters := "5x"
	if cfg.quick {
		iters = "1x"
	}
	testBin := filepath.Join(cfg.work, "job.test")
	build := exec.Command("go", "test", "-c", "-o", testBin, "./job/")
	build.Dir = cfg.src
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c ./job/: %v\n%s", err, out)
	}
	e := &EngineBench{Load: loadavg()}
	runBench := func(pattern, profile string) error {
		args := []string{"-test.run", "^$", "-test.bench", pattern, "-test.benchtime", iters, "-test.count", "1"}
		if profile != "" {
			args = append(args, "-test.cpuprofile", profile)
		}
		cmd := exec.Command(testBin, args...)
		cmd.Dir = filepath.Join(cfg.src, "job")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %v\n%s", testBin, strings.Join(args, " "), err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			m := benchLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			b := GoBench{Name: m[1]}
			b.N, _ = strconv.Atoi(m[3])
			f := strings.Fields(m[4])
			for i := 0; i+1 < len(f); i += 2 {
				v, _ := strconv.ParseFloat(f[i], 64)
				switch f[i+1] {
				case "rows/s":
					b.RowsPerS = v
				case "ns/row":
					b.NsPerRow = v
				case "cpu-ns/row":
					b.CPUPerRo = v
				}
			}
			log.Printf("   %-28s %8.0f rows/s %8.0f ns/row %8.0f CPU ns/row", b.Name, b.RowsPerS, b.NsPerRow, b.CPUPerRo)
			e.Benchmarks = append(e.Benchmarks, b)
		}
		return nil
	}
	runProf := filepath.Join(cfg.work, "run.prof")
	httpProf := filepath.Join(cfg.work, "http.prof")
	for _, b := range []struct{ pattern, prof string }{
		{"^BenchmarkEngine$/^Run$", runProf},
		{"^BenchmarkEngine$/^HTTP$", httpProf},
		{"^BenchmarkEngine$/^Resume$", ""},
		{"^BenchmarkEngineCheckpoint$", ""},
	} {
		if err := runBench(b.pattern, b.prof); err != nil {
			return err
		}
	}
	ck := e.get("BenchmarkEngineCheckpoint").NsPerRow
	if r := e.get("BenchmarkEngine/Run").NsPerRow; r > 0 {
		e.CheckpointShareSubtract = ck / r
	}
	if r := e.get("BenchmarkEngine/HTTP").NsPerRow; r > 0 {
		e.CheckpointShareSubtractHTTP = ck / r
	}
	var err error
	if e.CheckpointShareProfile, err = pprofShare(testBin, runProf, `github.com/clodura/enrich/checkpoint\.`); err != nil {
		return err
	}
	if e.CheckpointShareProfileHTTP, err = pprofShare(testBin, httpProf, `github.com/clodura/enrich/checkpoint\.`); err != nil {
		return err
	}
	e.TopRun, _ = pprofTop(testBin, runProf, 15)
	e.TopHTTP, _ = pprofTop(testBin, httpProf, 15)
	log.Printf("   checkpoint share: %.1f%% (subtraction) / %.1f%% (CPU profile) of the in-process job; %.1f%% / %.1f%% with HTTP",
		100*e.CheckpointShareSubtract, 100*e.CheckpointShareProfile, 100*e.CheckpointShareSubtractHTTP, 100*e.CheckpointShareProfileHTTP)
	res.Engine = e
	return nil
}

var showing = regexp.MustCompile(`Showing nodes accounting for ([0-9.]+)(\w+), ([0-9.]+)% of ([0-9.]+)(\w+) total`)

// pprofShare is the fraction of the profile's samples that have a frame
// matching focus.
func pprofShare(bin, prof, focus string) (float64, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodefraction=0", "-edgefraction=0",
		"-focus="+focus, bin, prof).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pprof: %v\n%s", err, out)
	}
	m := showing.FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("pprof: no total in\n%s", out)
	}
	pct, _ := strconv.ParseFloat(m[3], 64)
	return pct / 100, nil
}

// pprofTop is the first n lines of `pprof -top` (by flat time), then the
// first n of `pprof -top -cum` that are functions of the tool itself.
func pprofTop(bin, prof string, n int) ([]string, error) {
	var lines []string
	for _, cum := range []bool{false, true} {
		args := []string{"tool", "pprof", "-top"}
		if cum {
			args = append(args, "-cum")
		}
		out, err := exec.Command("go", append(args, bin, prof)...).Output()
		if err != nil {
			return nil, err
		}
		started, k := false, 0
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "flat%") {
				started = true
				if !cum {
					lines = append(lines, l)
				} else {
					lines = append(lines, "", "by cumulative time, the tool's own functions:", l)
				}
				continue
			}
			if !started || strings.TrimSpace(l) == "" || (cum && !strings.Contains(l, "clodura/enrich/")) ||
				strings.Contains(l, "Benchmark") {
				continue
			}
			lines = append(lines, l)
			if k++; k >= n {
				break
			}
		}
	}
	return lines, nil
}
