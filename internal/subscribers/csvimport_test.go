package subscribers

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/enews/enews/internal/newsletter"
)

// readAll drains an import into one event per line: "N row EMAIL|NAME" or
// "N error REASON". Any other error ends the import and is returned.
func readAll(t *testing.T, input string) ([]string, error) {
	t.Helper()
	ir, err := NewImportReader(strings.NewReader(input))
	if err != nil {
		t.Fatalf("NewImportReader: %v", err)
	}
	var events []string
	for {
		row, err := ir.Next()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			return events, nil
		case errors.As(err, &le):
			if !errors.Is(err, newsletter.ErrInvalid) {
				t.Errorf("line error %v does not wrap newsletter.ErrInvalid", err)
			}
			events = append(events, fmt.Sprintf("%d error %s", le.Line, le.Reason))
		case err != nil:
			return events, err
		default:
			events = append(events, fmt.Sprintf("%d row %s|%s", row.Line, row.Email, row.Name))
		}
	}
}

func TestImportLines(t *testing.T) {
	const head = "email,name\n"
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"good rows", head + "Anna@Example.org, Anna \nbob@example.org,\n",
			[]string{"2 row Anna@example.org|Anna", "3 row bob@example.org|"}},
		{"no trailing newline", head + "a@example.org,A",
			[]string{"2 row a@example.org|A"}},
		{"crlf line ends", "email,name\r\na@example.org,A\r\nb@example.org,B\r\n",
			[]string{"2 row a@example.org|A", "3 row b@example.org|B"}},
		{"blank lines keep file line numbers", head + "\na@example.org,A\n\n\nb@example.org,B\n",
			[]string{"3 row a@example.org|A", "6 row b@example.org|B"}},
		{"quoted fields", head + "\"a@example.org\",\"Muster, Anna \"\"Annie\"\"\"\n",
			[]string{`2 row a@example.org|Muster, Anna "Annie"`}},
		{"idn domain", head + "user@bücher.example,B\n",
			[]string{"2 row user@xn--bcher-kva.example|B"}},
		{"invalid address", head + "not-an-address,A\nb@example.org,B\n",
			[]string{"2 error email: missing @", "3 row b@example.org|B"}},
		{"empty address", head + ",A\n",
			[]string{"2 error email: empty address"}},
		{"display name", head + "Anna <a@example.org>,A\n",
			[]string{"2 error email: display name not allowed"}},
		{"too few columns", head + "a@example.org\nb@example.org,B\n",
			[]string{"2 error wrong column count: 1, header has 2", "3 row b@example.org|B"}},
		{"too many columns", head + "a@example.org,A,extra\nb@example.org,B\n",
			[]string{"2 error wrong column count: 3, header has 2", "3 row b@example.org|B"}},
		{"bare quote", head + "a\"x@example.org,A\nb@example.org,B\n",
			[]string{"2 error broken quoting: bare \" in non-quoted-field (at column 2)", "3 row b@example.org|B"}},
		{"text after closing quote", head + "\"a@example.org\"x,A\nb@example.org,B\n",
			[]string{"2 error broken quoting: extraneous or missing \" in quoted-field (at column 15)", "3 row b@example.org|B"}},
		{"quote never closed swallows the rest", head + "a@example.org,A\n\"b@example.org,B\nc@example.org,C\n",
			[]string{"2 row a@example.org|A", "3 error broken quoting: extraneous or missing \" in quoted-field (at line 4 column 17)"}},
		{"lf inside quoted field", head + "a@example.org,\"An\nna\"\nb@example.org,B\n",
			[]string{"2 error line break (CR or LF) inside column \"name\"", "4 row b@example.org|B"}},
		{"crlf inside quoted field", head + "a@example.org,\"An\r\nna\"\nb@example.org,B\n",
			[]string{"2 error line break (CR or LF) inside column \"name\"", "4 row b@example.org|B"}},
		{"lone cr inside field", head + "a@example.org,An\rna\nb@example.org,B\n",
			[]string{"2 error line break (CR or LF) inside column \"name\"", "3 row b@example.org|B"}},
		{"cr inside address", head + "\"a@example.org\rBcc: x@example.org\",A\n",
			[]string{"2 error line break (CR or LF) inside column \"email\""}},
		{"nul byte", head + "a@example.org,An\x00na\nb@example.org,B\n",
			[]string{"2 error NUL byte in column \"name\"", "3 row b@example.org|B"}},
		{"tab in name", head + "a@example.org,An\tna\n",
			[]string{"2 error name has a control character"}},
		{"name of 200 runes", head + "a@example.org," + strings.Repeat("é", 200) + "\n",
			[]string{"2 row a@example.org|" + strings.Repeat("é", 200)}},
		{"name of 201 runes", head + "a@example.org," + strings.Repeat("é", 201) + "\nb@example.org,B\n",
			[]string{"2 error name longer than 200 characters (201)", "3 row b@example.org|B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.input)
			if err != nil {
				t.Fatalf("import stopped: %v (events so far %q)", err, got)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestNotUTF8IsRefusedWhole: a file in another encoding is not a few bad
// lines but a wrong file; the first bad byte's line is named and nothing
// after it is read.
func TestNotUTF8IsRefusedWhole(t *testing.T) {
	got, err := readAll(t, "email,name\na@example.org,Anna\nb@example.org,J\xfcrg\nc@example.org,C\n")
	if !errors.Is(err, newsletter.ErrInvalid) || !strings.Contains(err.Error(), "not UTF-8 text (first bad byte on line 3)") {
		t.Fatalf("err = %v, want the whole file refused naming line 3", err)
	}
	if len(got) != 1 {
		t.Errorf("events %q: want only the line before the bad byte", got)
	}
}

func TestImportTenGoodThreeBad(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name\n")
	bad := map[int]string{ // file line → content
		4:  "broken-address,X\n",
		9:  "x\"y@example.org,X\n",
		13: "only-one-column@example.org\n",
	}
	for line := 2; line <= 14; line++ {
		if s, ok := bad[line]; ok {
			b.WriteString(s)
			continue
		}
		fmt.Fprintf(&b, "user%d@example.org,User %d\n", line, line)
	}

	ir, err := NewImportReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var rows, errLines []int
	for {
		row, err := ir.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			errLines = append(errLines, le.Line)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("user%d@example.org", row.Line); row.Email != want {
			t.Errorf("line %d: email %q, want %q", row.Line, row.Email, want)
		}
		rows = append(rows, row.Line)
	}
	if len(rows) != 10 {
		t.Errorf("%d rows (lines %v), want 10", len(rows), rows)
	}
	if fmt.Sprint(errLines) != "[4 9 13]" {
		t.Errorf("line errors on %v, want [4 9 13]", errLines)
	}
}

func TestImportHeader(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string // "" means the header is accepted
		attrs   string // with wantErr "": the first row's attributes
	}{
		{"email only", "email\na@example.org\n", "", "map[]"},
		{"trimmed and lower-cased", " EMAIL , Name ,City, Plan\na@example.org,A, Bern ,pro\n", "", "map[city:Bern plan:pro]"},
		{"byte order mark", "\ufeffemail,name\na@example.org,A\n", "", "map[]"},
		{"attribute kept when empty", "email,city\na@example.org,\n", "", "map[city:]"},
		{"no email column", "mail,name\na@example.org,A\n", `no "email" column`, ""},
		{"duplicate column", "email,City,city\n", `column "city" appears twice`, ""},
		{"duplicate email", "Email,email\n", `column "email" appears twice`, ""},
		{"empty column name", "email,,name\n", "column 2 has no name", ""},
		{"blank column name", "email,  \n", "column 2 has no name", ""},
		{"empty file", "", "empty file", ""},
		{"only a byte order mark", "\ufeff", "empty file", ""},
		{"broken header quoting", "\"email,name\n", "header", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ir, err := NewImportReader(strings.NewReader(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, newsletter.ErrInvalid) {
					t.Fatalf("error %v, want one wrapping ErrInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			row, err := ir.Next()
			if err != nil {
				t.Fatal(err)
			}
			if row.Email != "a@example.org" || row.Line != 2 {
				t.Errorf("row %+v", row)
			}
			if got := fmt.Sprint(row.Attributes); got != tt.attrs {
				t.Errorf("attributes %s, want %s", got, tt.attrs)
			}
		})
	}
}

func TestImportRecordLimit(t *testing.T) {
	t.Run("long records within the limit", func(t *testing.T) {
		// Five records of 600 KiB: together far past the limit, each
		// within it, so the limit has to move on with every record.
		big := strings.Repeat("x", 600<<10)
		input := "email,note\n" + strings.Repeat("a@example.org,"+big+"\n", 5)
		got, err := readAll(t, input)
		if err != nil || len(got) != 5 {
			t.Fatalf("%d rows, %v; want 5 rows", len(got), err)
		}
	})
	tests := []struct {
		name, input, want string
	}{
		{"one huge line", "email,note\na@example.org,A\nb@example.org," + strings.Repeat("x", 2<<20) + "\n",
			"line 3: record longer than"},
		{"unclosed quote over many lines", "email,note\n\"a@example.org,A\n" + strings.Repeat("b@example.org,B\n", 100000),
			"record longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, tt.input)
			var le *LineError
			if err == nil || errors.As(err, &le) || !errors.Is(err, newsletter.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a fatal ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestImportReadFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("email\na@example.org\n"), iotest.ErrReader(boom))
	ir, err := NewImportReader(r)
	if err != nil {
		t.Fatal(err)
	}
	if row, err := ir.Next(); err != nil || row.Email != "a@example.org" {
		t.Fatalf("first row %+v, %v", row, err)
	}
	_, err = ir.Next()
	var le *LineError
	if !errors.Is(err, boom) || errors.As(err, &le) {
		t.Fatalf("error %v, want the read error, not a line error", err)
	}
}

// FuzzImport feeds arbitrary files: the reader must not panic, line numbers
// must only grow, and every row must carry a normalised address.
func FuzzImport(f *testing.F) {
	f.Add("email,name\na@example.org,A\n\"b@x.org,\"B\"\n")
	f.Add("\ufeffEmail,City\r\n\"a@b.org\",\"x\ny\"\r\n")
	f.Fuzz(func(t *testing.T, input string) {
		ir, err := NewImportReader(strings.NewReader(input))
		if err != nil {
			return
		}
		last := 1
		for {
			row, err := ir.Next()
			var le *LineError
			switch {
			case errors.As(err, &le):
				row.Line = le.Line
			case err != nil:
				return
			default:
				if again, err := NormaliseAddress(row.Email); err != nil || again != row.Email {
					t.Fatalf("row %+v: address not normalised", row)
				}
			}
			if row.Line <= last {
				t.Fatalf("line %d after line %d", row.Line, last)
			}
			last = row.Line
		}
	})
}
