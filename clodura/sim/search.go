package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clodura/enrich/clodura"
)

// searchBody is a search request as the simulator reads it. Pointers tell
// a missing page from a zero one; unknown fields are ignored.
type searchBody struct {
	Page                 *int     `json:"page"`
	PerPage              *int     `json:"perPage"`
	PersonID             string   `json:"personId"`
	FirstName            string   `json:"firstName"`
	LastName             string   `json:"lastName"`
	LinkedInURL          string   `json:"linkedinUrl"`
	Seniority            []string `json:"seniority"`
	PersonTitle          []string `json:"personTitle"`
	IncludeSimilarTitles *bool    `json:"includeSimilarTitles"`
	OrganizationName     string   `json:"organizationName"`
	CompanyDomain        string   `json:"companyDomain"`
}

// parseSearch validates a search body. The error is the 400 message.
func parseSearch(body []byte) (query, error) {
	var b searchBody
	if len(bytes.TrimSpace(body)) == 0 {
		return query{}, errors.New("malformed JSON body: the body is empty, want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		return query{}, fmt.Errorf("malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return query{}, errors.New("malformed JSON body: data after the object")
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"page", b.Page}, {"perPage", b.PerPage}} {
		if f.v == nil {
			return query{}, fmt.Errorf("%s is required", f.name)
		}
		if *f.v < 1 || *f.v > 100 {
			return query{}, fmt.Errorf("%s must be between 1 and 100, got %d", f.name, *f.v)
		}
	}
	q := query{
		page:     *b.Page,
		perPage:  *b.PerPage,
		first:    strings.TrimSpace(b.FirstName),
		last:     strings.TrimSpace(b.LastName),
		personID: strings.TrimSpace(b.PersonID),
		org:      strings.TrimSpace(b.OrganizationName),
		domain:   strings.ToLower(strings.TrimSpace(b.CompanyDomain)),
	}
	if u := strings.TrimSpace(b.LinkedInURL); u != "" {
		slug, err := linkedinSlug(u)
		if err != nil {
			return query{}, err
		}
		q.slug = slug
	}
	if (q.first == "" || q.last == "") && q.slug == "" && q.personID == "" {
		return query{}, errors.New("give firstName and lastName, linkedinUrl or personId")
	}
	canon := clodura.SearchRequest{
		PerPage: q.perPage, PersonID: b.PersonID, FirstName: b.FirstName, LastName: b.LastName,
		LinkedInURL: b.LinkedInURL, Seniority: b.Seniority, PersonTitle: b.PersonTitle,
		IncludeSimilarTitles: b.IncludeSimilarTitles, OrganizationName: b.OrganizationName,
		CompanyDomain: b.CompanyDomain,
	}
	q.canonical, _ = json.Marshal(canon) // a struct of strings: cannot fail
	return q, nil
}

// linkedinSlug returns the profile slug of a linkedin.com/in/ URL, lower
// cased. Sales Navigator (/sales/) and other URLs are refused.
func linkedinSlug(raw string) (string, error) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("linkedinUrl %q is not a URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	if host != "linkedin.com" && !strings.HasSuffix(host, ".linkedin.com") {
		return "", fmt.Errorf("linkedinUrl %q is not a linkedin.com/in/ profile URL", raw)
	}
	if strings.HasPrefix(u.Path, "/sales/") {
		return "", fmt.Errorf("linkedinUrl %q: Sales Navigator URLs are not supported", raw)
	}
	slug, ok := strings.CutPrefix(u.Path, "/in/")
	if i := strings.IndexByte(slug, '/'); i >= 0 {
		slug = slug[:i]
	}
	if !ok || slug == "" {
		return "", fmt.Errorf("linkedinUrl %q is not a linkedin.com/in/ profile URL", raw)
	}
	return strings.ToLower(slug), nil
}

// pagination is the "pagination" object of a search answer.
type pagination struct {
	Page         int `json:"page"`
	PerPage      int `json:"perPage"`
	TotalRecords int `json:"totalRecords"`
	TotalPages   int `json:"totalPages"`
}

