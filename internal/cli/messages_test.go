package cli

import (
	"strings"
	"testing"
)

// TestMessagesAUserCanActOn runs commands the way a new user gets them
// wrong and checks the message says what is wrong in their words, with
// what to do, and no layer names.
func TestMessagesAUserCanActOn(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.ok("migrate")
	c.ok("subscribers", "add", "anna@example.org")
	c.ok("token", "create", "--name", "ci")
	c.ok("token", "revoke", "ci")
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"address twice", nil, []string{"subscribers", "add", "Anna@example.org"}, "Anna@example.org is already on the list"},
		{"month 13", nil, []string{"issue", "approve", "--period", "2022-13"}, "there is no month 13"},
		{"not a period", nil, []string{"issue", "approve", "--period", "May"}, `period "May": want a month as YYYY-MM`},
		{"issue not created", nil, []string{"issue", "approve", "--period", "2022-06"},
			"issue 2022-06 has not been created yet; run enews issue create --period 2022-06"},
		{"bad --since", nil, []string{"subscribers", "export", "--since", "yesterday"}, `--since: want a day as YYYY-MM-DD`},
		{"bad --published", nil, []string{"items", "add", "--title", "T", "--url", "https://x.example/a", "--published", "soon"}, "--published: want a day"},
		{"status filter", nil, []string{"subscribers", "list", "--status", "activ"}, `status "activ": want one of pending, active`},
		{"export status filter", nil, []string{"subscribers", "export", "--status", "foo"}, `status "foo": want one of`},
		{"misspelt variable", []string{"ENEWS_SMTP_HOTS=mail.example.org"}, []string{"subscribers", "list"},
			"ENEWS_SMTP_HOTS is not a setting: did you mean ENEWS_SMTP_HOST?"},
		{"live token name", nil, []string{"token", "create", "--name", "ops"}, ""},
		{"live token name twice", nil, []string{"token", "create", "--name", "ops"}, `a live token is already named "ops"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &cliEnv{t: t, env: append(append([]string{}, c.env...), tt.env...)}
			_, _, err := run.run("", tt.args...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("enews %s: %v", strings.Join(tt.args, " "), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("enews %s: %v\nwant a message with %q", strings.Join(tt.args, " "), err, tt.want)
			}
			for _, layer := range []string{"store:", "conflict:", "invalid input:", "not found:"} {
				if strings.Contains(err.Error(), layer) {
					t.Errorf("message %q names the layer %q", err, layer)
				}
			}
		})
	}
	t.Run("a file that is not UTF-8 is refused whole", func(t *testing.T) {
		file := writeFile(t, "email,name\nnew1@example.org,Anna\nnew2@example.org,J\xfcrg\n")
		_, _, err := c.run("", "subscribers", "import", file)
		if err == nil || !strings.Contains(err.Error(), "first bad byte on line 3") {
			t.Fatalf("import: %v, want the file refused naming line 3", err)
		}
		if out := c.ok("subscribers", "list", "--search", "new1@"); strings.Contains(out, "new1@example.org") {
			t.Fatalf("a line before the bad byte was imported:\n%s", out)
		}
	})
	t.Run("an import whose every line is bad fails", func(t *testing.T) {
		file := writeFile(t, "email,name\nnot-an-address,A\nalso bad,B\n")
		_, stderr, err := c.run("", "subscribers", "import", file)
		if err == nil || !strings.Contains(err.Error(), "all 2 lines were refused") || !strings.Contains(stderr, "line 2") {
			t.Fatalf("import: %v\n%s\nwant an error after the bad lines", err, stderr)
		}
	})
	t.Run("a revoked token's name can be reused", func(t *testing.T) {
		c.ok("token", "create", "--name", "ci")
	})
}
