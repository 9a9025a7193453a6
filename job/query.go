package job

import (
	"encoding/json"
	"strings"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/reader"
)

// searchRequest builds the people-search request for a usable identity:
// the first page of perPage candidates.
func searchRequest(id reader.Identity, perPage int) clodura.SearchRequest {
	req := clodura.SearchRequest{
		Page:             1,
		PerPage:          perPage,
		LinkedInURL:      id.LinkedInURL,
		OrganizationName: id.Company,
		CompanyDomain:    id.Domain,
	}
	if id.FirstName != "" && id.LastName != "" { // the API wants them together
		req.FirstName, req.LastName = id.FirstName, id.LastName
	}
	return req
}

// lookupKey is the identity of a lookup: two rows with the same key would
// send the same request, so the job makes it once and both rows share the
// result. Names and company compare case-insensitively; the request's own
// spelling (the first row's) is what is sent.
func lookupKey(req clodura.SearchRequest) checkpoint.Key {
	canon := req
	canon.FirstName = strings.ToLower(canon.FirstName)
	canon.LastName = strings.ToLower(canon.LastName)
	canon.OrganizationName = strings.ToLower(canon.OrganizationName)
	canon.LinkedInURL = strings.ToLower(canon.LinkedInURL)
	canon.CompanyDomain = strings.ToLower(canon.CompanyDomain)
	b, err := json.Marshal(canon)
	if err != nil { // a struct of strings and ints always marshals
		panic(err)
	}
	return checkpoint.KeyOf(b)
}
