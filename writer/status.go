package writer

// The values of clodura_status (shared/product.md).
const (
	StatusMatched  = "matched"   // the API returned at least one record
	StatusNotFound = "not_found" // the API found nobody (404 or empty data)
	StatusInvalid  = "invalid"   // the row is unusable and was never sent
	StatusFailed   = "failed"    // a permanent error, after retries
	StatusPending  = "pending"   // not reached yet: the run paused or stopped
)

// Columns are the columns added after the input's own, in this order.
// JSONL output uses the same names without the "clodura_" prefix.
var Columns = []string{
	"clodura_status", "clodura_person_id", "clodura_first_name", "clodura_last_name",
	"clodura_title", "clodura_seniority", "clodura_department", "clodura_company",
	"clodura_company_domain", "clodura_linkedin_url", "clodura_city", "clodura_state",
	"clodura_country", "clodura_email_status", "clodura_match_count", "clodura_error",
}
