package conf

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any configuration file loads or is refused with an error
// naming the file and line, never a panic.
func FuzzLoad(f *testing.F) {
	specs := []Spec{
		{Key: "i", Kind: Int, Default: "1"},
		{Key: "b", Kind: Bool, Default: "false"},
		{Key: "d", Kind: Float, Default: "0.5"},
		{Key: "c", Kind: CIDRList},
		{Key: "e", Kind: Enum, Default: "x", Choices: []string{"x", "y"}},
		{Key: "m", Kind: MemSize, Default: "1G"},
		{Key: "s", Default: "${STARROCKS_HOME}/log", Secret: true},
	}
	f.Add([]byte("# comment\ni = 3\nb = true\nd = 1.5\nc = 10.0.0.0/8;192.168.1.0/24\ne = y\nm = 80%\ns = ${i}/x\n"))
	f.Add([]byte("i =\n= 1\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "fuzz.conf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, _ = Load(p, specs, func(string) string { return "/home" })
	})
}
