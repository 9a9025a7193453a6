// Package sim is a strict, deterministic simulator of the Clodura API as
// shared/clodura-api.md describes it. It is an http.Handler: tests mount it
// on httptest.NewServer, and `clodura-enrich demo`, `run --sim` and
// `clodura-enrich sim` serve it with Listen.
//
// Every request to /api/v1/ goes through the same checks, in this order:
// the X-API-KEY (401), a forbidden key (403, search only), the per-second and
// per-minute sliding windows of the key (429), the key's daily quota (409),
// and for search the credit balance (402). Only a request that passes the
// windows and the quota is admitted: admitted requests fill the windows and
// use up the day, whatever they are answered; a 401, 403, 429 or 409 costs
// nothing. A search costs one credit per record returned, never more than
// the whole credits of the balance (records beyond it are left out).
//
// Checks are judged when a request arrives; Faults.Latency is added after
// them, and a search is charged only once the latency has passed with the
// client still waiting.
//
// The dataset is a pure function of the normalised query and Config.Seed:
// the same query always finds the same people.
package sim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/clodura/enrich/clodura"
)

// API paths served.
const (
	SearchPath  = "/api/v1/search/people"
	CreditsPath = "/api/v1/credits"
)

// hangLimit is how long a hung request blocks when the client never gives up.
const hangLimit = 2 * time.Minute

// maxBody caps a request body.
const maxBody = 1 << 20

// Key is one API key the simulator accepts.
//
// A zero Plan means clodura.DefaultPlan (the most restrictive). In a Plan
// that is given, a zero PerSecond, PerMinute or PerDay means no such limit.
// Credits is the balance left: for Shape "prospect" it is reported as
// maxContacts minus contactsView, contactsView counting what was charged.
//
// On the wire (POST /_sim/keys) Key is {"key":"k","plan":"max",
// "credits":100,"shape":"prospect","revoked":false,"forbidden":false}, the
// plan being a plan name or an object {"name":"x","per_second":2,
// "per_minute":20,"per_day":500} (clodura.Plan's own field names work too).
type Key struct {
	Key       string
	Plan      clodura.Plan
	Credits   float64
	Shape     string // "remaining" (default) | "prospect"
	Revoked   bool   // every request answers 401
	Forbidden bool   // search answers 403; credits still works
}

// Faults injects failures into search requests (never into GET credits).
// Each search draws from a random source seeded by Config.Seed, under a
// mutex, so a run that sends the same requests in the same order meets the
// same faults. Rates are probabilities in [0, 1], tried in the order
// ErrorRate, DropRate, TruncateRate, HangRate, RateLimitRate; their sum
// should not exceed 1 (Validate). The zero value injects nothing.
//
// A 5xx, dropped, hung or spurious-429 request is decided on arrival, before
// any check: it is an arrival in Stats but is not admitted, so it costs
// nothing and counts against no limit. A truncated answer is an ordinary
// admitted, charged answer with the second half of its body cut off.
//
// On the wire (POST /_sim/faults) Faults is {"latency":"50ms",
// "jitter":"10ms","error_rate":0.1,"drop_rate":0,"truncate_rate":0,
// "hang_rate":0,"rate_limit_rate":0,"retry_after":"1s"}; durations are Go
// duration strings (a bare number is nanoseconds) and omitted fields are zero.
type Faults struct {
	Latency       time.Duration // added to every search answer
	Jitter        time.Duration // plus a uniform delay in [0, Jitter]
	ErrorRate     float64       // answer 500, 502 or 503 (JSON)
	DropRate      float64       // close the connection without an answer
	TruncateRate  float64       // a 200 whose body is cut in half, after charging
	HangRate      float64       // no answer until the client gives up (or 2 minutes, then 504)
	RateLimitRate float64       // a spurious 429 whatever the windows say
	RetryAfter    time.Duration // sent (whole seconds, rounded up) with every 429 when > 0
}

// Config configures a Server. The zero value is a server with no keys.
type Config struct {
	Keys       []Key
	Faults     Faults
	DailyQuota int           // requests per key per day; 0 = the plan's PerDay
	Seed       int64         // dataset and fault source
	DayLength  time.Duration // 0 = real UTC days; else a new day every DayLength after New
}

// Server is the simulated API. It is an http.Handler and safe for
// concurrent use; it starts no goroutines of its own, and a request it
// delays (latency, hang) ends when the client gives up. Make one with New:
// the zero Server is not usable.
type Server struct {
	seed       int64
	dailyQuota int
	dayLength  time.Duration

	mu       sync.Mutex
	keys     map[string]*keyState
	faults   Faults
	rng      *rand.Rand
	dayStart time.Time // start of the current day
	day      int       // number of the current day, counting rollovers
	charged  map[[32]byte]struct{}
	stats    statsState
}

