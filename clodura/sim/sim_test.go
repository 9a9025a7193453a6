package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/clodura/enrich/clodura"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// unlimited is a plan with no per-second, per-minute or daily limit, for
// tests about something else.
var unlimited = clodura.Plan{Name: "unlimited"}

func plan(t *testing.T, name string) clodura.Plan {
	t.Helper()
	p, err := clodura.PlanByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// api sends requests to a Server: over the network when base is set, else
// straight to the handler (which is what synctest bubbles need: a real
// socket is not a durable block, so the fake clock would never move).
type api struct {
	t      *testing.T
	s      *Server
	base   string
	client *http.Client
}

// network serves s on httptest.NewServer.
func network(t *testing.T, s *Server) *api {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &api{t: t, s: s, base: srv.URL, client: srv.Client()}
}

// direct calls s.ServeHTTP with a recorder.
func direct(t *testing.T, s *Server) *api { return &api{t: t, s: s} }

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) message() string {
	var e struct{ Message string }
	json.Unmarshal(a.body, &e)
	return e.Message
}

func (a *api) do(method, path, key, body string) answer {
	a.t.Helper()
	return a.doCtx(context.Background(), method, path, key, body)
}

func (a *api) doCtx(ctx context.Context, method, path, key, body string) answer {
	a.t.Helper()
	ans, err := a.try(ctx, method, path, key, body)
	if err != nil {
		a.t.Fatal(err)
	}
	return ans
}

// try is do for goroutines other than the test's: it returns the error.
func (a *api) try(ctx context.Context, method, path, key, body string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	if a.base == "" {
		req := httptest.NewRequestWithContext(ctx, method, path, rd)
		if key != "" {
			req.Header.Set("X-API-KEY", key)
		}
		rec := httptest.NewRecorder()
		a.s.ServeHTTP(rec, req)
		return answer{rec.Code, rec.Header(), rec.Body.Bytes()}, nil
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	return answer{resp.StatusCode, resp.Header, b}, nil
}

func (a *api) credits(key string) answer {
	a.t.Helper()
	return a.do(http.MethodGet, CreditsPath, key, "")
}

func (a *api) search(key, body string) answer {
	a.t.Helper()
	return a.do(http.MethodPost, SearchPath, key, body)
}

func (a *api) balance(key string) float64 {
	a.t.Helper()
	ans := a.credits(key)
	var c struct{ RemainingCredits *float64 }
	if ans.status != http.StatusOK || json.Unmarshal(ans.body, &c) != nil || c.RemainingCredits == nil {
		a.t.Fatalf("credits: %d %s", ans.status, ans.body)
	}
	return *c.RemainingCredits
}

func nameBody(first, last string, perPage int) string {
	return fmt.Sprintf(`{"page":1,"perPage":%d,"firstName":%q,"lastName":%q}`, perPage, first, last)
}

// findQuery returns a first and last name whose match satisfies ok.
func findQuery(t *testing.T, s *Server, ok func(m matches) bool) (string, string) {
	t.Helper()
	for i := range 2000 {
		first, last := fmt.Sprintf("first%d", i), fmt.Sprintf("last%d", i)
		if ok(s.match(query{first: first, last: last})) {
			return first, last
		}
	}
	t.Fatal("no query matched")
	return "", ""
}

func found(n int) func(matches) bool { return func(m matches) bool { return m.total == n } }

func searchData(t *testing.T, ans answer) ([]map[string]any, pagination) {
	t.Helper()
	if ans.status != http.StatusOK {
		t.Fatalf("search: %d %s", ans.status, ans.body)
	}
	var r struct {
		Data       []map[string]any
		Pagination pagination
	}
	if err := json.Unmarshal(ans.body, &r); err != nil {
		t.Fatalf("search answer %s: %v", ans.body, err)
	}
	return r.Data, r.Pagination
}

// advance moves a synctest bubble's fake clock on by d.
func advance(d time.Duration) { <-time.After(d) }

func TestAuthAndRoutes(t *testing.T) {
	a := network(t, New(Config{Keys: []Key{
		{Key: "good", Plan: unlimited, Credits: 10},
		{Key: "revoked", Plan: unlimited, Credits: 10, Revoked: true},
		{Key: "forbidden", Plan: unlimited, Credits: 10, Forbidden: true},
	}}))
	body := nameBody("John", "Smith", 1)
	tests := []struct {
		name, method, path, key string
		status                  int
		message                 string
	}{
		{"no key", http.MethodPost, SearchPath, "", 401, "Unauthorized"},
		{"unknown key", http.MethodPost, SearchPath, "nope", 401, "Unauthorized"},
		{"revoked key", http.MethodPost, SearchPath, "revoked", 401, "Unauthorized"},
		{"revoked key credits", http.MethodGet, CreditsPath, "revoked", 401, "Unauthorized"},
		{"no key credits", http.MethodGet, CreditsPath, "", 401, "Unauthorized"},
		{"forbidden search", http.MethodPost, SearchPath, "forbidden", 403, "Forbidden"},
		{"forbidden may read credits", http.MethodGet, CreditsPath, "forbidden", 200, ""},
		{"search by GET", http.MethodGet, SearchPath, "good", 405, "Method not allowed"},
		{"credits by POST", http.MethodPost, CreditsPath, "good", 405, "Method not allowed"},
		{"unknown path", http.MethodGet, "/api/v1/nothing", "good", 404, "Not found: /api/v1/nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do(tc.method, tc.path, tc.key, body)
			if ans.status != tc.status || ans.message() != tc.message {
				t.Errorf("got %d %s, want %d {\"message\":%q}", ans.status, ans.body, tc.status, tc.message)
			}
			if ct := ans.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.status == 405 && ans.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	if got := a.balance("forbidden"); got != 10 {
		t.Errorf("refused requests charged: balance %v, want 10", got)
	}
}

func TestSlidingWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := direct(t, New(Config{Keys: []Key{{Key: "k", Plan: plan(t, "max"), Credits: 1e6}}}))
		want := func(step string, status int) {
			t.Helper()
			if ans := a.credits("k"); ans.status != status {
				t.Fatalf("%s: got %d %s, want %d", step, ans.status, ans.body, status)
			} else if status == 429 {
				if ans.message() != "Rate limit exceeded" {
					t.Errorf("%s: message %q", step, ans.message())
				}
				if ra := ans.header.Get("Retry-After"); ra != "" {
					t.Errorf("%s: Retry-After %q sent though not configured", step, ra)
				}
			}
		}
		for i := range 10 {
			want(fmt.Sprintf("request %d", i+1), 200)
		}
		want("11th in the same second", 429)
		advance(999 * time.Millisecond)
		want("still inside the second", 429)
		advance(time.Millisecond)
		want("exactly one second after the first ten", 200)

		// Fill the minute: 100 admitted in all. The refused ones above did
		// not count, or the minute would fill early.
		for i := 11; i < 100; i++ {
			if i%10 == 0 {
				advance(time.Second)
			}
			want(fmt.Sprintf("admitted %d", i+1), 200)
		}
		advance(5 * time.Second)
		want("101st in the minute, second window empty", 429)
		// The first ten were admitted at t=0: they leave the minute at t=60s.
		advance(start.Add(time.Minute).Sub(time.Now()) - time.Millisecond)
		want("just before the first ten leave the minute", 429)
		advance(time.Millisecond)
		want("the first ten left the minute", 200)
	})
}

func TestSearchCountsAgainstWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := direct(t, New(Config{Keys: []Key{{Key: "k", Plan: plan(t, "free"), Credits: 100}}}))
		if ans := a.search("k", nameBody("Ann", "Lee", 1)); ans.status == 429 {
			t.Fatalf("first search: %d", ans.status)
		}
		if ans := a.credits("k"); ans.status != 429 {
			t.Fatalf("credits after a search in the same second (free: 1/s): %d, want 429", ans.status)
		}
		advance(time.Second)
		if ans := a.search("k", `{"page":0}`); ans.status != 400 {
			t.Fatalf("bad search: %d, want 400", ans.status)
		}
		if ans := a.credits("k"); ans.status != 429 {
			t.Fatalf("a 400 is admitted and counts: got %d, want 429", ans.status)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		want       string
	}{
		{"not configured", 0, ""},
		{"whole seconds", 2 * time.Second, "2"},
		{"rounded up", 1500 * time.Millisecond, "2"},
		{"under a second", 50 * time.Millisecond, "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := direct(t, New(Config{
					Keys:   []Key{{Key: "k", Plan: plan(t, "free"), Credits: 1}},
					Faults: Faults{RetryAfter: tc.retryAfter},
				}))
				a.credits("k")
				ans := a.credits("k")
				if ans.status != 429 {
					t.Fatalf("got %d, want 429", ans.status)
				}
				if got := ans.header.Get("Retry-After"); got != tc.want {
					t.Errorf("Retry-After %q, want %q", got, tc.want)
				}
			})
		})
	}
}

func TestDailyQuota(t *testing.T) {
	tests := []struct {
		name  string
		quota int
		plan  clodura.Plan
		want  int
	}{
		{"config quota", 3, unlimited, 3},
		{"plan per day", 0, clodura.Plan{Name: "tiny", PerDay: 2}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{DailyQuota: tc.quota, Keys: []Key{
				{Key: "k", Plan: tc.plan, Credits: 100},
				{Key: "other", Plan: tc.plan, Credits: 100},
			}})
			a := network(t, s)
			for i := range tc.want {
				path := []string{CreditsPath, SearchPath}[i%2] // both count
				if ans := a.do(map[string]string{CreditsPath: "GET", SearchPath: "POST"}[path], path, "k",
					nameBody("Ann", "Lee", 1)); ans.status >= 400 && ans.status != 404 {
					t.Fatalf("request %d: %d %s", i+1, ans.status, ans.body)
				}
			}
			for range 2 {
				ans := a.search("k", nameBody("Ann", "Lee", 1))
				if ans.status != 409 || ans.message() != "Daily limit exceeded" {
					t.Fatalf("over the quota: %d %s, want 409", ans.status, ans.body)
				}
			}
			if ans := a.credits("other"); ans.status != 200 {
				t.Errorf("quota is per key: other key got %d", ans.status)
			}
			s.Rollover()
			if ans := a.credits("k"); ans.status != 200 {
				t.Errorf("after Rollover: %d, want 200", ans.status)
			}
			if got := a.s.Stats().ByStatus["409"]; got != 2 {
				t.Errorf("ByStatus[409] = %d, want 2", got)
			}
		})
	}
}

func TestDayBoundaries(t *testing.T) {
	tests := []struct {
		name      string
		dayLength time.Duration
		dayEnds   time.Duration // from the start of the bubble
	}{
		{"DayLength", 90 * time.Minute, 90 * time.Minute},
		// synctest's clock starts at midnight UTC, 2000-01-01.
		{"real UTC day", 0, 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				a := direct(t, New(Config{DailyQuota: 2, DayLength: tc.dayLength,
					Keys: []Key{{Key: "k", Plan: unlimited}}}))
				for day := range 3 {
					a.credits("k")
					a.credits("k")
					if ans := a.credits("k"); ans.status != 409 {
						t.Fatalf("day %d: third request %d, want 409", day, ans.status)
					}
					end := start.Add(time.Duration(day+1) * tc.dayEnds)
					advance(end.Sub(time.Now()) - time.Second)
					if ans := a.credits("k"); ans.status != 409 {
						t.Fatalf("day %d: a second before the day ends: %d, want 409", day, ans.status)
					}
					advance(time.Second)
					if ans := a.credits("k"); ans.status != 200 {
						t.Fatalf("day %d: new day: %d, want 200", day, ans.status)
					}
					a.credits("k")
				}
				// Rollover starts a day now; with DayLength the next starts
				// DayLength later.
				advance(time.Minute)
				a.s.Rollover()
				a.credits("k")
				a.credits("k")
				if ans := a.credits("k"); ans.status != 409 {
					t.Fatalf("after Rollover: third %d, want 409", ans.status)
				}
			})
		})
	}
}

