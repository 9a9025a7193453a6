package clodura

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testKey is long and distinctive so that finding it in any error text is
// certain to mean a leak.
const testKey = "ck_live_SECRET_9f8e7d6c5b4a"

// checkNoKey fails if err's text reveals the API key or a full URL.
func checkNoKey(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	s := err.Error()
	if strings.Contains(s, testKey) {
		t.Errorf("error reveals the API key: %q", s)
	}
	if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
		t.Errorf("error quotes a URL: %q", s)
	}
}

// checkRequest asserts the parts every request must carry.
func checkRequest(t *testing.T, r *http.Request, method, path string) {
	t.Helper()
	if r.Method != method {
		t.Errorf("method = %s, want %s", r.Method, method)
	}
	if r.URL.Path != path {
		t.Errorf("path = %s, want %s", r.URL.Path, path)
	}
	if r.URL.RawQuery != "" {
		t.Errorf("query = %q, want none", r.URL.RawQuery)
	}
	if got := r.Header.Get("X-API-KEY"); got != testKey {
		t.Errorf("X-API-KEY = %q, want the key", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got == "" || strings.HasPrefix(got, "Go-http-client") {
		t.Errorf("User-Agent = %q, want ours", got)
	}
	wantCT := ""
	if method == http.MethodPost {
		wantCT = "application/json"
	}
	if got := r.Header.Get("Content-Type"); got != wantCT {
		t.Errorf("Content-Type = %q, want %q", got, wantCT)
	}
}

// newServer starts an httptest server and a Client pointed at it.
func newServer(t *testing.T, cfg Config, h http.HandlerFunc) (*httptest.Server, *Client) {
	t.Helper()
	return startServer(t, cfg, httptest.NewUnstartedServer(h))
}

// newCountingServer is newServer that also counts the TCP connections the
// server accepted.
func newCountingServer(t *testing.T, cfg Config, h http.HandlerFunc) (*atomic.Int32, *Client) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	_, c := startServer(t, cfg, srv)
	return &conns, c
}

func startServer(t *testing.T, cfg Config, srv *httptest.Server) (*httptest.Server, *Client) {
	t.Helper()
	srv.Start()
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return srv, c
}

// searchHandler checks a search request and answers with status and body.
func searchHandler(t *testing.T, status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodPost, pathSearchPeople)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

var testSearch = SearchRequest{Page: 1, PerPage: 1, FirstName: "John", LastName: "Smith", CompanyDomain: "acme.com"}

func TestSearchPeopleRequestAndAnswer(t *testing.T) {
	yes := true
	req := SearchRequest{Page: 2, PerPage: 5, FirstName: "Jöhn", LastName: "Smith", LinkedInURL: "https://www.linkedin.com/in/js",
		Seniority: []string{"VP"}, IncludeSimilarTitles: &yes, OrganizationName: "Acme"}
	rec1 := `{"personId":"P1","firstName":"John","lastUpdated":"2026-01-01"}`
	rec2 := `{ "personId" : "P2" }`
	answer := `{"data":[` + rec1 + `,{},null,"junk",` + rec2 + `],"pagination":{"page":2,"perPage":5,"totalRecords":7}}`
	_, c := newServer(t, Config{UserAgent: "test-agent/1"}, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodPost, pathSearchPeople)
		if got := r.Header.Get("User-Agent"); got != "test-agent/1" {
			t.Errorf("User-Agent = %q, want test-agent/1", got)
		}
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("request body: %v", err)
		}
		want := map[string]any{"page": 2.0, "perPage": 5.0, "firstName": "Jöhn", "lastName": "Smith",
			"linkedinUrl": "https://www.linkedin.com/in/js", "seniority": []any{"VP"}, "includeSimilarTitles": true,
			"organizationName": "Acme"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("request body = %v\nwant %v", got, want)
		}
		io.WriteString(w, answer)
	})
	res, err := c.SearchPeople(context.Background(), req)
	if err != nil {
		t.Fatalf("SearchPeople: %v", err)
	}
	if len(res.Records) != 2 || string(res.Records[0]) != rec1 || string(res.Records[1]) != rec2 {
		t.Errorf("Records = %q, want [%s %s] byte for byte", res.Records, rec1, rec2)
	}
	if res.Total != 7 || !res.Found() {
		t.Errorf("Total = %d Found = %v, want 7 true", res.Total, res.Found())
	}
}

