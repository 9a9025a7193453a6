package clodura

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The endpoints this client calls, relative to the base URL. They double as
// the operation names in errors, which never carry a full URL.
const (
	pathSearchPeople = "/api/v1/search/people"
	pathCredits      = "/api/v1/credits"
)

const (
	// DefaultTimeout bounds one request (connect, send, answer and body)
	// when Config.Timeout is zero.
	DefaultTimeout = 30 * time.Second

	// DefaultUserAgent is sent when Config.UserAgent is empty.
	DefaultUserAgent = "clodura-enrich"

	// maxBody caps a 2xx answer read into memory. A people search with
	// perPage 100 is far below this; anything larger is not an answer.
	maxBody = 32 << 20

	// maxDrain is how much of an unread body is discarded before closing
	// it, so the connection can be reused; beyond that it is cheaper to
	// drop the connection.
	maxDrain = 64 << 10

	// maxIdlePerHost keeps enough idle connections to the one API host for
	// the widest default worker pool (128 requests in flight): a paced client
	// that had to redial for every request would spend its rate window on
	// TCP and TLS handshakes.
	maxIdlePerHost = 128

	// maxExcerpt caps how much of an unexpected body an error quotes.
	maxExcerpt = 200
)

// Config configures a Client. BaseURL and APIKey are required.
type Config struct {
	// BaseURL is the API root, e.g. "https://api.clodura.ai". It must be
	// https, or http for a loopback host (see ValidateBaseURL). A path
	// prefix is kept; a trailing slash is ignored.
	BaseURL string

	// APIKey is sent as X-API-KEY on every request. It never appears in an
	// error returned by the Client.
	APIKey string

	// CACertPEM holds extra PEM certificates to trust, ADDED to the system
	// roots (the simulator's self-signed certificate, a corporate proxy).
	CACertPEM []byte

	// Timeout bounds each request, body included; zero means
	// DefaultTimeout. It is not a bound on retries, which are the caller's.
	Timeout time.Duration

	// UserAgent is the User-Agent header; empty means DefaultUserAgent.
	UserAgent string

	// HTTPClient replaces the client's own transport (tests). Redirects are
	// never followed whatever its CheckRedirect says (X-API-KEY would follow
	// them to any host). It may not be combined with CACertPEM, and a
	// transport that skips TLS verification is refused.
	HTTPClient *http.Client
}

// Client calls the Clodura API. It is safe for concurrent use and holds no
// mutable state; pacing and retries are the caller's (see Transient).
type Client struct {
	hc         *http.Client
	key        string
	userAgent  string
	timeout    time.Duration
	searchURL  string
	creditsURL string
	now        func() time.Time
}