func TestCreditsAndCharging(t *testing.T) {
	s := New(Config{Seed: 1})
	three := func(m matches) bool { return m.total == 3 }
	f3, l3 := findQuery(t, s, three)
	f0, l0 := findQuery(t, s, found(0))
	tests := []struct {
		name        string
		credits     float64
		body        string
		status      int
		records     int
		wantBalance float64
	}{
		{"perPage 1 costs 1", 10, nameBody(f3, l3, 1), 200, 1, 9},
		{"perPage 2 of 3", 10, nameBody(f3, l3, 2), 200, 2, 8},
		{"perPage above total", 10, nameBody(f3, l3, 100), 200, 3, 7},
		{"second page", 10, fmt.Sprintf(`{"page":2,"perPage":2,"firstName":%q,"lastName":%q}`, f3, l3), 200, 1, 9},
		{"past the last page", 10, fmt.Sprintf(`{"page":3,"perPage":2,"firstName":%q,"lastName":%q}`, f3, l3), 200, 0, 10},
		{"fractional balance caps records", 2.5, nameBody(f3, l3, 3), 200, 2, 0.5},
		{"nobody found costs nothing", 10, nameBody(f0, l0, 5), -1, 0, 10},
		{"zero balance", 0, nameBody(f3, l3, 1), 402, 0, 0},
		{"under one credit", 0.96, nameBody(f3, l3, 1), 402, 0, 0.96},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Seed: 1, Keys: []Key{{Key: "k", Plan: unlimited, Credits: tc.credits}}})
			a := network(t, s)
			ans := a.search("k", tc.body)
			switch tc.status {
			case 402:
				if ans.status != 402 || ans.message() != "Insufficient credits" {
					t.Fatalf("got %d %s, want 402", ans.status, ans.body)
				}
			case -1: // nobody: 404 or an empty 200
				if ans.status == 200 {
					if data, _ := searchData(t, ans); len(data) != 0 {
						t.Fatalf("nobody found but %d records", len(data))
					}
				} else if ans.status != 404 {
					t.Fatalf("got %d, want 404 or 200", ans.status)
				}
			default:
				data, pg := searchData(t, ans)
				if len(data) != tc.records {
					t.Errorf("%d records, want %d", len(data), tc.records)
				}
				if pg.TotalRecords != 3 {
					t.Errorf("totalRecords %d, want 3", pg.TotalRecords)
				}
			}
			if got := a.balance("k"); got != tc.wantBalance {
				t.Errorf("balance %v, want %v", got, tc.wantBalance)
			}
			if got := s.Stats().CreditsCharged; got != tc.credits-tc.wantBalance {
				t.Errorf("CreditsCharged %v, want %v", got, tc.credits-tc.wantBalance)
			}
		})
	}
}

func TestProspectShape(t *testing.T) {
	s := New(Config{Keys: []Key{{Key: "p", Plan: plan(t, "prospect"), Credits: 1000, Shape: "prospect"}}})
	a := network(t, s)
	f, l := findQuery(t, s, found(2))
	check := func(want string) {
		t.Helper()
		if ans := a.credits("p"); ans.status != 200 || string(ans.body) != want {
			t.Errorf("credits: %d %s, want %s", ans.status, ans.body, want)
		}
	}
	check(`{"contactsView":0,"maxContacts":"1000","directDials":0,"maxDirectDials":200}`)
	if data, _ := searchData(t, a.search("p", nameBody(f, l, 2))); len(data) != 2 {
		t.Fatalf("%d records, want 2", len(data))
	}
	check(`{"contactsView":2,"maxContacts":"1000","directDials":0,"maxDirectDials":200}`)
	s.SetKey(Key{Key: "p", Plan: plan(t, "prospect"), Credits: 500, Shape: "prospect"}) // refill
	check(`{"contactsView":2,"maxContacts":"502","directDials":0,"maxDirectDials":200}`)
}

