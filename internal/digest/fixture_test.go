package digest

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/enews/enews/internal/newsletter"
)

func zurich(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sampleConfig is the ILO cooperatives unit's eNewsUpdate.
func sampleConfig(t testing.TB) Config {
	return Config{
		ProductName: "eNewsUpdate",
		ProductURL:  "https://coop.example.org/enews",
		LogoURL:     "https://coop.example.org/enews/logo.png",
		Intro: "Here is what the cooperatives unit published in {{.Month}} {{.Year}}: " +
			"{{.Count}} items on cooperatives and the social and solidarity economy.",
		Outro: "Know someone who works with cooperatives? Forward this email; " +
			"they can subscribe on our website.",
		Copyright: "© {{.Year}} International Labour Organization",
		OrgAddress: "International Labour Office, Cooperatives Unit\n" +
			"Route des Morillons 4\n1211 Geneva 22, Switzerland",
		Reason: "You receive this email because you subscribed to the eNewsUpdate " +
			"of the ILO cooperatives unit.",
		Location: zurich(t),
	}
}

// may2022 is the May 2022 issue: items 1–8 of the seed
// (shared/seeds/ilo-coop-news-2022-05.txt), newest first as published.
func may2022(t testing.TB) (newsletter.Period, []newsletter.Item) {
	loc := zurich(t)
	at := func(day int) time.Time { return time.Date(2022, time.May, day, 9, 0, 0, 0, loc) }
	item := func(id int64, kind, title, slug, summary string, day int) newsletter.Item {
		return newsletter.Item{
			ID: id, Kind: kind, Title: title, Summary: summary,
			URL:         "https://coop.example.org/news/2022/05/" + slug,
			PublishedAt: at(day), Status: newsletter.ItemPublished,
			Source: "seed", ExternalID: slug,
		}
	}
	return newsletter.Period{Year: 2022, Month: time.May}, []newsletter.Item{
		item(1, "News", "Materials on “Decent Work and the Social and Solidarity Economy (SSE)” now available from the ILO",
			"materials-decent-work-sse", "", 26),
		item(2, "Spotlight Interviews with Co-operators",
			"Mr Melih Toprak and Mr Fatih Polattimur, Trade Experts at the Turkish Ministry of Trade",
			"spotlight-toprak-polattimur",
			"“Spotlight Interviews with Co-operators” is a series of interviews with cooperators from around the world with whom ILO officials have crossed paths during the course of their work on cooperatives and social and solidarity economy (SSE). On this occasion, ILO interviewed Mr Melih Toprak and Mr Fatih Polattimur, Trade Experts at the Ministry of Trade, on the significance of the recent amendments on Turkish Cooperatives Code for statistics of cooperatives.",
			18),
		item(3, "News", "Exchanges with the international cooperative movement on the ILO’s Promotion of Cooperatives Recommendation and the ILC discussion on decent work and the social and solidarity economy",
			"exchanges-international-cooperative-movement",
			"On May 13, 2022 the International Cooperative Alliance organized an event that brought together cooperators and the ILO to reflect on the outcomes of the 33rd World Cooperative Congress, the relevance of the ILO’s Promotion of Cooperatives Recommendation and the upcoming general discussion on “Decent work and the social and solidarity economy (SSE) at the 110th International Labour Conference.",
			17),
		item(4, "News", "The UN Task Force on Social and Solidarity Economy (UNTFSSE) held its 39th regular meeting",
			"untfsse-39th-meeting",
			"The 39th UNTFSSE meeting was held virtually on 11 May 2022. It brought together 45 participants from six member organizations (ILO, UNRISD, UNDESA, UNCTAD, ESCAP and OECD), twelve observer organizations (CIRIEC, EMES, EURICSE, DIESIS, GSEF, Euclid Network, Social Economy Europe, SSE International Forum, RIPESS, CSEND, EESC and ICA) and three resource persons.",
			17),
		item(5, "News", "ILO and UNTFSSE participate at Catalysing Change Week 2022",
			"catalysing-change-week-2022",
			"The Director of the Enterprises Department of the ILO and Chair of the UN Task Force on the Social and Solidarity Economy (UNTFSSE), Mr Vic Van Vuuren has participated in the Catalysing Change Week 2022, an international event to unlock and accelerate the potential of the Social and Solidarity Economy (SSE).",
			17),
		item(6, "News", "ILO and UNTFSSE participation in the conference “Social economy, the future of Europe”",
			"social-economy-future-of-europe",
			"Organized in Strasburg on 5-6 May, the event brought together more than 2,000 social economy stakeholders of Europe and beyond.",
			10),
		item(7, "News", "Select References - Decent Work & Social and Solidarity Economy",
			"select-references-decent-work-sse", "", 4),
		item(8, "News", "Faces of Recovery: Cooperating for a better future",
			"faces-of-recovery",
			"This story is from the \"Faces of Recovery\" series about how Haitians, the UN and partners responded to the devastation caused by the August 2021 earthquake.",
			3),
	}
}

// april2022 holds the seed's two April items; the second has an image with a
// credit and no kind, the branches May does not reach.
func april2022(t testing.TB) (newsletter.Period, []newsletter.Item) {
	loc := zurich(t)
	at := time.Date(2022, time.April, 29, 9, 0, 0, 0, loc)
	return newsletter.Period{Year: 2022, Month: time.April}, []newsletter.Item{
		{
			ID: 9, Kind: "News", Title: "ILO COOP eNewsUpdate",
			Summary:     "Every month, the ILO COOP eNewsletter highlights recent news and developments on cooperatives and the wider social and solidarity economy.",
			URL:         "https://coop.example.org/news/2022/04/ilo-coop-enewsupdate",
			PublishedAt: at, Status: newsletter.ItemPublished,
		},
		{
			ID: 10, Title: "Malaysia launches new social entrepreneurship development framework",
			Summary:     "The newly launched Social Entrepreneurship Action Framework 2030 provides a new national direction for the development of social entrepreneurship in Malaysia.",
			URL:         "https://coop.example.org/news/2022/04/malaysia-social-entrepreneurship",
			ImageURL:    "https://coop.example.org/images/2022/04/kuala-lumpur.jpg",
			ImageCredit: "© Jan Hjelmtveit 2022",
			PublishedAt: at, Status: newsletter.ItemPublished,
		},
	}
}

func newSampleRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer(sampleConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
