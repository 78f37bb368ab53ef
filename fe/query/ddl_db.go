package query

import (
	"context"
	"regexp"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// infoSchemaDB is the system database every session may use.
const infoSchemaDB = "information_schema"

var dbNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,255}$`)

// resolveDB returns the database a statement names, or the session's.
func (s *Session) resolveDB(pos sql.Pos, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	if s.db == "" {
		return "", errNoDB(pos)
	}
	return s.db, nil
}

func (s *Session) execCreateDatabase(ctx context.Context, st *sql.CreateDatabaseStmt) (*Result, error) {
	name := st.Db.Name
	if !s.privs().Catalog(catalog.PrivCreateDatabase) {
		return nil, s.errAccessDenied([]string{catalog.PrivCreateDatabase}, catalog.ObjCatalog, catalog.InternalCatalog)
	}
	if strings.EqualFold(name, infoSchemaDB) || !dbNameRE.MatchString(name) {
		return nil, at(st.Db.At, "Incorrect database name '%s'", name)
	}
	cat := s.eng.cat
	if cat.DB(name) != nil {
		if st.IfNotExists {
			return OK(), nil
		}
		return nil, catalog.ErrDBExists(name)
	}
	props := map[string]string{}
	for _, p := range st.Properties {
		switch p.Key {
		case "storage_volume":
			if err := s.checkVolumeUsable(p.At, p.Value); err != nil {
				return nil, err
			}
			props[p.Key] = p.Value
		default:
			return nil, at(p.At, "Unknown properties: {%s=%s}", p.Key, p.Value)
		}
	}
	id, err := s.eng.writer.AllocIDs(ctx, 1)
	if err != nil {
		return nil, err
	}
	db := catalog.Database{ID: id, Name: name, CreateTime: s.eng.now().UnixMilli()}
	if len(props) > 0 {
		db.Properties = props
	}
	_, err = s.eng.writer.Propose(ctx, &catalog.CreateDBOp{DB: db})
	if err != nil && st.IfNotExists && sqlerr.Number(err) == sqlerr.ErDBCreateExists {
		return OK(), nil
	}
	if err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execDropDatabase(ctx context.Context, st *sql.DropDatabaseStmt) (*Result, error) {
	name := st.Db.Name
	cat := s.eng.cat
	db := cat.DB(name)
	if db == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, sqlerr.New(sqlerr.ErDBDropExists, sqlerr.StateGeneral, "Can't drop database '%s'; database doesn't exist", name)
	}
	if err := s.requireDatabase(name, catalog.PrivDrop); err != nil {
		return nil, err
	}
	// The database and its tables go to the recycle bin (FORCE: straight to
	// the purge queue); their data is deleted when they are erased.
	op := &catalog.DropDBOp{ID: db.ID, Force: st.Force, DropTime: s.eng.now().UnixMilli()}
	if _, err := s.eng.writer.Propose(ctx, op); err != nil {
		return nil, err
	}
	if s.db == name {
		s.db = ""
	}
	return OK(), nil
}

func (s *Session) execDropTable(ctx context.Context, st *sql.DropTableStmt) (*Result, error) {
	dbName, err := s.resolveDB(st.Table.At, st.Table.Db)
	if err != nil {
		return nil, err
	}
	cat := s.eng.cat
	db := cat.DB(dbName)
	if db == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, errUnknownDB(st.Table.At, dbName)
	}
	t := cat.Table(dbName, st.Table.Name)
	if t == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, errUnknownTable(st.Table.At, st.Table.Name)
	}
	if err := s.requireTable(dbName, t.Name, catalog.PrivDrop); err != nil {
		return nil, err
	}
	op := &catalog.DropTableOp{DBID: db.ID, TableID: t.ID, Force: st.Force, DropTime: s.eng.now().UnixMilli()}
	if _, err := s.eng.writer.Propose(ctx, op); err != nil {
		return nil, err
	}
	return OK(), nil
}

// checkVolumeUsable checks that a storage_volume property names an enabled
// volume the session may use.
func (s *Session) checkVolumeUsable(pos sql.Pos, name string) error {
	v := s.eng.cat.StorageVolume(name)
	if v == nil {
		return at(pos, `Unknown storage volume "%s"`, name)
	}
	if !v.Enabled {
		return at(pos, "Storage volume %s is disabled", name)
	}
	if !s.privs().Volume(name, catalog.PrivUsage) {
		return s.errAccessDenied([]string{catalog.PrivUsage}, catalog.ObjVolume, name)
	}
	return nil
}