func TestRecordsEchoTheQuery(t *testing.T) {
	s := New(Config{Seed: 7, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}})
	a := network(t, s)
	// Find bodies that find somebody.
	var byName, bySlug, byID string
	for i := 0; byName == "" || bySlug == "" || byID == ""; i++ {
		first, last := fmt.Sprintf("jOHN%d", i), fmt.Sprintf("o'BRIEN%d", i)
		if byName == "" && s.match(query{first: first, last: last, org: "Acme Ltd", domain: "acme.io"}).total > 0 {
			byName = fmt.Sprintf(`{"page":1,"perPage":1,"firstName":%q,"lastName":%q,"organizationName":"Acme Ltd","companyDomain":"acme.io","someFutureField":[1,2]}`, first, last)
		}
		slug := fmt.Sprintf("mary-jane-watson-%d", i)
		if bySlug == "" && s.match(query{slug: slug}).total > 0 {
			bySlug = fmt.Sprintf(`{"page":1,"perPage":1,"linkedinUrl":"https://www.linkedin.com/in/%s/"}`, slug)
		}
		id := fmt.Sprintf("P%012x", i)
		if byID == "" && s.match(query{personID: id}).total > 0 {
			byID = fmt.Sprintf(`{"page":1,"perPage":1,"personId":%q}`, id)
		}
	}
	rec := func(body string) map[string]any {
		t.Helper()
		data, _ := searchData(t, a.search("k", body))
		if len(data) != 1 {
			t.Fatalf("%s: %d records", body, len(data))
		}
		return data[0]
	}
	p := rec(byName)
	if !strings.HasPrefix(p["firstName"].(string), "John") || !strings.HasPrefix(p["lastName"].(string), "O'Brien") {
		t.Errorf("names not title-cased echoes: %v %v", p["firstName"], p["lastName"])
	}
	if p["organizationName"] != "Acme Ltd" || p["companyDomain"] != "acme.io" {
		t.Errorf("company not echoed: %v %v", p["organizationName"], p["companyDomain"])
	}
	for _, field := range []string{"personId", "personTitle", "seniority", "functional", "personCity",
		"personCountry", "linkedinUrl", "organizationId", "contactEmailStatus", "lastUpdated"} {
		if v, _ := p[field].(string); v == "" {
			t.Errorf("field %s empty in %v", field, p)
		}
	}
	if id := p["personId"].(string); len(id) != 13 || id[0] != 'P' {
		t.Errorf("personId %q, want P and 12 hex digits", id)
	}
	p = rec(bySlug)
	if p["firstName"] != "Mary" || p["lastName"] != "Jane Watson" {
		t.Errorf("names from the slug: %v %v, want Mary / Jane Watson", p["firstName"], p["lastName"])
	}
	if li, _ := p["linkedinUrl"].(string); !strings.HasPrefix(li, "https://www.linkedin.com/in/mary-jane-watson-") {
		t.Errorf("linkedinUrl %q", li)
	}
	if dom, _ := p["companyDomain"].(string); !strings.HasSuffix(dom, ".com") {
		t.Errorf("derived companyDomain %q", dom)
	}
	if p = rec(byID); !strings.Contains(byID, p["personId"].(string)) {
		t.Errorf("personId %v not echoed from %s", p["personId"], byID)
	}
}

func TestDeterminism(t *testing.T) {
	body := func(i int) string { return nameBody(fmt.Sprintf("Ann%d", i), "Lee", 4) }
	answers := func(seed int64) []string {
		a := network(t, New(Config{Seed: seed, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}}))
		var out []string
		for i := range 20 {
			ans := a.search("k", body(i))
			out = append(out, fmt.Sprintf("%d %s", ans.status, ans.body))
		}
		// The same query again on the same server: the same people.
		if again := a.search("k", body(0)); fmt.Sprintf("%d %s", again.status, again.body) != out[0] {
			t.Errorf("same query, different answer:\n%s\n%d %s", out[0], again.status, again.body)
		}
		return out
	}
	one, same, other := answers(1), answers(1), answers(2)
	if !slices.Equal(one, same) {
		t.Error("same seed, different answers")
	}
	differ := 0
	for i := range one {
		if one[i] != other[i] {
			differ++
		}
	}
	if differ < 15 {
		t.Errorf("seeds 1 and 2 differ on %d of 20 queries, want most", differ)
	}
}

func TestProportions(t *testing.T) {
	s := New(Config{Seed: 3, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}})
	a := direct(t, s)
	const n = 400
	var notFound404, empty200, several, one int
	for i := range n {
		ans := a.search("k", nameBody(fmt.Sprintf("Given%d", i), fmt.Sprintf("Family%d", i*7), 10))
		if ans.status == 404 {
			if ans.message() != "No records found" {
				t.Fatalf("404 message %q", ans.message())
			}
			notFound404++
			continue
		}
		data, pg := searchData(t, ans)
		switch {
		case pg.TotalRecords == 0 && len(data) == 0:
			empty200++
		case pg.TotalRecords == 1 && len(data) == 1:
			one++
		case pg.TotalRecords >= 2 && pg.TotalRecords <= 4 && len(data) == pg.TotalRecords:
			several++
		default:
			t.Fatalf("totalRecords %d with %d records", pg.TotalRecords, len(data))
		}
	}
	pct := func(k int) float64 { return 100 * float64(k) / n }
	t.Logf("404 %d, empty 200 %d, several %d, one %d", notFound404, empty200, several, one)
	if p := pct(notFound404 + empty200); p < 8 || p > 22 {
		t.Errorf("nobody found for %.1f%%, want about 15%%", p)
	}
	if p := pct(several); p < 13 || p > 27 {
		t.Errorf("several found for %.1f%%, want about 20%%", p)
	}
	if notFound404 == 0 || empty200 == 0 {
		t.Errorf("want both shapes of not found: 404 %d, empty 200 %d", notFound404, empty200)
	}
}