// keyState is a Key and what it has used. Guarded by Server.mu.
type keyState struct {
	Key
	balance  float64
	viewed   float64     // credits charged so far (prospect's contactsView)
	admitted []time.Time // admitted requests in the last minute, oldest first
	day      int         // the day used counts
	used     int         // admitted requests on day
}

// New returns a server for cfg. Keys with an empty name are ignored; a
// later key with the same name replaces an earlier one.
func New(cfg Config) *Server {
	s := &Server{
		seed:       cfg.Seed,
		dailyQuota: cfg.DailyQuota,
		dayLength:  cfg.DayLength,
		keys:       make(map[string]*keyState),
		faults:     cfg.Faults,
		rng:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636c6f64757261)), // "clodura"
		dayStart:   time.Now(),
		charged:    make(map[[32]byte]struct{}),
	}
	for _, k := range cfg.Keys {
		s.SetKey(k)
	}
	return s
}

// SetKey adds k, or replaces the key of the same name: its plan, shape and
// flags take effect at once and its balance becomes k.Credits. What the key
// already used (windows, today's requests, contactsView) is kept, so
// replacing a key never lifts a limit.
func (s *Server) SetKey(k Key) {
	if k.Key == "" {
		return
	}
	if k.Plan == (clodura.Plan{}) {
		k.Plan, _ = clodura.PlanByName(clodura.DefaultPlan)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, ok := s.keys[k.Key]
	if !ok {
		ks = &keyState{day: s.day}
		s.keys[k.Key] = ks
	}
	ks.Key = k
	ks.balance = k.Credits
}

// SetFaults replaces the faults for the requests that arrive from now on.
// The random source carries on; it is not reseeded.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Rollover starts a new day now: every key's daily count starts again from
// zero. With Config.DayLength the next day starts DayLength from now.
func (s *Server) Rollover() {
	s.mu.Lock()
	s.dayStart = time.Now()
	s.day++
	s.mu.Unlock()
}

// currentDay moves the day forward to now and returns its number.
// Called with s.mu held.
func (s *Server) currentDay(now time.Time) int {
	if s.dayLength > 0 {
		if n := now.Sub(s.dayStart) / s.dayLength; n > 0 {
			s.dayStart = s.dayStart.Add(n * s.dayLength)
			s.day += int(n)
		}
		return s.day
	}
	start := s.dayStart.UTC()
	midnight := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	if next := midnight.AddDate(0, 0, 1); !now.Before(next) {
		u := now.UTC()
		s.dayStart = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		s.day++
	}
	return s.day
}

// fault is what Faults decided for one search request.
type fault int

const (
	faultNone fault = iota
	faultError
	faultDrop
	faultTruncate
	faultHang
	faultRateLimit
)

// decision is the fault drawn for one search request and its delay.
type decision struct {
	kind   fault
	status int // for faultError
	delay  time.Duration
}

// draw picks the fault for one search request. It always draws the same
// number of values so that the sequence does not depend on the rates.
// Called with s.mu held.
func (s *Server) draw() decision {
	f := s.faults
	roll, jit, pick := s.rng.Float64(), s.rng.Float64(), s.rng.IntN(3)
	d := decision{delay: max(f.Latency, 0)}
	if f.Jitter > 0 {
		d.delay += time.Duration(jit * float64(f.Jitter+1))
	}
	for _, c := range []struct {
		rate float64
		kind fault
	}{
		{f.ErrorRate, faultError},
		{f.DropRate, faultDrop},
		{f.TruncateRate, faultTruncate},
		{f.HangRate, faultHang},
		{f.RateLimitRate, faultRateLimit},
	} {
		if c.rate <= 0 {
			continue
		}
		if roll < c.rate {
			d.kind = c.kind
			break
		}
		roll -= c.rate
	}
	d.status = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[pick]
	return d
}

// errorBody is every error answer.
type errorBody struct {
	Message string `json:"message"`
}

// ServeHTTP serves the API under /api/v1/ and the admin endpoints under
// /_sim/. Admin requests are not counted in Stats.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= len(adminPrefix) && r.URL.Path[:len(adminPrefix)] == adminPrefix {
		s.serveAdmin(w, r)
		return
	}
	switch r.URL.Path {
	case SearchPath:
		if r.Method != http.MethodPost {
			s.arrive()
			s.methodNotAllowed(w, http.MethodPost)
			return
		}
		s.search(w, r)
	case CreditsPath:
		if r.Method != http.MethodGet {
			s.arrive()
			s.methodNotAllowed(w, http.MethodGet)
			return
		}
		s.credits(w, r)
	default:
		s.arrive()
		s.reply(w, http.StatusNotFound, errorBody{"Not found: " + r.URL.Path}, 0)
	}
}