func TestSearchPeopleDefaultUserAgentAndBasePath(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/proxy/clodura"+pathSearchPeople {
			t.Errorf("path = %s, want the base path kept", r.URL.Path)
		}
		if got := r.Header.Get("User-Agent"); got != DefaultUserAgent {
			t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
		}
		io.WriteString(w, `{"data":[]}`)
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL + "/proxy/clodura/", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchPeople(context.Background(), testSearch); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", calls.Load())
	}
}

func TestSearchPeopleAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantRecs  int
		wantTotal int
	}{
		{"empty data", 200, `{"data":[],"pagination":{"totalRecords":0}}`, 0, 0},
		{"null data", 200, `{"data":null}`, 0, 0},
		{"no data field", 200, `{"pagination":{"totalRecords":0}}`, 0, 0},
		{"only empty objects", 200, `{"data":[{},{}]}`, 0, 0},
		{"empty body object", 200, `{}`, 0, 0},
		{"404 is not found", 404, `{"message":"No records found"}`, 0, 0},
		{"404 without body", 404, ``, 0, 0},
		{"one record, no pagination", 200, `{"data":[{"personId":"P1"}]}`, 1, 1},
		{"totalRecords as string", 200, `{"data":[{"personId":"P1"}],"pagination":{"totalRecords":"4"}}`, 1, 4},
		{"totalRecords below records", 200, `{"data":[{"a":1},{"b":2}],"pagination":{"totalRecords":1}}`, 2, 2},
		{"data as one object", 200, `{"data":{"personId":"P1"},"pagination":{"totalRecords":1}}`, 1, 1},
		{"bare array", 200, `[{"personId":"P1"},{"personId":"P2"}]`, 2, 2},
		{"201 is success", 201, `{"data":[{"personId":"P1"}]}`, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, Config{}, searchHandler(t, tt.status, nil, tt.body))
			res, err := c.SearchPeople(context.Background(), testSearch)
			if err != nil {
				t.Fatalf("SearchPeople: %v", err)
			}
			if res == nil {
				t.Fatal("nil result with nil error")
			}
			if len(res.Records) != tt.wantRecs || res.Total != tt.wantTotal {
				t.Errorf("got %d records total %d, want %d total %d", len(res.Records), res.Total, tt.wantRecs, tt.wantTotal)
			}
			if res.Found() != (tt.wantRecs > 0) {
				t.Errorf("Found() = %v", res.Found())
			}
		})
	}
}

