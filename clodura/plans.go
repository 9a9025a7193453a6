package clodura

import (
	"fmt"
	"strings"
)

// Plan is one row of Clodura's published rate-limit table. The limits are
// per API key: PerSecond and PerMinute are enforced with 429, PerDay with 409.
type Plan struct {
	Name      string // the --plan spelling: lower case, hyphenated
	Title     string // as Clodura's documentation writes it
	PerSecond int
	PerMinute int
	PerDay    int
}

// plans is the documented table, in the order the documentation lists it.
var plans = []Plan{
	{"max", "MAX", 10, 100, 2000},
	{"payg", "PayG", 10, 100, 2000},
	{"professional", "Professional", 10, 100, 2000},
	{"enterprise", "Enterprise", 10, 100, 2000},
	{"prospect-pro", "Prospect Pro", 10, 100, 2000},
	{"prospect", "Prospect", 10, 100, 2000},
	{"starter", "Starter", 1, 10, 600},
	{"basic", "Basic", 1, 10, 600},
	{"lifetime", "Lifetime", 1, 10, 300},
	{"free", "Free Forever", 1, 10, 300},
}

// DefaultPlan is the plan assumed when none is named: the most restrictive,
// so an unconfigured run can never exceed what any account allows.
const DefaultPlan = "free"

// Plans returns a copy of the plan table.
func Plans() []Plan { return append([]Plan(nil), plans...) }

// PlanByName finds a plan by its --plan name or documented title, ignoring
// case, spaces, '_' and '-' ("Prospect Pro", "prospect_pro", "PAYG").
func PlanByName(name string) (Plan, error) {
	want := foldName(name)
	if want == "default" || want == "freeforever" {
		want = "free"
	}
	for _, p := range plans {
		if foldName(p.Name) == want || foldName(p.Title) == want {
			return p, nil
		}
	}
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Name
	}
	return Plan{}, fmt.Errorf("unknown plan %q (one of: %s)", name, strings.Join(names, ", "))
}

func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}
