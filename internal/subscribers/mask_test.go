package subscribers

import "testing"

func TestMaskAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"anna.smith@example.org", "a•••••••••@e••••••.org"},
		{"a@b.co", "a•••@b•••.co"},
		{"jürg@zürich.example.ch", "j•••@z•••••.e••••••.ch"},
		{"root@localhost", "r•••@l••••••••"},
		{"no-at-sign", "n•••••••••"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := MaskAddress(tc.in); got != tc.want {
				t.Fatalf("MaskAddress(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