func TestSearchPeopleAPIErrors(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	huge := `{"message":"` + strings.Repeat("x", 1<<20) + `"}`
	hugeText := strings.Repeat("<p>", 1<<20)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		sentinel   error // nil: matches none of them
		transient  bool
		fatal      bool
		retryAfter time.Duration
		message    string // "" to skip; "<=N" to check a cap
	}{
		{"401", 401, nil, `{"message":"Unauthorized"}`, ErrUnauthorized, false, true, 0, "Unauthorized"},
		{"401 echoing the key", 401, nil, `{"message":"Unknown key ` + testKey + `"}`, ErrUnauthorized, false, true, 0, "Unknown key [redacted]"},
		{"403", 403, nil, `{"message":"Forbidden"}`, ErrForbidden, false, true, 0, "Forbidden"},
		{"402", 402, nil, `{"message":"Insufficient credits"}`, ErrNoCredits, false, false, 0, "Insufficient credits"},
		{"409", 409, nil, `{"message":"Daily limit reached"}`, ErrDailyLimit, false, false, 0, "Daily limit reached"},
		{"429 without Retry-After", 429, nil, `{"message":"Rate limit exceeded"}`, ErrRateLimited, true, false, 0, "Rate limit exceeded"},
		{"429 Retry-After seconds", 429, map[string]string{"Retry-After": "7"}, `{"message":"Rate limit exceeded"}`, ErrRateLimited, true, false, 7 * time.Second, ""},
		{"429 Retry-After date", 429, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, `{}`, ErrRateLimited, true, false, 90 * time.Second, ""},
		{"429 Retry-After garbage", 429, map[string]string{"Retry-After": "soon"}, `{}`, ErrRateLimited, true, false, 0, ""},
		{"400", 400, nil, `{"message":"perPage must be 1-100"}`, nil, false, false, 0, "perPage must be 1-100"},
		{"422", 422, nil, `{"error":"bad linkedinUrl"}`, nil, false, false, 0, "bad linkedinUrl"},
		{"500", 500, nil, `{"message":"Internal Server Error"}`, ErrServer, true, false, 0, "Internal Server Error"},
		{"502 html", 502, nil, "<html><body>Bad Gateway</body></html>\n", ErrServer, true, false, 0, "<html><body>Bad Gateway</body></html>"},
		{"503 Retry-After", 503, map[string]string{"Retry-After": "3"}, ``, ErrServer, true, false, 3 * time.Second, ""},
		{"non-JSON 400", 400, nil, "plain text failure", nil, false, false, 0, "plain text failure"},
		{"huge JSON error body", 500, nil, huge, ErrServer, true, false, 0, "<=210"},
		{"huge text error body", 418, nil, hugeText, nil, false, false, 0, "<=210"},
		{"redirect not followed", 307, map[string]string{"Location": "https://elsewhere.example/steal"}, ``, nil, false, false, 0, ""},
	}
	sentinels := []error{ErrUnauthorized, ErrForbidden, ErrNoCredits, ErrDailyLimit, ErrRateLimited, ErrServer}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, Config{}, searchHandler(t, tt.status, tt.header, tt.body))
			c.now = func() time.Time { return now }
			res, err := c.SearchPeople(context.Background(), testSearch)
			if err == nil {
				t.Fatalf("SearchPeople = %+v, nil error; want an error", res)
			}
			checkNoKey(t, err)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			var te *TransportError
			if errors.As(err, &te) {
				t.Errorf("API error %v is also a *TransportError", err)
			}
			if ae.Status != tt.status {
				t.Errorf("Status = %d, want %d", ae.Status, tt.status)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if got := Transient(err); got != tt.transient {
				t.Errorf("Transient = %v, want %v", got, tt.transient)
			}
			if got := Fatal(err); got != tt.fatal {
				t.Errorf("Fatal = %v, want %v", got, tt.fatal)
			}
			if ae.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", ae.RetryAfter, tt.retryAfter)
			}
			switch {
			case strings.HasPrefix(tt.message, "<="):
				if len(ae.Message) > 210 || len(ae.Message) < 100 {
					t.Errorf("Message has %d bytes, want a capped excerpt", len(ae.Message))
				}
			case tt.message != "":
				if ae.Message != tt.message {
					t.Errorf("Message = %q, want %q", ae.Message, tt.message)
				}
			}
		})
	}
}

// rawServer accepts one connection at a time and lets serve write whatever
// bytes it likes after reading the request head.
func hijackHandler(t *testing.T, serve func(bw *bufio.ReadWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, r.Method, r.URL.Path)
		io.Copy(io.Discard, r.Body)
		conn, bw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		serve(bw)
		bw.Flush()
	}
}

func TestSearchPeopleTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T) http.HandlerFunc
		want    string // in the error text
	}{
		{"dropped connection", func(t *testing.T) http.HandlerFunc {
			return hijackHandler(t, func(*bufio.ReadWriter) {})
		}, "EOF"},
		{"truncated body (short of Content-Length)", func(t *testing.T) http.HandlerFunc {
			return hijackHandler(t, func(bw *bufio.ReadWriter) {
				io.WriteString(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n")
				io.WriteString(bw, `{"data":[{"personId":"P1","first`)
			})
		}, "reading answer"},
		{"truncated body (chunked)", func(t *testing.T) http.HandlerFunc {
			return hijackHandler(t, func(bw *bufio.ReadWriter) {
				io.WriteString(bw, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"data\":[{\"perso\r\n")
			})
		}, "reading answer"},
		{"half a JSON body", func(t *testing.T) http.HandlerFunc {
			return searchHandler(t, 200, nil, `{"data":[{"personId":"P1","firstName":"Jo`)
		}, "not JSON"},
		{"HTML 200", func(t *testing.T) http.HandlerFunc {
			return searchHandler(t, 200, nil, `<html>captive portal</html>`)
		}, "captive portal"},
		{"data is a string", func(t *testing.T) http.HandlerFunc {
			return searchHandler(t, 200, nil, `{"data":"none"}`)
		}, `"data"`},
		{"JSON but not an object", func(t *testing.T) http.HandlerFunc {
			return searchHandler(t, 200, nil, `"ok"`)
		}, "not a JSON object"},
		{"body echoing the key", func(t *testing.T) http.HandlerFunc {
			return searchHandler(t, 200, nil, `<html>key `+testKey+`</html>`)
		}, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, Config{}, tt.handler(t))
			res, err := c.SearchPeople(context.Background(), testSearch)
			checkTransportError(t, res, err, tt.want)
		})
	}
}

func checkTransportError(t *testing.T, res *SearchResult, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("SearchPeople = %+v, nil error; want a *TransportError", res)
	}
	checkNoKey(t, err)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *TransportError", err, err)
	}
	if te.Op != "POST "+pathSearchPeople {
		t.Errorf("Op = %q", te.Op)
	}
	if !Transient(err) || Fatal(err) {
		t.Errorf("Transient = %v Fatal = %v, want true false", Transient(err), Fatal(err))
	}
	var ae *APIError
	if errors.As(err, &ae) {
		t.Errorf("transport error is also an *APIError")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("transport error %v looks like the caller's cancellation", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestSearchPeopleBodyCap(t *testing.T) {
	_, c := newServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"x":"`)
		chunk := strings.Repeat("a", 1<<20)
		for range maxBody>>20 + 1 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return // the client gave up, as it should
			}
		}
		io.WriteString(w, `"}]}`)
	})
	res, err := c.SearchPeople(context.Background(), testSearch)
	checkTransportError(t, res, err, "larger than 32 MiB")
}

// hungServer answers nothing until the client goes away. arrived gets a
// value for each request that reached the handler.
func hungServer(t *testing.T, cfg Config) (chan struct{}, *Client) {
	arrived := make(chan struct{}, 10)
	_, c := newServer(t, cfg, func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client leaving (and cancels
		// r.Context) only once the request body has been read.
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	return arrived, c
}

func TestSearchPeopleTimeout(t *testing.T) {
	_, c := hungServer(t, Config{Timeout: 50 * time.Millisecond})
	res, err := c.SearchPeople(context.Background(), testSearch)
	checkTransportError(t, res, err, "no complete answer within 50ms")
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Errorf("error %v does not report Timeout() = true", err)
	}
}

func TestSearchPeopleCallerCancel(t *testing.T) {
	arrived, c := hungServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := c.SearchPeople(ctx, testSearch)
	checkCallerErr(t, err, context.Canceled)
}

func TestSearchPeopleCallerCancelCause(t *testing.T) {
	arrived, c := hungServer(t, Config{})
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("user pressed ^C")
	go func() {
		<-arrived
		cancel(stop)
	}()
	_, err := c.SearchPeople(ctx, testSearch)
	checkCallerErr(t, err, context.Canceled)
	if !errors.Is(err, stop) {
		t.Errorf("error %v does not wrap the cancel cause", err)
	}
}

func TestSearchPeopleCallerDeadline(t *testing.T) {
	_, c := hungServer(t, Config{Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.SearchPeople(ctx, testSearch)
	checkCallerErr(t, err, context.DeadlineExceeded)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSearchPeopleCancelDuringErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"message":"`)
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the 503 header is in, while the body is still coming.
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		cancel()
		return resp, err
	})}
	c, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SearchPeople(ctx, testSearch)
	// The caller's cancellation wins over the (transient) server error.
	checkCallerErr(t, err, context.Canceled)
}

