package clodura

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func response(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestCheckResponse(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       *APIError // nil: no error
		text       string    // Error() of the result
	}{
		{"200", 200, "", `{"data":[]}`, nil, ""},
		{"204", 204, "", ``, nil, ""},
		{"299", 299, "", ``, nil, ""},
		{"401", 401, "", `{"message":"Unauthorized"}`, &APIError{Status: 401, Message: "Unauthorized"}, "clodura: 401 Unauthorized"},
		{"409 without message", 409, "", ``, &APIError{Status: 409}, "clodura: 409 Conflict"},
		{"429 seconds", 429, "2", `{"message":"Rate limit exceeded"}`, &APIError{Status: 429, Message: "Rate limit exceeded", RetryAfter: 2 * time.Second}, "clodura: 429 Rate limit exceeded"},
		{"429 date", 429, now.Add(time.Minute).Format(http.TimeFormat), `{}`, &APIError{Status: 429, RetryAfter: time.Minute}, "clodura: 429 Too Many Requests"},
		{"error field", 400, "", `{"error":"bad page"}`, &APIError{Status: 400, Message: "bad page"}, "clodura: 400 bad page"},
		{"message preferred to error", 400, "", `{"message":"m","error":"e"}`, &APIError{Status: 400, Message: "m"}, "clodura: 400 m"},
		{"empty message falls to error", 400, "", `{"message":"","error":"e"}`, &APIError{Status: 400, Message: "e"}, "clodura: 400 e"},
		{"message as object", 422, "", `{"message":{"field":"page"}}`, &APIError{Status: 422, Message: `{"field":"page"}`}, `clodura: 422 {"field":"page"}`},
		{"message as number", 500, "", `{"message":42}`, &APIError{Status: 500, Message: "42"}, "clodura: 500 42"},
		{"plain text", 502, "", "  Bad Gateway\n", &APIError{Status: 502, Message: "Bad Gateway"}, "clodura: 502 Bad Gateway"},
		{"JSON without message", 503, "", `{"status":"down"}`, &APIError{Status: 503, Message: `{"status":"down"}`}, `clodura: 503 {"status":"down"}`},
		{"404", 404, "", `{"message":"No records"}`, &APIError{Status: 404, Message: "No records"}, "clodura: 404 No records"},
		{"3xx", 302, "", ``, &APIError{Status: 302}, "clodura: 302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			err := CheckResponse(response(tt.status, h, tt.body), now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckResponse = %v, want nil", err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("CheckResponse = %v (%T), want *APIError", err, err)
			}
			if *ae != *tt.want {
				t.Errorf("got %+v, want %+v", *ae, *tt.want)
			}
			if err.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.text)
			}
		})
	}
}

func TestCheckResponseCapsBody(t *testing.T) {
	body := strings.Repeat("é", 1<<20) // 2 MiB of two-byte runes
	r := response(500, nil, body)
	var ae *APIError
	if !errors.As(CheckResponse(r, time.Now()), &ae) {
		t.Fatal("no *APIError")
	}
	if len(ae.Message) > 210 || !strings.HasSuffix(ae.Message, "…") {
		t.Errorf("Message has %d bytes, want a capped excerpt ending in …", len(ae.Message))
	}
	if !utf8.ValidString(ae.Message) {
		t.Errorf("excerpt cut a rune in half: %q", ae.Message[len(ae.Message)-8:])
	}
	// It read no more than its cap: the rest is still in the body.
	rest, _ := io.Copy(io.Discard, r.Body)
	if read := int64(len(body)) - rest; read > maxErrorBody {
		t.Errorf("read %d bytes of the error body, cap is %d", read, maxErrorBody)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"5", 5 * time.Second},
		{" 12 ", 12 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"NaN", 0},
		{"Inf", maxRetryAfter},
		{"1e300", maxRetryAfter},
		{"172800", maxRetryAfter},
		{"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
		{now.Add(10 * time.Second).Format(time.RFC850), 10 * time.Second},
		{now.Add(10 * time.Second).Format(time.ANSIC), 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("row 7: %w", err) }
	tests := []struct {
		name      string
		err       error
		transient bool
		fatal     bool
		is        []error
	}{
		{"nil", nil, false, false, nil},
		{"401", &APIError{Status: 401}, false, true, []error{ErrUnauthorized}},
		{"403 wrapped", wrap(&APIError{Status: 403}), false, true, []error{ErrForbidden}},
		{"402", &APIError{Status: 402}, false, false, []error{ErrNoCredits}},
		{"409", &APIError{Status: 409}, false, false, []error{ErrDailyLimit}},
		{"429 wrapped", wrap(&APIError{Status: 429}), true, false, []error{ErrRateLimited}},
		{"400", &APIError{Status: 400}, false, false, nil},
		{"404", &APIError{Status: 404}, false, false, nil},
		{"422", &APIError{Status: 422}, false, false, nil},
		{"500", &APIError{Status: 500}, true, false, []error{ErrServer}},
		{"504 wrapped", wrap(&APIError{Status: 504}), true, false, []error{ErrServer}},
		{"transport", &TransportError{Op: "POST /x", Err: io.ErrUnexpectedEOF}, true, false, []error{io.ErrUnexpectedEOF}},
		{"transport wrapped", wrap(&TransportError{Op: "GET /y", Err: errors.New("reset")}), true, false, nil},
		{"canceled", context.Canceled, false, false, []error{context.Canceled}},
		{"canceled wrapped", wrap(context.Canceled), false, false, []error{context.Canceled}},
		{"canceled inside transport", &TransportError{Op: "POST /x", Err: context.Canceled}, false, false, []error{context.Canceled}},
		{"caller deadline", wrap(context.DeadlineExceeded), false, false, []error{context.DeadlineExceeded}},
		{"plain error", errors.New("disk full"), false, false, nil},
	}
	all := []error{ErrUnauthorized, ErrForbidden, ErrNoCredits, ErrDailyLimit, ErrRateLimited, ErrServer, ErrInsecureURL}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Transient(tt.err); got != tt.transient {
				t.Errorf("Transient = %v, want %v", got, tt.transient)
			}
			if got := Fatal(tt.err); got != tt.fatal {
				t.Errorf("Fatal = %v, want %v", got, tt.fatal)
			}
			for _, s := range tt.is {
				if !errors.Is(tt.err, s) {
					t.Errorf("errors.Is(%v, %v) = false", tt.err, s)
				}
			}
			for _, s := range all {
				want := false
				for _, w := range tt.is {
					want = want || w == s
				}
				if got := errors.Is(tt.err, s); got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, s, got, want)
				}
			}
		})
	}
}

func TestTransportErrorText(t *testing.T) {
	err := &TransportError{Op: "POST /api/v1/search/people", Err: io.ErrUnexpectedEOF}
	if got, want := err.Error(), "clodura: POST /api/v1/search/people: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("TransportError does not unwrap")
	}
}
