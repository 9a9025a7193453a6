package clodura

import (
	"strings"
	"testing"
)

func TestPlans(t *testing.T) {
	want := []Plan{
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
	got := Plans()
	if len(got) != len(want) {
		t.Fatalf("Plans() has %d plans, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Plans()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, p := range got {
		if p.PerSecond*60 < p.PerMinute || p.PerMinute > p.PerDay {
			t.Errorf("plan %s: limits %d/s %d/min %d/day are inconsistent", p.Name, p.PerSecond, p.PerMinute, p.PerDay)
		}
	}
	got[0].PerSecond = 999
	if Plans()[0].PerSecond != 10 {
		t.Error("Plans() returns the table itself, not a copy")
	}
	if _, err := PlanByName(DefaultPlan); err != nil {
		t.Errorf("DefaultPlan %q is not a plan: %v", DefaultPlan, err)
	}
	if d, _ := PlanByName(DefaultPlan); d.PerSecond != 1 || d.PerDay != 300 {
		t.Errorf("DefaultPlan is %+v, want the most restrictive", d)
	}
}

func TestPlanByName(t *testing.T) {
	tests := []struct {
		in   string
		want string // plan Name; "" for an error
	}{
		{"max", "max"},
		{"MAX", "max"},
		{"payg", "payg"},
		{"PAYG", "payg"},
		{"PayG", "payg"},
		{"pay-g", "payg"},
		{"Professional", "professional"},
		{"enterprise", "enterprise"},
		{"prospect-pro", "prospect-pro"},
		{"Prospect Pro", "prospect-pro"},
		{"prospect_pro", "prospect-pro"},
		{"PROSPECTPRO", "prospect-pro"},
		{"prospect", "prospect"},
		{"starter", "starter"},
		{"Basic", "basic"},
		{"lifetime", "lifetime"},
		{"free", "free"},
		{"Free Forever", "free"},
		{"free-forever", "free"},
		{"default", "free"},
		{"  Default ", "free"},
		{"", ""},
		{"gold", ""},
		{"prospect plus", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := PlanByName(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("PlanByName(%q) = %+v, want an error", tt.in, p)
				}
				if !strings.Contains(err.Error(), "prospect-pro") || !strings.Contains(err.Error(), "unknown plan") {
					t.Errorf("error %q does not list the plans", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("PlanByName(%q): %v", tt.in, err)
			}
			if p.Name != tt.want {
				t.Errorf("PlanByName(%q) = %s, want %s", tt.in, p.Name, tt.want)
			}
		})
	}
}