func TestSearchPeopleCancelledBeforeSend(t *testing.T) {
	arrived, c := hungServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SearchPeople(ctx, testSearch)
	checkCallerErr(t, err, context.Canceled)
	_, err = c.Credits(ctx)
	checkCallerErr(t, err, context.Canceled)
	if len(arrived) != 0 {
		t.Errorf("%d requests sent with a cancelled context", len(arrived))
	}
}

func checkCallerErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want one wrapping %v", err, want)
	}
	checkNoKey(t, err)
	if Transient(err) {
		t.Errorf("Transient(%v) = true: cancellation must not be retried", err)
	}
	var te *TransportError
	if errors.As(err, &te) {
		t.Errorf("cancellation %v is a *TransportError", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := NewClient(Config{BaseURL: "http://" + addr, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SearchPeople(context.Background(), testSearch)
	checkTransportError(t, res, err, "refused")
	_, err = c.Credits(context.Background())
	checkNoKey(t, err)
	if !Transient(err) {
		t.Errorf("Credits on a refused connection: Transient = false (%v)", err)
	}
}

// TestConnectionReuse checks that answers of every kind leave the
// connection reusable, and that the pool keeps enough idle connections for
// a wide worker pool.
func TestConnectionReuse(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		answers := []struct {
			status int
			body   string
		}{
			{200, `{"data":[{"personId":"P1"}]}`},
			{404, `{"message":"not found"}`},
			{500, `{"message":"` + strings.Repeat("x", 100<<10) + `"}`}, // beyond the error cap
			{429, `{"message":"Rate limit exceeded"}`},
			{200, `{"data":[]}`},
		}
		var i atomic.Int32
		n, c := newCountingServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
			a := answers[int(i.Add(1)-1)%len(answers)]
			w.WriteHeader(a.status)
			io.WriteString(w, a.body)
		})
		for range 2 * len(answers) {
			c.SearchPeople(context.Background(), testSearch)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("%d connections for %d sequential requests, want 1", got, 2*len(answers))
		}
	})

	t.Run("64 concurrent", func(t *testing.T) {
		const width = 64
		type wave struct {
			arrived chan struct{}
			release chan struct{}
		}
		var cur atomic.Pointer[wave]
		conns, c := newCountingServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			wv := cur.Load()
			wv.arrived <- struct{}{}
			select {
			case <-wv.release:
			case <-r.Context().Done():
			}
			io.WriteString(w, `{"data":[{"personId":"P1"}]}`)
		})
		for range 2 {
			wv := &wave{arrived: make(chan struct{}, width), release: make(chan struct{})}
			cur.Store(wv)
			var wg sync.WaitGroup
			errs := make(chan error, width)
			for range width {
				wg.Go(func() {
					_, err := c.SearchPeople(context.Background(), testSearch)
					errs <- err
				})
			}
			for range width { // all width requests are in flight at once
				<-wv.arrived
			}
			close(wv.release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		// The first wave needs width connections; the second should find
		// them all idle. A small slack covers the transport returning a
		// connection to the pool just after the body is closed.
		if got := conns.Load(); got < width || got > width+width/8 {
			t.Errorf("%d connections for two waves of %d, want about %d", got, width, width)
		}
	})
}

