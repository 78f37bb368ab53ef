package scenarios

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Catalog is what a cluster's catalog holds that a restore must bring
// back as it was: databases, tables, partitions, users, their grants and
// the storage volumes (by name: a restore may point a volume at a copied
// bucket). Each list is sorted.
type Catalog struct {
	Databases  []string `json:"databases"`
	Tables     []string `json:"tables"`     // db.table
	Partitions []string `json:"partitions"` // db.table.partition
	Users      []string `json:"users"`
	Grants     []string `json:"grants"` // user: GRANT ...
	Volumes    []string `json:"storage_volumes"`
}

// catalogCapture is the catalog read after a statement of the drill
// changed it: the state from Acked on until the next capture's Sent.
type catalogCapture struct {
	Sent    time.Time `json:"sent"`
	Acked   time.Time `json:"acked"`
	Step    string    `json:"step"`
	Catalog Catalog   `json:"catalog"`
}

// systemDatabases are not part of what a check compares.
var systemDatabases = []string{"information_schema", "_statistics_", "sys"}

// readCatalog reads the catalog through db with SHOW statements, as a
// person would check it by hand.
func readCatalog(ctx context.Context, db *sql.DB) (Catalog, error) {
	var c Catalog
	dbs, err := queryColumn(ctx, db, "SHOW DATABASES", "Database")
	if err != nil {
		return c, err
	}
	for _, d := range dbs {
		if slices.Contains(systemDatabases, d) {
			continue
		}
		c.Databases = append(c.Databases, d)
		tables, err := queryColumn(ctx, db, "SHOW TABLES FROM `"+d+"`", "")
		if err != nil {
			return c, err
		}
		for _, t := range tables {
			c.Tables = append(c.Tables, d+"."+t)
			parts, err := queryColumn(ctx, db, "SHOW PARTITIONS FROM `"+d+"`.`"+t+"`", "PartitionName")
			if err != nil {
				return c, err
			}
			for _, p := range parts {
				c.Partitions = append(c.Partitions, d+"."+t+"."+p)
			}
		}
	}
	users, err := queryColumn(ctx, db, "SHOW USERS", "")
	if err != nil {
		return c, err
	}
	for _, u := range users {
		c.Users = append(c.Users, u)
		grants, err := queryColumn(ctx, db, "SHOW GRANTS FOR "+u, "Grants")
		if err != nil {
			return c, err
		}
		for _, g := range grants {
			c.Grants = append(c.Grants, u+": "+g)
		}
	}
	if c.Volumes, err = queryColumn(ctx, db, "SHOW STORAGE VOLUMES", ""); err != nil {
		return c, err
	}
	for _, l := range [][]string{c.Databases, c.Tables, c.Partitions, c.Users, c.Grants, c.Volumes} {
		slices.Sort(l)
	}
	return c, nil
}

// queryColumn runs q and returns the column named col (the first column
// when col is "").
func queryColumn(ctx context.Context, db *sql.DB, q, col string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	at := 0
	if col != "" {
		at = slices.Index(cols, col)
		if at < 0 {
			return nil, fmt.Errorf("%s: no column %s in %v", q, col, cols)
		}
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals[at].String)
	}
	return out, rows.Err()
}

// diff says precisely what differs between want and got ("" when equal).
func (want Catalog) diff(got Catalog) []string {
	var out []string
	part := func(what string, w, g []string) {
		var missing, extra []string
		for _, x := range w {
			if !slices.Contains(g, x) {
				missing = append(missing, x)
			}
		}
		for _, x := range g {
			if !slices.Contains(w, x) {
				extra = append(extra, x)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("%s missing: %s", what, strings.Join(missing, ", ")))
		}
		if len(extra) > 0 {
			out = append(out, fmt.Sprintf("%s that should not be there: %s", what, strings.Join(extra, ", ")))
		}
	}
	part("databases", want.Databases, got.Databases)
	part("tables", want.Tables, got.Tables)
	part("partitions", want.Partitions, got.Partitions)
	part("users", want.Users, got.Users)
	part("grants", want.Grants, got.Grants)
	part("storage volumes", want.Volumes, got.Volumes)
	return out
}

// catalogAt is the captures the catalog may equal at the cut: the last
// one acknowledged before it and, when the next statement was sent
// before the cut but acknowledged after it, that one too.
func catalogAt(captures []catalogCapture, cut time.Time) []catalogCapture {
	k := -1
	for i, c := range captures {
		if c.Acked.Before(cut) {
			k = i
		}
	}
	var out []catalogCapture
	if k >= 0 {
		out = append(out, captures[k])
	}
	if k+1 < len(captures) && !captures[k+1].Sent.After(cut) {
		out = append(out, captures[k+1])
	}
	return out
}
