package subscribers

import (
	"strings"
	"unicode/utf8"
)

// MaskAddress shows enough of an address for its owner to recognise it and
// little for anyone else who sees the page: the first letter of the local
// part and of the domain, the rest of each label hidden, the top-level
// domain kept: anna.smith@example.org → a•••••••••@e••••••.org.
func MaskAddress(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return maskPart(email)
	}
	labels := strings.Split(domain, ".")
	for i := range labels[:max(len(labels)-1, 1)] {
		labels[i] = maskPart(labels[i])
	}
	return maskPart(local) + "@" + strings.Join(labels, ".")
}

// maskPart keeps the first character and hides the others, showing at
// least three dots so a one-letter part is not given away by its length.
func maskPart(s string) string {
	if s == "" {
		return ""
	}
	first, size := utf8.DecodeRuneInString(s)
	hidden := max(utf8.RuneCountInString(s[size:]), 3)
	return string(first) + strings.Repeat("•", hidden)
}
