package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRedactSQL: passwords of user statements never reach a drill's
// output; everything else is shown as written.
func TestRedactSQL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CREATE USER 'clerk'@'%' IDENTIFIED BY 'pw-clerk'", "CREATE USER 'clerk'@'%' IDENTIFIED BY '***'"},
		{"create user u identified by 'it''s \\' secret' default role r", "create user u identified by '***' default role r"},
		{"ALTER USER u IDENTIFIED BY PASSWORD '*ABCDEF'", "ALTER USER u IDENTIFIED BY PASSWORD '***'"},
		{"CREATE USER u IDENTIFIED WITH mysql_native_password BY 'p'", "CREATE USER u IDENTIFIED WITH mysql_native_password BY '***'"},
		{"SET PASSWORD FOR 'u'@'%' = PASSWORD('p2')", "SET PASSWORD FOR 'u'@'%' = PASSWORD('***')"},
		{"SET PASSWORD = 'p3'", "SET PASSWORD = '***'"},
		{"INSERT INTO t VALUES ('IDENTIFIED')", "INSERT INTO t VALUES ('IDENTIFIED')"},
		{"SELECT 'by' FROM t", "SELECT 'by' FROM t"},
	} {
		require.Equal(t, tc.want, redactSQL(tc.in), tc.in)
	}
}