func TestTransportConfig(t *testing.T) {
	c, err := NewClient(Config{BaseURL: "https://api.clodura.ai", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.hc.Transport)
	}
	if tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("MaxIdleConnsPerHost = %d, want >= 64", tr.MaxIdleConnsPerHost)
	}
	if tr.MaxIdleConns != 0 && tr.MaxIdleConns < 64 {
		t.Errorf("MaxIdleConns = %d", tr.MaxIdleConns)
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("TLS config = %+v, want MinVersion 1.2 and verification on", tr.TLSClientConfig)
	}
	if tr.Proxy == nil {
		t.Errorf("Proxy is nil: the clone of DefaultTransport should keep ProxyFromEnvironment")
	}
	if tr == http.DefaultTransport {
		t.Errorf("the shared DefaultTransport is modified, not a clone")
	}
	if c.timeout != DefaultTimeout {
		t.Errorf("timeout = %v, want %v", c.timeout, DefaultTimeout)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodGet, pathCredits)
		io.WriteString(w, `{"remainingCredits": 12}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	t.Run("trusted CA", func(t *testing.T) {
		c, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, CACertPEM: caPEM})
		if err != nil {
			t.Fatal(err)
		}
		cr, err := c.Credits(context.Background())
		if err != nil {
			t.Fatalf("Credits over TLS with the CA: %v", err)
		}
		if cr.Remaining != 12 {
			t.Errorf("Remaining = %v", cr.Remaining)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		c, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Credits(context.Background())
		if err == nil {
			t.Fatal("Credits trusted a self-signed certificate")
		}
		checkNoKey(t, err)
		var cv *tls.CertificateVerificationError
		if !errors.As(err, &cv) {
			t.Errorf("error %v (%T) is not a certificate verification error", err, err)
		}
		if Transient(err) || Fatal(err) {
			t.Errorf("Transient = %v Fatal = %v: a bad certificate is permanent", Transient(err), Fatal(err))
		}
		if !strings.Contains(err.Error(), "GET "+pathCredits) {
			t.Errorf("error %q does not name the operation", err)
		}
	})
	t.Run("no certificate in PEM", func(t *testing.T) {
		_, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, CACertPEM: []byte("-----BEGIN JUNK-----\n")})
		if err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("NewClient with junk CA = %v, want a no-certificate error", err)
		}
	})
	t.Run("insecure HTTPClient refused", func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		_, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: hc})
		if err == nil {
			t.Error("NewClient accepted a client that skips verification")
		}
	})
	t.Run("HTTPClient with CACertPEM refused", func(t *testing.T) {
		_, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client(), CACertPEM: caPEM})
		if err == nil {
			t.Error("NewClient accepted HTTPClient together with CACertPEM")
		}
	})
	t.Run("custom HTTPClient", func(t *testing.T) {
		c, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Credits(context.Background()); err != nil {
			t.Errorf("Credits with the server's own client: %v", err)
		}
		if srv.Client().CheckRedirect != nil {
			t.Error("NewClient modified the caller's http.Client")
		}
	})
}

func TestCredits(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    float64
		wantErr string // "" for success
		netErr  bool   // a *TransportError is wanted
	}{
		{"remaining", `{"remainingCredits": 950}`, 950, "", false},
		{"remaining fractional", `{"remainingCredits": 950.52}`, 950.52, "", false},
		{"remaining as string", `{"remainingCredits": "12.5"}`, 12.5, "", false},
		{"remaining zero", `{"remainingCredits": 0}`, 0, "", false},
		{"prospect, max as string", `{"contactsView": 142, "maxContacts": "1000", "directDials": 38, "maxDirectDials": 200}`, 858, "", false},
		{"prospect, max as number", `{"contactsView": 142, "maxContacts": 1000}`, 858, "", false},
		{"prospect, both strings", `{"contactsView": "1,142", "maxContacts": "2,000"}`, 858, "", false},
		{"prospect overspent", `{"contactsView": 1200, "maxContacts": "1000"}`, 0, "", false},
		{"wrapped in data", `{"data": {"remainingCredits": 3}}`, 3, "", false},
		{"neither shape", `{"balance": 10}`, 0, `neither "remainingCredits" nor "contactsView"`, false},
		{"only contactsView", `{"contactsView": 10}`, 0, "neither", false},
		{"neither, huge body", `{"x":"` + strings.Repeat("y", 100000) + `"}`, 0, "neither", false},
		{"remaining not a number", `{"remainingCredits": "lots"}`, 0, `"remainingCredits" is not a number: "lots"`, false},
		{"remaining NaN string", `{"remainingCredits": "NaN"}`, 0, "not a number", false},
		{"maxContacts unlimited", `{"contactsView": 1, "maxContacts": "unlimited"}`, 0, "must be numbers", false},
		{"array", `[1,2]`, 0, "not a JSON object", false},
		{"not JSON", `<html>oops</html>`, 0, "not JSON", true},
		{"truncated", `{"remainingCredits": 9`, 0, "not JSON", true},
		{"empty body", ``, 0, "not JSON", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, http.MethodGet, pathCredits)
				if b, _ := io.ReadAll(r.Body); len(b) != 0 {
					t.Errorf("GET carried a body: %q", b)
				}
				io.WriteString(w, tt.body)
			})
			cr, err := c.Credits(context.Background())
			checkNoKey(t, err)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Credits: %v", err)
				}
				if cr.Remaining != tt.want {
					t.Errorf("Remaining = %v, want %v", cr.Remaining, tt.want)
				}
				if string(cr.Raw) != tt.body {
					t.Errorf("Raw = %s, want the body", cr.Raw)
				}
				return
			}
			if err == nil {
				t.Fatalf("Credits = %+v, want an error containing %q", cr, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "GET "+pathCredits) {
				t.Errorf("error %q does not name the operation", err)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error quotes %d bytes: the excerpt is not capped", len(err.Error()))
			}
			var te *TransportError
			if got := errors.As(err, &te); got != tt.netErr {
				t.Errorf("*TransportError = %v, want %v (%v)", got, tt.netErr, err)
			}
			if Transient(err) != tt.netErr {
				t.Errorf("Transient = %v, want %v", Transient(err), tt.netErr)
			}
		})
	}
}

func TestCreditsAPIError(t *testing.T) {
	_, c := newServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodGet, pathCredits)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"Unauthorized"}`)
	})
	_, err := c.Credits(context.Background())
	checkNoKey(t, err)
	if !errors.Is(err, ErrUnauthorized) || !Fatal(err) {
		t.Errorf("Credits with a revoked key = %v, want ErrUnauthorized, fatal", err)
	}
	// Unlike search, a 404 from credits is an error.
	_, c = newServer(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	})
	if _, err := c.Credits(context.Background()); err == nil {
		t.Error("Credits on a 404 = nil error")
	}
}

