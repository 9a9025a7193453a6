package main

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"
)

var (
	firstNames = []string{"James", "Mary", "Priya", "Rahul", "Wei", "Fatima", "Olga", "Carlos", "Aisha", "Kenji",
		"Sofia", "Liam", "Noor", "Mateo", "Ingrid", "Tariq", "Chloe", "Dmitri", "Amara", "Lucas", "Yuki", "Elena",
		"Omar", "Hannah", "Arjun", "Zoe", "Ivan", "Leila", "Pedro", "Maya", "Tomás", "Aoife"}
	lastNames = []string{"Smith", "Sharma", "Mehta", "Chen", "Khan", "Ivanova", "García", "Okafor", "Tanaka",
		"Rossi", "Murphy", "Haddad", "Silva", "Larsen", "Aziz", "Dubois", "Petrov", "Mensah", "Martin", "Sato",
		"Popescu", "Farah", "Moreau", "Weber", "Iyer", "Novak", "Kowalski", "Nasser", "Costa", "Lindqvist"}
	companies = []struct{ name, domain string }{
		{"Infosys", "infosys.com"}, {"Acme Corp", "acme.com"}, {"Globex", "globex.com"}, {"Initech", "initech.io"},
		{"Umbrella Health", "umbrella-health.com"}, {"Stark Industries", "stark.com"}, {"Wayne Enterprises", "wayne.com"},
		{"Hooli", "hooli.xyz"}, {"Tata Consultancy Services", "tcs.com"}, {"Soylent", "soylent.co"},
		{"Vandelay Imports", "vandelay.com"}, {"Cyberdyne", "cyberdyne.ai"}, {"Pied Piper", "piedpiper.com"},
		{"Wonka Foods", "wonka.co.uk"}, {"Tyrell", "tyrell.com"}, {"Oscorp", "oscorp.de"},
	}
)

// person is one generated input row.
type person struct{ First, Last, Company, Domain string }

// personAt is row i of every generated job: a deterministic, realistic
// person whose surname carries i (so lookups are distinct), except that
// dupEvery-th rows (when dupEvery > 0) repeat an earlier row exactly, as
// real exports do.
func personAt(i, dupEvery int) person {
	if dupEvery > 0 && i%dupEvery == dupEvery-1 && i >= 7 {
		i -= 7
	}
	suffix := make([]byte, 0, 8)
	for n := i / len(lastNames); ; n /= 26 {
		suffix = append(suffix, byte('a'+n%26))
		if n < 26 {
			break
		}
	}
	c := companies[(i*7)%len(companies)]
	return person{
		First:   firstNames[(i/3)%len(firstNames)],
		Last:    lastNames[i%len(lastNames)] + "-" + string(suffix),
		Company: c.name,
		Domain:  c.domain,
	}
}

var header = []string{"First Name", "Last Name", "Company", "Website", "Owner"}

func (p person) fields(i int) []string {
	return []string{p.First, p.Last, p.Company, p.Domain, "rep" + strconv.Itoa(i%9)}
}

// genCSV writes rows [from, to) to path (appending when from > 0, the header
// only when from == 0).
func genCSV(path string, from, to, dupEvery int) error {
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if from > 0 {
		flag = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	w := csv.NewWriter(bufio.NewWriterSize(f, 1<<20))
	if from == 0 {
		w.Write(header)
	}
	for i := from; i < to; i++ {
		w.Write(personAt(i, dupEvery).fields(i))
	}
	w.Flush()
	return closeAll(w.Error(), f)
}

// genJSONL writes rows [from, to) as JSON objects, one a line.
func genJSONL(path string, from, to, dupEvery int) error {
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if from > 0 {
		flag = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(bw)
	for i := from; i < to; i++ {
		p := personAt(i, dupEvery)
		enc.Encode(map[string]any{"id": i, "first_name": p.First, "last_name": p.Last, "company": p.Company,
			"website": p.Domain, "owner": "rep" + strconv.Itoa(i%9)})
	}
	return closeAll(bw.Flush(), f)
}

func closeAll(err error, f *os.File) error {
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// genXLSX writes rows [0, n) as a workbook the way Excel saves one: cell
// text in the shared strings table (which readers hold in memory), a
// numeric column, one sheet.
func genXLSX(path string, n, dupEvery int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	z := zip.NewWriter(f)
	put := func(name, body string) error {
		w, err := z.Create(name)
		if err == nil {
			_, err = io.WriteString(w, body)
		}
		return err
	}
	const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	files := [][2]string{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`</Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", xmlHead + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`},
	}
	for _, fb := range files {
		if err := put(fb[0], fb[1]); err != nil {
			return err
		}
	}
	// Shared strings: every distinct text once, in first-use order.
	idx := map[string]int{}
	var strs []string
	sid := func(s string) int {
		if i, ok := idx[s]; ok {
			return i
		}
		idx[s] = len(strs)
		strs = append(strs, s)
		return len(strs) - 1
	}
	sw, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(sw, 1<<20)
	bw.WriteString(xmlHead + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	cols := "ABCDEF"
	row := func(r int, cells []string, num int) {
		fmt.Fprintf(bw, `<row r="%d">`, r)
		for c, v := range cells {
			fmt.Fprintf(bw, `<c r="%c%d" t="s"><v>%d</v></c>`, cols[c], r, sid(v))
		}
		if num >= 0 {
			fmt.Fprintf(bw, `<c r="%c%d"><v>%d</v></c>`, cols[len(cells)], r, num)
		}
		bw.WriteString(`</row>`)
	}
	row(1, append(header[:5:5], "Score"), -1)
	for i := range n {
		p := personAt(i, dupEvery)
		row(i+2, []string{p.First, p.Last, p.Company, p.Domain, "rep" + strconv.Itoa(i%9)}, i%100)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return err
	}
	ss, err := z.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	bw = bufio.NewWriterSize(ss, 1<<20)
	fmt.Fprintf(bw, xmlHead+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, n*5, len(strs))
	for _, s := range strs {
		bw.WriteString("<si><t>")
		xml.EscapeText(bw, []byte(s))
		bw.WriteString("</t></si>")
	}
	bw.WriteString("</sst>")
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	return f.Close()
}
