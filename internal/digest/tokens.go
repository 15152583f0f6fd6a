package digest

import (
	"fmt"
	"strings"

	"github.com/enews/enews/internal/newsletter"
)

// Placeholder tokens for the per-reader parts of a rendered issue. They use
// only [A-Z0-9_] so that no escaping on the way (html/template's URL
// normaliser, premailer's HTML serialiser, html2text) can alter them, and none
// is a prefix of another, so a plain substring search finds each exactly.
const (
	TokenUnsubscribeURL = "ENEWS_UNSUBSCRIBE_URL"
	TokenViewURL        = "ENEWS_VIEW_URL"
	TokenName           = "ENEWS_NAME"
	TokenManageURL      = "ENEWS_MANAGE_URL"
)

// Parts of a rendered issue, as named in errors.
const (
	PartHTML = "html"
	PartText = "text"
)

// token indexes, in the order of tokenNames.
const (
	tokUnsubscribe = iota
	tokView
	tokName
	tokManage
	tokCount
)

func tokenNames() [tokCount]string {
	return [tokCount]string{TokenUnsubscribeURL, TokenViewURL, TokenName, TokenManageURL}
}

// TokenRule says how often a part must hold a token. Every theme must give
// each reader a way out (the law), a way to the web copy, a greeting by
// name and a link to manage their subscription; the default theme's exact
// counts are pinned by its golden files.
type TokenRule struct {
	Token string
	Part  string
	Min   int
}

// TokenRules lists what Render and Compile enforce.
func TokenRules() []TokenRule {
	var rules []TokenRule
	for _, part := range []string{PartHTML, PartText} {
		for _, tok := range tokenNames() {
			rules = append(rules, TokenRule{Token: tok, Part: part, Min: 1})
		}
	}
	return rules
}

// checkTokens fails when a theme (or a damaged stored issue) lost a token:
// sending it would go out without, say, an unsubscribe link. stored bytes
// frozen before the manage link existed may lack that one token, and only
// that one.
func checkTokens(html, text string, stored bool) error {
	for _, r := range TokenRules() {
		if stored && r.Token == TokenManageURL {
			continue
		}
		part := html
		if r.Part == PartText {
			part = text
		}
		if n := strings.Count(part, r.Token); n < r.Min {
			return fmt.Errorf("digest: token %s in %s part: found %d, want at least %d: %w",
				r.Token, r.Part, n, r.Min, newsletter.ErrInvalid)
		}
	}
	return nil
}

// rejectTokens refuses input text that holds a token, which personalisation
// would otherwise fill with reader data.
func rejectTokens(where, value string) error {
	if !strings.Contains(value, "ENEWS_") {
		return nil
	}
	for _, tok := range tokenNames() {
		if strings.Contains(value, tok) {
			return fmt.Errorf("digest: %s: %w: holds the reserved token %s", where, newsletter.ErrInvalid, tok)
		}
	}
	return nil
}
