package digest

import "testing"

// BenchmarkRender is the once-per-issue cost: hermes, html/template,
// premailer and html2text over the May 2022 sample.
func BenchmarkRender(b *testing.B) {
	r := newSampleRenderer(b)
	p, items := may2022(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(p, items); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPersonalise is the per-recipient cost: HTML and text of the May
// 2022 sample with one reader's values, into reused buffers as a sending
// worker does. The goal is at most 2 µs and 5 allocations.
func BenchmarkPersonalise(b *testing.B) {
	tpl, _ := compileSample(b)
	v := Values{
		UnsubscribeURL: "https://coop.example.org/unsubscribe/3f9a1c7e2b5d4a60?s=k2T9xQ",
		ViewURL:        "https://coop.example.org/issues/2022-05?r=3f9a1c7e2b5d4a60",
		Name:           "Zoë O'Neil",
	}
	var m Message
	tpl.Execute(&m, v)
	b.SetBytes(int64(len(m.HTML) + len(m.Text)))
	b.ReportAllocs()
	for b.Loop() {
		tpl.Execute(&m, v)
	}
}
