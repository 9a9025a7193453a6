package sim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/clodura/enrich/clodura"
)

// adminPrefix is where the admin endpoints live. They need no key and are
// not counted in Stats.
const adminPrefix = "/_sim/"

// serveAdmin serves GET /_sim/stats, POST /_sim/rollover, POST /_sim/keys
// (a Key as JSON) and POST /_sim/faults (Faults as JSON).
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	method := http.MethodPost
	if r.URL.Path == adminPrefix+"stats" {
		method = http.MethodGet
	}
	switch r.URL.Path {
	case adminPrefix + "stats", adminPrefix + "rollover", adminPrefix + "keys", adminPrefix + "faults":
	default:
		adminReply(w, http.StatusNotFound, errorBody{"Not found: " + r.URL.Path})
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		adminReply(w, http.StatusMethodNotAllowed, errorBody{"Method not allowed"})
		return
	}
	switch r.URL.Path {
	case adminPrefix + "stats":
		adminReply(w, http.StatusOK, s.Stats())
	case adminPrefix + "rollover":
		s.Rollover()
		adminReply(w, http.StatusOK, errorBody{"new day started"})
	case adminPrefix + "keys":
		var k Key
		if err := decodeAdmin(w, r, &k); err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{err.Error()})
			return
		}
		if k.Key == "" {
			adminReply(w, http.StatusBadRequest, errorBody{"key: required"})
			return
		}
		s.SetKey(k)
		adminReply(w, http.StatusOK, errorBody{"key set"})
	case adminPrefix + "faults":
		var f Faults
		err := decodeAdmin(w, r, &f)
		if err == nil {
			err = f.Validate()
		}
		if err != nil {
			adminReply(w, http.StatusBadRequest, errorBody{err.Error()})
			return
		}
		s.SetFaults(f)
		adminReply(w, http.StatusOK, errorBody{"faults set"})
	}
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading the request body: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return nil
}

func adminReply(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"encoding the answer failed"}`)
	}
	writeJSON(w, status, body, 0)
}

// keyJSON is Key on the wire: {"key":"k","plan":"max","credits":100,
// "shape":"prospect","revoked":false,"forbidden":false}. The plan is a plan
// name (as clodura.PlanByName reads it) or a planJSON object.
type keyJSON struct {
	Key       string          `json:"key"`
	Plan      json.RawMessage `json:"plan,omitempty"`
	Credits   float64         `json:"credits"`
	Shape     string          `json:"shape,omitempty"`
	Revoked   bool            `json:"revoked,omitempty"`
	Forbidden bool            `json:"forbidden,omitempty"`
}

// planJSON is a clodura.Plan on the wire. When reading, clodura.Plan's own
// field names are accepted too, and an object with a name and no limits
// means the named plan.
type planJSON struct {
	Name      string `json:"name"`
	Title     string `json:"title,omitempty"`
	PerSecond int    `json:"per_second"`
	PerMinute int    `json:"per_minute"`
	PerDay    int    `json:"per_day"`
}

// MarshalJSON writes k in its wire form (see Key), the plan as an object.
func (k Key) MarshalJSON() ([]byte, error) {
	p, err := json.Marshal(planJSON(k.Plan))
	if err != nil {
		return nil, err
	}
	return json.Marshal(keyJSON{k.Key, p, k.Credits, k.Shape, k.Revoked, k.Forbidden})
}

// UnmarshalJSON reads k's wire form (see Key). It fails on an unknown plan
// name or shape.
func (k *Key) UnmarshalJSON(b []byte) error {
	var j keyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var plan clodura.Plan
	switch raw := bytes.TrimSpace(j.Plan); {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		p, err := clodura.PlanByName(name)
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		plan = p
	default:
		// Snake case as planJSON writes it, or clodura.Plan's own field
		// names (json.Marshal of a clodura.Plan, or "perSecond").
		var pj planJSON
		var gp clodura.Plan
		if err := json.Unmarshal(raw, &pj); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		if err := json.Unmarshal(raw, &gp); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		plan = clodura.Plan{Name: pj.Name, Title: pj.Title, PerSecond: cmp.Or(pj.PerSecond, gp.PerSecond),
			PerMinute: cmp.Or(pj.PerMinute, gp.PerMinute), PerDay: cmp.Or(pj.PerDay, gp.PerDay)}
		if plan.Name != "" && plan.PerSecond == 0 && plan.PerMinute == 0 && plan.PerDay == 0 {
			p, err := clodura.PlanByName(pj.Name)
			if err != nil {
				return fmt.Errorf("plan: %w", err)
			}
			plan = p
		}
	}
	switch j.Shape {
	case "", "remaining", "prospect":
	default:
		return fmt.Errorf("shape %q: want \"remaining\" or \"prospect\"", j.Shape)
	}
	*k = Key{Key: j.Key, Plan: plan, Credits: j.Credits, Shape: j.Shape, Revoked: j.Revoked, Forbidden: j.Forbidden}
	return nil
}

// faultsJSON is Faults on the wire; durations are Go duration strings
// ("50ms", "1.5s").
type faultsJSON struct {
	Latency       duration `json:"latency"`
	Jitter        duration `json:"jitter"`
	ErrorRate     float64  `json:"error_rate"`
	DropRate      float64  `json:"drop_rate"`
	TruncateRate  float64  `json:"truncate_rate"`
	HangRate      float64  `json:"hang_rate"`
	RateLimitRate float64  `json:"rate_limit_rate"`
	RetryAfter    duration `json:"retry_after"`
}

// MarshalJSON writes f in its wire form (see Faults).
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{duration(f.Latency), duration(f.Jitter), f.ErrorRate, f.DropRate,
		f.TruncateRate, f.HangRate, f.RateLimitRate, duration(f.RetryAfter)})
}

// UnmarshalJSON reads f's wire form (see Faults). Fields left out are zero;
// it does not call Validate.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Faults{time.Duration(j.Latency), time.Duration(j.Jitter), j.ErrorRate, j.DropRate,
		j.TruncateRate, j.HangRate, j.RateLimitRate, time.Duration(j.RetryAfter)}
	return nil
}

// Validate reports the first rate outside [0, 1], a sum of rates above 1,
// or a negative duration.
func (f Faults) Validate() error {
	sum := 0.0
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", f.ErrorRate}, {"drop_rate", f.DropRate}, {"truncate_rate", f.TruncateRate},
		{"hang_rate", f.HangRate}, {"rate_limit_rate", f.RateLimitRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("%s %v: want a probability in [0, 1]", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("fault rates add up to %v: want at most 1", sum)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"latency", f.Latency}, {"jitter", f.Jitter}, {"retry_after", f.RetryAfter}} {
		if d.v < 0 {
			return fmt.Errorf("%s %v: want a duration of at least 0", d.name, d.v)
		}
	}
	return nil
}

// duration is a time.Duration written as a Go duration string. It also
// reads a bare number, as nanoseconds (encoding/json's own encoding).
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a duration such as \"50ms\"")
	}
	*d = duration(n)
	return nil
}
