package clodura

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels for the answers a caller must tell apart. An *APIError matches
// the one for its status with errors.Is.
var (
	ErrUnauthorized = errors.New("unauthorized: the API key is missing, malformed or unknown") // 401
	ErrForbidden    = errors.New("forbidden: the plan does not permit this operation")         // 403
	ErrNoCredits    = errors.New("credits exhausted")                                          // 402
	ErrDailyLimit   = errors.New("daily request limit reached")                                // 409
	ErrRateLimited  = errors.New("rate limit exceeded")                                        // 429
	ErrServer       = errors.New("server error")                                               // 5xx
	ErrInsecureURL  = errors.New("refusing plain http: the API is HTTPS only (http is allowed for loopback hosts)")
)

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// APIError is a non-2xx answer from the API. Message is the body's
// "message" field (or a short excerpt of a body that was not JSON).
// RetryAfter is the parsed Retry-After header; zero when absent.
type APIError struct {
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("clodura: %d %s", e.Status, msg)
}

// Is makes errors.Is(err, ErrDailyLimit) and its siblings work on an *APIError.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNoCredits:
		return e.Status == http.StatusPaymentRequired
	case ErrDailyLimit:
		return e.Status == http.StatusConflict
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.Status >= 500
	}
	return false
}

// TransportError is a request that got no usable answer: a refused or
// dropped connection, a timeout, or a 2xx body that was truncated or not
// the JSON expected. It is always transient.
type TransportError struct {
	Op  string // what was being done: "POST /api/v1/search/people", "decode ..."
	Err error
}

func (e *TransportError) Error() string { return "clodura: " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// Transient reports whether err is worth retrying: a 429, a 5xx, or a
// transport failure. Cancellation of the caller's context is never
// transient, nor is any other 4xx.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer)
}

// Fatal reports whether err means no further request can succeed with this
// key: 401 and 403.
func Fatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden)
}

// CheckResponse is the one place an HTTP answer is classified. It returns
// nil for 2xx, and otherwise an *APIError carrying the status, the body's
// message and any Retry-After. It reads at most 64 KiB of the body; the
// caller still closes it. 404 is returned as an *APIError too: SearchPeople
// turns it into an empty result, because for search it means "no results".
func CheckResponse(resp *http.Response, now time.Time) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{Status: resp.StatusCode, Message: errorMessage(body)}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	return e
}

func errorMessage(body []byte) string {
	var m struct {
		Message any `json:"message"`
		Error   any `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		for _, v := range []any{m.Message, m.Error} {
			switch v := v.(type) {
			case string:
				if v != "" {
					return v
				}
			case nil:
			default:
				b, _ := json.Marshal(v)
				return string(b)
			}
		}
	}
	switch s := excerpt(body); s {
	case "{}", "null", `""`:
		return "" // nothing said: Error() falls back to the status text
	default:
		return s
	}
}

// maxRetryAfter caps a parsed Retry-After.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads delay-seconds or an HTTP date; zero if absent or
// bad, at most maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs > 0) { // also NaN
			return 0
		}
		// Beyond a day it is not a rate-limit pause, and the float to
		// Duration conversion would overflow for absurd values.
		return min(time.Duration(min(secs, maxRetryAfter.Seconds())*float64(time.Second)), maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
