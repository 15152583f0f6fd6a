package newsletter

import "strconv"

// IssueLabel is an issue's status as people read it, wherever it is shown
// (CLI, console): an issue that is sent but failed some deliveries is never
// shown as plainly sent, but as "sent, 3,401 failed".
func IssueLabel(status string, failed int64) string {
	if status == IssueSent && failed > 0 {
		return "sent, " + Thousands(failed) + " failed"
	}
	return status
}

// Thousands writes n with a comma between groups of three digits.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
