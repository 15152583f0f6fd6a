package store

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// Whatever the attributes hold, the JSON decodes to them again.
func TestAttributesJSONRoundTrips(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\t", "\x01", "\x1f", "é", "€", "😀", "<", "&", "'", "/", "\u2028", "{", "}", ":", ","}
	word := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var buf []byte
	for range 5_000 {
		in := map[string]string{}
		for range rng.IntN(4) {
			in[word()] = word()
		}
		var ok bool
		buf, ok = attributesJSON(buf, in)
		if !ok {
			t.Fatalf("%q refused", in)
		}
		var out map[string]string
		if err := json.Unmarshal(buf, &out); err != nil || !maps.Equal(in, out) {
			t.Fatalf("%q became %s, %q, %v", in, buf, out, err)
		}
	}
	if _, ok := attributesJSON(nil, map[string]string{"city": "Z\xffrich"}); ok {
		t.Error("text that is not UTF-8 was written as it is")
	}
}
