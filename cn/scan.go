package cn

import (
	"context"
	"io"
	"math/big"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// predicate is an rpc.Predicate with its constants converted to the
// column's type.
type predicate struct {
	col  int
	op   string
	vals []types.Value
	// in is the hashed list of an IN predicate: a long list costs a row
	// one lookup, not one comparison per item.
	in *types.ValueSet
}

func compilePredicates(s *lake.Schema, ps []rpc.Predicate) ([]predicate, error) {
	out := make([]predicate, len(ps))
	for i, p := range ps {
		if p.Column < 0 || p.Column >= len(s.Columns) {
			return nil, rpc.Errorf("invalid", "predicate on column %d of %d", p.Column, len(s.Columns))
		}
		out[i] = predicate{col: p.Column, op: p.Op}
		for _, v := range p.Values {
			tv, err := types.ParseValue(s.Columns[p.Column].Type, v)
			if err != nil {
				return nil, rpc.Errorf("invalid", "predicate value %q: %v", v, err)
			}
			out[i].vals = append(out[i].vals, tv)
		}
		if p.Op == "IN" {
			out[i].in = types.NewValueSet(out[i].vals)
		}
	}
	return out, nil
}

// match reports whether a row meets every predicate (SQL semantics: a
// comparison with NULL is not true).
func match(row lake.Row, ps []predicate) bool {
	for _, p := range ps {
		v := row[p.col]
		switch p.op {
		case "IS NULL":
			if !v.IsNull() {
				return false
			}
			continue
		case "IS NOT NULL":
			if v.IsNull() {
				return false
			}
			continue
		}
		if v.IsNull() {
			return false
		}
		switch p.op {
		case "IN":
			if !p.in.Contains(v) {
				return false
			}
			continue
		}
		c := types.Compare(v, p.vals[0])
		ok := false
		switch p.op {
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// partial is one aggregate's running state on the compute node.
type partial struct {
	fn    string
	col   int
	typ   types.Type
	count int64
	i     int64
	f     float64
	r     *big.Rat
	best  types.Value
	any   bool
}

func (p *partial) add(row lake.Row) {
	if p.col < 0 {
		p.count++
		return
	}
	v := row[p.col]
	if v.IsNull() {
		return
	}
	p.count++
	switch p.fn {
	case "MIN":
		if !p.any || types.Compare(v, p.best) < 0 {
			p.best = v
		}
	case "MAX":
		if !p.any || types.Compare(v, p.best) > 0 {
			p.best = v
		}
	case "SUM":
		switch p.typ.Kind {
		case types.BigInt:
			p.i += v.Int
		case types.Double:
			if v.Kind == types.Float || v.Kind == types.Double {
				p.f += v.Float
			}
		default:
			if p.r == nil {
				p.r = new(big.Rat)
			}
			if x, ok := new(big.Rat).SetString(v.String()); ok {
				p.r.Add(p.r, x)
			}
		}
	}
	p.any = true
}

func (p *partial) value() types.Value {
	switch p.fn {
	case "COUNT":
		return types.IntValue(types.BigInt, p.count)
	case "MIN", "MAX":
		if !p.any {
			return types.NullValue
		}
		return p.best
	}
	if !p.any {
		return types.NullValue
	}
	switch p.typ.Kind {
	case types.BigInt:
		return types.IntValue(types.BigInt, p.i)
	case types.Double:
		return types.FloatValue(p.f)
	case types.Decimal:
		return types.TextValue(types.Decimal, p.r.FloatString(p.typ.Scale))
	}
	return types.TextValue(types.LargeInt, p.r.FloatString(0))
}

// scan answers a scan: for each tablet its merged rows at the version,
// filtered, then projected or pre-aggregated, streamed as row blocks.
func (n *Node) scan(ctx context.Context, req *rpc.ScanRequest, out io.Writer) error {
	if err := req.Schema.Validate(); err != nil {
		return rpc.Errorf("invalid", "%v", err)
	}
	preds, err := compilePredicates(req.Schema, req.Predicates)
	if err != nil {
		return err
	}
	// Fail before streaming when the node cannot read yet, so the FE can
	// heartbeat it and retry.
	if len(req.Tablets) > 0 {
		if _, _, err := n.store(ctx, req.Tablets[0].VolumeID); err != nil {
			return err
		}
	}
	outSchema := rpc.ScanOutputSchema(req)
	sw := rpc.NewStreamWriter(out)
	enc := lake.NewBlockEncoder(outSchema)
	var buf []byte
	var pending []lake.Row
	send := func(force bool) error {
		if len(pending) == 0 || (!force && len(pending) < 4096) {
			return nil
		}
		var err error
		if buf, err = enc.Encode(buf[:0], pending); err != nil {
			return err
		}
		pending = pending[:0]
		return sw.WriteBlock(buf)
	}
	aggregating := len(req.GroupBy) > 0 || len(req.Aggregates) > 0
	type group struct {
		key  lake.Row
		accs []*partial
	}
	groups := map[string]*group{}
	var order []string
	var sent int64
	var keyBuf []byte
	for _, t := range req.Tablets {
		err := n.tabletRows(ctx, t, req.Version, req.Schema, func(rows []lake.Row) error {
			for _, row := range rows {
				if !match(row, preds) {
					continue
				}
				if !aggregating {
					if req.Limit > 0 && sent >= req.Limit {
						return errLimit
					}
					proj := make(lake.Row, len(req.Columns))
					for i, c := range req.Columns {
						proj[i] = row[c]
					}
					pending = append(pending, proj)
					sent++
					if err := send(false); err != nil {
						return err
					}
					continue
				}
				keyBuf = keyBuf[:0]
				for _, c := range req.GroupBy {
					keyBuf = lake.AppendHashKey(keyBuf, req.Schema.Columns[c].Type, row[c])
				}
				g := groups[string(keyBuf)]
				if g == nil {
					g = &group{}
					for _, c := range req.GroupBy {
						g.key = append(g.key, row[c])
					}
					for i, a := range req.Aggregates {
						g.accs = append(g.accs, &partial{fn: a.Func, col: a.Column, typ: outSchema.Columns[len(req.GroupBy)+i].Type})
					}
					groups[string(keyBuf)] = g
					order = append(order, string(keyBuf))
				}
				for _, p := range g.accs {
					p.add(row)
				}
			}
			return nil
		})
		if err == errLimit {
			break
		}
		if err != nil {
			return sw.Fail(err)
		}
	}
	for _, k := range order {
		g := groups[k]
		row := append(lake.Row(nil), g.key...)
		for _, p := range g.accs {
			row = append(row, p.value())
		}
		pending = append(pending, row)
		if err := send(false); err != nil {
			return sw.Fail(err)
		}
	}
	if err := send(true); err != nil {
		return sw.Fail(err)
	}
	return sw.Finish()
}

var errLimit = rpc.Errorf("limit", "limit reached")