func TestValidateBaseURL(t *testing.T) {
	tests := []struct {
		raw      string
		want     string // normalized; "" when refused
		insecure bool   // refused with ErrInsecureURL
	}{
		{"https://api.clodura.ai", "https://api.clodura.ai", false},
		{"https://api.clodura.ai/", "https://api.clodura.ai", false},
		{"HTTPS://api.clodura.ai//", "https://api.clodura.ai", false},
		{"https://gw.example.com:8443/clodura/", "https://gw.example.com:8443/clodura", false},
		{"  https://api.clodura.ai  ", "https://api.clodura.ai", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", false},
		{"http://127.1.2.3", "http://127.1.2.3", false},
		{"http://[::1]:9", "http://[::1]:9", false},
		{"http://localhost", "http://localhost", false},
		{"http://LocalHost:3000/", "http://LocalHost:3000", false},
		{"http://api.example.com", "", true},
		{"http://api.clodura.ai/", "", true},
		{"http://10.0.0.1:8080", "", true},
		{"http://[::2]:9", "", true},
		{"http://localhost.evil.com", "", true},
		{"http://127.0.0.1.nip.io", "", true},
		{"ftp://api.clodura.ai", "", false},
		{"api.clodura.ai", "", false},
		{"", "", false},
		{"::garbage::", "", false},
		{"https://", "", false},
		{"https:opaque", "", false},
		{"https://user:pw@api.clodura.ai", "", false},
		{"https://api.clodura.ai/?key=x", "", false},
		{"https://api.clodura.ai/#frag", "", false},
		{"https://exa mple.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ValidateBaseURL(tt.raw)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if u.String() != tt.want {
					t.Errorf("= %s, want %s", u, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %s", u)
			}
			if got := errors.Is(err, ErrInsecureURL); got != tt.insecure {
				t.Errorf("errors.Is(%v, ErrInsecureURL) = %v, want %v", err, got, tt.insecure)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error %q echoes a password", err)
			}
		})
	}
}

func TestNewClientConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{BaseURL: "https://api.clodura.ai"}, "no API key"},
		{"key with newline", Config{BaseURL: "https://api.clodura.ai", APIKey: testKey + "\n"}, "control character"},
		{"negative timeout", Config{BaseURL: "https://api.clodura.ai", APIKey: testKey, Timeout: -time.Second}, "negative"},
		{"insecure URL", Config{BaseURL: "http://api.clodura.ai", APIKey: testKey}, "refusing plain http"},
		{"no URL", Config{APIKey: testKey}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if err == nil {
				t.Fatalf("NewClient = %v, nil error", c)
			}
			// Quoting the base URL is fine here; the key is not.
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error reveals the API key: %q", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParsePerson(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Person
	}{
		{"full record", `{"personId":"P0123","firstName":"John","lastName":"Smith","personTitle":"VP Sales",
			"seniority":"Vice President","functional":"Sales","personCity":"Pune","personState":"Maharashtra",
			"personCountry":"India","linkedinUrl":"https://www.linkedin.com/in/js","organizationName":"Acme",
			"organizationId":"O1","companyDomain":"acme.com","contactEmailStatus":"verified","lastUpdated":"2026-01-01"}`,
			Person{PersonID: "P0123", FirstName: "John", LastName: "Smith", PersonTitle: "VP Sales",
				Seniority: "Vice President", Functional: "Sales", PersonCity: "Pune", PersonState: "Maharashtra",
				PersonCountry: "India", LinkedInURL: "https://www.linkedin.com/in/js", OrganizationName: "Acme",
				OrganizationID: "O1", CompanyDomain: "acme.com", ContactEmailStatus: "verified"}},
		{"numbers and bools stringified", `{"personId": 12345, "organizationId": 1.5e3, "contactEmailStatus": true, "functional": false}`,
			Person{PersonID: "12345", OrganizationID: "1.5e3", ContactEmailStatus: "true", Functional: "false"}},
		{"null is empty", `{"firstName": null, "lastName": "Smith"}`, Person{LastName: "Smith"}},
		{"nested object as JSON text", `{"personCity": {"name": "Pune", "id": 7}}`, Person{PersonCity: `{"name":"Pune","id":7}`}},
		{"array as JSON text", `{"seniority": ["VP", "Director"]}`, Person{Seniority: `["VP","Director"]`}},
		{"case-insensitive key", `{"linkedInUrl": "https://www.linkedin.com/in/x", "FirstName": "Ann"}`,
			Person{LinkedInURL: "https://www.linkedin.com/in/x", FirstName: "Ann"}},
		{"exact key wins over folded", `{"FIRSTNAME": "B", "firstName": "A"}`, Person{FirstName: "A"}},
		{"escapes decoded", `{"firstName": "Jos\u00e9 \"Pepe\""}`, Person{FirstName: `José "Pepe"`}},
		{"unknown fields only", `{"foo": 1, "bar": {"baz": 2}}`, Person{}},
		{"empty object", `{}`, Person{}},
		{"array record", `[{"firstName":"John"}]`, Person{}},
		{"string record", `"John"`, Person{}},
		{"null record", `null`, Person{}},
		{"empty input", ``, Person{}},
		{"invalid JSON", `{"firstName": "Jo`, Person{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParsePerson(json.RawMessage(tt.raw)); got != tt.want {
				t.Errorf("ParsePerson(%s)\n got %+v\nwant %+v", tt.raw, got, tt.want)
			}
		})
	}
}
