package conf

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var testSpecs = []Spec{
	{Key: "home_dir", Default: "${STARROCKS_HOME}/x"},
	{Key: "meta_dir", Default: "${home_dir}/meta"},
	{Key: "port", Kind: Int, Default: "9030", Min: 1, Max: 65535},
	{Key: "flag", Kind: Bool, Default: "false", Mutable: true},
	{Key: "mode", Kind: Enum, Default: "shared_nothing", Choices: []string{"shared_data", "shared_nothing"}},
	{Key: "nets", Kind: CIDRList},
	{Key: "secret", Secret: true},
}

func writeConf(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "fe.conf")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func env(k string) string {
	if k == "STARROCKS_HOME" {
		return "/opt/sr"
	}
	return ""
}

func TestLoad(t *testing.T) {
	p := writeConf(t, `# comment
port = 9031
flag = TRUE
   # indented comment
port = 9032
mode = SHARED_DATA
nets = 127.0.0.11/32;10.0.0.0/8
mystery = 1
secret = s3cr3t
`)
	c, warns, err := Load(p, testSpecs, env)
	require.NoError(t, err)
	require.Equal(t, int64(9032), c.Int("port"), "a later line overrides an earlier one")
	require.True(t, c.Bool("flag"))
	require.Equal(t, "shared_data", c.Get("mode"))
	require.Equal(t, "/opt/sr/x/meta", c.Get("meta_dir"), "defaults expand ${} references")
	require.Len(t, warns, 1)
	require.Equal(t, Warning{File: p, Line: 8, Key: "mystery", Msg: "unknown key, ignored"}, warns[0])
	for _, e := range c.Entries() {
		if e.Key == "secret" {
			require.Equal(t, "******", e.Value)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		body, want string
	}{
		{"port = abc\n", `line 1: key "port": invalid value "abc": not an integer`},
		{"\n\nport = 70000\n", `line 3: key "port": invalid value "70000": must be between 1 and 65535`},
		{"flag = maybe\n", `line 1: key "flag": invalid value "maybe": not a boolean (true or false)`},
		{"mode = hybrid\n", `line 1: key "mode": invalid value "hybrid": must be one of shared_data, shared_nothing`},
		{"nets = 300.1.1.1/8\n", `line 1: key "nets": invalid value "300.1.1.1/8": "300.1.1.1/8" is not a CIDR`},
		{"just words\n", "line 1: expected `key = value`, got \"just words\""},
		{"port = ${UNCLOSED\n", `line 1: key "port": unterminated ${ in "${UNCLOSED"`},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			p := writeConf(t, tc.body)
			_, _, err := Load(p, testSpecs, env)
			require.Error(t, err)
			require.Equal(t, p+" "+tc.want, err.Error())
		})
	}
}

func TestSet(t *testing.T) {
	c := New(testSpecs)
	require.NoError(t, c.Set("flag", "true"))
	require.True(t, c.Bool("flag"))
	require.EqualError(t, c.Set("port", "1"), "config 'port' is not mutable")
	require.EqualError(t, c.Set("nope", "1"), "config 'nope' does not exist")
	require.Error(t, c.Set("flag", "perhaps"))
	require.True(t, c.Bool("flag"), "a rejected value changes nothing")
}

func TestPriorityAddress(t *testing.T) {
	nets, err := ParseCIDRList("127.0.0.11/32")
	require.NoError(t, err)
	a, err := PriorityAddress(nets)
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("127.0.0.11"), a)
	a, err = PriorityAddress(nil)
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("127.0.0.1"), a)
	nets, _ = ParseCIDRList("127.0.0.0/8")
	a, err = PriorityAddress(nets)
	require.NoError(t, err)
	require.True(t, a.IsLoopback())
	nets, _ = ParseCIDRList("203.0.113.0/24")
	_, err = PriorityAddress(nets)
	require.ErrorContains(t, err, "no local address matches priority_networks")
}

func TestParseMemSize(t *testing.T) {
	const total = 8 << 30
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"90%", total * 9 / 10, false},
		{" 50 % ", total / 2, false},
		{"100%", total, false},
		{"8G", 8 << 30, false},
		{"8GB", 8 << 30, false},
		{"512m", 512 << 20, false},
		{"1.5g", 3 << 29, false},
		{"2T", 2 << 40, false},
		{"64K", 64 << 10, false},
		{"1024", 1024, false},
		{"0%", 0, true},
		{"101%", 0, true},
		{"-1G", 0, true},
		{"lots", 0, true},
		{"", 0, true},
		{"G", 0, true},
	} {
		got, err := ParseMemSize(tc.in, total)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}
