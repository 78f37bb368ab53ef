package mysqlserver

import (
	"testing"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
)

func TestCheckScramble(t *testing.T) {
	salt := []byte("12345678901234567890")
	hash := catalog.HashPassword("s3cret")
	require.True(t, CheckScramble(salt, hash, mysql.ScrambleMysqlNativePassword(salt, []byte("s3cret"))))
	require.False(t, CheckScramble(salt, hash, mysql.ScrambleMysqlNativePassword(salt, []byte("wrong"))))
	require.False(t, CheckScramble(salt, hash, nil))
	require.True(t, CheckScramble(salt, nil, nil), "no password, no response")
	require.False(t, CheckScramble(salt, nil, []byte("x")))
}

func TestBindParams(t *testing.T) {
	vars := map[string]*querypb.BindVariable{
		"v1": sqltypes.Int64BindVariable(7),
		"v2": sqltypes.StringBindVariable("it's \\ here"),
		"v3": {Type: querypb.Type_NULL_TYPE},
	}
	got, err := BindParams("SELECT '?', `a?`, ? /* ? */, ?, ? -- ?\n", vars)
	require.NoError(t, err)
	require.Equal(t, "SELECT '?', `a?`, 7 /* ? */, 'it\\'s \\\\ here', NULL -- ?\n", got)
	_, err = BindParams("SELECT ?, ?, ?, ?", vars)
	require.ErrorContains(t, err, "No value bound for parameter 4")
}