type searchAnswer struct {
	Data       []person   `json:"data"`
	Pagination pagination `json:"pagination"`
}

// search serves POST /api/v1/search/people.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	s.stats.arrive(now)
	d := s.draw()
	var (
		ks     *keyState
		status int
		msg    string
	)
	if d.kind == faultNone || d.kind == faultTruncate {
		ks, status, msg = s.admit(r.Header.Get("X-API-KEY"), true, now)
	}
	retryAfter := s.faults.RetryAfter
	s.mu.Unlock()

	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if !sleep(r.Context(), d.delay) {
		return // the client gave up
	}
	switch d.kind {
	case faultError:
		s.count(&s.stats.Errors5xx)
		s.reply(w, d.status, errorBody{http.StatusText(d.status)}, 0)
		return
	case faultDrop:
		s.count(&s.stats.Dropped)
		drop(w)
		return
	case faultHang:
		s.count(&s.stats.Hung)
		s.hang(w, r)
		return
	case faultRateLimit:
		s.count(&s.stats.RateLimited)
		s.reply(w, http.StatusTooManyRequests, errorBody{"Rate limit exceeded"}, retryAfter)
		return
	}
	if ks == nil {
		s.reply(w, status, errorBody{msg}, retryAfter)
		return
	}
	if readErr != nil {
		s.reply(w, http.StatusBadRequest, errorBody{"reading the request body: " + readErr.Error()}, 0)
		return
	}
	q, err := parseSearch(body)
	if err != nil {
		s.reply(w, http.StatusBadRequest, errorBody{err.Error()}, 0)
		return
	}
	m := s.match(q)

	s.mu.Lock()
	if ks.balance < 1 {
		s.mu.Unlock()
		s.reply(w, http.StatusPaymentRequired, errorBody{"Insufficient credits"}, 0)
		return
	}
	first := (q.page - 1) * q.perPage
	n := min(q.perPage, max(m.total-first, 0), int(math.Floor(ks.balance)))
	if n > 0 {
		ks.balance -= float64(n)
		ks.viewed += float64(n)
		s.stats.CreditsCharged += float64(n)
		h := sha256.Sum256(append([]byte(ks.Key.Key+"\x00"), q.canonical...))
		if _, dup := s.charged[h]; dup {
			s.stats.ChargedTwice++
		}
		s.charged[h] = struct{}{}
	}
	s.stats.Searches++
	s.mu.Unlock()

	if m.total == 0 && m.use404 {
		s.reply(w, http.StatusNotFound, errorBody{"No records found"}, 0)
		return
	}
	answer := searchAnswer{
		Data: make([]person, 0, n),
		Pagination: pagination{
			Page: q.page, PerPage: q.perPage, TotalRecords: m.total,
			TotalPages: (m.total + q.perPage - 1) / q.perPage,
		},
	}
	for i := range n {
		answer.Data = append(answer.Data, m.person(first+i))
	}
	if d.kind != faultTruncate {
		s.reply(w, http.StatusOK, answer, 0)
		return
	}
	out, _ := json.Marshal(answer) // plain strings and ints: cannot fail
	s.mu.Lock()
	s.stats.Truncated++
	s.stats.status(http.StatusOK)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out[:len(out)/2], 0)
}

// count adds one to a Stats counter under the mutex.
func (s *Server) count(c *int) {
	s.mu.Lock()
	*c++
	s.mu.Unlock()
}

// sleep waits d, or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drop closes the connection without an answer. Where the connection
// cannot be hijacked (HTTP/2, a ResponseRecorder) it aborts the handler,
// which net/http turns into a reset.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// hang answers nothing until the client gives up, or 504 after hangLimit.
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	t := time.NewTimer(hangLimit)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
		s.reply(w, http.StatusGatewayTimeout, errorBody{"Gateway timeout"}, 0)
	}
}
