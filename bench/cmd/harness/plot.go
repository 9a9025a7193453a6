package main

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	blue  = color.RGBA{31, 119, 180, 255}
	red   = color.RGBA{214, 39, 40, 255}
	green = color.RGBA{44, 160, 44, 255}
	gray  = color.RGBA{120, 120, 120, 255}
)

// plotRate draws, for one per-second-bound run and the per-minute-bound
// run, the requests the simulator saw in each second against the limit.
func plotRate(res *Results, path string) error {
	var perSec, perMin string
	for _, u := range res.Utilisation {
		switch {
		case strings.HasPrefix(u.Name, "50/s") && (perSec == "" || strings.Contains(u.Name, "300ms")):
			perSec = u.Name
		case strings.HasPrefix(u.Name, "MAX") && (perMin == "" || strings.Contains(u.Name, "300ms")):
			perMin = u.Name
		}
	}
	var panels []*plot.Plot
	if perSec != "" {
		p, err := perSecondPanel(perSec, res.Timelines[perSec])
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if perMin != "" {
		p, err := perMinutePanel(perMin, res.Timelines[perMin])
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil
	}
	const w, h = 22 * vg.Centimeter, 9 * vg.Centimeter
	img := vgimg.New(w, h*vg.Length(len(panels)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Centimeter / 2, PadTop: vg.Centimeter / 4, PadBottom: vg.Centimeter / 4,
		PadLeft: vg.Centimeter / 4, PadRight: vg.Centimeter / 2}
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func series(counts []int) plotter.XYs {
	xy := make(plotter.XYs, 0, 2*len(counts))
	for i, c := range counts {
		// A step per second: flat over [i, i+1).
		xy = append(xy, plotter.XY{X: float64(i), Y: float64(c)}, plotter.XY{X: float64(i + 1), Y: float64(c)})
	}
	return xy
}

func hline(y, x1 float64) plotter.XYs { return plotter.XYs{{X: 0, Y: y}, {X: x1, Y: y}} }

func perSecondPanel(name string, counts []int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Per-second-bound plan (%s): requests arriving in each second", name)
	p.X.Label.Text = "seconds since the first request"
	p.Y.Label.Text = "requests / s"
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Centimeter, vg.Centimeter
	l, err := plotter.NewLine(series(counts))
	if err != nil {
		return nil, err
	}
	l.Color, l.Width = blue, vg.Points(1.2)
	lim, err := plotter.NewLine(hline(50, float64(len(counts))))
	if err != nil {
		return nil, err
	}
	lim.Color, lim.Width, lim.Dashes = red, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(plotter.NewGrid(), l, lim)
	p.Legend.Add("arrivals per second (simulator)", l)
	p.Legend.Add("limit: 50 / s", lim)
	p.Y.Min, p.Y.Max = 0, 60
	return p, nil
}

func perMinutePanel(name string, counts []int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Per-minute-bound plan (%s): 10 / s and 100 / min", name)
	p.X.Label.Text = "seconds since the first request"
	p.Y.Label.Text = "requests"
	p.Legend.XOffs, p.Legend.YOffs = -vg.Centimeter, 2*vg.Centimeter
	// Requests in the 60 s ending at each second boundary (from the
	// per-second buckets: a window of 60 whole buckets).
	roll := make([]int, len(counts))
	sum := 0
	for i, c := range counts {
		sum += c
		if i >= 60 {
			sum -= counts[i-60]
		}
		roll[i] = sum
	}
	ps, err := plotter.NewLine(series(counts))
	if err != nil {
		return nil, err
	}
	ps.Color, ps.Width = blue, vg.Points(1)
	rl, err := plotter.NewLine(series(roll))
	if err != nil {
		return nil, err
	}
	rl.Color, rl.Width = green, vg.Points(1.5)
	x1 := float64(len(counts))
	l100, _ := plotter.NewLine(hline(100, x1))
	l100.Color, l100.Width, l100.Dashes = red, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)}
	l10, _ := plotter.NewLine(hline(10, x1))
	l10.Color, l10.Width, l10.Dashes = gray, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(plotter.NewGrid(), ps, rl, l100, l10)
	p.Legend.Add("arrivals per second", ps)
	p.Legend.Add("arrivals in the last 60 s", rl)
	p.Legend.Add("limit: 100 / min", l100)
	p.Legend.Add("limit: 10 / s", l10)
	p.Y.Min, p.Y.Max = 0, 125
	return p, nil
}

// sortedKeys is used by the report for a stable order.
func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return slices.Clip(k)
}
