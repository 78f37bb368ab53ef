package frontends

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMetaImageFilesMove: ROLE and VERSION live in meta_dir/image/; a meta
// dir an older minirocks laid out (both in meta_dir) keeps working and is
// moved on start, and when both copies exist the one in image/ wins.
func TestMetaImageFilesMove(t *testing.T) {
	const (
		oldVersion = "clusterId=7\ntoken=old\n"
		newVersion = "clusterId=7\ntoken=new\n"
		role       = "#x\nrole=OBSERVER\nname=h_9010_1\n"
	)
	for _, tc := range []struct {
		name      string
		top       map[string]string // files in meta_dir
		image     map[string]string // files in meta_dir/image
		wantToken string
		wantFiles map[string]string // what ReadMetaImageFiles returns
		wantErr   string
	}{
		{"fresh meta dir", nil, nil, "", nil, "read VERSION of meta dir"},
		{"old layout", map[string]string{"VERSION": oldVersion, "ROLE": role}, nil, "old",
			map[string]string{"VERSION": oldVersion, "ROLE": role}, ""},
		{"new layout", nil, map[string]string{"VERSION": newVersion, "ROLE": role}, "new",
			map[string]string{"VERSION": newVersion, "ROLE": role}, ""},
		{"both: image/ wins", map[string]string{"VERSION": oldVersion, "ROLE": "role=FOLLOWER\nname=stale\n"},
			map[string]string{"VERSION": newVersion, "ROLE": role}, "new",
			map[string]string{"VERSION": newVersion, "ROLE": role}, ""},
		{"old VERSION, no ROLE yet", map[string]string{"VERSION": oldVersion}, nil, "old", nil, "read ROLE of meta dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.top {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
			}
			if tc.image != nil {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "image"), 0o755))
			}
			for name, body := range tc.image {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "image", name), []byte(body), 0o600))
			}
			require.Equal(t, tc.wantToken, ReadVersionToken(dir))
			for _, name := range []string{VersionFile, RoleFile} {
				_, err := os.Stat(filepath.Join(dir, name))
				require.ErrorIs(t, err, os.ErrNotExist, "%s is no longer in meta_dir", name)
			}
			got, err := ReadMetaImageFiles(dir)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			want := map[string][]byte{}
			for name, body := range tc.wantFiles {
				want[name] = []byte(body)
			}
			require.Equal(t, want, got)
			name, err := LoadOrCreateName(dir, "h", 9010)
			require.NoError(t, err)
			require.Equal(t, "h_9010_1", name)
		})
	}
}

// TestMetaImageFilesWrite: writing ROLE and VERSION puts them in image/
// and removes copies left in meta_dir.
func TestMetaImageFilesWrite(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "VERSION"), []byte("clusterId=1\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ROLE"), []byte("role=FOLLOWER\nname=a\n"), 0o600))
	require.NoError(t, WriteVersion(dir, "2", "tok"))
	require.NoError(t, WriteRole(dir, "OBSERVER", "b"))
	for _, name := range []string{"VERSION", "ROLE"} {
		_, err := os.Stat(filepath.Join(dir, name))
		require.ErrorIs(t, err, os.ErrNotExist)
		st, err := os.Stat(filepath.Join(dir, "image", name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s holds the cluster token or the name: owner only", name)
	}
	require.Equal(t, "tok", ReadVersionToken(dir))
	files, err := ReadMetaImageFiles(dir)
	require.NoError(t, err)
	require.Equal(t, "clusterId=2\ntoken=tok\n", string(files["VERSION"]))
	require.Contains(t, string(files["ROLE"]), "\nrole=OBSERVER\nname=b\n")

	// A name is created once and kept.
	fresh := t.TempDir()
	n1, err := LoadOrCreateName(fresh, "h", 9010)
	require.NoError(t, err)
	n2, err := LoadOrCreateName(fresh, "h", 9010)
	require.NoError(t, err)
	require.Equal(t, n1, n2)
	_, err = os.Stat(filepath.Join(fresh, "image", "ROLE"))
	require.NoError(t, err)
}
