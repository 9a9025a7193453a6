package clodura

import (
	"encoding/json"
	"math"
	"strconv"
)

// SearchRequest is the body of POST /api/v1/search/people. Empty fields are
// omitted. OrganizationName and CompanyDomain are assumed names (see
// shared/clodura-api.md): Clodura has not published them.
type SearchRequest struct {
	Page                 int      `json:"page"`
	PerPage              int      `json:"perPage"`
	PersonID             string   `json:"personId,omitempty"`
	FirstName            string   `json:"firstName,omitempty"`
	LastName             string   `json:"lastName,omitempty"`
	LinkedInURL          string   `json:"linkedinUrl,omitempty"`
	Seniority            []string `json:"seniority,omitempty"`
	PersonTitle          []string `json:"personTitle,omitempty"`
	IncludeSimilarTitles *bool    `json:"includeSimilarTitles,omitempty"`
	OrganizationName     string   `json:"organizationName,omitempty"`
	CompanyDomain        string   `json:"companyDomain,omitempty"`
}

// Person holds the fields of a people-search record that this tool maps to
// output columns. The schema is assumed, so a record is always kept whole as
// raw JSON as well; decode it with ParsePerson, which tolerates any shape.
type Person struct {
	PersonID           string `json:"personId"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	PersonTitle        string `json:"personTitle"`
	Seniority          string `json:"seniority"`
	Functional         string `json:"functional"`
	PersonCity         string `json:"personCity"`
	PersonState        string `json:"personState"`
	PersonCountry      string `json:"personCountry"`
	LinkedInURL        string `json:"linkedinUrl"`
	OrganizationName   string `json:"organizationName"`
	OrganizationID     string `json:"organizationId"`
	CompanyDomain      string `json:"companyDomain"`
	ContactEmailStatus string `json:"contactEmailStatus"`
}

// SearchResult is a successful people search. Records holds each non-empty
// record exactly as the API sent it: these are what was paid for. Total is
// the number of matching people the API reported (pagination.totalRecords),
// or len(Records) when it reported none. A search that found nobody (404 or
// an empty data array) is a SearchResult with no Records, not an error.
type SearchResult struct {
	Records []json.RawMessage
	Total   int
}

// Found reports whether the search returned at least one record.
func (r *SearchResult) Found() bool { return r != nil && len(r.Records) > 0 }

// Credits is a decoded GET /api/v1/credits answer. Remaining is the balance
// in credits whichever shape the plan answers with; Raw is the body as sent.
type Credits struct {
	Remaining float64
	Raw       json.RawMessage
}

// FormatCredits writes a credit amount as people read it: 950, 12.5,
// 0.04 — never in exponent form, at most three decimals.
func FormatCredits(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