// ValidateBaseURL parses raw as an API base URL and returns it normalized:
// lower-case scheme, no trailing slash. https is always accepted; http only
// for a loopback host (127.0.0.0/8, ::1 or "localhost"), where the key does
// not cross a network. Refusing plain http elsewhere returns an error
// wrapping ErrInsecureURL. A URL with user info, a query or a fragment is
// refused, as is any scheme other than http and https.
func ValidateBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("base URL is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid base URL %q: %w", s, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.User != nil {
		// The password, if any, is not echoed.
		return nil, errors.New("invalid base URL: it must not contain user info (the key goes in CLODURA_API_KEY)")
	}
	switch u.Scheme {
	case "https", "http":
	case "":
		return nil, fmt.Errorf("invalid base URL %q: no scheme (want https://host)", s)
	default:
		return nil, fmt.Errorf("invalid base URL %q: unsupported scheme %q (want https)", s, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid base URL %q: no host", s)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("invalid base URL %q: it must not have a query or fragment", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("base URL %q: %w", s, ErrInsecureURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewClient checks cfg and builds a Client. TLS certificates are always
// verified (TLS 1.2 or later); cfg.CACertPEM is trusted in addition to the
// system roots, and an error is returned if it holds no certificate.
func NewClient(cfg Config) (*Client, error) {
	base, err := ValidateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, errors.New("no API key")
	}
	if strings.ContainsFunc(cfg.APIKey, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		// Never quote the key, not even to say what is wrong with it.
		return nil, errors.New("the API key contains a control character (a stray newline from a key file?)")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("negative request timeout %v", cfg.Timeout)
	}
	c := &Client{
		key:        cfg.APIKey,
		userAgent:  cfg.UserAgent,
		timeout:    cfg.Timeout,
		searchURL:  endpoint(base, pathSearchPeople),
		creditsURL: endpoint(base, pathCredits),
		now:        time.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}

	if cfg.HTTPClient != nil {
		if len(cfg.CACertPEM) > 0 {
			return nil, errors.New("CACertPEM cannot be combined with a custom HTTPClient: configure its transport instead")
		}
		if t, ok := cfg.HTTPClient.Transport.(*http.Transport); ok && t.TLSClientConfig != nil && t.TLSClientConfig.InsecureSkipVerify {
			return nil, errors.New("refusing an HTTP client that skips TLS certificate verification")
		}
		hc := *cfg.HTTPClient
		hc.CheckRedirect = noRedirects
		c.hc = &hc
		return c, nil
	}

	tr, err := newTransport(cfg.CACertPEM)
	if err != nil {
		return nil, err
	}
	c.hc = &http.Client{Transport: tr, CheckRedirect: noRedirects}
	return c, nil
}

func endpoint(base *url.URL, path string) string {
	u := *base
	u.Path = base.Path + path
	u.RawPath = ""
	return u.String()
}

// noRedirects hands a 3xx back as the answer: following it would send the
// key wherever the Location points, and CheckResponse reports it instead.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newTransport clones http.DefaultTransport (proxy from the environment,
// dial and handshake timeouts, HTTP/2) and sizes its idle pool for the
// worker pool.
func newTransport(caPEM []byte) (*http.Transport, error) {
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport")
	}
	tr := dt.Clone()
	tr.MaxIdleConnsPerHost = maxIdlePerHost
	if tr.MaxIdleConns != 0 && tr.MaxIdleConns < maxIdlePerHost {
		tr.MaxIdleConns = maxIdlePerHost
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("CA certificate: no PEM certificate found")
		}
		tlsConf.RootCAs = pool
	}
	tr.TLSClientConfig = tlsConf
	return tr, nil
}

// SearchPeople runs one people search (POST /api/v1/search/people) with req
// sent as given. A search that found nobody (404, or an empty or null
// "data") is a result with no Records and a nil error. Records keeps each
// element of "data" that is a non-empty JSON object, byte for byte.
//
// Errors: a non-2xx answer is CheckResponse's *APIError (match it with
// ErrUnauthorized, ErrRateLimited, ...); no usable answer (refused or
// dropped connection, Config.Timeout, a truncated or non-JSON body) is a
// *TransportError; cancellation of ctx returns an error wrapping ctx.Err()
// that is not Transient. A failed TLS certificate check is permanent: an
// error wrapping the crypto/tls or crypto/x509 error, not a *TransportError.
func (c *Client) SearchPeople(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("clodura: encode search request: %w", err)
	}
	op := http.MethodPost + " " + pathSearchPeople
	b, err := c.do(ctx, http.MethodPost, c.searchURL, op, body)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return &SearchResult{}, nil
		}
		return nil, err
	}
	res, err := decodeSearch(b)
	if err != nil {
		return nil, &TransportError{Op: op, Err: c.scrubErr(err)}
	}
	return res, nil
}

