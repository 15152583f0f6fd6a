package plaintext

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestShorten(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"no limit", "one two three", 0, "one two three"},
		{"fits exactly", "one two three", 13, "one two three"},
		{"cut at word boundary", "one two three", 12, "one two…"},
		{"cut falls on a space", "one two three", 9, "one two…"},
		{"cut inside a word backs up", "one two three", 10, "one two…"},
		{"trailing comma dropped", "one, two three", 8, "one…"},
		{"one long word is cut inside", "Sozialwirtschaftsverband", 10, "Sozialwir…"},
		{"limit one", "one two", 1, "…"},
		{"multi-byte runes counted as runes", "Coopération écologique à Genève", 18, "Coopération…"},
		{"CJK without spaces", "協同組合の国際年です", 6, "協同組合の…"},
		{"emoji", "🌍🌍🌍 🌍🌍🌍", 6, "🌍🌍🌍…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Shorten(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("Shorten(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			if tt.limit > 0 && utf8.RuneCountInString(got) > tt.limit {
				t.Errorf("Shorten(%q, %d) = %q is %d runes, over the limit", tt.in, tt.limit, got, utf8.RuneCountInString(got))
			}
			if !utf8.ValidString(got) {
				t.Errorf("Shorten(%q, %d) = %q is not valid UTF-8", tt.in, tt.limit, got)
			}
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"one two three", 0, "one two three"},
		{"one two three", 13, "one two three"},
		{"one two three", 6, "one t…"},
		{"Coopération", 5, "Coop…"},
		{"🌍🌍🌍", 2, "🌍…"},
	}
	for _, tt := range tests {
		if got := Clip(tt.in, tt.n); got != tt.want || (tt.n > 0 && utf8.RuneCountInString(got) > tt.n) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestOneLineAndLines(t *testing.T) {
	if got := OneLine(" a\r\nb\t c  "); got != "a b c" {
		t.Errorf("OneLine = %q", got)
	}
	got := Lines("International Labour Organization\r\n  Route des Morillons 4 \n\n1211 Geneva\t22")
	want := []string{"International Labour Organization", "Route des Morillons 4", "1211 Geneva 22"}
	if !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}
