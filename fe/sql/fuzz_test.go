package sql

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that any error it returns
// is a *SyntaxError with a sensible position.
func FuzzParse(f *testing.F) {
	seeds := []string{
		quickstartAggregate, quickstartDuplicate,
		"SELECT 1", "SELECT @@version_comment LIMIT 1", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'",
		"SELECT a, COUNT(*) FROM db.t WHERE a BETWEEN 1 AND 2 OR b IN (1, 2) GROUP BY a HAVING COUNT(*) > 1 ORDER BY a DESC LIMIT 5, 10",
		"INSERT INTO t PARTITION (p1) WITH LABEL l (a, b) VALUES (1, 'x'), (DEFAULT, NULL)",
		"INSERT OVERWRITE t SELECT * FROM s", "GRANT SELECT ON db.* TO 'u'@'%' WITH GRANT OPTION", "REVOKE r FROM ROLE q",
		"CREATE STORAGE VOLUME v TYPE = S3 LOCATIONS = ('s3://b/p') PROPERTIES (\"k\" = \"v\")",
		"ALTER SYSTEM ADD COMPUTE NODE \"h:1\", \"h:2\"", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME v", "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT",
		"SHOW FULL COLUMNS FROM t FROM db LIKE 'x%'", "SET PASSWORD FOR u = PASSWORD('p')", "KILL QUERY 3",
		"SELECT CASE WHEN a THEN CAST(b AS DECIMAL(10,2)) ELSE d + INTERVAL 1 DAY END", "/*!40101 x */ -- c\n#c\nUSE db;;",
		"SELECT 'unterminated", "SELECT `x", "SELECT /*", "SELECT @@session.", "1e", ".5e", "'\\", "@'", "x@",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sts, err := Parse(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if se.Line < 1 || se.Col < 0 || se.Line > strings.Count(s, "\n")+1 {
				t.Fatalf("bad position %d:%d for %q", se.Line, se.Col, s)
			}
			return
		}
		for _, st := range sts {
			if st.Text() == "" {
				t.Fatalf("empty statement text for %q", s)
			}
		}
		// Expressions render to text that parses again.
		for _, st := range sts {
			if sel, ok := st.(*SelectStmt); ok {
				for _, it := range sel.Items {
					if it.Expr != nil {
						if _, err := ParseExpr(it.Expr.String()); err != nil {
							t.Fatalf("rendering %q of %q does not parse: %v", it.Expr.String(), s, err)
						}
					}
				}
			}
		}
		_, _ = ParseOne(s)
		_, _ = ParseExpr(s)
	})
}