// arrive records a request that goes through no checks (404, 405).
func (s *Server) arrive() {
	s.mu.Lock()
	s.stats.arrive(time.Now())
	s.mu.Unlock()
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	s.reply(w, http.StatusMethodNotAllowed, errorBody{"Method not allowed"}, 0)
}

// admit runs the checks every /api/v1/ request goes through: key, forbidden
// (search only), windows, daily quota. It returns the key's state, or the
// status and message of the refusal. Called with s.mu held.
func (s *Server) admit(apiKey string, search bool, now time.Time) (*keyState, int, string) {
	ks := s.keys[apiKey]
	if apiKey == "" || ks == nil || ks.Revoked {
		return nil, http.StatusUnauthorized, "Unauthorized"
	}
	if search && ks.Forbidden {
		return nil, http.StatusForbidden, "Forbidden"
	}
	// Sliding windows over admitted requests: an earlier request at t counts
	// against one at now when now-t < window, so requests exactly one
	// window apart are in different windows.
	for len(ks.admitted) > 0 && now.Sub(ks.admitted[0]) >= time.Minute {
		ks.admitted = ks.admitted[1:]
	}
	// admitted is in time order: binary search, so that a key admitting
	// thousands of requests a second (benchmarks) costs O(log n), not O(n).
	inSecond := len(ks.admitted) - sort.Search(len(ks.admitted), func(i int) bool {
		return now.Sub(ks.admitted[i]) < time.Second
	})
	if p := ks.Plan; (p.PerSecond > 0 && inSecond >= p.PerSecond) ||
		(p.PerMinute > 0 && len(ks.admitted) >= p.PerMinute) {
		return nil, http.StatusTooManyRequests, "Rate limit exceeded"
	}
	quota := s.dailyQuota
	if quota <= 0 {
		quota = ks.Plan.PerDay
	}
	if day := s.currentDay(now); ks.day != day {
		ks.day, ks.used = day, 0
	}
	if quota > 0 && ks.used >= quota {
		return nil, http.StatusConflict, "Daily limit exceeded"
	}
	ks.admitted = append(ks.admitted, now)
	ks.used++
	return ks, 0, ""
}

// reply writes v as the JSON answer with status and records the status.
// A 429 carries Retry-After when retryAfter > 0.
func (s *Server) reply(w http.ResponseWriter, status int, v any, retryAfter time.Duration) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"encoding the answer failed"}`)
	}
	s.mu.Lock()
	s.stats.status(status)
	s.mu.Unlock()
	writeJSON(w, status, body, retryAfter)
}

func writeJSON(w http.ResponseWriter, status int, body []byte, retryAfter time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests && retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retryAfter.Seconds())), 10))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client may be gone; nothing to do
}

// creditsAnswer is GET /api/v1/credits for Shape "remaining".
type creditsAnswer struct {
	RemainingCredits float64 `json:"remainingCredits"`
}

// prospectAnswer is GET /api/v1/credits for Shape "prospect": used counts,
// and maxContacts as a string, as Clodura sends it.
type prospectAnswer struct {
	ContactsView   float64 `json:"contactsView"`
	MaxContacts    string  `json:"maxContacts"`
	DirectDials    int     `json:"directDials"`
	MaxDirectDials int     `json:"maxDirectDials"`
}

func (s *Server) credits(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	s.stats.arrive(now)
	ks, status, msg := s.admit(r.Header.Get("X-API-KEY"), false, now)
	var answer any
	if ks != nil {
		if ks.Shape == "prospect" {
			answer = prospectAnswer{
				ContactsView:   ks.viewed,
				MaxContacts:    strconv.FormatFloat(ks.viewed+ks.balance, 'f', -1, 64),
				MaxDirectDials: 200,
			}
		} else {
			answer = creditsAnswer{RemainingCredits: ks.balance}
		}
	}
	retryAfter := s.faults.RetryAfter
	s.mu.Unlock()
	if ks == nil {
		s.reply(w, status, errorBody{msg}, retryAfter)
		return
	}
	s.reply(w, http.StatusOK, answer, 0)
}