func TestValidation(t *testing.T) {
	a := network(t, New(Config{Keys: []Key{{Key: "k", Plan: unlimited, Credits: 100}}}))
	tests := []struct{ name, body, want string }{
		{"malformed JSON", `{"page":1,`, "malformed JSON"},
		{"not an object", `[1,2]`, "malformed JSON"},
		{"trailing data", `{"page":1,"perPage":1,"personId":"P1"} {}`, "malformed JSON"},
		{"trailing brace", `{"page":1,"perPage":1,"personId":"P1"}}`, "malformed JSON"},
		{"two objects", `{"page":1,"perPage":1,"personId":"P1"}{"page":1}`, "malformed JSON"},
		{"wrong type", `{"page":"1","perPage":1,"personId":"P1"}`, "malformed JSON"},
		{"empty body", ``, "malformed JSON"},
		{"page missing", `{"perPage":1,"personId":"P1"}`, "page is required"},
		{"perPage missing", `{"page":1,"personId":"P1"}`, "perPage is required"},
		{"page zero", `{"page":0,"perPage":1,"personId":"P1"}`, "page must be between 1 and 100"},
		{"page 101", `{"page":101,"perPage":1,"personId":"P1"}`, "page must be between 1 and 100"},
		{"perPage 101", `{"page":1,"perPage":101,"personId":"P1"}`, "perPage must be between 1 and 100"},
		{"no filter", `{"page":1,"perPage":1,"organizationName":"Acme"}`, "give firstName and lastName"},
		{"first name only", `{"page":1,"perPage":1,"firstName":"Madonna"}`, "give firstName and lastName"},
		{"sales navigator", `{"page":1,"perPage":1,"linkedinUrl":"https://www.linkedin.com/sales/lead/ACwAA"}`, "Sales Navigator"},
		{"company page", `{"page":1,"perPage":1,"linkedinUrl":"https://www.linkedin.com/company/acme"}`, "linkedin.com/in/"},
		{"other site", `{"page":1,"perPage":1,"linkedinUrl":"https://example.com/in/jane"}`, "linkedin.com/in/"},
		{"no slug", `{"page":1,"perPage":1,"linkedinUrl":"linkedin.com/in/"}`, "linkedin.com/in/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.search("k", tc.body)
			if ans.status != 400 || !strings.Contains(ans.message(), tc.want) {
				t.Errorf("got %d %s, want 400 with %q", ans.status, ans.body, tc.want)
			}
		})
	}
	valid := []string{
		`{"page":100,"perPage":100,"firstName":"Jane","lastName":"Doe","unknownField":{"x":1}}`,
		`{"page":1,"perPage":1,"linkedinUrl":"linkedin.com/in/jane-doe"}`,
		`{"page":1,"perPage":1,"linkedinUrl":"https://in.linkedin.com/in/jane-doe?trk=x"}`,
		`{"page":1,"perPage":1,"personId":"P0123456789ab","seniority":["Director"],"includeSimilarTitles":false}`,
	}
	for _, body := range valid {
		if ans := a.search("k", body); ans.status != 200 && ans.status != 404 {
			t.Errorf("%s: %d %s, want 200 or 404", body, ans.status, ans.body)
		}
	}
	if got := a.balance("k"); got < 100-float64(len(valid)) || got > 100 {
		t.Errorf("400s charged credits: balance %v", got)
	}
}

func TestFaults(t *testing.T) {
	t.Run("5xx", func(t *testing.T) {
		s := New(Config{Faults: Faults{ErrorRate: 1}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
		a := network(t, s)
		seen := map[int]bool{}
		for range 30 {
			ans := a.search("k", nameBody("Ann", "Lee", 1))
			if ans.status != 500 && ans.status != 502 && ans.status != 503 || ans.message() == "" {
				t.Fatalf("got %d %s, want a 5xx with a message", ans.status, ans.body)
			}
			seen[ans.status] = true
		}
		if len(seen) != 3 {
			t.Errorf("statuses seen %v, want 500, 502 and 503", seen)
		}
		if ans := a.credits("k"); ans.status != 200 {
			t.Errorf("credits is never faulted: %d", ans.status)
		}
		if st := s.Stats(); st.Errors5xx != 30 || st.CreditsCharged != 0 || st.Requests != 31 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("drop", func(t *testing.T) {
		s := New(Config{Faults: Faults{DropRate: 1}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
		srv := httptest.NewServer(s)
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+SearchPath, strings.NewReader(nameBody("Ann", "Lee", 1)))
		req.Header.Set("X-API-KEY", "k")
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got %d, want a connection error", resp.StatusCode)
		}
		if st := s.Stats(); st.Dropped != 1 || st.Requests != 1 || len(st.ByStatus) != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := New(Config{Faults: Faults{TruncateRate: 1}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
		a := network(t, s)
		f, l := findQuery(t, s, found(1))
		ans := a.search("k", nameBody(f, l, 1))
		if ans.status != 200 || json.Valid(ans.body) || len(ans.body) < 20 {
			t.Fatalf("got %d %q, want 200 with half a JSON body", ans.status, ans.body)
		}
		if got := a.balance("k"); got != 9 {
			t.Errorf("balance %v, want 9: a truncated answer was still charged", got)
		}
		if st := s.Stats(); st.Truncated != 1 || st.ByStatus["200"] != 2 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("hang until the client gives up", func(t *testing.T) {
		s := New(Config{Faults: Faults{HangRate: 1}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
		srv := httptest.NewServer(s)
		defer srv.Close()
		client := srv.Client()
		client.Timeout = 100 * time.Millisecond
		req, _ := http.NewRequest(http.MethodPost, srv.URL+SearchPath, strings.NewReader(nameBody("Ann", "Lee", 1)))
		req.Header.Set("X-API-KEY", "k")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got %d, want a client timeout", resp.StatusCode)
		}
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("error %v, want a timeout", err)
		}
		if st := s.Stats(); st.Hung != 1 {
			t.Errorf("Hung %d, want 1", st.Hung)
		}
	})
	t.Run("hang gives up after two minutes", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := direct(t, New(Config{Faults: Faults{HangRate: 1}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}}))
			start := time.Now()
			if ans := a.search("k", nameBody("Ann", "Lee", 1)); ans.status != 504 {
				t.Errorf("got %d, want 504", ans.status)
			}
			if d := time.Since(start); d != 2*time.Minute {
				t.Errorf("hung %v, want 2m", d)
			}
		})
	})
	t.Run("spurious 429", func(t *testing.T) {
		s := New(Config{Faults: Faults{RateLimitRate: 1, RetryAfter: time.Second},
			Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
		a := network(t, s)
		ans := a.search("k", nameBody("Ann", "Lee", 1))
		if ans.status != 429 || ans.message() != "Rate limit exceeded" || ans.header.Get("Retry-After") != "1" {
			t.Errorf("got %d %v %s, want 429 with Retry-After 1", ans.status, ans.header, ans.body)
		}
		if st := s.Stats(); st.RateLimited != 1 || st.CreditsCharged != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("latency and jitter", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a := direct(t, New(Config{Faults: Faults{Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond},
				Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}}))
			var delays []time.Duration
			for range 20 {
				start := time.Now()
				a.search("k", nameBody("Ann", "Lee", 1))
				d := time.Since(start)
				if d < 50*time.Millisecond || d > 70*time.Millisecond {
					t.Fatalf("answer took %v, want 50ms to 70ms", d)
				}
				delays = append(delays, d)
			}
			slices.Sort(delays)
			if delays[0] == delays[len(delays)-1] {
				t.Errorf("no jitter: every answer took %v", delays[0])
			}
		})
	})
	t.Run("client gives up during latency", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := New(Config{Faults: Faults{Latency: time.Second}, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 10}}})
			a := direct(t, s)
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			ans := a.doCtx(ctx, http.MethodPost, SearchPath, "k", nameBody("Ann", "Lee", 1))
			if d := time.Since(start); d != 100*time.Millisecond || len(ans.body) != 0 {
				t.Errorf("after %v got %q, want nothing after 100ms", d, ans.body)
			}
			if st := s.Stats(); st.CreditsCharged != 0 || st.Requests != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	})
	t.Run("reproducible", func(t *testing.T) {
		run := func(seed int64) []int {
			a := direct(t, New(Config{Seed: seed, Faults: Faults{ErrorRate: 0.3, RateLimitRate: 0.3},
				Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}}))
			var got []int
			for i := range 40 {
				got = append(got, a.search("k", nameBody("Ann", fmt.Sprint(i), 1)).status)
			}
			return got
		}
		first, again, other := run(5), run(5), run(6)
		if !slices.Equal(first, again) {
			t.Errorf("same seed, different faults:\n%v\n%v", first, again)
		}
		if slices.Equal(first, other) {
			t.Errorf("seeds 5 and 6 gave the same faults %v", first)
		}
		if !slices.Contains(first, 429) || !slices.ContainsFunc(first, func(c int) bool { return c >= 500 }) {
			t.Errorf("statuses %v, want some 429s and 5xx", first)
		}
	})
}

func TestStatsWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Keys: []Key{{Key: "k", Plan: unlimited}}})
		a := direct(t, s)
		burst := func(n int) {
			for range n {
				a.credits("k")
			}
		}
		burst(5) // t=0
		advance(500 * time.Millisecond)
		burst(3) // t=0.5s
		advance(500 * time.Millisecond)
		burst(4)                        // t=1s: not in the window of t=0 (half-open)
		a.do("GET", "/nowhere", "", "") // counted too: every arrival
		advance(59 * time.Second)
		burst(2)                           // t=60s: the arrivals at 0 have left the minute
		a.do("GET", "/_sim/stats", "", "") // admin: not counted
		st := s.Stats()
		if st.MaxPerSecond != 8 {
			t.Errorf("MaxPerSecond %d, want 8 (t=0 and t=0.5s)", st.MaxPerSecond)
		}
		if st.MaxPerMinute != 13 {
			t.Errorf("MaxPerMinute %d, want 13", st.MaxPerMinute)
		}
		if st.Requests != 15 || st.ByStatus["200"] != 14 || st.ByStatus["404"] != 1 {
			t.Errorf("Requests %d ByStatus %v", st.Requests, st.ByStatus)
		}
		wantPerSecond := make([]int, 61)
		wantPerSecond[0], wantPerSecond[1], wantPerSecond[60] = 8, 5, 2
		if !slices.Equal(st.PerSecond, wantPerSecond) {
			t.Errorf("PerSecond %v, want %v", st.PerSecond, wantPerSecond)
		}
		if st.LastRequest.Sub(st.FirstRequest) != 60*time.Second {
			t.Errorf("first %v last %v", st.FirstRequest, st.LastRequest)
		}

		s = New(Config{Keys: []Key{{Key: "k", Plan: unlimited}}})
		a = direct(t, s)
		burst(5)
		advance(time.Second)
		burst(5)
		if got := s.Stats().MaxPerSecond; got != 5 {
			t.Errorf("5 at t and 5 at t+1s: MaxPerSecond %d, want 5", got)
		}
	})
}

func TestChargedTwice(t *testing.T) {
	s := New(Config{Keys: []Key{
		{Key: "k", Plan: unlimited, Credits: 100},
		{Key: "k2", Plan: unlimited, Credits: 100},
	}})
	a := network(t, s)
	f, l := findQuery(t, s, found(3))
	f0, l0 := findQuery(t, s, found(0))
	steps := []struct {
		name, key, body string
		want            int
	}{
		{"first", "k", nameBody(f, l, 1), 0},
		{"nobody found charges nothing", "k", nameBody(f0, l0, 1), 0},
		{"nobody found again", "k", nameBody(f0, l0, 1), 0},
		{"other perPage", "k", nameBody(f, l, 2), 0},
		{"other key", "k2", nameBody(f, l, 1), 0},
		{"same again", "k", nameBody(f, l, 1), 1},
		{"same, fields reordered", "k", fmt.Sprintf(`{"lastName":%q,"firstName":%q,"perPage":1,"page":1,"x":1}`, l, f), 2},
		{"same without page counts", "k", fmt.Sprintf(`{"page":2,"perPage":1,"firstName":%q,"lastName":%q}`, f, l), 3},
	}
	for _, st := range steps {
		a.search(st.key, st.body)
		if got := s.Stats().ChargedTwice; got != st.want {
			t.Fatalf("%s: ChargedTwice %d, want %d", st.name, got, st.want)
		}
	}
	s.Rollover()
	a.search("k", nameBody(f, l, 1))
	if got := s.Stats().ChargedTwice; got != 4 {
		t.Errorf("across days: ChargedTwice %d, want 4", got)
	}
}

