package clodura

import (
	"encoding/json"
	"testing"
)

// BenchmarkParsePerson measures the column mapping the output pass does
// for every matched row: a record of the assumed shape, plus one unknown
// field.
func BenchmarkParsePerson(b *testing.B) {
	raw := json.RawMessage(`{"personId":"P0123456789ab","firstName":"John","lastName":"Smith",` +
		`"personTitle":"VP Sales","seniority":"Vice President","functional":"Sales","personCity":"Pune",` +
		`"personState":"Maharashtra","personCountry":"India","linkedinUrl":"https://www.linkedin.com/in/x",` +
		`"organizationName":"Acme","organizationId":"O1","companyDomain":"acme.com",` +
		`"contactEmailStatus":"verified","lastUpdated":"2026-01-01"}`)
	b.ReportAllocs()
	for b.Loop() {
		if p := ParsePerson(raw); p.LastName != "Smith" {
			b.Fatalf("ParsePerson = %+v", p)
		}
	}
}