// decodeSearch reads {"data": [...], "pagination": {"totalRecords": N}}.
// It also takes "data" as a single object and a bare top-level array, so a
// paid-for record is not lost to a shape the schema did not promise.
func decodeSearch(b []byte) (*SearchResult, error) {
	var top json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, notJSON(b, err)
	}
	var data json.RawMessage
	total := -1
	switch jsonKind(top) {
	case '[':
		data = top
	case '{':
		var ans struct {
			Data       json.RawMessage `json:"data"`
			Pagination struct {
				TotalRecords json.RawMessage `json:"totalRecords"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(top, &ans); err != nil {
			return nil, fmt.Errorf("decode answer: %w", err)
		}
		data = ans.Data
		if n, ok := jsonNumber(ans.Pagination.TotalRecords); ok && n >= 0 && n <= math.MaxInt32 {
			total = int(n)
		}
	default:
		return nil, fmt.Errorf("answer is not a JSON object: %s", excerpt(b))
	}

	res := &SearchResult{}
	switch jsonKind(data) {
	case 0, 'n':
	case '{':
		if nonEmptyObject(data) {
			res.Records = append(res.Records, data)
		}
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return nil, fmt.Errorf("decode answer data: %w", err)
		}
		for _, e := range elems {
			if nonEmptyObject(e) {
				res.Records = append(res.Records, e)
			}
		}
	default:
		return nil, fmt.Errorf(`answer "data" is neither an array nor an object: %s`, excerpt(data))
	}
	res.Total = max(total, len(res.Records))
	return res, nil
}

// Credits reads the balance (GET /api/v1/credits; costs no credits). It
// decodes {"remainingCredits": N} (N may be fractional or a numeric string)
// and the Prospect shape {"contactsView": V, "maxContacts": "M", ...} as
// Remaining = M - V, never below zero. A 2xx answer with neither shape is a
// plain error quoting the start of the body: retrying will not change it.
// Other errors are as for SearchPeople.
func (c *Client) Credits(ctx context.Context) (Credits, error) {
	op := http.MethodGet + " " + pathCredits
	b, err := c.do(ctx, http.MethodGet, c.creditsURL, op, nil)
	if err != nil {
		return Credits{}, err
	}
	rem, err := decodeCredits(b)
	if err != nil {
		var nj *notJSONError
		if errors.As(err, &nj) {
			return Credits{}, &TransportError{Op: op, Err: c.scrubErr(err)}
		}
		return Credits{}, fmt.Errorf("clodura: %s: %w", op, c.scrubErr(err))
	}
	return Credits{Remaining: rem, Raw: json.RawMessage(bytes.TrimSpace(b))}, nil
}

func decodeCredits(b []byte) (float64, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		var top json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			return 0, notJSON(b, err)
		}
		return 0, fmt.Errorf("credits answer is not a JSON object: %s", excerpt(b))
	}
	// Some APIs wrap the payload in "data"; look there when the top level
	// has neither shape.
	for range 2 {
		if raw, ok := m["remainingCredits"]; ok {
			n, ok := jsonNumber(raw)
			if !ok {
				return 0, fmt.Errorf(`credits answer: "remainingCredits" is not a number: %s`, excerpt(raw))
			}
			return n, nil
		}
		rawView, okView := m["contactsView"]
		rawMax, okMax := m["maxContacts"]
		if okView && okMax {
			view, ok1 := jsonNumber(rawView)
			limit, ok2 := jsonNumber(rawMax)
			if !ok1 || !ok2 {
				return 0, fmt.Errorf(`credits answer: "contactsView" (%s) and "maxContacts" (%s) must be numbers`,
					excerpt(rawView), excerpt(rawMax))
			}
			return max(limit-view, 0), nil
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(m["data"], &inner) != nil || inner == nil {
			break
		}
		m = inner
	}
	return 0, fmt.Errorf(`credits answer has neither "remainingCredits" nor "contactsView" and "maxContacts": %s`, excerpt(b))
}

// do sends one request bounded by c.timeout and returns a 2xx body. op
// names the request in errors ("POST /api/v1/search/people").
func (c *Client) do(ctx context.Context, method, rawURL, op string, body []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, callerErr(ctx, op)
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, rawURL, rd)
	if err != nil {
		// Only a malformed URL gets here, and ValidateBaseURL prevents it;
		// the url.Error would quote the URL, so it is not wrapped.
		return nil, fmt.Errorf("clodura: %s: cannot build request", op)
	}
	req.Header.Set("X-API-KEY", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.failed(ctx, rctx, op, err)
	}
	defer drainClose(resp.Body)

	if err := CheckResponse(resp, c.now()); err != nil {
		if ctx.Err() != nil {
			// Cancelled while the error body was read: the caller's
			// cancellation wins, so it is not retried.
			return nil, callerErr(ctx, op)
		}
		var ae *APIError
		if errors.As(err, &ae) {
			ae.Message = c.scrub(ae.Message)
		}
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.failed(ctx, rctx, op, fmt.Errorf("reading answer: %w", err))
	}
	if len(b) > maxBody {
		return nil, &TransportError{Op: op, Err: fmt.Errorf("answer larger than %d MiB", maxBody>>20)}
	}
	return b, nil
}

// failed turns a failed exchange into the error the caller sees. The
// caller's own cancellation or deadline comes back as such (not
// transient); the per-request timeout and network failures are a
// *TransportError; a certificate that does not verify is permanent.
func (c *Client) failed(ctx, rctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return callerErr(ctx, op)
	}
	if rctx.Err() != nil {
		return &TransportError{Op: op, Err: &timeoutError{c.timeout}}
	}
	// *url.Error quotes the full URL; keep only what went wrong.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	err = c.scrubErr(err)
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return fmt.Errorf("clodura: %s: TLS certificate not trusted (--ca-cert adds a CA): %w", op, err)
	}
	return &TransportError{Op: op, Err: err}
}

// callerErr reports the caller's cancellation: it wraps ctx.Err(), and the
// cause too when one was given, so errors.Is(err, context.Canceled) holds.
func callerErr(ctx context.Context, op string) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("clodura: %s: %w: %w", op, err, cause)
	}
	return fmt.Errorf("clodura: %s: %w", op, err)
}

// timeoutError is the per-request Config.Timeout expiring. It does not wrap
// context.DeadlineExceeded, which would be mistaken for the caller's own.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("no complete answer within %v", e.d) }

// Timeout reports true, as net.Error does for its timeouts.
func (e *timeoutError) Timeout() bool { return true }

// scrub removes the key from text the server sent back (an error message
// that echoes the header, say). Keys shorter than 4 bytes are not real keys
// and would mangle every message.
func (c *Client) scrub(s string) string {
	if len(c.key) < 4 {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[redacted]")
}

func (c *Client) scrubErr(err error) error {
	if err == nil || len(c.key) < 4 || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(c.scrub(err.Error()))
}

// drainClose discards a bounded rest of body so the connection returns to
// the idle pool, then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrain)
	_ = body.Close()
}

// notJSONError is a 2xx body that does not parse: truncated, or a page
// from something that is not the API (a proxy, a captive portal).
type notJSONError struct {
	err     error
	excerpt string
}

func (e *notJSONError) Error() string {
	if e.excerpt == "" {
		return "answer is not JSON: " + e.err.Error()
	}
	return "answer is not JSON (" + e.err.Error() + "): " + e.excerpt
}
func (e *notJSONError) Unwrap() error { return e.err }

func notJSON(b []byte, err error) error {
	return &notJSONError{err: err, excerpt: excerpt(b)}
}

// excerpt quotes at most maxExcerpt bytes of b, on a rune boundary.
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) <= maxExcerpt {
		return s
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// jsonKind is the first byte of a JSON value ('{', '[', '"', 'n', 't',
// 'f', or a digit/'-'), or 0 for an empty value.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func nonEmptyObject(raw json.RawMessage) bool {
	if jsonKind(raw) != '{' {
		return false
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && len(m) > 0
}

// jsonNumber reads a JSON number or a string holding one ("1000",
// " 1,000 "). NaN and infinities are not numbers.
func jsonNumber(raw json.RawMessage) (float64, bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	var n float64
	switch v := v.(type) {
	case float64:
		n = v
	case string:
		s := strings.ReplaceAll(strings.TrimSpace(v), ",", "")
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		n = f
	default:
		return 0, false
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}