func TestAdmin(t *testing.T) {
	s := New(Config{DailyQuota: 1})
	a := network(t, s)
	post := func(path, body string) answer {
		t.Helper()
		return a.do(http.MethodPost, path, "", body)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"key by plan name", "POST", "/_sim/keys", `{"key":"a","plan":"Prospect Pro","credits":5,"shape":"prospect"}`, 200},
		{"key with plan object", "POST", "/_sim/keys", `{"key":"b","plan":{"name":"custom","per_second":2,"per_minute":5,"per_day":9},"credits":1.5}`, 200},
		{"key with named plan object", "POST", "/_sim/keys", `{"key":"c","plan":{"name":"starter"}}`, 200},
		{"key with a marshalled clodura.Plan", "POST", "/_sim/keys", `{"key":"e","plan":{"Name":"x","Title":"X","PerSecond":3,"PerMinute":4,"PerDay":5}}`, 200},
		{"unknown plan", "POST", "/_sim/keys", `{"key":"d","plan":"gold"}`, 400},
		{"bad shape", "POST", "/_sim/keys", `{"key":"d","shape":"weird"}`, 400},
		{"no key", "POST", "/_sim/keys", `{"credits":5}`, 400},
		{"malformed", "POST", "/_sim/keys", `{`, 400},
		{"faults", "POST", "/_sim/faults", `{"error_rate":1,"retry_after":"1500ms","latency":"1ms"}`, 200},
		{"rate above one", "POST", "/_sim/faults", `{"drop_rate":2}`, 400},
		{"rates add above one", "POST", "/_sim/faults", `{"drop_rate":0.6,"hang_rate":0.6}`, 400},
		{"bad duration", "POST", "/_sim/faults", `{"latency":"fast"}`, 400},
		{"negative duration", "POST", "/_sim/faults", `{"jitter":"-1s"}`, 400},
		{"stats by POST", "POST", "/_sim/stats", ``, 405},
		{"keys by GET", "GET", "/_sim/keys", ``, 405},
		{"unknown", "GET", "/_sim/nothing", ``, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ans := a.do(tc.method, tc.path, "", tc.body); ans.status != tc.status || ans.message() == "" {
				t.Errorf("got %d %s, want %d with a message", ans.status, ans.body, tc.status)
			}
		})
	}
	if ans := a.credits("a"); string(ans.body) != `{"contactsView":0,"maxContacts":"5","directDials":0,"maxDirectDials":200}` {
		t.Errorf("key a: %d %s", ans.status, ans.body)
	}
	if got := a.balance("b"); got != 1.5 {
		t.Errorf("key b balance %v", got)
	}
	s.mu.Lock()
	b, c, e := s.keys["b"].Plan, s.keys["c"].Plan, s.keys["e"].Plan
	s.mu.Unlock()
	if b != (clodura.Plan{Name: "custom", PerSecond: 2, PerMinute: 5, PerDay: 9}) || c != plan(t, "starter") ||
		e != (clodura.Plan{Name: "x", Title: "X", PerSecond: 3, PerMinute: 4, PerDay: 5}) {
		t.Errorf("plans b %+v c %+v e %+v", b, c, e)
	}
	if ans := a.search("a", nameBody("Ann", "Lee", 1)); ans.status < 500 {
		t.Errorf("faults not set: %d", ans.status)
	}
	if ans := a.credits("a"); ans.status != 409 {
		t.Errorf("quota 1 used: %d, want 409", ans.status)
	}
	if ans := post("/_sim/rollover", ""); ans.status != 200 {
		t.Errorf("rollover: %d", ans.status)
	}
	if ans := a.credits("a"); ans.status != 200 {
		t.Errorf("after rollover: %d, want 200", ans.status)
	}

	ans := a.do(http.MethodGet, "/_sim/stats", "", "")
	var raw map[string]json.RawMessage
	if ans.status != 200 || json.Unmarshal(ans.body, &raw) != nil {
		t.Fatalf("stats: %d %s", ans.status, ans.body)
	}
	for _, k := range []string{"requests", "by_status", "searches", "credits_charged", "charged_twice",
		"max_per_second", "max_per_minute", "first_request", "last_request", "per_second",
		"dropped", "truncated", "hung", "errors_5xx", "rate_limited"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON lacks %q: %s", k, ans.body)
		}
	}
	var st Stats
	if err := json.Unmarshal(ans.body, &st); err != nil {
		t.Fatal(err)
	}
	// a: credits, search (5xx), credits (409), credits; b: credits.
	if st.Requests != 5 || st.Errors5xx != 1 || st.ByStatus["409"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	f := Faults{Latency: 50 * time.Millisecond, Jitter: time.Second, ErrorRate: 0.1, DropRate: 0.2,
		TruncateRate: 0.05, HangRate: 0.01, RateLimitRate: 0.3, RetryAfter: 1500 * time.Millisecond}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"latency":"50ms"`)) || !bytes.Contains(b, []byte(`"retry_after":"1.5s"`)) {
		t.Errorf("faults JSON %s", b)
	}
	var f2 Faults
	if err := json.Unmarshal(b, &f2); err != nil || f2 != f {
		t.Errorf("round trip %+v, %v", f2, err)
	}
	k := Key{Key: "k", Plan: plan(t, "basic"), Credits: 12.5, Shape: "prospect", Revoked: true, Forbidden: true}
	if b, err = json.Marshal(k); err != nil {
		t.Fatal(err)
	}
	var k2 Key
	if err := json.Unmarshal(b, &k2); err != nil || k2 != k {
		t.Errorf("round trip %s: %+v, %v", b, k2, err)
	}
}

func TestListen(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprint("tls=", useTLS), func(t *testing.T) {
			l, url, caPEM, err := Listen("127.0.0.1:0", useTLS)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{
				Handler:  New(Config{Keys: []Key{{Key: "k", Plan: unlimited, Credits: 3}}}),
				ErrorLog: log.New(io.Discard, "", 0), // the untrusting client's handshake failure
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			defer func() {
				srv.Close()
				if err := <-done; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("Serve: %v", err)
				}
			}()

			scheme := map[bool]string{false: "http://127.0.0.1:", true: "https://127.0.0.1:"}[useTLS]
			if !strings.HasPrefix(url, scheme) {
				t.Fatalf("url %q, want %s...", url, scheme)
			}
			if !useTLS {
				if caPEM != nil {
					t.Errorf("caPEM without TLS")
				}
				a := &api{t: t, base: url, client: &http.Client{}}
				if got := a.balance("k"); got != 3 {
					t.Errorf("balance %v", got)
				}
				return
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(caPEM) {
				t.Fatalf("caPEM is not a PEM certificate: %q", caPEM)
			}
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			defer tr.CloseIdleConnections()
			a := &api{t: t, base: url, client: &http.Client{Transport: tr}}
			if got := a.balance("k"); got != 3 {
				t.Errorf("balance %v", got)
			}

			untrusting := &http.Transport{}
			defer untrusting.CloseIdleConnections()
			resp, err := (&http.Client{Transport: untrusting}).Get(url + CreditsPath)
			var unknown x509.UnknownAuthorityError
			if err == nil {
				resp.Body.Close()
				t.Error("a client without the CA trusted the certificate")
			} else if !errors.As(err, &unknown) {
				t.Errorf("error %v, want an unknown authority", err)
			}

			block, _ := pem.Decode(caPEM)
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
				if err := cert.VerifyHostname(host); err != nil {
					t.Errorf("certificate not valid for %s: %v", host, err)
				}
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
				t.Errorf("certificate does not verify against itself: %v", err)
			}
		})
	}
}

func TestListenUnspecifiedHost(t *testing.T) {
	l, url, _, err := Listen(":0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("url %q, want a loopback address", url)
	}
	if _, _, _, err := Listen("256.0.0.1:0", false); err == nil || !strings.Contains(err.Error(), "256.0.0.1") {
		t.Errorf("bad address: error %v", err)
	}
}

func TestSetKey(t *testing.T) {
	s := New(Config{DailyQuota: 2, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1}}})
	a := network(t, s)
	a.credits("k")
	s.SetKey(Key{Key: "k", Plan: unlimited, Credits: 50}) // refill
	if got := a.balance("k"); got != 50 {
		t.Errorf("after refill: balance %v, want 50", got)
	}
	if ans := a.credits("k"); ans.status != 409 {
		t.Errorf("replacing a key reset its day: %d, want 409", ans.status)
	}
	s.SetKey(Key{Key: "k", Plan: unlimited, Revoked: true})
	if ans := a.credits("k"); ans.status != 401 {
		t.Errorf("revoked: %d, want 401", ans.status)
	}
	s.SetKey(Key{Key: "new"}) // zero plan: the default plan
	s.mu.Lock()
	p := s.keys["new"].Plan
	s.mu.Unlock()
	if p != plan(t, clodura.DefaultPlan) {
		t.Errorf("zero plan became %+v, want the default plan", p)
	}
}

func TestConcurrent(t *testing.T) {
	s := New(Config{Seed: 9, Faults: Faults{ErrorRate: 0.2, TruncateRate: 0.2},
		Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e4}}})
	a := network(t, s)
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				method, path, body := http.MethodPost, SearchPath, nameBody(fmt.Sprintf("W%d", w), fmt.Sprintf("R%d", i), 2)
				if i%5 == 0 {
					method, path, body = http.MethodGet, CreditsPath, ""
				}
				ans, err := a.try(context.Background(), method, path, "k", body)
				if err != nil {
					errs <- err
					return
				}
				if ans.status != 200 && ans.status != 404 && ans.status < 500 {
					errs <- fmt.Errorf("worker %d request %d: %d %s", w, i, ans.status, ans.body)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	st := s.Stats()
	sum := 0
	for _, n := range st.ByStatus {
		sum += n
	}
	if st.Requests != workers*each || sum != st.Requests {
		t.Errorf("Requests %d, answers %d, want %d", st.Requests, sum, workers*each)
	}
	if got := a.balance("k"); got != 1e4-st.CreditsCharged {
		t.Errorf("balance %v, charged %v", got, st.CreditsCharged)
	}
	if st.Errors5xx == 0 || st.Truncated == 0 {
		t.Errorf("faults not drawn: %+v", st)
	}
}

// TestGoldenDataset pins the dataset: a change to how people are made
// changes what every seeded run and demo shows, so it must be deliberate
// (go test ./clodura/sim -run Golden -update).
func TestGoldenDataset(t *testing.T) {
	a := direct(t, New(Config{Seed: 1, Keys: []Key{{Key: "k", Plan: unlimited, Credits: 1e6}}}))
	bodies := []string{
		nameBody("John", "Smith", 1),
		nameBody("priya", "SHARMA", 4),
		`{"page":1,"perPage":2,"linkedinUrl":"https://www.linkedin.com/in/jane-van-dyke-4a1b2c"}`,
		`{"page":1,"perPage":1,"firstName":"Ann","lastName":"Lee","organizationName":"Acme","companyDomain":"acme.com"}`,
		`{"page":1,"perPage":1,"personId":"P0123456789ab"}`,
	}
	for i := range 5 {
		bodies = append(bodies, nameBody(fmt.Sprintf("Person%d", i), "Golden", 3))
	}
	var out bytes.Buffer
	for _, b := range bodies {
		ans := a.search("k", b)
		fmt.Fprintf(&out, "%s\n%d %s\n\n", b, ans.status, ans.body)
	}
	path := filepath.Join("testdata", "dataset.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("dataset differs from %s (run with -update if intended):\n%s", path, out.Bytes())
	}
}
