package subscribers

import (
	"errors"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestNormaliseName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"  Anna Muster ", "Anna Muster", true},
		{"", "", true},
		{"Zoë <script>", "Zoë <script>", true}, // markup is data; templates escape it
		{strings.Repeat("n", MaxNameRunes), strings.Repeat("n", MaxNameRunes), true},
		{strings.Repeat("n", MaxNameRunes+1), "", false},
		{"Anna\r\nBcc: x@example.org", "", false},
		{"Anna\tM", "", false},
		{"bad \xff utf-8", "", false},
		{"Anna \u202egro.elpmaxe\u202c", "Anna gro.elpmaxe", true}, // RLO…PDF would show "example.org"
		{"\u2067Ali\u2069 \u200fM\u200e\u061c", "Ali M", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormaliseName(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("NormaliseName(%q) = %q, %v", tt.in, got, err)
			}
			if err != nil && !errors.Is(err, newsletter.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestCheckAttributes(t *testing.T) {
	got, err := CheckAttributes(map[string]string{" City ": " Bern ", "plan": ""})
	if err != nil || len(got) != 2 || got["city"] != "Bern" || got["plan"] != "" {
		t.Fatalf("got %v, %v", got, err)
	}
	many := map[string]string{}
	for i := range MaxAttributes + 1 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	for name, attrs := range map[string]map[string]string{
		"email key":        {"Email": "x"},
		"name key":         {"name": "x"},
		"empty key":        {" ": "x"},
		"same key twice":   {"City": "a", "city": "b"},
		"line break":       {"note": "a\nb"},
		"nul":              {"note": "a\x00b"},
		"control in key":   {"a\x01": "b"},
		"long value":       {"note": strings.Repeat("v", MaxAttributeValue+1)},
		"too many":         many,
		"long key":         {strings.Repeat("k", MaxAttributeKey+1): "v"},
		"invalid utf8 val": {"note": "\xff"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CheckAttributes(attrs); !errors.Is(err, newsletter.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRowsReportsBadLinesAndGoesOn(t *testing.T) {
	ir, err := NewImportReader(strings.NewReader("email,name\na@example.org,A\nbad,B\nc@example.org,C\n"))
	if err != nil {
		t.Fatal(err)
	}
	var bad []int
	var got []string
	for s, err := range Rows(ir, func(le *LineError) { bad = append(bad, le.Line) }) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.Email+"/"+s.Name)
	}
	if strings.Join(got, " ") != "a@example.org/A c@example.org/C" || len(bad) != 1 || bad[0] != 3 {
		t.Fatalf("rows %q, bad lines %v", got, bad)
	}
}
