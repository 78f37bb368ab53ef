package sql

import "testing"

// FuzzParse: any text parses into statements or an error, never a panic
// or a hang (deep nesting and long chains included).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT 1",
		"CREATE TABLE d.t (k INT NOT NULL, v VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3",
		"INSERT INTO d.t WITH LABEL l1 VALUES (1, 'a'), (2, NULL)",
		"SELECT k, SUM(v) FROM d.t WHERE k IN (1, 2, 3) AND v LIKE 'a%' GROUP BY k HAVING COUNT(*) > 1 ORDER BY k DESC LIMIT 10",
		"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME v",
		"ALTER SYSTEM ADD COMPUTE NODE '127.0.0.1:9050'",
		"GRANT SELECT ON ALL TABLES IN DATABASE d TO USER 'u'@'%'",
		"SELECT CASE WHEN (((1))) THEN CAST('1' AS INT) ELSE -1 END",
		"/* c */ SELECT `a``b` FROM t; SELECT 'it''s'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, _ = Parse(text)
		_, _ = ParseExpr(text)
	})
}
