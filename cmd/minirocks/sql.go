package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// runSQL runs statements against an FE's query port, like `mysql -h H -P
// 9030 -u root -e "..."`, for images that have no shell and no mysql
// client: a Compose or Kubernetes job that adds the followers and compute
// nodes, for instance. --wait waits for the FE to answer first; --force
// goes on after a failed statement, as mysql's does (the exit status is
// still 1). The password comes from MYSQL_PWD, as for the mysql client,
// so it is not in the command line. Results print as `mysql -B` does: a
// header line, then one tab-separated line per row.
func runSQL(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("h", "127.0.0.1", "FE host")
	port := fs.Int("P", 9030, "FE query port")
	user := fs.String("u", "root", "user")
	exec := fs.String("e", "", "statements to run, separated by ';'")
	wait := fs.Duration("wait", 0, "first wait up to this long (e.g. 2m) for the FE to answer, for an FE still starting")
	force := fs.Bool("force", false, "go on after a failed statement (the exit status is still 1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*exec) == "" {
		return errors.New("sql: -e is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sql: unexpected argument %q (statements go in -e)", fs.Arg(0))
	}
	mysql.SetLogger(log.New(io.Discard, "", 0))
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = *user, os.Getenv("MYSQL_PWD")
	cfg.Net, cfg.Addr = "tcp", *host+":"+strconv.Itoa(*port)
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, time.Minute, time.Minute
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return fmt.Errorf("sql: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx := context.Background()
	deadline := time.Now().Add(*wait)
	for {
		err := db.PingContext(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sql: %s: %w", cfg.Addr, err)
		}
		fmt.Fprintf(stderr, "minirocks sql: waiting for %s: %v\n", cfg.Addr, err)
		time.Sleep(2 * time.Second) // a pause between tries against a starting FE, not a synchronisation
	}
	var failed []error
	for _, stmt := range splitStatements(*exec) {
		if err := runStatement(ctx, db, stmt, stdout); err != nil {
			err = fmt.Errorf("sql: %s: %w", stmt, err)
			if !*force {
				return err
			}
			fmt.Fprintf(stderr, "minirocks %v\n", err)
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sql: %d of the statements failed", len(failed))
	}
	return nil
}

// runStatement runs one statement and prints its rows, if any.
func runStatement(ctx context.Context, db *sql.DB, stmt string, stdout io.Writer) error {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if len(cols) > 0 {
		fmt.Fprintln(stdout, strings.Join(cols, "\t"))
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			cells[i] = "NULL"
			if v.Valid {
				cells[i] = v.String
			}
		}
		fmt.Fprintln(stdout, strings.Join(cells, "\t"))
	}
	return rows.Err()
}

// splitStatements splits on ';' outside quotes and drops empty ones.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"' || r == '`':
			quote = r
		case r == ';':
			if t := strings.TrimSpace(cur.String()); t != "" {
				out = append(out, t)
			}
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}
