package s3proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRuleMatches(t *testing.T) {
	cases := []struct {
		rule        Rule
		method, key string
		want        bool
	}{
		{Rule{}, "GET", "a/b", true},
		{Rule{Methods: []string{"PUT"}}, "GET", "a/b", false},
		{Rule{Methods: []string{"PUT", "GET"}}, "GET", "a/b", true},
		{Rule{KeyGlob: "a/*"}, "GET", "a/b", true},
		{Rule{KeyGlob: "*"}, "GET", "a/b", false}, // * does not cross /
		{Rule{KeyGlob: "*/*/meta/image/automated_cluster_snapshot_*/image.*"}, "PUT", "drill/5f2c/meta/image/automated_cluster_snapshot_1700000000000/image.42", true},
		{Rule{KeyGlob: "*/*/meta/image/automated_cluster_snapshot_*/image.*"}, "PUT", "drill/5f2c/meta/image/automated_cluster_snapshot_1700000000000/VERSION", false},
		{Rule{KeyContains: "/meta/image/"}, "PUT", "drill/x/meta/image/s/VERSION", true},
		{Rule{KeyContains: "/meta/image/"}, "PUT", "drill/x/data/1.dat", false},
		{Rule{KeyGlob: "a/*", KeyContains: "zz"}, "GET", "a/b", false},
		{Rule{KeyGlob: "a/*", KeyContains: "b"}, "GET", "a/b", true},
		{Rule{KeyGlob: "a"}, "GET", "", false}, // a request on the bucket
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.rule.Matches(c.method, c.key), "%s on %s %q", c.rule, c.method, c.key)
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct{ path, bucket, key string }{
		{"/", "", ""},
		{"/b", "b", ""},
		{"/b/", "b", ""},
		{"/b/k", "b", "k"},
		{"/b/p/q/k.dat", "b", "p/q/k.dat"},
	} {
		b, k := SplitPath(c.path)
		require.Equal(t, [2]string{c.bucket, c.key}, [2]string{b, k}, c.path)
	}
}

func TestRuleValidate(t *testing.T) {
	require.NoError(t, Rule{Action: Fail}.Validate())
	require.NoError(t, Rule{Action: Delay, Delay: time.Second}.Validate())
	require.NoError(t, Rule{Action: Drop, Methods: []string{"PUT"}, KeyGlob: "x/*", First: 2, Probability: 0.5}.Validate())
	for _, c := range []struct {
		rule Rule
		err  string
	}{
		{Rule{}, "action 0 is not Fail, Delay or Drop"},
		{Rule{Action: Fail, KeyGlob: "["}, "key glob \"[\""},
		{Rule{Action: Fail, First: -1}, "first -1 is negative"},
		{Rule{Action: Fail, Probability: 1.5}, "probability 1.5 is not within [0, 1]"},
		{Rule{Action: Delay}, "a delay rule needs a positive Delay"},
		{Rule{Action: Fail, Delay: time.Second}, "delay 1s goes with the Delay action"},
		{Rule{Action: Drop, Code: "SlowDown"}, "status, code and message go with the Fail action"},
		{Rule{Action: Fail, Status: 200}, "status 200 is not an error status"},
		{Rule{Action: Fail, Methods: []string{"put"}}, "method \"put\" is not an upper-case HTTP method"},
	} {
		err := c.rule.Validate()
		require.Error(t, err, "%+v", c.rule)
		require.Contains(t, err.Error(), c.err)
	}
}

func TestRuleDefaults(t *testing.T) {
	r := Rule{Action: Fail}
	require.Equal(t, "InternalError", r.code())
	require.Equal(t, http.StatusInternalServerError, r.status())
	require.Equal(t, "We encountered an internal error. Please try again.", r.message())
	r = Rule{Action: Fail, Code: "SlowDown"}
	require.Equal(t, http.StatusServiceUnavailable, r.status())
	require.Equal(t, "Please reduce your request rate.", r.message())
	r = Rule{Action: Fail, Code: "Teapot", Status: 418, Message: "short and stout"}
	require.Equal(t, 418, r.status())
	require.Equal(t, "short and stout", r.message())
	require.Equal(t, http.StatusInternalServerError, Rule{Action: Fail, Code: "Unheard"}.status())
	require.Equal(t, `fail PUT on "a/*", first 3, 503 SlowDown`, Rule{Action: Fail, Methods: []string{"PUT"}, KeyGlob: "a/*", First: 3, Code: "SlowDown"}.String())
}

// newRules is a Proxy with rules only, to exercise decide without a network.
func newRules(t *testing.T, rules ...Rule) (*Proxy, []int) {
	p := &Proxy{rules: map[int]*rule{}}
	var ids []int
	for _, r := range rules {
		id, err := p.Add(r)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return p, ids
}

func TestDecideFirstAndHits(t *testing.T) {
	p, ids := newRules(t, Rule{Action: Fail, Methods: []string{"PUT"}, KeyGlob: "img/*", First: 2})
	for i := 0; i < 4; i++ {
		v := p.decide("PUT", "img/"+string(rune('a'+i)))
		require.Equal(t, i < 2, v.terminal != nil, "request %d", i)
	}
	require.Nil(t, p.decide("GET", "img/a").terminal)
	h, ok := p.Hits(ids[0])
	require.True(t, ok)
	require.Equal(t, 4, h.Matched)
	require.Equal(t, 2, h.Count)
	require.Equal(t, []string{"img/a", "img/b"}, h.Keys)
	require.False(t, h.First.IsZero())
	require.False(t, h.Last.Before(h.First))

	require.True(t, p.Remove(ids[0]))
	require.False(t, p.Remove(ids[0]), "removed twice")
	require.Empty(t, p.Rules())
	h2, ok := p.Hits(ids[0])
	require.True(t, ok, "the hits of a removed rule stay readable")
	require.Equal(t, h.Count, h2.Count)
	_, ok = p.Hits(99)
	require.False(t, ok)
}

func TestDecideOrder(t *testing.T) {
	p, ids := newRules(t,
		Rule{Action: Delay, Delay: time.Second},
		Rule{Action: Drop, KeyContains: "x"},
		Rule{Action: Fail, Code: "SlowDown"},
		Rule{Action: Delay, Delay: 2 * time.Second, Methods: []string{"GET"}},
	)
	v := p.decide("GET", "x")
	require.Equal(t, 3*time.Second, v.delay, "every delay that fires adds up")
	require.Equal(t, Drop, v.terminal.Action, "the first Fail or Drop wins")
	v = p.decide("PUT", "y")
	require.Equal(t, time.Second, v.delay)
	require.Equal(t, "SlowDown", v.terminal.Code)
	counts := []int{}
	for _, id := range ids {
		h, _ := p.Hits(id)
		counts = append(counts, h.Count)
	}
	require.Equal(t, []int{2, 1, 1, 1}, counts, "the Fail after a Drop does not see the request")
	p.Clear()
	require.Empty(t, p.Rules())
	require.Equal(t, verdict{}, p.decide("GET", "x"))
}

func TestDecideProbabilityIsSeeded(t *testing.T) {
	run := func(seed uint64) []bool {
		p, _ := newRules(t, Rule{Action: Fail, Probability: 0.3, Seed: seed})
		var out []bool
		for i := 0; i < 200; i++ {
			out = append(out, p.decide("GET", "k").terminal != nil)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	require.Equal(t, a, b, "the same seed fires on the same requests")
	require.NotEqual(t, a, c)
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	require.InDelta(t, 60, n, 30, "about 30%% of 200 requests")
}
