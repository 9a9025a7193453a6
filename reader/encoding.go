package reader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a text input is looked at to guess its encoding
// and delimiter. Only this much is ever buffered ahead of the parser.
const sniffSize = 64 << 10

// Encoding names as reported in Dialect.Encoding.
const (
	encUTF8    = "utf-8"
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
	encCP1252  = "windows-1252"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// errUnknownEncoding is returned by parseEncoding for a name it does not know.
var errUnknownEncoding = errors.New("unknown encoding")

// parseEncoding maps a --encoding value to the name used in Dialect.
// "utf-16" means "UTF-16, endianness from the BOM" and comes back as "utf-16".
// Latin-1 is read as Windows-1252, as browsers do (WHATWG): the two agree on
// every printable character and 1252 gives smart quotes instead of controls.
func parseEncoding(name string) (string, error) {
	n := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(name)))
	switch n {
	case "utf8":
		return encUTF8, nil
	case "utf16":
		return "utf-16", nil
	case "utf16le":
		return encUTF16LE, nil
	case "utf16be":
		return encUTF16BE, nil
	case "windows1252", "cp1252", "latin1", "iso88591", "l1":
		return encCP1252, nil
	}
	return "", fmt.Errorf("%w %q (want utf-8, utf-16, utf-16le, utf-16be, windows-1252 or latin1)", errUnknownEncoding, name)
}

// decodeInput detects (or applies the forced) encoding of src and returns a
// reader of UTF-8 text with any byte order mark removed, plus what it found.
// It looks at no more than sniffSize bytes ahead. warn is called with a
// message when the encoding had to be guessed.
func decodeInput(src io.Reader, forced string, warn func(msg string)) (io.Reader, Dialect, error) {
	br := bufio.NewReaderSize(src, sniffSize)
	head, err := br.Peek(sniffSize)
	atEOF := false
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, Dialect{}, err
		}
		atEOF = errors.Is(err, io.EOF)
	}

	var d Dialect
	bomLen := 0
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		d, bomLen = Dialect{Encoding: encUTF8, BOM: true}, len(bomUTF8)
	case bytes.HasPrefix(head, bomUTF16LE):
		d, bomLen = Dialect{Encoding: encUTF16LE, BOM: true}, len(bomUTF16LE)
	case bytes.HasPrefix(head, bomUTF16BE):
		d, bomLen = Dialect{Encoding: encUTF16BE, BOM: true}, len(bomUTF16BE)
	}

	if forced != "" {
		enc, err := parseEncoding(forced)
		if err != nil {
			return nil, Dialect{}, err
		}
		switch {
		case enc == "utf-16" && (d.Encoding == encUTF16LE || d.Encoding == encUTF16BE):
			// the BOM says which UTF-16
		case enc == "utf-16":
			d, bomLen = Dialect{Encoding: encUTF16LE}, 0
		case enc != d.Encoding:
			// Forced: a BOM of another encoding is then just text.
			d, bomLen = Dialect{Encoding: enc}, 0
		}
	} else if d.Encoding == "" {
		if enc := utf16Guess(head); enc != "" {
			d = Dialect{Encoding: enc}
			warn("no byte order mark but the text looks like " + strings.ToUpper(enc) + "; reading it so (use --encoding to force)")
		} else if validUTF8Prefix(head, atEOF) {
			d = Dialect{Encoding: encUTF8}
		} else {
			d = Dialect{Encoding: encCP1252}
			warn("not valid UTF-8; reading as Windows-1252 (use --encoding to force)")
		}
	}

	if _, err := br.Discard(bomLen); err != nil {
		return nil, Dialect{}, err
	}
	var dec *encoding.Decoder
	switch d.Encoding {
	case encUTF16LE:
		dec = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case encUTF16BE:
		dec = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	case encCP1252:
		dec = charmap.Windows1252.NewDecoder()
	}
	if dec == nil {
		return br, d, nil
	}
	return transform.NewReader(br, dec), d, nil
}

// utf16Guess recognises UTF-16 text without a byte order mark by its
// zero bytes: mostly-ASCII text (as CSV headers are) has one in every
// other byte, odd ones for little-endian. It returns "" when unsure.
func utf16Guess(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	b = b[:len(b)&^1]
	var even, odd int
	for i := 0; i < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	half := len(b) / 2
	switch {
	case odd*10 >= half*7 && even*10 < half:
		return encUTF16LE
	case even*10 >= half*7 && odd*10 < half:
		return encUTF16BE
	}
	return ""
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut off
// at the end when b is only the start of the input.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return !atEOF && !utf8.FullRune(b[i:])
		}
		i += size
	}
	return true
}

// delimiters are the candidates for sniffing, in order of preference.
var delimiters = []byte{',', ';', '\t', '|'}

// sniffLines is how many records after the header are compared.
const sniffLines = 20

// sniffDelimiter guesses the field delimiter of CSV text from its start:
// the candidate that splits the header into more than one field and gives
// the most of the following records that same field count. Quotes are
// respected as csvParser reads them (special at a field start only). Ties go to prefer,
// then to the order of delimiters; text where no candidate splits the
// header gives prefer.
func sniffDelimiter(sample []byte, atEOF bool, prefer byte) rune {
	order := append([]byte{prefer}, delimiters...)
	best, bestScore := prefer, 0
	for _, d := range order {
		counts := fieldCounts(sample, d, atEOF, sniffLines+1)
		if len(counts) == 0 || counts[0] < 2 {
			continue
		}
		score := 0
		for _, c := range counts {
			if c == counts[0] {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return rune(best)
}

// fieldCounts splits text into up to max records on delim and returns the
// number of fields of each, skipping blank lines. When the text is not the
// whole input the last, possibly cut, record is left out.
func fieldCounts(text []byte, delim byte, atEOF bool, max int) []int {
	var counts []int
	fields, inQuotes, fieldStart, lineEmpty := 1, false, true, true
	// Bytes, not runes: every byte that matters here is ASCII, and no byte
	// of a multi-byte UTF-8 sequence is.
	for i := 0; i < len(text) && len(counts) < max; i++ {
		c := text[i]
		switch {
		case inQuotes:
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					i++ // an escaped quote
				} else {
					inQuotes = false
				}
			}
		case c == '"' && fieldStart:
			inQuotes, fieldStart, lineEmpty = true, false, false
		case c == delim:
			fields++
			fieldStart, lineEmpty = true, false
		case c == '\n':
			if !lineEmpty {
				counts = append(counts, fields)
			}
			fields, fieldStart, lineEmpty = 1, true, true
		case c == '\r':
			// part of a CRLF line ending
		default:
			fieldStart, lineEmpty = false, false
		}
	}
	if atEOF && !lineEmpty && len(counts) < max {
		counts = append(counts, fields)
	}
	return counts
}
