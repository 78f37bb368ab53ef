package jsonstream

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type item struct {
	Name  string            `json:"name"`
	Tags  []string          `json:"tags,omitempty"`
	Props map[string]string `json:"props,omitempty"`
	Note  string            `json:"note,omitempty"`
}

type doc struct {
	ID       string           `json:"id"`
	Next     int64            `json:"next_id"`
	ByID     map[int64]*item  `json:"by_id"`
	ByName   map[string]*item `json:"by_name"`
	Small    map[uint8]int    `json:"small,omitempty"`
	List     []*item          `json:"list"`
	Queue    []item           `json:"queue,omitempty"`
	Skipped  string           `json:"-"`
	Untagged bool
	When     time.Time         `json:"when"`
	Nested   map[int64][]int64 `json:"nested"`
	hidden   int
}

type embedded struct {
	item
	X int `json:"x"`
}

type stringOpt struct {
	N int64 `json:"n,string"`
}

func randomItem(r *rand.Rand) *item {
	it := &item{Name: []string{"a", "<b>", "c&d", "é", "\"q\""}[r.IntN(5)]}
	if r.IntN(2) == 0 {
		it.Tags = []string{"x", "y"}
	}
	if r.IntN(3) == 0 {
		it.Props = map[string]string{"k2": "v", "k1": "w"}
	}
	return it
}

// TestWriteStructEqualsMarshal: for random documents (seeded, printed on
// failure) and for the corner cases, the stream is byte for byte what
// json.Marshal makes.
func TestWriteStructEqualsMarshal(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 0))
	cases := []struct {
		name string
		v    any
	}{
		{"zero doc", &doc{}},
		{"empty maps", &doc{ByID: map[int64]*item{}, ByName: map[string]*item{}, Small: map[uint8]int{}}},
		{"nil pointer", (*doc)(nil)},
		{"embedded falls back", &embedded{item: item{Name: "n"}, X: 1}},
		{"string option falls back", &stringOpt{N: 5}},
		{"not a struct", map[int64]string{10: "a", 9: "b", -1: "c"}},
	}
	for i := 0; i < 20; i++ {
		d := &doc{ID: "c", Next: r.Int64(), ByID: map[int64]*item{}, ByName: map[string]*item{}, Small: map[uint8]int{},
			Nested: map[int64][]int64{}, When: time.Unix(r.Int64N(1<<31), 0).UTC(), Skipped: "no", hidden: 1, Untagged: r.IntN(2) == 0}
		for k := 0; k < r.IntN(300); k++ {
			d.ByID[r.Int64N(100000)-50000] = randomItem(r) // negative keys and keys of different lengths
			d.ByName[string(rune('a'+r.IntN(26)))+string(rune('a'+r.IntN(26)))] = randomItem(r)
			d.Small[uint8(r.IntN(256))] = k
			d.Nested[int64(k)] = []int64{int64(k), 1}
			d.List = append(d.List, randomItem(r))
		}
		if r.IntN(2) == 0 {
			d.ByID[1] = nil
			d.Queue = []item{*randomItem(r)}
		}
		cases = append(cases, struct {
			name string
			v    any
		}{"random", d})
	}
	for _, tc := range cases {
		want, err := json.Marshal(tc.v)
		require.NoError(t, err)
		var got bytes.Buffer
		require.NoError(t, WriteStruct(&got, tc.v))
		require.Equal(t, string(want), got.String(), "%s (seed %d)", tc.name, seed)
	}
}

// countingWriter counts writes.
type countingWriter struct{ writes, bytes int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	c.bytes += len(p)
	return len(p), nil
}

// TestWriteStructStreams: a map's entries arrive as writes of their own.
func TestWriteStructStreams(t *testing.T) {
	d := &doc{ByID: map[int64]*item{}}
	for i := int64(0); i < 1000; i++ {
		d.ByID[i] = &item{Name: "x"}
	}
	var c countingWriter
	require.NoError(t, WriteStruct(&c, d))
	require.GreaterOrEqual(t, c.writes, 1000)
}
