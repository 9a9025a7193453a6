// Command harness measures clodura-enrich as users run it: the tool and
// the simulator as separate processes on loopback. It writes its figures
// to bench/results/ (results.json, results.md) and the plot bench/rate.png.
//
//	go run ./cmd/harness [-quick] [-only utilisation,alternatives,engine,memory,xlsx,resume]
//
// bench/run.sh is the one command that runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type config struct {
	quick   bool
	root    string // repository root
	src     string // the tool's source that is measured: HEAD exported, or root with -tree
	tree    bool
	bench   string // bench/
	work    string // scratch folder for inputs, outputs, states
	bin     string
	only    map[string]bool
	keep    bool
	verbose bool
}

func (c *config) want(section string) bool { return len(c.only) == 0 || c.only[section] }

// Results is everything one run of the harness measured.
type Results struct {
	Mode         string           `json:"mode"`
	Machine      Machine          `json:"machine"`
	Started      time.Time        `json:"started"`
	Commit       string           `json:"commit"`
	Took         string           `json:"took"`
	Utilisation  []Utilisation    `json:"utilisation,omitempty"`
	Alternatives []Alternative    `json:"alternatives,omitempty"`
	Overhead     []Overhead       `json:"overhead,omitempty"`
	Engine       *EngineBench     `json:"engine,omitempty"`
	Memory       []Memory         `json:"memory,omitempty"`
	Resume       []Resume         `json:"resume,omitempty"`
	Notes        []string         `json:"notes,omitempty"`
	Timelines    map[string][]int `json:"timelines,omitempty"` // per-second arrivals, for the plot
}

type Machine struct {
	CPU      string `json:"cpu"`
	NProc    int    `json:"nproc"`
	Go       string `json:"go"`
	Kernel   string `json:"kernel"`
	MemTotal string `json:"mem_total"`
	Load     string `json:"load_at_start"`
}

func main() {
	log.SetFlags(log.Ltime)
	var cfg config
	var only string
	flag.BoolVar(&cfg.quick, "quick", false, "a shorter run (under 5 minutes): smaller jobs, fewer sizes")
	flag.StringVar(&only, "only", "", "comma-separated sections: utilisation,alternatives,engine,memory,xlsx,resume")
	flag.StringVar(&cfg.work, "work", "", "scratch folder (default: a new temporary folder, removed at the end)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the scratch folder")
	flag.BoolVar(&cfg.verbose, "v", false, "log the tool's output")
	flag.BoolVar(&cfg.tree, "tree", false, "measure the working tree as it is (default: the committed HEAD, exported)")
	replot := flag.String("replot", "", "only redraw the plot and the tables from this results JSON (e.g. results/full.json)")
	flag.Parse()
	if *replot != "" {
		if err := redraw(*replot); err != nil {
			log.Fatal(err)
		}
		return
	}
	cfg.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.only[s] = true
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	cfg.bench = wd
	if filepath.Base(wd) != "bench" {
		log.Fatalf("run from bench/ (the folder of bench/go.mod), not %s", wd)
	}
	cfg.root = filepath.Dir(wd)
	if cfg.work == "" {
		cfg.work, err = os.MkdirTemp("", "clodura-bench-")
		if err != nil {
			log.Fatal(err)
		}
		if !cfg.keep {
			defer os.RemoveAll(cfg.work)
		}
	}
	if err := run(&cfg); err != nil {
		log.Print(err)
		os.RemoveAll(cfg.work)
		os.Exit(1)
	}
}

func run(cfg *config) error {
	start := time.Now()
	res := &Results{Mode: "full", Started: start.UTC().Truncate(time.Second), Machine: machine(), Timelines: map[string][]int{}}
	if cfg.quick {
		res.Mode = "quick"
	}
	log.Printf("machine: %s, %d cores, %s; load %s", res.Machine.CPU, res.Machine.NProc, res.Machine.Go, res.Machine.Load)
	var err error
	if res.Commit, cfg.src, err = source(cfg); err != nil {
		return err
	}
	log.Printf("measuring %s", res.Commit)
	if cfg.bin, err = buildTool(cfg.src, cfg.work); err != nil {
		return err
	}
	sections := []struct {
		name string
		fn   func(*config, *Results) error
	}{
		{"engine", engineSection},
		{"memory", memorySection},
		{"xlsx", xlsxSection},
		{"resume", resumeSection},
		{"utilisation", utilisationSection},
		{"alternatives", alternativesSection},
	}
	for _, s := range sections {
		if !cfg.want(s.name) {
			continue
		}
		log.Printf("== %s", s.name)
		t := time.Now()
		if err := s.fn(cfg, res); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		log.Printf("   %s took %v", s.name, time.Since(t).Round(time.Second))
	}
	res.Took = time.Since(start).Round(time.Second).String()
	return save(cfg, res)
}

// save writes results.json and results.md under bench/results/ (one
// pair per mode) and, when the rate was measured, bench/rate.png.
func save(cfg *config, res *Results) error {
	dir := filepath.Join(cfg.bench, "results")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := res.Mode
	if len(cfg.only) > 0 {
		name += "-partial"
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(res)
	if err := os.WriteFile(filepath.Join(dir, name+".md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	if len(res.Utilisation) > 0 {
		png := filepath.Join(cfg.bench, "rate.png")
		if name != "full" {
			png = filepath.Join(dir, "rate-"+name+".png")
		}
		if err := plotRate(res, png); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		log.Printf("plot: %s", png)
	}
	log.Printf("results: %s", filepath.Join(dir, name+".md"))
	return nil
}

func machine() Machine {
	m := Machine{NProc: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(strings.TrimPrefix(string(out), "go version "))
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		m.MemTotal = strings.Join(strings.Fields(l)[1:], " ")
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// loadavg is the 1-minute load average now: other engineers share the
// machine, and a figure taken under load says so.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// redraw renders the plot and the markdown of a saved results file again.
func redraw(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var res Results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	base := strings.TrimSuffix(path, ".json")
	if err := os.WriteFile(base+".md", []byte(markdown(&res)), 0o644); err != nil {
		return err
	}
	png := filepath.Join(filepath.Dir(filepath.Dir(base)), "rate.png")
	if res.Mode != "full" || strings.HasSuffix(base, "-partial") {
		png = filepath.Join(filepath.Dir(base), "rate-"+filepath.Base(base)+".png")
	}
	log.Printf("%s.md, %s", base, png)
	return plotRate(&res, png)
}

// source exports the committed HEAD of the repository into the scratch
// folder, so that the figures belong to a commit (other work in progress
// in the tree is not measured), unless -tree asks for the tree as it is.
func source(cfg *config) (commit, dir string, err error) {
	out, err := exec.Command("git", "-C", cfg.root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "working tree (not a git checkout)", cfg.root, nil
	}
	commit = strings.TrimSpace(string(out))
	if cfg.tree {
		if st, _ := exec.Command("git", "-C", cfg.root, "status", "--porcelain", "--untracked-files=no").Output(); len(st) > 0 {
			commit += " + uncommitted changes"
		}
		return commit, cfg.root, nil
	}
	dir = filepath.Join(cfg.work, "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	archive := exec.Command("sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", cfg.root, dir)
	if out, err := archive.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("exporting HEAD: %v\n%s", err, out)
	}
	return commit, dir, nil
}
