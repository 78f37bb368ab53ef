package query

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

// variable reads @@name or @name.
func (s *Session) variable(x *sql.VariableExpr) (types.Value, error) {
	if !x.System {
		v, ok := s.userVar[strings.ToLower(x.Name)]
		if !ok {
			return types.NullValue, nil
		}
		return types.StringValue(v), nil
	}
	name := strings.ToLower(x.Name)
	decl, ok := s.eng.vars.lookup(name)
	if !ok {
		return types.Value{}, atCode(x.At, sqlerr.ErUnknownSystemVar, sqlerr.StateGeneral, "%s", s.unknownVarMessage(x.Name))
	}
	val := s.eng.vars.getGlobal(name)
	if x.Scope != sql.ScopeGlobal {
		if sv, ok := s.vars[name]; ok {
			val = sv
		}
	}
	if name == "hostname" && val == "" {
		val = s.host
	}
	return decl.value(val), nil
}

// unknownVarMessage is StarRocks' text for an unknown system variable,
// with the three most similar names.
func (s *Session) unknownVarMessage(name string) string {
	names := s.eng.vars.names()
	sort.SliceStable(names, func(i, j int) bool {
		return similarity(name, names[i]) > similarity(name, names[j])
	})
	if len(names) > 3 {
		names = names[:3]
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "Unknown system variable '" + name + "', the most similar variables are {" + strings.Join(q, ", ") + "}"
}

// similarity is a cheap string similarity: the length of the common prefix
// plus the number of shared characters, normalised.
func similarity(a, b string) float64 {
	a, b = strings.ToLower(a), strings.ToLower(b)
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	common := 0
	for _, r := range a {
		if strings.ContainsRune(b, r) {
			common++
		}
	}
	return float64(p)*2 + float64(common)/float64(len(a)+len(b)+1)
}

func (s *Session) execSet(ctx context.Context, st *sql.SetStmt) (*Result, error) {
	// Check every assignment before applying any.
	type change struct {
		global bool
		name   string
		value  string
		user   bool
	}
	var changes []change
	for _, a := range st.Assignments {
		switch a.Kind {
		case sql.SetNames, sql.SetCharset:
			cs := a.Charset
			if cs == "" || strings.EqualFold(cs, "utf8mb4") || strings.EqualFold(cs, "utf8mb3") {
				cs = "utf8"
			}
			for _, n := range []string{"character_set_client", "character_set_connection", "character_set_results"} {
				changes = append(changes, change{name: n, value: cs})
			}
			if a.Kind == sql.SetNames && a.Collate != "" {
				changes = append(changes, change{name: "collation_connection", value: a.Collate})
			}
		case sql.SetUserVar:
			v, err := s.eval(a.Value, nil)
			if err != nil {
				return nil, err
			}
			val := v.String()
			if v.IsNull() {
				val = ""
			}
			changes = append(changes, change{user: true, name: strings.ToLower(a.Name), value: val})
		case sql.SetSystemVar:
			name := strings.ToLower(a.Name)
			decl, ok := s.eng.vars.lookup(name)
			if !ok {
				return nil, sqlerr.New(sqlerr.ErUnknownSystemVar, sqlerr.StateGeneral, "%s", s.unknownVarMessage(a.Name))
			}
			if decl.readOnly {
				return nil, sqlerr.New(sqlerr.ErReadOnlyVariable, sqlerr.StateGeneral, "Variable '%s' is a read only variable", a.Name)
			}
			global := a.Scope == sql.ScopeGlobal
			if global {
				if err := s.requireSystem(catalog.PrivOperate); err != nil {
					return nil, err
				}
			}
			var val string
			if _, ok := a.Value.(*sql.DefaultExpr); ok {
				val = decl.def
			} else {
				v, err := s.eval(a.Value, nil)
				if err != nil {
					return nil, err
				}
				if v.IsNull() {
					val = ""
				} else {
					val = v.String()
				}
			}
			if decl.kind == types.BigInt && val != "" {
				if _, ok := parseInt(val); !ok {
					lv := strings.ToLower(val)
					switch lv {
					case "on", "true":
						val = "1"
					case "off", "false":
						val = "0"
					default:
						return nil, at(a.At, "Incorrect argument type to variable '%s'", a.Name)
					}
				}
			}
			changes = append(changes, change{global: global, name: name, value: val})
		}
	}
	globals := map[string]string{}
	for _, c := range changes {
		if c.global {
			globals[c.name] = c.value
		}
	}
	if len(globals) > 0 {
		if err := s.setGlobals(ctx, globals); err != nil {
			return nil, err
		}
	}
	for _, c := range changes {
		switch {
		case c.user:
			s.userVar[c.name] = c.value
		case !c.global:
			s.vars[c.name] = c.value
		}
	}
	return OK(), nil
}

// setGlobals journals the GLOBAL values of a SET statement on the leader
// FE. On any other FE only the GLOBAL assignments are forwarded, as
// literals, so that the session's own assignments stay in this session.
func (s *Session) setGlobals(ctx context.Context, globals map[string]string) error {
	if s.forwarded || s.eng.fes.IsLeader() {
		_, err := s.eng.writer.Propose(ctx, &catalog.SetGlobalVarsOp{Vars: globals})
		if err == nil || s.forwarded || !errors.Is(err, sqlerr.ErrNotLeader) {
			return err
		}
		// Leadership moved before anything was journaled.
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(globals)) {
		parts = append(parts, "@@GLOBAL."+name+" = "+(&sql.Literal{Kind: sql.LitString, Val: globals[name]}).String())
	}
	_, err := s.eng.fes.Forward(ctx, s.State(), "SET "+strings.Join(parts, ", "))
	return err
}

func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}
