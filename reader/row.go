package reader

import (
	"fmt"
	"log/slog"
)

// Row is one data row of the input, in file order.
type Row struct {
	Index int // 0-based position among the data rows (header excluded)
	Line  int // 1-based line where the row starts (XLSX: the sheet's row number)

	// Fields are the row's cells, exactly as read, one per header column
	// (a short row is padded with ""). Nil for JSONL.
	Fields []string
	// Raw is a JSONL row's object, byte for byte as in the file (no newline).
	Raw []byte
	// Text is a JSONL line that is not a JSON object, as it was.
	Text string

	Identity Identity
	// Invalid, when not empty, says why the row cannot be searched, starting
	// with "line N: ". Such a row is written out as "invalid" and never sent.
	Invalid string
}

// Identity is what a row says about the person, normalised for searching:
// names split and cleaned, LinkedIn URL canonical, domain bare.
type Identity struct {
	FirstName   string
	LastName    string
	LinkedInURL string // https://www.linkedin.com/in/<slug>, or "" when none usable
	Company     string
	Domain      string // bare: acme.com
	// Notes are remarks about values that were ignored or repaired
	// ("Sales Navigator URL ignored"); they go to clodura_error.
	Notes []string
}

// Usable reports whether the identity can be searched on: a first and last
// name, or a LinkedIn profile URL.
func (id Identity) Usable() bool {
	return (id.FirstName != "" && id.LastName != "") || id.LinkedInURL != ""
}

// Dialect describes how a text input was encoded, so the output can be
// written the same way (and reopen cleanly in the program that made it).
type Dialect struct {
	Encoding  string // "utf-8", "utf-16le", "utf-16be", "windows-1252"
	BOM       bool   // the input started with a byte order mark
	Delimiter rune   // CSV only: ',', ';', '\t' or '|'
}

// Options configure Open. The zero value reads by extension with every
// dialect sniffed.
type Options struct {
	Format    string            // "csv", "jsonl" or "xlsx"; "" = from the extension
	Sheet     string            // XLSX sheet; "" = the first
	Encoding  string            // force an encoding ("utf-8", "utf-16", "windows-1252"); "" = detect
	Delimiter rune              // force a CSV delimiter; 0 = sniff
	Map       map[string]string // identity field -> input column (--map FIELD=COLUMN)
	Logger    *slog.Logger      // warnings about guesses and repairs; nil = discard
}

// InputError is an input that cannot be used at all: unreadable, empty, no
// header, no identifying column. Line is 0 when it concerns the whole file.
type InputError struct {
	Path string
	Line int
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}
