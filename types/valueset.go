package types

// ValueSet is the list of an IN predicate, made for asking many values
// whether they are in it: a long list (an IN of 200000 items) over many
// rows must not cost rows times items comparisons. A list of integers
// only, or of strings only, is hashed; other lists, and values of another
// class than the list's, are compared item by item. Either way the answer
// is Compare's.
type ValueSet struct {
	list    []Value
	ints    map[int64]struct{}
	strs    map[string]struct{}
	hasNull bool
}

// isPlainInt reports kinds whose value is v.Int and that Compare compares
// as integers.
func isPlainInt(k Kind) bool {
	switch k {
	case Boolean, TinyInt, SmallInt, Int, BigInt:
		return true
	}
	return false
}

func isText(k Kind) bool { return k == Char || k == Varchar }

// NewValueSet builds the set of list's values; NULL items only make
// HasNull true.
func NewValueSet(list []Value) *ValueSet {
	s := &ValueSet{}
	allInt, allText := true, true
	for _, v := range list {
		if v.IsNull() {
			s.hasNull = true
			continue
		}
		s.list = append(s.list, v)
		allInt = allInt && isPlainInt(v.Kind)
		allText = allText && isText(v.Kind)
	}
	switch {
	case len(s.list) < 8:
	case allInt:
		s.ints = make(map[int64]struct{}, len(s.list))
		for _, v := range s.list {
			s.ints[v.Int] = struct{}{}
		}
	case allText:
		s.strs = make(map[string]struct{}, len(s.list))
		for _, v := range s.list {
			s.strs[v.Str] = struct{}{}
		}
	}
	return s
}

// HasNull reports whether the list holds NULL.
func (s *ValueSet) HasNull() bool { return s.hasNull }

// Contains reports whether v, not NULL, equals (Compare) an item.
func (s *ValueSet) Contains(v Value) bool {
	switch {
	case s.ints != nil && isPlainInt(v.Kind):
		_, ok := s.ints[v.Int]
		return ok
	case s.strs != nil && isText(v.Kind):
		_, ok := s.strs[v.Str]
		return ok
	}
	for _, x := range s.list {
		if Compare(v, x) == 0 {
			return true
		}
	}
	return false
}
